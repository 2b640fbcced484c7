"""PDF -> lines, with one pdfminer layout pass.

pdfminer groups characters into text lines (LTTextLine); everything after that is ours and
works on positions, not on pdfminer's reading order:
- page furniture goes: running headers (the symbol, and a resolution's title under it, on pages
  after the first), footers ("2/10", "11-37256"), the job number and date stamp
  ("11-37256 (E)    140611"), the barcode ("*1137256*"), "Please recycle";
- footnotes are the lines below the lowest "_____" rule in the lower part of a page;
- superscript digits (smaller than the line's text) are footnote markers: cut out, recorded;
- boxes on one baseline are one row, left to right, so a paragraph number printed in its own
  box in a left column is paired with its text by position.
Layout facts the segmenter needs (gap before a row, page break, bold, italic, indent) are read
from fonts and positions.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from io import BytesIO

from pdfminer.high_level import extract_pages
from pdfminer.layout import LAParams, LTChar, LTTextBox, LTTextLine
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfexceptions import PDFException
from pdfminer.psexceptions import PSException

from parsers.errors import EncryptedPdf, NoTextLayer, TruncatedPdf
from parsers.front_matter import SYMBOL_RE
from parsers.lines import Extracted, Line, RawFootnote
from parsers.normalise import clean_chars

# boxes_flow=None: pdfminer skips ordering text boxes (its costliest step); we order by position.
_LAPARAMS = LAParams(boxes_flow=None)

_JOB_RE = re.compile(r"\d{2}-\d{5}(?:\s*\([A-Z]\))?(?:\s+\d{6})?(?:\s+\d{2}-\d{5})?")
_BARCODE_RE = re.compile(r"\*\d{7,8}\*")
_RECYCLE_RE = re.compile(r"Please recycle\W*")
_PAGE_RE = re.compile(r"\d{1,4}\s*/\s*\d{1,4}")
_STAMP_RE = re.compile(r"\d{6}")
_RULE_RE = re.compile(r"_{5,}")
_LABEL_RE = re.compile(r"\d{1,4}\.|(?:[IVX]{1,6}|[A-Z])\.|\((?:[a-z]|[ivx]{1,6})\)")
_HAS_MARK_RE = re.compile(r"[\d*]")
_MARKER_ONLY_RE = re.compile(r"[\d,*]{1,8}")
_FN_START_RE = re.compile(r"(\d{1,3}|\*{1,3})\s+(\S.*)")
_TOP_BAND = 0.88  # share of the page height above which a running header sits
_BOTTOM_BAND = 0.10
_MARKER_SCALE = 0.8  # a character this much smaller than its line is a superscript


@dataclass(slots=True)
class _Seg:
    """One pdfminer text line: a box of text on one baseline."""

    text: str
    x0: float
    y0: float
    y1: float
    size: float
    bold: bool
    italic: bool
    markers: tuple[str, ...] = ()
    raw: str = ""  # the text before markers were cut (footnote lines start with theirs)


@dataclass(slots=True)
class _Row:
    page: int
    y0: float
    x0: float
    size: float
    segs: list[_Seg]
    markers: list[str]


def extract_pdf(data: bytes, name: str) -> Extracted:
    """Lines and footnotes of a PDF; typed errors for encrypted, broken or scanned files."""
    if b"%%EOF" not in data[-1024:]:
        raise TruncatedPdf(name, "no %%EOF at the end: the file stops early")
    rows: list[_Row] = []
    raw_notes: list[tuple[int, list[_Seg]]] = []
    pages = 0
    try:
        for page in extract_pages(BytesIO(data), laparams=_LAPARAMS):
            pages += 1
            body, notes = _read_page(page, pages)
            rows.extend(body)
            if notes:
                raw_notes.append((pages, notes))
    except PDFPasswordIncorrect:
        raise EncryptedPdf(name, "a password is needed to open it") from None
    except PDFEncryptionError as exc:
        raise EncryptedPdf(name, str(exc) or type(exc).__name__) from None
    except (PDFException, PSException) as exc:
        raise TruncatedPdf(name, f"{type(exc).__name__}: {exc}") from None
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - pdfminer raises plain errors on corrupt files
        raise TruncatedPdf(name, f"{type(exc).__name__}: {exc}") from None
    if pages == 0:
        raise TruncatedPdf(name, "no pages")
    if not rows and not raw_notes:
        raise NoTextLayer(name, f"{pages} page{'s' if pages > 1 else ''} without text")
    return Extracted(
        lines=_to_lines(rows),
        footnotes=_footnotes(raw_notes),
        page_count=pages,
        styled=True,
    )


# -- one page --------------------------------------------------------------------------------


def _segments(page) -> list[_Seg]:
    out: list[_Seg] = []
    for box in page:
        if not isinstance(box, LTTextBox):
            continue
        for line in box:
            if not isinstance(line, LTTextLine):
                continue
            text = line.get_text().strip()
            if not text:
                continue
            first = next((c for c in line if isinstance(c, LTChar) and c.get_text() != " "), None)
            if first is None:
                continue
            font = first.fontname.lower()
            seg = _Seg(
                text=text,
                x0=line.x0,
                y0=line.y0,
                y1=line.y1,
                size=first.size,
                bold="bold" in font or "black" in font or "heavy" in font,
                italic="italic" in font or "oblique" in font,
            )
            if _HAS_MARK_RE.search(text):
                cut = _cut_markers(line)
                if cut is not None:
                    seg.raw = text
                    seg.text, seg.markers = cut
            out.append(seg)
    return out


def _cut_markers(line: LTTextLine) -> tuple[str, tuple[str, ...]] | None:
    """The line's text without superscript markers, and the markers; None if it has none."""
    chars = [c for c in line if isinstance(c, LTChar)]
    base = max(c.size for c in chars)
    limit = base * _MARKER_SCALE
    if all(c.size >= limit for c in chars):
        return None
    parts: list[str] = []
    markers: list[str] = []
    run: list[str] = []
    for c in line:
        t = c.get_text()
        small = isinstance(c, LTChar) and c.size < limit
        if small and (t.isdigit() or t == "*" or (run and t == ",")):
            run.append(t)
            continue
        if run:
            markers.extend(m for m in "".join(run).split(",") if m)
            run = []
        parts.append(t)
    if run:
        markers.extend(m for m in "".join(run).split(",") if m)
    if not markers:
        return None
    return " ".join("".join(parts).split()), tuple(markers)


def _is_furniture(s: _Seg, height: float) -> bool:
    t = s.text
    if _JOB_RE.fullmatch(t) or _BARCODE_RE.fullmatch(t) or _RECYCLE_RE.fullmatch(t):
        return True
    in_band = s.y0 > height * _TOP_BAND or s.y1 < height * _BOTTOM_BAND
    return in_band and bool(_PAGE_RE.fullmatch(t) or _STAMP_RE.fullmatch(t))


def _drop_header(segs: list[_Seg], height: float) -> list[_Seg]:
    """Without the running header: the symbol in the top band and the lines hanging under it."""
    band = sorted((s for s in segs if s.y0 > height * _TOP_BAND * 0.97), key=lambda s: -s.y1)
    symbols = [s for s in band if SYMBOL_RE.fullmatch(s.text)]
    if not symbols:
        return segs
    floor = min(s.y0 for s in symbols)
    top = max(s.y1 for s in symbols)
    drop = {id(s) for s in band if s.y0 >= floor - 1 or s.y1 >= top}
    for s in band:
        if id(s) in drop:
            continue
        if s.y1 > floor - 0.6 * s.size:  # the next header line, at normal leading
            drop.add(id(s))
            floor = min(floor, s.y0)
    return [s for s in segs if id(s) not in drop]


def _read_page(page, pageno: int) -> tuple[list[_Row], list[_Seg]]:
    height = page.height
    segs = [s for s in _segments(page) if not _is_furniture(s, height)]
    if pageno > 1:
        segs = _drop_header(segs, height)
    notes: list[_Seg] = []
    rules = [s for s in segs if _RULE_RE.fullmatch(s.text.replace(" ", "")) and s.y1 < height * 0.6]
    if rules:
        rule = min(rules, key=lambda s: s.y0)
        notes = [s for s in segs if s.y1 <= rule.y0 + 1 and s is not rule]
        for s in notes:
            if s.raw:
                s.text, s.markers = " ".join(s.raw.split()), ()
        segs = [s for s in segs if s.y1 > rule.y0 + 1 and s is not rule]
    return _rows(segs, pageno), notes


def _rows(segs: list[_Seg], pageno: int) -> list[_Row]:
    """Segments on one baseline, left to right; stray superscripts go to the row they touch."""
    if not segs:
        return []
    sizes = Counter(round(s.size) for s in segs)
    body = sizes.most_common(1)[0][0]
    stray = [s for s in segs if _MARKER_ONLY_RE.fullmatch(s.text) and s.size < body * _MARKER_SCALE]
    if stray:
        segs = [s for s in segs if s not in stray]
    segs.sort(key=lambda s: (-s.y0, s.x0))
    rows: list[_Row] = []
    for s in segs:
        if rows and abs(rows[-1].y0 - s.y0) <= 0.3 * max(s.size, rows[-1].size):
            rows[-1].segs.append(s)
        else:
            rows.append(_Row(pageno, s.y0, s.x0, s.size, [s], []))
    for row in rows:
        if len(row.segs) > 1:
            row.segs.sort(key=lambda s: s.x0)
            row.x0 = row.segs[0].x0
        for s in row.segs:
            row.markers.extend(s.markers)
    for s in stray:
        target = min(rows, key=lambda r: abs(r.y0 - s.y0), default=None)
        if target is not None:
            target.markers.extend(m for m in s.text.split(",") if m)
    return rows


# -- the document ----------------------------------------------------------------------------


def _mode(values: list[float], default: float) -> float:
    return Counter(values).most_common(1)[0][0] if values else default


def _common_min(values: list[float], default: float, share: float) -> float:
    """The smallest value making up at least `share` of the values (robust to a few outliers)."""
    if not values:
        return default
    counts = Counter(values)
    floor = share * len(values)
    return min((v for v, n in counts.items() if n >= floor), default=default)


def _to_lines(rows: list[_Row]) -> list[Line]:
    body_size = _mode([round(r.size, 1) for r in rows], 10.0)
    near = [r for r in rows if abs(r.size - body_size) < 0.6]
    # The text's left edge: where plain lines (no label box) commonly start.
    left = _common_min([round(r.x0) for r in near if len(r.segs) == 1], 0.0, 0.05)
    deltas = [
        round(a.y0 - b.y0, 1)
        for a, b in zip(rows, rows[1:], strict=False)
        if a.page == b.page and abs(a.size - body_size) < 0.6 and abs(b.size - body_size) < 0.6
        and 0.9 * body_size < a.y0 - b.y0 < 3 * body_size
    ]
    # Normal leading: the tightest common spacing (paragraph spacing is the looser one).
    leading = _common_min(deltas, body_size * 1.2, 0.15)
    lines: list[Line] = []
    prev: _Row | None = None
    for r in rows:
        page_break = prev is not None and r.page != prev.page
        gap = prev is None or (not page_break and prev.y0 - r.y0 > leading * 1.25 + 0.5)
        segs = r.segs
        label = len(segs) > 1 and _LABEL_RE.fullmatch(segs[0].text) is not None
        main = segs[1] if label else segs[0]
        text = clean_chars(" ".join(s.text for s in segs))
        lines.append(
            Line(
                text,
                page=r.page,
                gap=gap,
                page_break=page_break,
                bold=main.bold,
                italic=main.italic,
                indent=r.x0 - left,
                label_box=label,
                size=round(main.size, 1),
                markers=tuple(r.markers),
                segments=tuple(clean_chars(s.text) for s in segs) if len(segs) > 1 else (),
            )
        )
        prev = r
    return lines


def _footnotes(pages: list[tuple[int, list[_Seg]]]) -> list[RawFootnote]:
    """Footnote rows in order; a row starting with the next marker opens a new footnote."""
    out: list[RawFootnote] = []
    last = 0
    for pageno, segs in pages:
        for row in _rows(segs, pageno):
            text = clean_chars(" ".join(s.text for s in row.segs))
            if _MARKER_ONLY_RE.fullmatch(text) and text.strip(",").isdigit():
                # A raised marker on a row of its own: the footnote's text is the next row.
                marker = text.strip(",")
                if not out or int(marker) in (last + 1, 1):
                    last = int(marker)
                    out.append(RawFootnote(marker, [], pageno))
                    continue
            m = _FN_START_RE.match(text)
            if m:
                marker = m.group(1)
                if marker.startswith("*") or not out or int(marker) in (last + 1, 1):
                    if marker.isdigit():
                        last = int(marker)
                    out.append(RawFootnote(marker, [m.group(2)], pageno))
                    continue
            if out:
                out[-1].lines.append(text)
            else:
                out.append(RawFootnote("", [text], pageno))
    return out
