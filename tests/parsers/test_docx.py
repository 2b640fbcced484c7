"""Word (.docx) files parse into the same ParsedDocument as PDFs, from the structure they state.

Small documents built here with python-docx cover the rules; the real UN Word files in
../shared/real-docs pin what they hold (symbols, numbering, sections, tables, footnotes).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from parsers import parse_bytes, parse_docx
from parsers.detect import Format, sniff
from parsers.errors import UnsupportedFormat
from parsers.model import DocumentType, ParagraphKind

docx = pytest.importorskip("docx")


def _bytes(document) -> bytes:
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def small() -> bytes:
    d = docx.Document()
    d.add_paragraph("Contents", style="Heading 1")
    toc = d.add_table(rows=2, cols=2)
    toc.cell(0, 1).text = "Page"
    toc.cell(1, 0).text = "I.\tIntroduction"
    toc.cell(1, 1).text = "2"
    d.add_paragraph("I.\tIntroduction", style="Heading 1")
    d.add_paragraph("1.\tThe first  paragraph\u00a0text.")
    d.add_paragraph("2.\tThe Committee recommends:")
    d.add_paragraph("(a)\tThat the first thing be done;")
    d.add_paragraph("(b)\tThat the second thing be done.")
    d.add_paragraph("II.\tResources", style="Heading 1")
    d.add_paragraph("Staffing", style="Heading 2")
    d.add_paragraph("3.\tThe requirements are shown below.")
    d.add_paragraph("Trend of requirements", style="Heading 3")
    d.add_paragraph("(Thousands of United States dollars)", style="Heading 3")
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text = "Category"
    t.cell(0, 1).text = "Amount"
    t.cell(1, 0).text = "Posts"
    t.cell(1, 1).text = "1 200.5"
    d.add_paragraph("a\tIncludes general temporary assistance.")
    d.add_paragraph("4.\tThe trend is shown above.")
    d.add_paragraph("Annex", style="Heading 1")
    d.add_paragraph("Organization chart", style="Heading 1")
    d.add_paragraph("1.\tThe chart shows the structure.")
    return _bytes(d)


def test_numbers_items_sections_and_text(small: bytes) -> None:
    doc = parse_docx(small, filename="small.docx")
    numbered = [p for p in doc.paragraphs if p.kind is ParagraphKind.NUMBERED]
    assert [p.number for p in numbered] == ["1", "2", "3", "4", "1"]
    assert numbered[0].text == "The first paragraph text."
    assert numbered[0].section == ("I. Introduction",)
    assert [(i.label, i.text) for i in numbered[1].items] == [
        ("a", "That the first thing be done;"), ("b", "That the second thing be done."),
    ]
    assert numbered[1].text == (
        "The Committee recommends: (a) That the first thing be done; "
        "(b) That the second thing be done."
    )
    # The table's title and unit line are its caption, not a section over paragraph 4.
    assert numbered[2].section == numbered[3].section == ("II. Resources", "Staffing")
    # An annex closes the body's sections; its title sits under it.
    assert numbered[4].section == ("Annex", "Organization chart")


def test_table_record_and_contents_kept_out(small: bytes) -> None:
    doc = parse_docx(small)
    tables = [p for p in doc.paragraphs if p.kind is ParagraphKind.TABLE]
    assert len(tables) == 1  # the contents table is not a record
    assert tables[0].text == (
        "Trend of requirements\n(Thousands of United States dollars)\nCategory | Amount\n"
        "Posts | 1 200.5\n"
        "a Includes general temporary assistance."
    )
    assert all("Page" not in p.text for p in doc.paragraphs)
    assert doc.paragraphs[0].number == "1"


def test_parse_bytes_detects_word(small: bytes) -> None:
    assert sniff(small, filename="x.docx") is Format.DOCX
    assert sniff(small) is Format.DOCX  # by content, not by name
    assert parse_bytes(small, filename="x.docx") == parse_docx(small, filename="x.docx")


def test_a_zip_without_a_word_document_is_refused() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<not-xml")
    with pytest.raises(UnsupportedFormat, match="bad.docx"):
        parse_bytes(buf.getvalue(), filename="bad.docx")


# ---------------------------------------------------------------------------------------------
# The real Word files


@pytest.fixture(scope="module")
def real_docs(shared: Path) -> Path:
    d = shared / "real-docs"
    if not any(d.glob("*.docx")):
        pytest.skip(f"no Word files in {d}")
    return d


def _parse(real_docs: Path, stem: str):
    path = real_docs / f"{stem}.docx"
    return parse_bytes(path.read_bytes(), filename=path.name)


@pytest.fixture(scope="module")
def add2(real_docs: Path):
    return _parse(real_docs, "A_80_604_Add.2")


@pytest.fixture(scope="module")
def sect2(real_docs: Path):
    return _parse(real_docs, "A_81_6_Sect.2")


def test_masthead(add2, sect2) -> None:
    f = add2.front
    assert (f.symbol, f.distribution, f.date, f.original_language) == (
        "A/80/604/Add.2", "General", "2026-04-09", "English",
    )
    assert (f.session, f.agenda_item) == ("Eightieth session", "151")
    assert f.title is not None and f.title.startswith("Budget performance for the period")
    assert f.subtitle == (
        "Report of the Advisory Committee on Administrative and Budgetary Questions"
    )
    assert f.doc_type is DocumentType.REPORT
    s = sect2.front
    assert (s.symbol, s.date, s.agenda_item) == (
        "A/81/6 (Sect. 2)/Part A", "2026-03-19", "138 and 139",
    )
    assert s.title == "Proposed programme budget for 2027"


def test_numbering_and_sections(add2, sect2) -> None:
    assert [p.number for p in add2.paragraphs if p.number] == [str(n) for n in range(1, 57)]
    p24 = next(p for p in add2.paragraphs if p.number == "24")
    assert [i.label for i in p24.items] == ["a", "b"]
    assert p24.section == (
        "IV. Proposed budget for the period from 1 July 2026 to 30 June 2027",
        "B. Resource requirements", "2. Civilian personnel", "Structural changes",
    )
    numbers = [p.number for p in sect2.paragraphs if p.number]
    assert numbers == [f"2.{n}" for n in range(1, 77)]
    by_number = {p.number: p for p in sect2.paragraphs}
    assert by_number["2.1"].section == (
        "A. Proposed programme plan for 2027 and programme performance in 2025",
        "Overall orientation", "Mandates and background",
    )
    assert by_number["2.21"].section[2:] == (
        "Subprogramme 1", "General Assembly and Economic and Social Council affairs", "Strategy",
    )


def test_contents_and_title_page_are_not_body(sect2) -> None:
    assert sect2.paragraphs[0].number == "2.1"
    assert not any(p.section and p.section[0] in ("Contents", "Part I") for p in sect2.paragraphs)


def test_footnotes(add2, sect2) -> None:
    fn = {f.marker: f for f in add2.footnotes}
    assert set(fn) == {"1", "2", "3"}
    assert fn["3"].text.startswith("The estimated amount of $913,800 comprises the market value")
    cited = next(p for p in add2.paragraphs if p.position == fn["3"].paragraph_position)
    assert cited.number == "16" and cited.footnote_markers == ("3",)
    assert "[" not in cited.text  # the marker is not in the text
    # The title page's notes sit in frames at the foot of page 1.
    stars = {f.marker: f.text for f in sect2.footnotes}
    assert stars["**"] == "A/81/50."
    assert stars["*"].startswith("The present document (A/81/6 (Sect. 2)/Part A)")


def test_table_records(add2, real_docs: Path) -> None:
    tables = [p for p in add2.paragraphs if p.kind is ParagraphKind.TABLE]
    assert tables[0].text.splitlines()[0] == "Appropriation for 2024/25 | $56,436,100"
    doc600 = _parse(real_docs, "A_80_600")
    t = next(p for p in doc600.paragraphs
             if p.kind is ParagraphKind.TABLE and p.text.startswith("Trend of the unencumbered"))
    assert t.text.splitlines()[1] == "(Thousands of United States dollars)"
    assert t.section == ("II. Financial resources", "D. Unencumbered balance")


def test_every_real_file_numbers_without_gaps(real_docs: Path) -> None:
    for path in sorted(real_docs.glob("*.docx")):
        doc = parse_bytes(path.read_bytes(), filename=path.name)
        numbers = [p.number for p in doc.paragraphs if p.kind is ParagraphKind.NUMBERED]
        assert numbers, path.name
        # Each numbering run (the body's, an annex's "A.1") counts up by one from 1.
        runs: dict[str, list[int]] = {}
        for n in numbers:
            m = re.fullmatch(r"(?:(\w+)\.)?(\d+)", n)
            assert m, (path.name, n)
            runs.setdefault(m.group(1) or "", []).append(int(m.group(2)))
        for prefix, seq in runs.items():
            assert seq == list(range(1, len(seq) + 1)), (path.name, prefix)
        assert doc.front.symbol and doc.front.date and doc.front.session, path.name
        assert all(f.text for f in doc.footnotes), path.name
        assert all(f.paragraph_position for f in doc.footnotes if not f.marker.startswith("*"))
