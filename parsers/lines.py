"""The one intermediate form every extractor produces and the segmenter reads.

A PDF page, an HTML page and a text file all become a list of `Line`s in reading order, with
the few layout facts the segmenter needs (a visible gap before the line, a page break, bold or
italic type, an indent). Page furniture and footnotes are already taken out.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Line:
    text: str
    page: int = 1
    gap: bool = False  # a blank line or extra leading before it: a new block starts
    page_break: bool = False  # first body line of a page after the first (PDF)
    bold: bool = False  # the whole line is bold (PDF font, Markdown **, HTML <b>)
    italic: bool = False  # the line starts in italics (preambular participles)
    indent: float = 0.0  # PDF: points right of the body's left edge where the line starts
    heading: bool = False  # marked up as a heading (Markdown #, HTML <h1>..<h6>)
    label_box: bool = False  # PDF: a number or label printed apart, left of the text
    size: float = 0.0  # PDF: font size of the line's text
    markers: tuple[str, ...] = ()  # footnote markers cut out of this line
    segments: tuple[str, ...] = ()  # PDF: the separate boxes of a row (masthead columns)
    table: bool = False  # a row of a table or ruled box: its cells joined by " | "


@dataclass(slots=True)
class RawFootnote:
    marker: str
    lines: list[str]
    page: int = 1


@dataclass(slots=True)
class Extracted:
    lines: list[Line]
    footnotes: list[RawFootnote] = field(default_factory=list)
    page_count: int | None = None
    styled: bool = False  # bold/italic/size are real layout facts (PDF, HTML), not guesses
    # Word spaces are characters in the file, so a space in the text is one the print has:
    # no word needs mending from the document's vocabulary ("draw down" stays two words).
    spaced: bool = False
