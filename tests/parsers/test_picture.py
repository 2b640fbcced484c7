"""The picture of a parse: every printed line drawn where it stands, with what it became.

Checked against pdfminer's own text lines (read here independently of the parser), on a
generated UN-layout report and on a real ACABQ report.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

import pytest
from pdfminer.high_level import extract_pages
from pdfminer.layout import LAParams, LTTextBox, LTTextLine

from parsers import parse_bytes
from parsers.errors import UnsupportedFormat
from parsers.picture import picture_bytes
from parsers.trace import Fate
from tests import pdfgen
from tests.pdfgen import DocSpec, ParaSpec

_VOID = {"meta", "br", "img", "hr", "link", "input"}


class _Boxes(HTMLParser):
    """The line boxes of a picture (page, attributes, text), checking that tags balance."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.page = 0
        self.boxes: list[dict] = []
        self.scripts = 0
        self.margin: list[tuple[int, str]] = []  # (page, label) of the numbers in the margin
        self._box: dict | None = None
        self._label = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag == "section" and (a.get("id") or "").startswith("page-"):
            self.page = int(a["id"].removeprefix("page-"))
        if tag == "div" and "data-fate" in a:
            self._box = {**a, "page": self.page, "text": ""}
        self._label = tag == "div" and (a.get("class") or "").split()[:1] == ["n"]
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()
        if tag == "div" and self._box is not None:
            self.boxes.append(self._box)
            self._box = None

    def handle_data(self, data: str) -> None:
        if self._box is not None:
            self._box["text"] += data
        if self._label:
            self.margin.append((self.page, data))
            self._label = False


def _boxes(html: str) -> _Boxes:
    b = _Boxes()
    b.feed(html)
    b.close()
    assert b.stack == [], "unclosed tags"
    return b


def _fold(text: str) -> str:
    return "".join(text.split())


def _pdfminer_lines(data: bytes) -> Counter[tuple[int, str]]:
    """Every non-empty text line pdfminer reads, by page (whitespace removed)."""
    out: Counter[tuple[int, str]] = Counter()
    for n, page in enumerate(extract_pages(BytesIO(data), laparams=LAParams(boxes_flow=None)),
                             start=1):
        for box in page:
            if isinstance(box, LTTextBox):
                for line in box:
                    if isinstance(line, LTTextLine) and line.get_text().strip():
                        out[(n, _fold(line.get_text()))] += 1
    return out


def _with(boxes: list[dict], needle: str) -> list[dict]:
    found = [b for b in boxes if needle in " ".join(b["text"].split())]
    assert found, f"no line holds {needle!r}"
    return found


_P9 = ("Domestic workers & their employers reported that fewer than 5 per cent (<5%) of "
       "contracts set out working hours, rest days and the right to keep one's own passport; "
       "the Special Rapporteur described such practices as a risk of forced labour.")


def _report() -> DocSpec:
    paras = [ParaSpec(str(n), " ".join(pdfgen._SENTENCES[(n + k) % len(pdfgen._SENTENCES)]
                                       for k in range(3)))
             for n in range(1, 13)]
    paras[2] = ParaSpec("3", paras[2].text + " Most were women.{fn}",
                        footnotes=("See the report of the Special Rapporteur (A/97/210).",))
    paras[8] = ParaSpec("9", _P9)
    return DocSpec(
        symbol="A/99/516", title="International migration and development", date="2011-06-14",
        session="Ninety-ninth session", agenda_item="21 (c)",
        agenda_title="Globalization and interdependence",
        subtitle="Report of the Secretary-General",
        sections=[("I. Introduction", paras[:4]), ("II. Trends in migration", paras[4:])],
        quirks=False,
    )


@cache
def _generated() -> tuple[bytes, str]:
    data = pdfgen.render_pdf(_report())
    return data, picture_bytes(data, filename="A_99_516.pdf")[1]


def test_every_printed_line_of_a_generated_report_is_drawn_with_a_fate() -> None:
    data, html = _generated()
    boxes = _boxes(html).boxes
    assert Counter((b["page"], _fold(b["text"])) for b in boxes) == _pdfminer_lines(data)
    assert {b["data-fate"] for b in boxes} <= {str(f) for f in Fate}
    assert not [b for b in boxes if b["data-fate"] == Fate.DROPPED]
    assert max(b["page"] for b in boxes) >= 2


def test_generated_report_furniture_footnotes_headings_and_numbers() -> None:
    data, html = _generated()
    parsed = _boxes(html)
    boxes = parsed.boxes
    for needle in ("11-37256", "*1137256*", "Please recycle", "2/"):
        assert {b["data-fate"] for b in _with(boxes, needle)} == {"furniture"}, needle
    running = [b for b in _with(boxes, "A/99/516") if b["page"] > 1]
    assert running and {b["data-fate"] for b in running} == {"furniture"}
    assert {b["data-fate"] for b in _with(boxes, "A/99/516") if b["page"] == 1} == {
        "front matter"}
    assert {b["data-fate"] for b in _with(boxes, "Special Rapporteur (A/97/210)")} == {
        "footnote"}
    for label, words in (("I.", "Introduction"), ("II.", "Trends in migration")):
        # Label and words are printed as two boxes; both belong to the heading.
        drawn = [b for b in boxes if b["text"] in (label, words)]
        assert len(drawn) == 2 and {b["data-fate"] for b in drawn} == {"heading"}
        assert all(f"{label} {words}" in b["title"] for b in drawn)
    # Paragraph 7 runs onto page 2: its number stands in both margins.
    assert {b["page"] for b in boxes if b.get("data-number") == "7"} == {1, 2}
    assert [page for page, label in parsed.margin if label == "7"] == [1, 2]
    assert [label for _, label in parsed.margin] == ["1", "2", "3", "4", "5", "6", "7",
                                                     "7", "8", "9", "10", "11", "12"]
    nine = [b for b in boxes if b.get("data-number") == "9"]
    # Its number box and its text, whole and nothing else, in print order.
    assert _fold("".join(b["text"] for b in nine)) == _fold("9." + _P9)
    assert {b["data-fate"] for b in nine} == {"paragraph"}
    assert all("paragraph 9 (numbered)" in b["title"] and "II. Trends in migration" in b["title"]
               for b in nine)
    assert {b.get("data-number") for b in _with(boxes, "Most were women.")} == {"3"}


def test_text_is_escaped_and_the_file_stands_alone() -> None:
    _, html = _generated()
    assert "(&lt;5%)" in html and "(<5%)" not in html and "&amp; their" in html
    parsed = _boxes(html)
    assert parsed.scripts == 0 and "http" not in html.split("<body>", 1)[0]
    assert any("(<5%)" in b["text"] for b in parsed.boxes)  # as printed, once unescaped


def test_the_picture_is_of_the_same_parse() -> None:
    data, _ = _generated()
    assert picture_bytes(data, filename="A_99_516.pdf")[0] == parse_bytes(
        data, filename="A_99_516.pdf")


def test_other_formats_have_no_pages_to_draw() -> None:
    with pytest.raises(UnsupportedFormat, match="a picture needs a PDF, this is text"):
        picture_bytes(b"1. Some text.\n", filename="a.txt")


# -- a real report --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def add2(shared: Path) -> tuple[bytes, list[dict]]:
    path = shared / "real-docs" / "A_80_604_Add.2.pdf"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    data = path.read_bytes()
    return data, _boxes(picture_bytes(data, filename=path.name)[1]).boxes


def test_every_printed_line_of_a_real_report_is_drawn_with_a_fate(add2) -> None:
    data, boxes = add2
    assert Counter((b["page"], _fold(b["text"])) for b in boxes) == _pdfminer_lines(data)
    assert {b["data-fate"] for b in boxes} <= {str(f) for f in Fate}


def test_real_report_furniture_footnotes_tables_headings_and_numbers(add2) -> None:
    _, boxes = add2
    for needle in ("26-05079", "3/15", "*2605079*"):
        assert {b["data-fate"] for b in _with(boxes, needle)} == {"furniture"}, needle
    assert {b["data-fate"] for b in _with(boxes, "A/80/604/Add.2") if b["page"] > 1} == {
        "furniture"}
    assert {b["data-fate"] for b in _with(
        boxes, "Excludes one-time requirements for termination entitlements")} == {"footnote"}
    (heading,) = _with(boxes, "Information on performance for the current period")
    assert heading["data-fate"] == "heading"
    for row in ("Appropriation for 2024/25", "$56,436,100", "Unencumbered balance for 2024/25"):
        # The summary box on page 1 (its figures come back in paragraphs later on).
        assert {b["data-fate"] for b in _with(boxes, row) if b["page"] == 1} == {"table"}, row
    nine = [b for b in boxes if b.get("data-number") == "9"]
    # Paragraph 9 runs from page 3 (its bold recommendation included) onto page 4.
    assert {b["page"] for b in nine} == {3, 4}
    for part in ("The Advisory Committee was informed that, in April 2025, UNFICYP",
                 "operational continuity and maintain core mandate implementation",
                 "be provided to the General Assembly at the time of its consideration of "
                 "the report"):
        assert {b.get("data-number") for b in _with(boxes, part)} == {"9"}, part
    assert not [b for b in nine if re.match(r"\d+\.$", b["text"]) and b["text"] != "9."]


def test_a_resolutions_formula_and_meeting_line_are_dropped() -> None:
    from tests.parsers.test_pdf_roundtrip import resolution_spec

    boxes = _boxes(picture_bytes(pdfgen.render_pdf(resolution_spec()))[1]).boxes
    for line in ("The General Assembly,", "30th plenary meeting"):
        assert {b["data-fate"] for b in _with(boxes, line)} == {"dropped"}, line
    assert {b["data-fate"] for b in _with(boxes, "Resolution adopted by the General")} == {
        "front matter"}
    preambular = [b for b in boxes if "preambular" in b["title"]]
    assert preambular and {b["data-fate"] for b in preambular} == {"paragraph"}
