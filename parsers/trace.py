"""What the parser decided about each text line of a PDF, for `parsers.picture` to draw.

A `Trace` is filled only when one is passed down (`parse_pdf(..., trace=Trace())`); the
normal parse builds none and pays nothing for it. `pdf_extract` records every pdfminer text
line with its position and what the page reading made of it (furniture, footnote, contents,
or a body line with its index among the extracted lines); `assemble` then records what each
body line became (front matter, part of paragraph N, a heading, a table, dropped).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from parsers.pdf_extract import _Page, _Row, _Seg
    from parsers.segment import Draft

_MARKER_ONLY_RE = re.compile(r"[\d,*]{1,8}")
_RULE_RE = re.compile(r"_{5,}")


class Fate(StrEnum):
    PARAGRAPH = "paragraph"
    HEADING = "heading"
    TABLE = "table"
    FOOTNOTE = "footnote"
    FURNITURE = "furniture"  # page numbers, job number, running header, footnote rule
    FRONT = "front matter"  # the masthead and titles before the body
    CONTENTS = "contents"  # a table of contents, kept out of the body
    DROPPED = "dropped"  # read, then left out of every record


@dataclass(slots=True)
class TracedPage:
    number: int
    width: float
    height: float


@dataclass(slots=True)
class TracedBox:
    """One pdfminer text line as printed (PDF points, origin bottom left) and its fate."""

    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    bold: bool
    text: str
    fate: Fate = Fate.DROPPED
    line: int | None = None  # index into Extracted.lines when it became (part of) a body line
    detail: str = ""  # why, where the fate alone does not say ("running header")


@dataclass(slots=True)
class LineFate:
    fate: Fate
    position: int | None = None  # the paragraph record (ParsedDocument.paragraphs) it went to
    section: tuple[str, ...] = ()  # a heading's section path once it is read


@dataclass
class Trace:
    pages: list[TracedPage] = field(default_factory=list)
    boxes: list[TracedBox] = field(default_factory=list)
    lines: dict[int, LineFate] = field(default_factory=dict)  # Extracted.lines index -> fate

    def fate_of(self, box: TracedBox) -> LineFate:
        """The box's final fate: its body line's, when it became one."""
        if box.line is None:
            return LineFate(box.fate)
        return self.lines.get(box.line, LineFate(Fate.DROPPED))


def record_pdf(
    trace: Trace,
    pages: Iterable[_Page],
    rows: list[_Row],
    notes: Iterable[tuple[int, list[_Seg]]],
    is_furniture: Callable[[_Seg, _Page], bool],
) -> None:
    """Every text line of every page with what `pdf_extract` made of it.

    `rows` are all body rows in order (contents rows included, which `Extracted.lines` leaves
    out); a stray superscript taken off its row is placed with the row nearest to it.
    """
    line_of: dict[int, int] = {}
    contents: set[int] = set()
    by_page: dict[int, list[tuple[float, int]]] = {}
    k = 0
    for r in rows:
        if r.toc:
            contents.update(id(s) for s in r.segs)
            continue
        for s in r.segs:
            line_of[id(s)] = k
        by_page.setdefault(r.page, []).append((r.y0, k))
        k += 1
    noted = {id(s) for _, segs in notes for s in segs}
    for p in pages:
        trace.pages.append(TracedPage(p.number, p.width, p.height))
        for s in p.segs:
            box = TracedBox(p.number, s.x0, s.y0, s.x1, s.y1, s.size, s.bold, s.raw or s.text)
            if id(s) in line_of:
                box.fate, box.line = Fate.PARAGRAPH, line_of[id(s)]
            elif id(s) in contents:
                box.fate = Fate.CONTENTS
            elif id(s) in noted:
                box.fate = Fate.FOOTNOTE
            elif is_furniture(s, p):
                box.fate, box.detail = Fate.FURNITURE, "page furniture"
            elif _RULE_RE.fullmatch(s.text.replace(" ", "")):
                box.fate, box.detail = Fate.FURNITURE, "footnote rule"
            elif _MARKER_ONLY_RE.fullmatch(s.text) and by_page.get(p.number):
                near = min(by_page[p.number], key=lambda yk: abs(yk[0] - s.y0))
                box.fate, box.line, box.detail = Fate.PARAGRAPH, near[1], "footnote marker"
            elif p.number > 1 and s.y0 > 0.8 * p.height:
                box.fate, box.detail = Fate.FURNITURE, "running header"
            else:
                box.detail = "left out by the page reading"
            trace.boxes.append(box)


def record_parse(
    trace: Trace,
    *,
    body_start: int,
    drafts: list[Draft],
    kinds: list[bool],
    others: dict[int, LineFate],
) -> None:
    """What each extracted line became: front matter, a record, a heading or nothing.

    `drafts` are the final records in order (position = index + 1), `kinds` says which of
    them are tables, `others` the segmenter's fates of body lines that went into no record
    (indices relative to the body's first line).
    """
    for i in range(body_start):
        trace.lines[i] = LineFate(Fate.FRONT)
    for i, lf in others.items():
        trace.lines[body_start + i] = lf
    for pos, (d, table) in enumerate(zip(drafts, kinds, strict=True), start=1):
        fate = Fate.TABLE if table else Fate.PARAGRAPH
        for i in d.rows:
            trace.lines[body_start + i] = LineFate(fate, pos)
