"""Plain text and PDF-to-Markdown text -> lines.

Two shapes reach us: hard-wrapped text as a PDF text extractor leaves it (trailing spaces,
stray leading spaces, blank-line runs where pages and headings were) and Markdown-ish text
(`**bold**`, `#` headings, one paragraph per line). Blank lines become `gap`; the Markdown
marks become `bold`, `italic` and `heading` and are removed from the text.
"""

from __future__ import annotations

import re

from parsers.lines import Extracted, Line
from parsers.normalise import clean_chars

_HEADING_RE = re.compile(r"(#{1,6})\s+(.*?)(?:\s+#+)?$")
_RULE_RE = re.compile(r"(?:-{3,}|\*{3,}|_{3,}|={3,})")
_ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>])")
_LINK_RE = re.compile(r"!?\[([^\]]*)\]\([^)\s]*\)")
_ITALIC_RE = re.compile(r"(?<![*\w])\*(?!\s)([^*]+?)(?<!\s)\*(?![*\w])")


def extract_text(text: str) -> Extracted:
    """Lines of a text document; `page_count` is the number of form feeds plus one if any."""
    lines: list[Line] = []
    gap = True
    page = 1
    page_break = False
    in_bold = False
    for raw in text.splitlines():
        if "\f" in raw:
            page += raw.count("\f")
            page_break = True
            gap = True
            raw = raw.replace("\f", "")
        s = clean_chars(raw).strip()
        if not s or _RULE_RE.fullmatch(s):
            gap = True
            continue
        heading = False
        m = _HEADING_RE.fullmatch(s)
        if m:
            heading = True
            s = m.group(2)
        bold = False
        if "**" in s or in_bold:
            starts = in_bold or s.startswith("**")
            in_bold ^= s.count("**") % 2 == 1
            bold = starts and (in_bold or s.endswith("**"))
            s = s.replace("**", "").strip()
        italic = s.startswith("*") or s.startswith("_")
        if "*" in s:
            s = _ITALIC_RE.sub(r"\1", s)
        if "\\" in s:
            s = _ESCAPE_RE.sub(r"\1", s)
        if "](" in s:
            s = _LINK_RE.sub(r"\1", s)
        if not s:
            gap = True
            continue
        lines.append(
            Line(s, page=page, gap=gap, page_break=page_break, bold=bold, italic=italic,
                 heading=heading)
        )
        gap = False
        page_break = False
    return Extracted(lines=lines, page_count=page if page > 1 else None, styled=False)
