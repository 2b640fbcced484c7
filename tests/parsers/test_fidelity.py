"""The PDF parse of the real reports keeps at least the fidelity to their Word versions it has.

`bench.fidelity` compares each PDF in ../shared/real-docs with its Word version (see its module
doc and docs/parsing.md, "Fidelity on real reports"). FLOORS holds the figures the PDF parser
reached; a change that lowers any of them fails here. Raise them as the parser improves.
Hand-checked decisions (a difference the printed page decides) are in fidelity_decisions.json.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.fidelity import DECISIONS_FILE, Decision, compare, load_decisions, measure, text_hash
from parsers.model import (
    Footnote,
    FrontMatter,
    Paragraph,
    ParagraphKind,
    ParsedDocument,
)

# doc: (numbering identical, paragraphs identical, sections identical, footnotes found,
#       masthead fields equal to the Word file's, of 5)
FLOORS: dict[str, tuple[bool, int, int, int, int]] = {
    "A_80_596": (True, 54, 54, 3, 5),
    "A_80_600": (True, 83, 83, 4, 5),
    "A_80_604_Add.12": (True, 57, 57, 2, 5),
    "A_80_604_Add.2": (True, 56, 56, 3, 5),
    "A_80_604_Add.9": (True, 66, 66, 2, 5),
    "A_80_623": (True, 128, 128, 4, 5),
    "A_81_6_Sect.10": (True, 68, 68, 3, 5),
    "A_81_6_Sect.16": (True, 147, 147, 6, 5),
    "A_81_6_Sect.2": (True, 76, 76, 3, 5),
    "A_81_6_Sect.29A": (True, 148, 148, 3, 5),
    "A_81_6_Sect.4": (True, 75, 75, 5, 5),
}


@pytest.fixture(scope="module")
def figures(shared: Path, parsed):
    d = shared / "real-docs"
    if not any(d.glob("*.docx")):
        pytest.skip(f"no PDF/Word pairs in {d}")
    return {f.doc: f for f in measure(d, parse=parsed)}


def test_every_pair_is_measured(figures) -> None:
    assert set(figures) == set(FLOORS)


@pytest.mark.parametrize("doc", sorted(FLOORS))
def test_fidelity_does_not_drop(figures, doc: str) -> None:
    f = figures[doc]
    numbering, paragraphs, sections, footnotes, masthead = FLOORS[doc]
    row = f.as_row()
    got = (row["numbering_identical"], row["paragraphs"][0], row["sections"][0],
           row["footnotes"][0], row["masthead"])
    want = (numbering, paragraphs, sections, footnotes, masthead)
    assert not numbering or f.numbering_identical, f"{doc}: {f.numbering_diffs}"
    for name, g, w in zip(("paragraphs", "sections", "footnotes", "masthead"), got[1:], want[1:],
                          strict=True):
        assert g >= w, f"{doc}: {name} {g} < floor {w} (see python -m bench.fidelity --diff {doc})"


def test_decisions_file_is_well_formed() -> None:
    decisions = load_decisions(DECISIONS_FILE)
    for d in decisions:
        assert d.doc in FLOORS and d.aspect in ("text", "section") and d.right in ("pdf", "word")
        assert d.why and d.excerpt
        assert d.right == "word" or d.pdf_sha256, "a PDF-right decision names the checked text"


# ---------------------------------------------------------------------------------------------
# The comparison itself, on documents made here


def _doc(paras: list[tuple[str | None, tuple[str, ...], str]], notes=(), front=None):
    return ParsedDocument(
        front=front or FrontMatter(symbol="A/1/2", date="2026-01-01"),
        paragraphs=tuple(
            Paragraph(position=i, number=n,
                      section=s, text=t,
                      kind=ParagraphKind.NUMBERED if n else ParagraphKind.UNNUMBERED)
            for i, (n, s, t) in enumerate(paras, start=1)
        ),
        footnotes=tuple(Footnote(marker=str(i), text=t, paragraph_position=None)
                        for i, t in enumerate(notes, start=1)),
    )


WORD = _doc(
    [("1", ("I. A",), "One  text."), ("2", ("I. A",), "Two text."), (None, (), "Loose."),
     ("3", ("II. B",), "Three text."), ("1", ("Annex",), "Annex one.")],
    notes=["A note.", "Another note."],
)


def test_compare_counts_each_aspect() -> None:
    pdf = _doc(
        [("1", ("I. A",), "One text."), ("2", ("I. A",), "Two  text -wise."),
         ("3", ("I. A",), "Three text."), ("1", ("Annex",), "Annex one.")],
        notes=["A note.", "Another note. And more."],
        front=FrontMatter(symbol="A/1/2"),
    )
    f = compare("X", WORD, pdf)
    assert f.numbering_identical
    assert (f.paragraphs_identical, f.sections_identical, f.word_numbered) == (3, 3, 4)
    assert (f.footnotes_found, f.footnotes_total) == (1, 2)
    assert f.masthead["symbol"] == "=" and f.masthead["date"] == "-"
    assert [d.key for d in f.diffs] == [("2", 1), ("3", 1)]


def test_compare_lists_numbering_differences() -> None:
    pdf = _doc([("1", ("I. A",), "One text."), ("3", ("II. B",), "Three text.")])
    f = compare("X", WORD, pdf)
    assert not f.numbering_identical
    assert f.numbering_diffs[0] == "after 1: word [2] pdf [-]"
    assert f.diffs[0].key == ("2", 1) and f.diffs[0].pdf_text is None


def test_a_pdf_right_decision_counts_while_the_pdf_text_is_the_checked_one() -> None:
    pdf = _doc([("1", ("I. A",), "One text."), ("2", ("I. A",), "Two texts."),
                ("3", ("II. B",), "Three text."), ("1", ("Annex",), "Annex one.")])
    decision = Decision(doc="X", number="2", aspect="text", right="pdf", excerpt="Two texts",
                        why="printed so", pdf_sha256=text_hash("Two texts."))
    assert compare("X", WORD, pdf, [decision]).paragraphs_identical == 4
    changed = _doc([("1", ("I. A",), "One text."), ("2", ("I. A",), "Two textz."),
                    ("3", ("II. B",), "Three text."), ("1", ("Annex",), "Annex one.")])
    assert compare("X", WORD, changed, [decision]).paragraphs_identical == 3
    word_right = Decision(doc="X", number="2", aspect="text", right="word", excerpt="Two text",
                          why="the PDF parse is wrong")
    assert compare("X", WORD, pdf, [word_right]).paragraphs_identical == 3
