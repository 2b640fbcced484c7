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
from typing import TYPE_CHECKING

from pdfminer.high_level import extract_pages
from pdfminer.layout import LAParams, LTAnno, LTChar, LTItem, LTLine, LTRect, LTTextBox, LTTextLine
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfexceptions import PDFException
from pdfminer.psexceptions import PSException

from parsers.errors import EncryptedPdf, NoTextLayer, TruncatedPdf
from parsers.front_matter import SYMBOL_RE
from parsers.lines import Extracted, Line, RawFootnote
from parsers.normalise import clean_chars, ends_sentence

if TYPE_CHECKING:
    from parsers.trace import Trace

# boxes_flow=None: pdfminer skips ordering text boxes (its costliest step); we order by position.
_LAPARAMS = LAParams(boxes_flow=None)

_JOB_RE = re.compile(r"\d{2}-\d{5}(?:\s*\([A-Z]\))?(?:\s+\d{6})?(?:\s+\d{2}-\d{5})?")
_BARCODE_RE = re.compile(r"\*\d{7,8}\*")
_RECYCLE_RE = re.compile(r"Please recycle\W*")
_PAGE_RE = re.compile(r"(\d{1,4})\s*/\s*(\d{1,4})")
_STAMP_RE = re.compile(r"\d{6}")
_RULE_RE = re.compile(r"_{5,}")
# A paragraph number or heading label printed apart: "12.", "2.13", "29A.4", "IV.", "B.", "(a)".
_LABEL_RE = re.compile(
    r"\d{1,4}\.|(?:\d{1,2}[A-Z]?|[A-Z])\.\d{1,3}\.?|(?:[IVX]{1,6}|[A-Z])\.|\((?:[a-z]|[ivx]{1,6})\)"
)
_LEADERS_RE = re.compile(r"(?:\.\s?){6,}\s*\d*\s*$")
_HAS_MARK_RE = re.compile(r"[\d*]")
_MARKER_ONLY_RE = re.compile(r"[\d,*]{1,8}")
_UNIT_RE = re.compile(r"(?<![^\W\d_])[kcdm]?m ?$")  # a length unit printed right before
_FN_START_RE = re.compile(r"(\d{1,3}|\*{1,3})\s+(\S.*)")
_FN_MARK_RE = re.compile(r"\d{1,3}|\*{1,3}")  # a footnote's marker on a line of its own
_TOP_BAND = 0.88  # share of the page height above which a running header sits
_BOTTOM_BAND = 0.10
_MARKER_SCALE = 0.8  # a character this much smaller than its line is a superscript
_SMALLER = 0.6  # points below the body size from which type is "small" (notes, tables)
_CELL_GAP = 2.2  # a gap this many type sizes wide between boxes on a row separates cells
_FAR_LEFT = 40.0  # points left of the text's edge where only wide tables start
_FAR_LEFT_NUMBER = 55.0  # how far a hanging paragraph number ("29A.148") may stand left
_RULE_INDENT = 50.0  # a footnote rule starts near the text's edge; a table's, in its columns
_LABEL_INDENT = 60.0  # how far right of the text's edge an item label ("(a)", "(iv)") may start
# pdfminer infers a space wherever two letters stand a little apart, and justified type spaces
# letters apart ("in vesting", "to ols"). Where a line sets its word spaces as space glyphs,
# an inferred space narrower than this share of the type size is letter spacing, not a word
# space: word spaces missing a glyph measure at least 0.2 of the size on real reports.
_TORN_GAP = 0.18
_SPACED_SHARE = 0.8  # share of lines typing their spaces from which a document counts as doing so


@dataclass(slots=True)
class _Seg:
    """One pdfminer text line: a box of text on one baseline."""

    text: str
    x0: float
    x1: float
    y0: float
    y1: float
    size: float
    bold: bool
    italic: bool
    markers: tuple[str, ...] = ()
    raw: str = ""  # the text before markers were cut (footnote lines start with theirs)


@dataclass(slots=True)
class _Page:
    """What one page holds: its text boxes and the rules (lines, thin rectangles) drawn on it."""

    number: int
    height: float
    width: float
    segs: list[_Seg]
    hrules: list[tuple[float, float, float]]  # x0, x1, y
    vrules: list[tuple[float, float, float]]  # x, y0, y1
    typed: int = 0  # lines of several words that set their word spaces as space glyphs
    worded: int = 0  # lines of several words
    of: int = 0  # pages in the document


@dataclass(slots=True)
class _Row:
    page: int
    y0: float
    x0: float
    size: float
    segs: list[_Seg]
    markers: list[str]
    table: bool = False
    toc: bool = False


def extract_pdf(data: bytes, name: str, trace: Trace | None = None) -> Extracted:
    """Lines and footnotes of a PDF; typed errors for encrypted, broken or scanned files.

    With a `trace`, every text line of every page is recorded in it with what became of it."""
    if b"%%EOF" not in data[-1024:]:
        raise TruncatedPdf(name, "no %%EOF at the end: the file stops early")
    pages: list[_Page] = []
    try:
        for page in extract_pages(BytesIO(data), laparams=_LAPARAMS):
            pages.append(_collect(page, len(pages) + 1))
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
    if not pages:
        raise TruncatedPdf(name, "no pages")
    n = len(pages)
    if not any(p.segs for p in pages):
        raise NoTextLayer(name, f"{n} page{'s' if n > 1 else ''} without text")
    for p in pages:
        p.of = n
    body_size, left = _body_metrics(pages)
    rows: list[_Row] = []
    raw_notes: list[tuple[int, list[_Seg]]] = []
    for p in pages:
        body, notes = _read_page(p, body_size, left)
        rows.extend(body)
        if notes:
            raw_notes.append((p.number, notes))
    _mark_contents(rows)
    if trace is not None:
        from parsers.trace import record_pdf

        record_pdf(trace, pages, rows, raw_notes, _is_furniture)
    worded = sum(p.worded for p in pages)
    return Extracted(
        lines=_to_lines([r for r in rows if not r.toc], body_size, left),
        footnotes=_footnotes(raw_notes),
        page_count=n,
        styled=True,
        # Most lines typing their word spaces: every space left after _glyphs is a real one.
        spaced=worded > 0 and sum(p.typed for p in pages) >= _SPACED_SHARE * worded,
    )


# -- one page --------------------------------------------------------------------------------


def _collect(page, number: int) -> _Page:  # noqa: ANN001 - pdfminer's LTPage
    segs: list[_Seg] = []
    hrules: list[tuple[float, float, float]] = []
    vrules: list[tuple[float, float, float]] = []
    spaces = [0, 0]
    for box in page:
        if isinstance(box, LTTextBox):
            segs.extend(_segments(box, spaces))
        elif isinstance(box, (LTLine, LTRect)):
            w, h = box.x1 - box.x0, box.y1 - box.y0
            # Rules are thin; a filled area (cell shading) is neither kind.
            if h <= 2.0 and w >= 8.0:
                hrules.append((box.x0, box.x1, (box.y0 + box.y1) / 2))
            elif w <= 2.0 and h >= 4.0:
                vrules.append(((box.x0 + box.x1) / 2, box.y0, box.y1))
    return _Page(number, page.height, page.width, segs, _joined(hrules), vrules,
                 typed=spaces[0], worded=spaces[1])


def _joined(hrules: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    """Rules on one line that touch, as one: tables draw their rules cell by cell, and a
    cell's piece at the text's edge is as short as a footnote separator."""
    out: list[tuple[float, float, float]] = []
    for x0, x1, y in sorted(hrules, key=lambda r: (round(r[2]), r[0])):
        if out and abs(out[-1][2] - y) < 0.5 and x0 - out[-1][1] <= 3.0:
            a0, a1, ay = out[-1]
            out[-1] = (a0, max(a1, x1), ay)
        else:
            out.append((x0, x1, y))
    return out


def _segments(box: LTTextBox, spaces: list[int]) -> list[_Seg]:
    """The box's lines; `spaces` counts lines of several words, and those typing their spaces."""
    out: list[_Seg] = []
    for line in box:
        if not isinstance(line, LTTextLine):
            continue
        items, typed = _glyphs(line)
        if typed:
            spaces[0] += 1
            spaces[1] += 1
        elif any(isinstance(c, LTAnno) and c.get_text() == " " for c in items[1:-1]):
            spaces[1] += 1
        text = "".join(c.get_text() for c in items).strip()
        if not text:
            continue
        first = next((c for c in items if isinstance(c, LTChar) and c.get_text() != " "), None)
        if first is None:
            continue
        font = first.fontname.lower()
        seg = _Seg(
            text=text,
            x0=line.x0,
            x1=line.x1,
            y0=line.y0,
            y1=line.y1,
            size=_line_size(items),
            bold="bold" in font or "black" in font or "heavy" in font,
            italic="italic" in font or "oblique" in font,
        )
        if _HAS_MARK_RE.search(text):
            cut = _cut_markers(items)
            if cut is not None:
                seg.raw = text
                seg.text, seg.markers = cut
        out.append(seg)
    return out


def _glyphs(line: LTTextLine) -> tuple[list[LTItem], bool]:
    """The line's characters and inferred spaces, without the spaces that tear a word apart;
    and whether the line sets its word spaces as space glyphs."""
    items = list(line)
    if not any(isinstance(c, LTChar) and c.get_text() == " " for c in items):
        return items, False  # no space glyphs: every word space is an inferred one
    kept: list[LTItem] = []
    last = len(items) - 1
    for i, c in enumerate(items):
        if isinstance(c, LTAnno) and 0 < i < last and c.get_text() == " ":
            a, b = items[i - 1], items[i + 1]
            if (isinstance(a, LTChar) and isinstance(b, LTChar)
                    and a.get_text() != " " and b.get_text() != " "
                    and abs(a.size - b.size) < 0.5
                    and b.x0 - a.x1 < _TORN_GAP * a.size):
                continue
        kept.append(c)
    return kept, True


def _line_size(items: list[LTItem]) -> float:
    """The type size most of the line's letters are set in (spaces and superscripts aside)."""
    sizes = Counter(round(c.size, 1) for c in items
                    if isinstance(c, LTChar) and c.get_text().strip())
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _cut_markers(items: list[LTItem]) -> tuple[str, tuple[str, ...]] | None:
    """The line's text without superscript markers, and the markers; None if it has none.

    A marker is a run of small characters made only of digits (commas between several, or an
    asterisk): a small run holding anything else is smaller type, not a superscript (the
    masthead prints "A/80/604/Add.2" with a large "A" and the rest smaller). A small 2 or 3
    right after a length unit is its power ("km2"): kept in the text, without the space.
    """
    chars = [c for c in items if isinstance(c, LTChar)]
    base = max(c.size for c in chars)
    limit = base * _MARKER_SCALE
    if all(c.size >= limit for c in chars):
        return None
    small = [isinstance(c, LTChar) and c.size < limit and c.get_text().strip() != "" for c in items]
    parts: list[str] = []
    markers: list[str] = []
    powers = False
    i = 0
    while i < len(items):
        if not small[i]:
            parts.append(items[i].get_text())
            i += 1
            continue
        j = i
        while j < len(items) and small[j]:
            j += 1
        run = "".join(c.get_text() for c in items[i:j])
        if run in ("2", "3") and _UNIT_RE.search("".join(parts)):
            # A unit's power ("266,000 km2", "11,444 m3"), not a marker.
            while parts and parts[-1] == " ":
                parts.pop()
            parts.append(run)
            powers = True
        elif _MARKER_ONLY_RE.fullmatch(run) and run.strip(",") and not run.startswith(","):
            markers.extend(m for m in run.split(",") if m)
        else:
            parts.append(run)
        i = j
    if not markers and not powers:
        return None
    return " ".join("".join(parts).split()), tuple(markers)


def _is_furniture(s: _Seg, p: _Page) -> bool:
    t = s.text
    if _JOB_RE.fullmatch(t) or _BARCODE_RE.fullmatch(t) or _RECYCLE_RE.fullmatch(t):
        return True
    if not (s.y0 > p.height * _TOP_BAND or s.y1 < p.height * _BOTTOM_BAND):
        return False
    if m := _PAGE_RE.fullmatch(t):
        # "6/67" is this page of this many: "79/172" at the top of a table is a resolution.
        return int(m.group(1)) == p.number or int(m.group(2)) == p.of
    return bool(_STAMP_RE.fullmatch(t))


def _drop_header(p: _Page, segs: list[_Seg], body_size: float) -> list[_Seg]:
    """Without the running header of a page after the first.

    Word-made UN documents rule the header off with a line across the page: everything above
    it goes. Without that rule, the header is the symbol in the top band and the lines hanging
    under it, or type smaller than the body's at the very top (a section's name and title).
    """
    height = p.height
    rules = [y for x0, x1, y in p.hrules if y > height * 0.85 and x1 - x0 > 0.5 * p.width]
    if rules:
        floor = max(rules)  # the topmost: a table may start right under the header
        return [s for s in segs if s.y0 < floor]
    segs = [s for s in segs if not (s.y0 > height * 0.9 and s.size < body_size - _SMALLER)]
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


def _framed(p: _Page, x0: float, x1: float, y: float) -> bool:
    """Is the point range inside a box drawn with rules on both sides (a table, a summary)?"""
    left = right = False
    for x, y0, y1 in p.vrules:
        if y0 - 2 <= y <= y1 + 2:
            if x <= x0 + 2:
                left = True
            elif x >= x1 - 2:
                right = True
    return left and right


def _separator(p: _Page, segs: list[_Seg], body_size: float, left: float) -> float | None:
    """The y of the rule over the page's footnotes, whatever draws it; None without one.

    A footnote separator is a short rule (drawn, or typed as underscores) in the lower part of
    the page, starting at or left of the text's edge, with only small type under it, the first
    line of which starts with a footnote marker (up to three digits, or asterisks). The rule
    inside a table over its lettered notes fails the last test; a table's own rules (over a
    header's year columns, "2025 2026") start further right.
    """
    cands = [y for x0, x1, y in p.hrules
             if 20 <= x1 - x0 <= 0.45 * p.width and y < p.height * 0.6
             and x0 <= left + _RULE_INDENT and not _framed(p, x0, x1, y)]
    cands += [s.y0 for s in segs
              if _RULE_RE.fullmatch(s.text.replace(" ", "")) and s.y1 < p.height * 0.6
              and s.x0 <= left + _RULE_INDENT]
    for y in sorted(set(cands), reverse=True):
        below = [s for s in segs
                 if s.y1 <= y + 1 and not _RULE_RE.fullmatch(s.text.replace(" ", ""))]
        if not below or any(s.size >= body_size - _SMALLER for s in below):
            continue
        first = max(below, key=lambda s: (s.y0, -s.x0))
        if _starts_note(first):
            return y
        # A note led by a line of its own ("Note: The following abbreviations ..." over
        # "1 The actual number ..."): notes are set at the text's edge, never in cells.
        if (any(_starts_note(s) for s in below)
                and all(s.x0 <= left + _LABEL_INDENT for s in below)):
            return y
        # Not over notes (a table's rule at the text's edge): a lower rule may still be.
    return None


def _starts_note(s: _Seg) -> bool:
    return bool(_FN_START_RE.match(s.raw or s.text) or _FN_MARK_RE.fullmatch(s.text))


def _read_page(p: _Page, body_size: float, left: float) -> tuple[list[_Row], list[_Seg]]:
    segs = [s for s in p.segs if not _is_furniture(s, p)]
    if p.number > 1:
        segs = _drop_header(p, segs, body_size)
    notes: list[_Seg] = []
    sep = _separator(p, segs, body_size, left)
    if sep is not None:
        notes = [s for s in segs if s.y1 <= sep + 1]
        for s in notes:
            if s.raw:
                s.text, s.markers = " ".join(s.raw.split()), ()
        segs = [s for s in segs if s.y1 > sep + 1]
    segs = [s for s in segs if not _RULE_RE.fullmatch(s.text.replace(" ", ""))]
    rows = _rows(segs, p.number)
    _mark_tables(p, rows, body_size, left)
    return rows, notes


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
            row.size = max(s.size for s in row.segs)
        for s in row.segs:
            row.markers.extend(s.markers)
    for s in stray:
        target = min(rows, key=lambda r: abs(r.y0 - s.y0), default=None)
        if target is not None:
            target.markers.extend(m for m in s.text.split(",") if m)
    return rows


def _cells(row: _Row) -> list[list[_Seg]]:
    """The row's boxes grouped into cells: a wide gap separates two cells."""
    cells: list[list[_Seg]] = [[row.segs[0]]]
    for a, b in zip(row.segs, row.segs[1:], strict=False):
        if b.x0 - a.x1 > _CELL_GAP * max(a.size, b.size):
            cells.append([b])
        else:
            cells[-1].append(b)
    return cells


def _starts_label(row: _Row, left: float) -> bool:
    """Does the row start with a paragraph number or item label, where those stand?

    Numbers hang left of the text's edge or start at it, and item labels ("(a)") are indented
    a little; a cell further right starting "3.3 tons" is not numbered.
    """
    return (row.x0 < left + _LABEL_INDENT
            and _LABEL_RE.fullmatch(row.segs[0].text.split(" ", 1)[0]) is not None)


def _mark_tables(p: _Page, rows: list[_Row], body_size: float, left: float) -> None:
    """Mark the rows of tables, boxes and contents lists; they never join a paragraph.

    A row belongs to a table when its type is smaller than the body's, when it is set in
    cells with wide gaps between them, when it is drawn inside a ruled box, or when it starts
    far left of the text's edge (tables run wider than the text). A body-size row between two
    table rows close above and below is a wrapped cell. Dot leaders mark a contents line.
    """
    for r in rows:
        if any(_LEADERS_RE.search(s.text) for s in r.segs):
            r.toc = True
            continue
        x1 = max(s.x1 for s in r.segs)
        size = max((s.size for s in r.segs if not _MARKER_ONLY_RE.fullmatch(s.text)),
                   default=r.size)
        label = _LABEL_RE.fullmatch(r.segs[0].text) is not None
        # A paragraph number hangs left of the text ("29A.10" further than "2.1"): not a table.
        numbered = _starts_label(r, left)
        cells = _cells(r)
        r.table = (
            size < body_size - _SMALLER
            or (len(cells) > 1 and not (label and len(cells) == 2))
            or _framed(p, r.x0, x1, r.y0 + 1)
            or (r.x0 < left - (_FAR_LEFT_NUMBER if numbered else _FAR_LEFT)
                and size <= body_size + 0.5)
        )
    # Rows right under a table row (no space between) and well inside the text are the
    # wrapped ends of its longest cells.
    for a, r in zip(rows, rows[1:], strict=False):
        if (a.table and not r.table and not r.toc and a.y0 - r.y0 < 1.6 * body_size
                and r.x0 > left + 20 and not _starts_label(r, left)):
            r.table = True
    # A few rows between two table rows, none at the text's edge, are wrapped cells.
    i = 0
    while i < len(rows):
        if rows[i].table or rows[i].toc or i == 0 or not rows[i - 1].table:
            i += 1
            continue
        j = i
        while j < len(rows) and not rows[j].table and not rows[j].toc:
            j += 1
        run = rows[i:j]
        if (j < len(rows) and rows[j].table and len(run) <= 6
                and rows[i - 1].y0 - rows[j].y0 < (len(run) + 2) * 2.5 * body_size
                and all(abs(r.x0 - left) > 3 and not _starts_label(r, left) for r in run)):
            for r in run:
                r.table = True
        i = j

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


def _body_metrics(pages: list[_Page]) -> tuple[float, float]:
    """The body's type size (the size most text is set in) and the text's left edge."""
    weight: Counter[float] = Counter()
    for p in pages:
        for s in p.segs:
            weight[round(s.size, 1)] += len(s.text)
    body_size = weight.most_common(1)[0][0] if weight else 10.0
    # Most lines of running text are continuation lines, and they start at the text's edge.
    xs = [round(s.x0) for p in pages for s in p.segs if abs(s.size - body_size) < _SMALLER]
    return body_size, _mode(xs, 0.0)


def _mark_contents(rows: list[_Row]) -> None:
    """The table of contents: from its "Contents" title to its last dot-leader line.

    Lines between dot-leader lines (an entry wrapped over lines, "Annex", "Page") belong to it
    too; it is kept out of the body, where its "Annex" lines would open annexes.
    """
    marks = [i for i, r in enumerate(rows) if r.toc]
    if not marks:
        return
    clusters: list[list[int]] = [[marks[0]]]
    for i in marks[1:]:
        if i - clusters[-1][-1] <= 8:
            clusters[-1].append(i)
        else:
            clusters.append([i])
    for cl in clusters:
        first, last = cl[0], cl[-1]
        for j in range(max(0, first - 4), first):
            if " ".join(s.text for s in rows[j].segs).strip() in ("Contents", "Contents Page"):
                first = j
                break
        for r in rows[first:last + 1]:
            r.toc = True


def _row_text(row: _Row) -> str:
    """Plain rows: boxes joined by a space; table rows: cells joined by " | "."""
    if not row.table:
        return clean_chars(" ".join(s.text for s in row.segs))
    return " | ".join(clean_chars(" ".join(s.text for s in c)) for c in _cells(row))


def _to_lines(rows: list[_Row], body_size: float, left: float) -> list[Line]:
    deltas = [
        round(a.y0 - b.y0, 1)
        for a, b in zip(rows, rows[1:], strict=False)
        if a.page == b.page and abs(a.size - body_size) < _SMALLER
        and abs(b.size - body_size) < _SMALLER
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
        lines.append(
            Line(
                _row_text(r),
                page=r.page,
                gap=gap,
                page_break=page_break,
                bold=all(s.bold for s in (segs[1:] if label else segs)),
                italic=main.italic,
                indent=r.x0 - left,
                label_box=label,
                size=round(main.size, 1),
                markers=tuple(r.markers),
                segments=tuple(clean_chars(s.text) for s in segs) if len(segs) > 1 else (),
                table=r.table,
            )
        )
        prev = r
    return lines


def _footnotes(pages: list[tuple[int, list[_Seg]]]) -> list[RawFootnote]:
    """Footnote rows in order; a row starting with the next marker opens a new footnote.

    Rows on a page before its first marker continue the last footnote when that one stops
    mid-sentence; otherwise they lead the page's next footnote (a "Note: ..." paragraph set
    over the numbered note it belongs to). The first marker on a page may skip numbers: a
    footnote whose page was not read is no reason to glue the next one onto the last.
    """
    out: list[RawFootnote] = []
    last = 0
    for pageno, segs in pages:
        lead: list[str] = []
        opened = False
        for row in _rows(segs, pageno):
            text = clean_chars(" ".join(s.text for s in row.segs))
            marker, rest = _note_start(text)
            if marker is not None and (
                    marker.startswith("*") or not out or int(marker) in (last + 1, 1)
                    or (not opened and int(marker) > last)):
                if marker.isdigit():
                    last = int(marker)
                out.append(RawFootnote(marker, [*lead, *rest], pageno))
                lead, opened = [], True
            elif opened or (out and not lead and not ends_sentence(" ".join(out[-1].lines))):
                out[-1].lines.append(text)
                opened = True
            else:
                lead.append(text)
        if lead:
            if out:
                out[-1].lines.extend(lead)
            else:
                out.append(RawFootnote("", lead, pageno))
    return out


def _note_start(text: str) -> tuple[str | None, list[str]]:
    """The marker a footnote row starts with and the rest of its text; (None, []) if none.

    A raised marker on a row of its own ("3" over the text) leaves the rest empty."""
    if _MARKER_ONLY_RE.fullmatch(text) and text.strip(",").isdigit():
        return text.strip(","), []
    m = _FN_START_RE.match(text)
    if m:
        return m.group(1), [m.group(2)]
    return None, []
