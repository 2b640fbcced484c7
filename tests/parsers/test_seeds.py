"""The two seed documents parse to exactly the structure ../shared/seeds/README.md describes.

Expected paragraph texts are cut from the seed files here, by line, independently of the
parser (the seeds' text is never copied into the project).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers import PARSER_VERSION, parse_bytes
from parsers.model import DocumentType, ParagraphKind

SEED_000 = "000_869cbad1eecc4c8c.txt"
SEED_002 = "002_f0f546887a381fec.txt"

SECTIONS_000 = {
    "I. Introduction": [1],
    "II. Opening session": [2],
    "III. Panel 1: The contribution of migrants to development": list(range(3, 11)),
    "IV. Panel 2: Improving international cooperation on international migration and "
    "development": list(range(11, 17)),
    "V. Closing session and conclusions": [17, 18],
}


def fold(text: str) -> str:
    return " ".join(text.split())


def seed_lines(seeds_dir: Path, name: str) -> list[str]:
    return (seeds_dir / name).read_text(encoding="utf-8").splitlines()


def hard_wrapped_paragraph(lines: list[str], number: int) -> str:
    """Paragraph `number` of the hard-wrapped seed: its lines up to a blank line or the next
    paragraph or heading, joined with spaces (line-end hyphens are fixed by the caller)."""
    start = next(i for i, ln in enumerate(lines) if ln.strip().startswith(f"{number}. "))
    out = [lines[start].strip()[len(f"{number}. "):]]
    for ln in lines[start + 1:]:
        s = ln.strip()
        if not s or s.startswith(f"{number + 1}. ") or s.startswith(("IV.", "V.", "III.")):
            break
        out.append(s)
    return fold(" ".join(out))


def line_starting(lines: list[str], prefix: str) -> str:
    return fold(next(ln for ln in lines if ln.startswith(prefix)))


@pytest.fixture(scope="module")
def doc000(seeds_dir: Path):
    return parse_bytes((seeds_dir / SEED_000).read_bytes(), filename=SEED_000)


@pytest.fixture(scope="module")
def doc002(seeds_dir: Path):
    return parse_bytes((seeds_dir / SEED_002).read_bytes(), filename=SEED_002)


# -- seed 000: hard-wrapped text ---------------------------------------------------------------


def test_000_has_18_numbered_paragraphs_in_order(doc000) -> None:
    assert [p.number for p in doc000.paragraphs] == [str(n) for n in range(1, 19)]
    assert {p.kind for p in doc000.paragraphs} == {ParagraphKind.NUMBERED}
    assert [p.position for p in doc000.paragraphs] == list(range(1, 19))


def test_000_five_sections_with_heading_iv_joined(doc000) -> None:
    got: dict[str, list[int]] = {}
    for p in doc000.paragraphs:
        assert len(p.section) == 1
        got.setdefault(p.section[0], []).append(int(p.number))
    assert got == SECTIONS_000


def test_000_no_warnings_no_front_matter(doc000) -> None:
    assert doc000.warnings == ()
    assert doc000.front.symbol is None and doc000.front.title is None
    assert doc000.front.doc_type is None


def test_000_compound_hyphens_at_line_ends_are_kept(doc000) -> None:
    p1, p8, p18 = doc000.paragraphs[0], doc000.paragraphs[7], doc000.paragraphs[17]
    assert "second High-level Dialogue" in p1.text
    assert "human well-being, including" in p8.text
    assert "human well-being and" in p18.text
    assert "Highlevel" not in doc000.text and "wellbeing" not in doc000.text


@pytest.mark.parametrize("number", [1, 2, 8, 12, 14, 18])
def test_000_full_paragraph_text(seeds_dir: Path, doc000, number: int) -> None:
    lines = seed_lines(seeds_dir, SEED_000)
    expected = hard_wrapped_paragraph(lines, number)
    expected = expected.replace("High- level", "High-level").replace("well- being", "well-being")
    assert doc000.paragraphs[number - 1].text == expected


def test_000_text_is_the_paragraphs(doc000) -> None:
    assert doc000.text == "\n\n".join(p.text for p in doc000.paragraphs)
    assert doc000.parser_version == PARSER_VERSION
    assert doc000.language == "en"


# -- seed 002: Markdown-ish, pages missing ---------------------------------------------------------


def test_002_front_matter(doc002) -> None:
    f = doc002.front
    assert f.session == "Sixty-first session"
    assert f.agenda_item == "55 (b)"
    assert f.title == (
        "Summary of the High-level Dialogue on International Migration and Development"
    )
    assert f.subtitle == "Note by the President of the General Assembly"
    assert f.doc_type is DocumentType.NOTE


def test_002_paragraph_numbers_and_the_fragment(doc002) -> None:
    numbers = [p.number for p in doc002.paragraphs]
    assert numbers == ["1", "2", "3", "4", None] + [str(n) for n in range(10, 23)]
    fragment = doc002.paragraphs[4]
    assert fragment.kind is ParagraphKind.FRAGMENT
    assert fragment.text.startswith("against viewing international migration by itself")
    assert "against viewing" not in doc002.paragraphs[3].text


def test_002_warnings(doc002) -> None:
    assert doc002.warnings == (
        "paragraph 4 cut off: ends mid-sentence",
        "fragment at position 5 (after paragraph 4): its start is missing",
        "gap: paragraphs 5-9 missing",
        "paragraph 22 cut off: ends mid-sentence",
    )


def test_002_sections(doc002) -> None:
    sec_i = ("I. Format and participation",)
    sec_iii = ("III. Follow-up to the High-level Dialogue",)
    by_number = {p.number: p.section for p in doc002.paragraphs}
    for n in ("1", "2", "3", "4"):
        assert by_number[n] == sec_i
    for n in ("20", "21", "22"):
        assert by_number[n] == sec_iii
    # The fragment and 10 to 19 stay where the text puts them: never under III, nothing invented.
    for p in doc002.paragraphs[4:15]:
        assert p.section == sec_i
    assert {p.section for p in doc002.paragraphs} == {sec_i, sec_iii}


def test_002_paragraphs_joined_across_page_breaks(seeds_dir: Path, doc002) -> None:
    lines = seed_lines(seeds_dir, SEED_002)
    p14 = next(p for p in doc002.paragraphs if p.number == "14")
    p18 = next(p for p in doc002.paragraphs if p.number == "18")
    assert p14.text == fold(
        line_starting(lines, "14. ")[4:] + " " + line_starting(lines, "recommended. Some")
    )
    assert p18.text == fold(
        line_starting(lines, "18. ")[4:] + " " + line_starting(lines, "through improved dialogue")
    )


def test_002_full_texts_of_4_fragment_and_22(seeds_dir: Path, doc002) -> None:
    lines = seed_lines(seeds_dir, SEED_002)
    by_number = {p.number: p for p in doc002.paragraphs}
    assert by_number["4"].text == line_starting(lines, "4. ")[3:]
    assert by_number[None].text == line_starting(lines, "against viewing")
    assert by_number["22"].text == line_starting(lines, "22. ")[4:]
    assert by_number["22"].text.endswith("If established,")
    assert by_number["1"].text == line_starting(lines, "1. ")[3:]


def test_002_markdown_marks_are_gone(doc002) -> None:
    assert "**" not in doc002.text and "#" not in doc002.text
    assert all("**" not in (v or "") for v in vars(doc002.front).values() if isinstance(v, str))
