"""A picture of what the parser decided: each PDF page drawn with its lines coloured by fate.

`render_html(trace, doc)` takes the `Trace` a parse filled and the `ParsedDocument` it
returned and gives one self-contained HTML file (inline CSS, no scripts): every page is a box
of the page's size, every pdfminer text line a box where it is printed, coloured by what it
became (a paragraph, a heading, a table, a footnote, page furniture, front matter, contents,
or dropped). Hovering a line shows its record (number, kind, section); a paragraph's number
(or the position of an unnumbered record, in brackets) stands in the margin by its first line
on each page. Each box carries `data-fate` / `data-position` / `data-number` for tools.
`picture_bytes` parses a PDF and draws it in one call (what `unmig parse --html` runs).
"""

from __future__ import annotations

from collections import Counter
from html import escape

from parsers import parse_bytes
from parsers.model import ParagraphKind, ParsedDocument
from parsers.trace import Fate, LineFate, Trace, TracedBox

_SCALE = 1.25  # CSS pixels per PDF point
_GUTTER = 64  # pixels left of each page for the paragraph numbers

# Fill colour of each fate; paragraphs alternate two blues so that neighbours stand apart.
_COLOURS = {
    Fate.PARAGRAPH: "#b9d7f7",
    Fate.HEADING: "#f7b267",
    Fate.TABLE: "#a8e0a0",
    Fate.FOOTNOTE: "#f3e37c",
    Fate.FURNITURE: "#c8c8c8",
    Fate.FRONT: "#f2b6d6",
    Fate.CONTENTS: "#9ee0dc",
    Fate.DROPPED: "#ff8a80",
}
_LEGEND = [
    ("paragraph", "p-a", "numbered, operative or preambular paragraph (neighbours alternate)"),
    ("unnumbered", "p-u", "unnumbered text or a fragment: worth a look"),
    ("heading", "f-heading", "heading (hover: the section it opens)"),
    ("table", "f-table", "table or box row"),
    ("footnote", "f-footnote", "footnote"),
    ("furniture", "f-furniture", "page number, job number, running header, rule"),
    ("front matter", "f-front", "masthead and titles"),
    ("contents", "f-contents", "table of contents"),
    ("dropped", "f-dropped", "in no record"),
]

_CSS = """
body{font-family:sans-serif;background:#666;margin:0;padding:12px}
header{background:#fff;padding:8px 12px;margin-bottom:12px;max-width:808px;box-sizing:border-box;
       font-size:13px}
header h1{font-size:16px;margin:0 0 4px}
.legend span.chip{display:inline-block;padding:1px 6px;margin:2px 6px 2px 0;border:1px solid #999}
.wrap{position:relative;margin:0 0 16px 0;padding-left:%(gutter)dpx}
.wrap h2{color:#fff;font-size:13px;margin:0 0 4px;font-weight:normal}
.page{position:relative;background:#fff}
.b{position:absolute;white-space:pre;overflow:hidden;font-family:serif;color:#000;
   box-sizing:border-box}
.b.bold{font-weight:bold}
.n{position:absolute;left:-%(gutter)dpx;width:%(label)dpx;text-align:right;
   font:bold 12px sans-serif;color:#fff;white-space:nowrap}
.n.u{color:#ffd0cc}
.p-a{background:#b9d7f7}.p-b{background:#8fbff0}
.p-u{background:#d9c6f2;outline:1px dashed #c00}
%(fates)s
.f-dropped{text-decoration:line-through}
"""


def _css() -> str:
    fates = "\n".join(f".f-{f.name.lower()}{{background:{c}}}" for f, c in _COLOURS.items())
    return _CSS % {"gutter": _GUTTER, "label": _GUTTER - 6, "fates": fates}


def _label(lf: LineFate, doc: ParsedDocument) -> tuple[str, str]:
    """(CSS class, hover text) of a box's fate."""
    if lf.fate in (Fate.PARAGRAPH, Fate.TABLE) and lf.position is not None:
        p = doc.paragraphs[lf.position - 1]
        where = f" in {' / '.join(p.section)}" if p.section else ""
        if p.kind is ParagraphKind.TABLE:
            return "f-table", f"table, record {p.position}{where}"
        if p.number is not None:
            css = "p-a" if p.position % 2 else "p-b"
            return css, f"paragraph {p.number} ({p.kind}), record {p.position}{where}"
        css = "p-u" if p.kind in (ParagraphKind.UNNUMBERED, ParagraphKind.FRAGMENT) else (
            "p-a" if p.position % 2 else "p-b")
        return css, f"{p.kind} paragraph, record {p.position}{where}"
    if lf.fate is Fate.HEADING:
        return "f-heading", "heading: " + (" / ".join(lf.section) or "?")
    return f"f-{lf.fate.name.lower()}", str(lf.fate)


def _box_html(box: TracedBox, page_height: float, css: str, title: str, lf: LineFate,
              number: str | None) -> str:
    s = _SCALE
    h = max(box.y1 - box.y0, 1) * s
    style = (f"left:{box.x0 * s:.1f}px;top:{(page_height - box.y1) * s:.1f}px;"
             f"width:{max(box.x1 - box.x0, 1) * s:.1f}px;height:{h:.1f}px;line-height:{h:.1f}px;"
             f"font-size:{max(box.size, 4) * s * 0.92:.1f}px")
    attrs = [f'class="b {css}{" bold" if box.bold else ""}"', f'style="{style}"',
             f'data-fate="{escape(str(lf.fate))}"']
    if lf.position is not None:
        attrs.append(f'data-position="{lf.position}"')
    if number is not None:
        attrs.append(f'data-number="{escape(number)}"')
    if box.detail:
        title = f"{title} ({box.detail})"
    attrs.append(f'title="{escape(title)}"')
    return f"<div {' '.join(attrs)}>{escape(box.text)}</div>"


def render_html(trace: Trace, doc: ParsedDocument, *, title: str = "") -> str:
    """The picture as one HTML document (see the module doc)."""
    by_page: dict[int, list[TracedBox]] = {}
    for box in trace.boxes:
        by_page.setdefault(box.page, []).append(box)
    counts: Counter[str] = Counter()
    pages_html: list[str] = []
    for page in trace.pages:
        boxes = sorted(by_page.get(page.number, []), key=lambda b: (-b.y1, b.x0))
        body: list[str] = []
        margin: list[str] = []
        labelled: set[int] = set()
        for box in boxes:
            lf = trace.fate_of(box)
            counts[str(lf.fate)] += 1
            css, hover = _label(lf, doc)
            p = doc.paragraphs[lf.position - 1] if lf.position is not None else None
            number = p.number if p is not None else None
            body.append(_box_html(box, page.height, css, hover, lf, number))
            if p is not None and p.position not in labelled:
                labelled.add(p.position)
                text = p.number if p.number is not None else f"[{p.position}]"
                top = (page.height - box.y1) * _SCALE
                cls = "n" if p.number is not None else "n u"
                margin.append(f'<div class="{cls}" style="top:{top:.1f}px">{escape(text)}</div>')
        w, h = page.width * _SCALE, page.height * _SCALE
        pages_html.append(
            f'<section class="wrap" id="page-{page.number}"><h2>page {page.number}</h2>'
            + f'<div class="page" style="width:{w:.0f}px;height:{h:.0f}px">'
            + "".join(body) + "".join(margin) + "</div></section>"
        )
    front = doc.front
    name = title or front.symbol or "document"
    facts = " · ".join(escape(v) for v in (front.symbol, front.date, front.title) if v)
    legend = "".join(
        f'<span class="chip {css}" title="{escape(desc)}">{escape(label)}</span>'
        for label, css, desc in _LEGEND
    )
    warnings = "".join(f"<li>{escape(w)}</li>" for w in doc.warnings)
    tally = ", ".join(f"{n} {escape(f)}" for f, n in counts.most_common())
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(name)}: what the parser decided</title><style>{_css()}</style></head>"
        f"<body><header><h1>{escape(name)}</h1><div>{facts}</div>"
        f"<div>{len(doc.paragraphs)} records, {len(doc.footnotes)} footnotes, "
        f"{len(doc.warnings)} warnings; parser {escape(doc.parser_version)}</div>"
        f"<div>text lines: {tally}</div>"
        + (f"<details><summary>warnings</summary><ul>{warnings}</ul></details>"
           if doc.warnings else "")
        + f'<div class="legend">{legend}</div>'
        "<div>Margin: the paragraph's number, or [its record position] when it has none. "
        "Hover a line for its record and section.</div></header>"
        + "".join(pages_html) + "</body></html>\n"
    )


def picture_bytes(data: bytes, *, filename: str = "", language: str = "en"
                  ) -> tuple[ParsedDocument, str]:
    """Parse a PDF and draw what became of its lines; other formats raise UnsupportedFormat."""
    trace = Trace()
    doc = parse_bytes(data, filename=filename, language=language, trace=trace)
    return doc, render_html(trace, doc, title=filename.rsplit("/", 1)[-1])
