"""Characters, line joins, hyphens at line ends, torn words."""

from __future__ import annotations

import pytest

from parsers.normalise import (
    Vocabulary,
    clean_chars,
    collapse,
    ends_sentence,
    join_lines,
    rejoin_split_words,
)

DOC = [
    "Member States noted the development of new policies, and development partners",
    "supported the Conference. Countries of Latin America reported that co-development",
    "projects and migrant entrepreneurship had grown; the Secretary-General agreed.",
]


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return Vocabulary(DOC)


def test_clean_chars() -> None:
    assert clean_chars("e\ufb03cient \ufb01nance \ufb02ow") == "efficient finance flow"
    assert clean_chars("a\u00a0b\u202fc\u2009d") == "a b c d"
    assert clean_chars("Secretary\u2011General") == "Secretary-General"
    assert clean_chars("zero\u200bwidth\ufeff") == "zerowidth"
    assert clean_chars("Cafe\u0301") == "Caf\u00e9"  # NFC
    # Typographic quotes and dashes are kept as printed.
    assert clean_chars("\u201cfive by five\u201d \u2014 it\u2019s \u2013") == \
        "\u201cfive by five\u201d \u2014 it\u2019s \u2013"


def test_collapse_and_soft_hyphens() -> None:
    assert collapse("  a \t b\n\nc  ") == "a b c"
    assert collapse("co\u00adoperation") == "cooperation"


@pytest.mark.parametrize(
    ("lines", "joined"),
    [
        (["the second High-", "level Dialogue"], "the second High-level Dialogue"),
        (["human well-", "being"], "human well-being"),
        (["for co-", "development projects"], "for co-development projects"),
        (["new develop-", "ment"], "new development"),
        (["the Secretary-", "General"], "the Secretary-General"),
        (["drug -", "resistant infections"], "drug-resistant infections"),
        (["low- ", "and middle-income"], "low- and middle-income"),
        (["in 2010-", "2011"], "in 2010-2011"),
        (["entrepre-", "neurship"], "entrepreneurship"),
        (["partici\u00ad", "pation"], "participation"),
        (["plain ", "  wrap  "], "plain wrap"),
        (["non-", "governmental"], "non-governmental"),
        (["the Sixty-", "first session"], "the Sixty-first session"),
    ],
)
def test_line_joins(vocab: Vocabulary, lines: list[str], joined: str) -> None:
    assert join_lines(lines, vocab) == joined


def test_document_vocabulary_decides_compounds() -> None:
    # The document writes "decision-making" whole elsewhere: keep the hyphen at the wrap.
    vocab = Vocabulary(["their decision-making processes", "and the decision-"])
    assert join_lines(["the decision-", "making"], vocab) == "the decision-making"
    # The document writes "nationwide" whole elsewhere: a wrapped "nation-" + "wide" joins.
    vocab = Vocabulary(["a nationwide survey"])
    assert join_lines(["a nation-", "wide plan"], vocab) == "a nationwide plan"


def test_torn_words_are_mended(vocab: Vocabulary) -> None:
    assert rejoin_split_words("Latin Amer ica and the Confere nce.", vocab) == \
        "Latin America and the Conference."
    # Two real words stay two words even if they also make one ("in to", "every one").
    assert rejoin_split_words("came in to the room for every one", vocab) == \
        "came in to the room for every one"


def test_ends_sentence() -> None:
    assert ends_sentence("done.") and ends_sentence("list:") and ends_sentence("item;")
    assert ends_sentence("quoted.\u201d") and ends_sentence("(A/73/85).")
    assert not ends_sentence("If established,") and not ends_sentence("was also")


def test_a_document_that_never_divides_words_keeps_unknown_compounds() -> None:
    # Nothing decides "road-" + "sweeping"; every other wrap in this document is a compound.
    vocab = Vocabulary(["the cross-", "cutting issues", "of the Secretary-", "General"])
    assert not vocab.hyphenates
    assert join_lines(["and road-", "sweeping services"], vocab) == "and road-sweeping services"


def test_a_document_that_divides_words_joins_unknown_wraps() -> None:
    # "develop-" + "ment" joins to a word the document uses: this document divides words.
    vocab = Vocabulary(["new develop-", "ment plans", "development is key"])
    assert vocab.hyphenates
    assert join_lines(["and road-", "sweeping services"], vocab) == "and roadsweeping services"
