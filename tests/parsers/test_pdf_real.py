"""What the real reports in ../shared/real-docs taught the PDF reader, pinned on their print.

Each case was checked against the rendered page (pdftoppm); the fidelity floors
(test_fidelity.py) hold the totals, these hold the mechanisms by name.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers.model import ParagraphKind, ParsedDocument


@pytest.fixture(scope="module")
def real(shared: Path, parsed):
    d = shared / "real-docs"
    if not any(d.glob("*.pdf")):
        pytest.skip(f"no real reports in {d}")
    return lambda stem: parsed(d / f"{stem}.pdf")


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


def test_a_fascicles_masthead_and_place(real) -> None:
    front = real("A_81_6_Sect.2").front
    # "Items 138 and 139 of the preliminary list**": two items, two titles of their own.
    assert front.agenda_item == "138 and 139"
    assert front.title == "Proposed programme budget for 2027"
    assert front.subtitle is not None and front.subtitle.startswith(
        "Part I Overall policymaking, direction and coordination / Section 2 ")


def test_heading_levels_follow_the_type(real) -> None:
    # 14-point "A." and "Overall orientation" over 12-point "Mandates and background"; a bare
    # label keeps its title under it, and 10-point bold result headings nest under 12-point.
    doc = real("A_81_6_Sect.2")
    sections = {p.number: p.section for p in doc.paragraphs if p.number}
    a = "A. Proposed programme plan for 2027 and programme performance in 2025"
    assert sections["2.1"] == (a, "Overall orientation", "Mandates and background")
    assert sections["2.20"] == (a, "Programme of work", "Subprogramme 1",
                                "General Assembly and Economic and Social Council affairs",
                                "Objective")
