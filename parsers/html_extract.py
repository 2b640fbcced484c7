"""HTML -> lines, with BeautifulSoup (the stdlib html.parser backend, no extra dependency).

Each innermost block element (p, div, li, h1-h6, td ...) becomes one line with a gap before
it; <br> splits a block into lines without a gap. Headings, whole-bold and leading-italic
blocks are marked. Superscript digits are footnote markers: cut out and recorded. Blocks inside
an element whose id or class names footnotes are footnotes, not body text.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from parsers.lines import Extracted, Line, RawFootnote
from parsers.normalise import clean_chars

_BLOCKS = frozenset(
    [
        "p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "blockquote", "pre", "dt",
        "dd", "caption", "section", "article",
    ]
)
_HEADINGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
_DROP = ("script", "style", "head", "noscript", "template", "nav")
_FOOTNOTE_RE = re.compile(r"foot|endnote|\bfn\b", re.IGNORECASE)
_MARKER_RE = re.compile(r"\d{1,3}|\*{1,3}")
_FN_START_RE = re.compile(r"(\d{1,3}|\*{1,3})[.)]?\s+(\S.*)")


def _in_footnotes(tag: Tag) -> bool:
    for t in (tag, *tag.parents):
        if not isinstance(t, Tag):
            continue
        ident = " ".join([t.get("id") or "", *(t.get("class") or [])])
        if ident and _FOOTNOTE_RE.search(ident):
            return True
    return False


def _is_bold(tag: Tag) -> bool:
    texts = [s for s in tag.find_all(string=True) if s.strip()]
    return bool(texts) and all(s.find_parent(("b", "strong")) is not None for s in texts)


def _starts_italic(tag: Tag) -> bool:
    first = next((s for s in tag.find_all(string=True) if s.strip()), None)
    return first is not None and first.find_parent(("i", "em")) is not None


def _block_lines(tag: Tag) -> tuple[list[str], list[str]]:
    """The block's text split at <br>, and the superscript markers cut out of it."""
    markers: list[str] = []
    for sup in tag.find_all("sup"):
        text = sup.get_text(strip=True)
        if _MARKER_RE.fullmatch(text):
            markers.append(text)
            sup.replace_with(" ")
    for br in tag.find_all("br"):
        br.replace_with("\n")
    text = tag.get_text()
    return [clean_chars(s).strip() for s in text.split("\n")], markers


def extract_html(html: str | bytes) -> Extracted:
    soup = BeautifulSoup(html, "html.parser")
    for t in soup(_DROP):
        t.decompose()
    lines: list[Line] = []
    footnotes: list[RawFootnote] = []
    root = soup.body or soup
    for tag in root.find_all(_BLOCKS):
        if tag.find(_BLOCKS) is not None:
            continue  # only innermost blocks; their ancestors' text is theirs
        heading = tag.name in _HEADINGS
        bold, italic = _is_bold(tag), _starts_italic(tag)
        if _in_footnotes(tag):
            texts, _ = _block_lines(tag)
            text = " ".join(t for t in texts if t)
            m = _FN_START_RE.match(text)
            if m:
                footnotes.append(RawFootnote(m.group(1), [m.group(2)]))
            elif footnotes and text:
                footnotes[-1].lines.append(text)
            continue
        texts, markers = _block_lines(tag)
        first = True
        for text in texts:
            if not text:
                continue
            lines.append(Line(text, gap=first, bold=bold, italic=italic and first,
                              heading=heading, markers=tuple(markers) if first else ()))
            first = False
    if not lines:
        # Text outside any block element (a bare body): take it line by line.
        for s in root.get_text("\n").split("\n"):
            s = clean_chars(s).strip()
            if s:
                lines.append(Line(s, gap=True))
    return Extracted(lines=lines, footnotes=footnotes, styled=False)
