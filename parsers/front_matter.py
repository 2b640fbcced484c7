"""The first page's masthead and titles -> FrontMatter, and where the body begins.

Reads lines from the top while they are masthead fields ("Distr.: General", the symbol, the
date, "Sixty-first session", "Agenda item 55 (b)" and the agenda item's title), a resolution's
"Resolution adopted by ..." / "[without reference ...]" / "73/8. Title" lines, or the title and
subtitle blocks. Stops at the first line of the body: a heading "I. ...", a paragraph "1. ...",
"The General Assembly," or an annex; or at any block it cannot read as front matter, which the
segmenter then keeps as body text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parsers.lines import Line
from parsers.model import DocumentType, FrontMatter
from parsers.sections import is_bare_label

MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "January", "February", "March", "April", "May", "June", "July", "August", "September",
            "October", "November", "December",
        ],
        start=1,
    )
}
_MONTH_ALT = "|".join(MONTHS)
DATE_RE = re.compile(rf"(\d{{1,2}}) ({_MONTH_ALT}),? (\d{{4}})")
# "A/61/515", "A/80/604/Add.2", "A/RES/73/8", "A/81/6 (Sect. 29A)/Part A", "A/80/5 (Vol. II)".
SYMBOL_RE = re.compile(
    r"A/(?:[A-Z0-9.\-]+/)*[A-Z0-9.\-]*\d[A-Z0-9.\-]*"
    r"(?: \((?:Sect|Vol|Part)\. ?[0-9A-Z]{1,4}\))?(?:/(?:Part [A-Z]|[A-Za-z0-9.\-]+))*"
)
_SESSION_RE = re.compile(
    r"((?:[A-Z][a-z]+-)?[A-Za-z]+(?:st|nd|rd|th)) (?:(?:emergency )?special )?session",
    re.IGNORECASE,
)
_AGENDA_RE = re.compile(
    r"(?:Agenda items?|Items?) (\d+(?: ?\([a-z]{1,4}\))?(?:(?:,| and) \d+(?: ?\([a-z]{1,4}\))?)*)"
    r"(?: of the (?:preliminary|provisional) list)?\**"
)
_DISTR_RE = re.compile(r"Distr\.?:? ?([A-Z][a-z]+)")
_ORIGINAL_RE = re.compile(r"Original:\s*([A-Z][a-z]+(?:[/,] ?[A-Z][a-z]+)*)")
_MASTHEAD = frozenset({"United Nations", "General Assembly", "Security Council", "Nations Unies"})
_ADOPTED_RE = re.compile(rf"Resolution adopted by the General Assembly(?: on ({DATE_RE.pattern}))?")
_RES_TITLE_RE = re.compile(r"(\d{1,3}/\d{1,4})\.\s*([A-Z\u201c\"].*)")
_DRAFT_RE = re.compile(r"(?:.*: )?(?:[Rr]evised )?[Dd]raft resolution(?: [IVX]+)?")
_SUBTITLE_RE = re.compile(
    r"(?:Note|Report|Letter|Memorandum|Statement|Summary record) (?:by|of|from|dated)\b"
    r"|Resolution adopted by\b|.*\bdraft resolution$"
)
# The first line of the body (kept in step with segment.py's patterns).
_BODY_RE = re.compile(
    r"\d{1,3}\.(?:\s|$)|(?:[IVX]{1,6}|[A-Z])\.\s+\S|The General Assembly,?$"
    r"|(?:Annex|Enclosure|Appendix)(?:\s+(?:[IVX]+|\d+|[A-Z]))?\*?$"
)
_MAX_TITLE_LINES = 6


@dataclass(frozen=True, slots=True)
class FrontResult:
    front: FrontMatter
    body_start: int  # index of the first body line
    resolution: bool  # a resolution or draft: numbered paragraphs are operative


def iso_date(text: str) -> str | None:
    m = DATE_RE.search(text)
    if not m:
        return None
    day, month, year = int(m.group(1)), MONTHS[m.group(2)], int(m.group(3))
    if not 1 <= day <= 31:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _agenda_label(text: str) -> str:
    # "55(b)" and "55 (b)" are one item.
    return re.sub(r"(\d)\s*\(", r"\1 (", text)


def _masthead_field(seg: str, f: dict) -> bool:
    """Record one masthead field from a box of text; False if it is none."""
    s = seg.strip()
    if s in _MASTHEAD:
        return True
    if m := _DISTR_RE.fullmatch(s):
        f.setdefault("distribution", m.group(1))
        return True
    if m := _ORIGINAL_RE.fullmatch(s):
        f.setdefault("original_language", m.group(1))
        return True
    if SYMBOL_RE.fullmatch(s.rstrip("*")):
        f.setdefault("symbol", s.rstrip("*"))  # "*" calls a footnote on the symbol
        return True
    if DATE_RE.fullmatch(s):
        f.setdefault("date", iso_date(s))
        return True
    if m := _SESSION_RE.fullmatch(s):
        f.setdefault("session", s[0].upper() + s[1:])
        return True
    if m := _AGENDA_RE.fullmatch(s):
        f.setdefault("agenda_item", _agenda_label(m.group(1)))
        # Each item's own title follows ("Items 138 and 139": two titles).
        f["_agenda_titles"] = len(re.findall(r"\d+", m.group(1)))
        return True
    return False


def is_body_start(text: str) -> bool:
    return bool(_BODY_RE.match(text)) and not _RES_TITLE_RE.match(text)


def _block_end(lines: list[Line], i: int) -> int:
    """Index after the block starting at i: same style, no gap, nothing that starts anew."""
    first = lines[i]
    j = i + 1
    while j < len(lines) and j - i < _MAX_TITLE_LINES:
        ln = lines[j]
        t = ln.text.strip()
        if (
            ln.gap
            or ln.bold != first.bold
            or ln.heading != first.heading
            or abs(ln.size - first.size) > 0.5
            or is_body_start(t)
            or _masthead_field(t, {})
            or _ADOPTED_RE.fullmatch(t)
        ):
            break
        j += 1
    return j


def _join(lines: list[Line]) -> str:
    return " ".join(" ".join(ln.text.split()) for ln in lines)


def doc_type_of(f: dict, subtitle: str | None, title: str | None) -> DocumentType | None:
    symbol = f.get("symbol") or ""
    if f.get("_adopted") or "/RES/" in symbol:
        return DocumentType.RESOLUTION
    if f.get("_draft"):
        return DocumentType.DRAFT_RESOLUTION
    for text in (subtitle, title):
        if not text:
            continue
        if text.startswith("Note by"):
            return DocumentType.NOTE
        if text.startswith("Report of"):
            return DocumentType.REPORT
        if text.startswith("Letter dated"):
            return DocumentType.LETTER
    if title and title.startswith("Summary"):
        return DocumentType.SUMMARY
    if "/L." in symbol:
        return DocumentType.DRAFT_RESOLUTION
    if symbol or title:
        return DocumentType.OTHER
    return None


def read_front_matter(lines: list[Line]) -> FrontResult:
    f: dict = {}
    title: str | None = None
    subtitle: str | None = None
    saw_masthead = False
    parts: list[str] = []
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        t = line.text.strip()
        if is_body_start(t):
            break
        segs = line.segments or (t,)
        hits = [_masthead_field(s, f) for s in segs]
        if any(hits):
            saw_masthead = True
            i += 1
            continue
        if m := _ADOPTED_RE.fullmatch(t):
            f["_adopted"] = True
            if m.group(1):
                f["_adopted_date"] = iso_date(m.group(1))
            subtitle = subtitle or t
            i += 1
            continue
        if t.startswith("["):
            # "[without reference to a Main Committee (A/73/L.3)]", possibly wrapped.
            while i < n and not lines[i].text.rstrip().endswith("]"):
                i += 1
            i += 1
            continue
        j = _block_end(lines, i)
        block = _join(lines[i:j])
        if m := _RES_TITLE_RE.fullmatch(block):
            title = m.group(2)
            f.pop("_agenda_titles", None)
            i = j
            continue
        if _DRAFT_RE.fullmatch(block):
            f["_draft"] = True
            subtitle = subtitle or block
            f.pop("_agenda_titles", None)
            i = j
            continue
        if f.get("_agenda_titles"):
            f["_agenda_titles"] -= 1
            i = j  # an agenda item's own title: not the document's
            continue
        styled_heading = line.heading or line.bold
        if title is None and (saw_masthead or styled_heading) and not block.endswith("."):
            title = block
            i = j
            continue
        if title is not None and subtitle is None and _SUBTITLE_RE.match(block):
            subtitle = block
            i = j
            continue
        if title is not None and styled_heading and is_bare_label(t):
            # A fascicle's place under its title: "Part I" + its name, "Section 2" + its
            # name, "Programme 1" + its name, each a label over a title of its own.
            parts.append(block)
            i = j
            continue
        break
    if parts:
        subtitle = " / ".join([subtitle, *parts] if subtitle else parts)
    resolution = bool(f.get("_adopted") or f.get("_draft"))
    front = FrontMatter(
        symbol=f.get("symbol"),
        distribution=f.get("distribution"),
        date=f.get("date") or f.get("_adopted_date"),
        original_language=f.get("original_language"),
        session=f.get("session"),
        agenda_item=f.get("agenda_item"),
        title=title,
        subtitle=subtitle,
        doc_type=doc_type_of(f, subtitle, title),
    )
    if front.doc_type in (DocumentType.RESOLUTION, DocumentType.DRAFT_RESOLUTION):
        resolution = True
    return FrontResult(front=front, body_start=i, resolution=resolution)
