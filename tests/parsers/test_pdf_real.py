"""What the real reports in ../shared/real-docs taught the PDF reader, pinned on their print.

Each case was checked against the rendered page (pdftoppm); the fidelity floors
(test_fidelity.py) hold the totals, these hold the mechanisms by name.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from parsers import parse_bytes
from parsers.model import ParagraphKind, ParsedDocument


@pytest.fixture(scope="module")
def real(shared: Path):
    d = shared / "real-docs"
    if not any(d.glob("*.pdf")):
        pytest.skip(f"no real reports in {d}")

    @cache
    def parse(stem: str) -> ParsedDocument:
        path = d / f"{stem}.pdf"
        return parse_bytes(path.read_bytes(), filename=path.name)

    return parse


def _para(doc: ParsedDocument, number: str) -> str:
    return next(p.text for p in doc.paragraphs if p.number == number)


def test_letter_spacing_is_not_a_word_space(real) -> None:
    # Justified lines set letters 0.1 of the type size apart; pdfminer read a space there.
    assert "while investing in staff" in _para(real("A_81_6_Sect.2"), "2.58")
    assert "Secretary-General" in _para(real("A_80_604_Add.12"), "22")


def test_a_typed_word_space_is_never_mended_away(real) -> None:
    # "drawdown" is a word elsewhere in the document, but the print has a space glyph here.
    assert "subsequently draw down, resulting" in _para(real("A_80_604_Add.12"), "22")


def test_a_document_that_never_divides_words_keeps_its_compounds(real) -> None:
    # "road-" ends a line and neither the document nor the word list knows "roadsweeping" or
    # "road-sweeping": UN reports are set without word division, so the hyphen is a compound's.
    assert "grounds maintenance and road-sweeping services" in _para(real("A_80_604_Add.2"), "44")


def test_a_unit_power_is_text_not_a_footnote_marker(real) -> None:
    assert "266,000 km2 area of operations" in _para(real("A_80_600"), "14")
    assert "11,444 m3 was recorded" in _para(real("A_80_604_Add.2"), "50")


def test_a_cell_starting_like_a_number_stays_in_its_table(real) -> None:
    # The last wrapped line of a performance-measure cell reads "3.3 tons of fentanyl".
    doc = real("A_81_6_Sect.16")
    assert _para(doc, "16.146").endswith("(see table 16.23).")
    table = next(p for p in doc.paragraphs
                 if p.kind is ParagraphKind.TABLE and "fentanyl precursor" in p.text)
    assert "3.3 tons of fentanyl" in table.text


def test_footnotes_under_any_rule_led_or_skipping_a_number(real) -> None:
    doc = real("A_80_600")
    notes = {f.marker: f.text for f in doc.footnotes}
    # Page 10: a "Note:" paragraph set over the numbered note it belongs to.
    assert notes["1"].startswith("Note: The following abbreviations")
    assert notes["1"].endswith("based on the rounded average.")
    # Page 24: a table's rules drawn cell by cell stand over the note's typed rule.
    assert notes["3"].startswith("For missions that utilized less than 90 per cent")
    # Page 25's note is its own, not the tail of page 16's.
    assert notes["2"].endswith("new combined budget and performance report.")
    assert notes["4"].startswith("Resource variance amounts")


def test_a_tables_year_columns_are_not_footnotes(real) -> None:
    # The rule over "2025 2025 2026 2027" in a deliverables table starts in its columns.
    note = next(f for f in real("A_81_6_Sect.10").footnotes if f.marker == "***")
    assert note.text.endswith("for the consideration of the Assembly.")
