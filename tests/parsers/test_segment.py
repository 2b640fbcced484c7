"""Segmentation on text and HTML inputs: what is kept, flagged, joined, and never glued."""

from __future__ import annotations

import json

from parsers import parse_bytes, parse_html, parse_text
from parsers.model import DocumentType, ParagraphKind

RESOLUTION_MD = """\
United Nations
A/RES/99/195

**General Assembly**

Distr.: General
15 January 2025

**Ninety-ninth session**

Agenda item 19 (b)

## Resolution adopted by the General Assembly on 19 December 2024

[on the report of the Second Committee (A/99/538/Add.2)]

## 99/195. Migration and development in a sample resolution written for the tests

*The General Assembly*,

*Recalling* its earlier resolutions on the subject,

*Reaffirming* the commitment of all Member States to protect the human rights of migrants,
regardless of their migration status,

*Taking note* of the report of the Secretary-General,

1. *Endorses* the outcome of the dialogue;

2. *Requests* the Secretary-General:

(a) To report on progress;

(b) To consult Member States, in particular:

(i) Countries of origin;

(ii) Countries of destination;

(c) To keep the item under review.

*62nd plenary meeting*
*19 December 2024*

Annex

**Declaration of the sample dialogue**

I. Shared vision

1. We, the participants, recognize the contribution of migrants.

2. We commit to cooperation.
"""


def test_resolution_in_markdown() -> None:
    doc = parse_text(RESOLUTION_MD, filename="res.md")
    f = doc.front
    assert f.symbol == "A/RES/99/195"
    assert f.doc_type is DocumentType.RESOLUTION
    assert f.date == "2025-01-15"
    assert f.session == "Ninety-ninth session"
    assert f.agenda_item == "19 (b)"
    assert f.title == "Migration and development in a sample resolution written for the tests"
    assert f.subtitle == "Resolution adopted by the General Assembly on 19 December 2024"
    kinds = [(p.kind, p.number) for p in doc.paragraphs]
    assert kinds == [
        (ParagraphKind.PREAMBULAR, None),
        (ParagraphKind.PREAMBULAR, None),
        (ParagraphKind.PREAMBULAR, None),
        (ParagraphKind.OPERATIVE, "1"),
        (ParagraphKind.OPERATIVE, "2"),
        (ParagraphKind.NUMBERED, "1"),
        (ParagraphKind.NUMBERED, "2"),
    ]
    assert doc.paragraphs[1].text == (
        "Reaffirming the commitment of all Member States to protect the human rights of "
        "migrants, regardless of their migration status,"
    )
    p2 = doc.paragraphs[4]
    assert [i.label for i in p2.items] == ["a", "b", "i", "ii", "c"]
    assert p2.text == (
        "Requests the Secretary-General: (a) To report on progress; (b) To consult Member "
        "States, in particular: (i) Countries of origin; (ii) Countries of destination; "
        "(c) To keep the item under review."
    )
    assert doc.paragraphs[5].section == ("Annex", "Declaration of the sample dialogue",
                                         "I. Shared vision")
    assert doc.warnings == ()
    assert "plenary" not in doc.text and "19 December 2024" not in doc.text


def test_hard_wrapped_preamble_without_blank_lines() -> None:
    text = (
        "The General Assembly,\n"
        "Recalling its resolution 98/1 of 1 January 2024 on\n"
        "migration,\n"
        "Concerned about the situation of\n"
        "migrants in transit,\n"
        "1. Decides to remain seized of the matter.\n"
    )
    doc = parse_text(text)
    assert [(p.kind, p.text) for p in doc.paragraphs] == [
        (ParagraphKind.PREAMBULAR, "Recalling its resolution 98/1 of 1 January 2024 on migration,"),
        (ParagraphKind.PREAMBULAR, "Concerned about the situation of migrants in transit,"),
        (ParagraphKind.OPERATIVE, "Decides to remain seized of the matter."),
    ]


def test_numbers_emitted_before_their_texts() -> None:
    doc = parse_text("1.\n\n2.\n\nFirst paragraph text.\n\nSecond paragraph\ntext.\n")
    assert [(p.number, p.text) for p in doc.paragraphs] == [
        ("1", "First paragraph text."), ("2", "Second paragraph text.")]
    assert doc.warnings == ()


def test_text_before_paragraph_one_and_cut_off_end() -> None:
    doc = parse_text("Some introductory words.\n\n1. The first.\n\n2. The second is cut")
    assert [(p.kind, p.number) for p in doc.paragraphs] == [
        (ParagraphKind.UNNUMBERED, None), (ParagraphKind.NUMBERED, "1"),
        (ParagraphKind.NUMBERED, "2")]
    assert doc.warnings == (
        "unnumbered text at position 1 (before paragraph 1)",
        "paragraph 2 cut off: ends mid-sentence",
    )


def test_continuation_joined_only_when_numbering_is_contiguous() -> None:
    text = (
        "1. One.\n\n2. Two runs on past the page\n\n\n\ninto the next page.\n\n"
        "3. Three stops at a\n\n\n\nmissing page.\n\n7. Seven.\n"
    )
    doc = parse_text(text)
    assert [(p.number, p.kind, p.text) for p in doc.paragraphs] == [
        ("1", ParagraphKind.NUMBERED, "One."),
        ("2", ParagraphKind.NUMBERED, "Two runs on past the page into the next page."),
        ("3", ParagraphKind.NUMBERED, "Three stops at a"),
        (None, ParagraphKind.FRAGMENT, "missing page."),
        ("7", ParagraphKind.NUMBERED, "Seven."),
    ]
    assert doc.warnings == (
        "paragraph 3 cut off: ends mid-sentence",
        "fragment at position 4 (after paragraph 3): its start is missing",
        "gap: paragraphs 4-6 missing",
    )


def test_unnumbered_block_between_paragraphs_is_flagged_not_glued() -> None:
    doc = parse_text("1. One.\n\nA separate unnumbered note.\n\n2. Two.\n")
    assert [p.kind for p in doc.paragraphs] == [
        ParagraphKind.NUMBERED, ParagraphKind.UNNUMBERED, ParagraphKind.NUMBERED]
    assert doc.warnings == ("unnumbered text at position 2 (after paragraph 1)",)


def test_a_year_at_a_line_start_is_not_a_paragraph_number() -> None:
    doc = parse_text("1. The meeting was held in New York on 19 May\n2011. It ended well.\n")
    assert [p.number for p in doc.paragraphs] == ["1"]
    assert doc.paragraphs[0].text.endswith("19 May 2011. It ended well.")


def test_letter_i_after_h_and_sub_headings() -> None:
    lines = ["I. Main", ""]
    for k, letter in enumerate("ABCDEFGHI", start=1):
        lines += [f"{letter}. Topic {letter}", "", f"{k}. Text {k}.", ""]
    doc = parse_text("\n".join(lines))
    assert doc.paragraphs[-1].section == ("I. Main", "I. Topic I")
    assert doc.paragraphs[0].section == ("I. Main", "A. Topic A")


def test_items_h_then_i_is_a_letter() -> None:
    body = "1. List:\n" + "".join(f"({c}) item {c};\n" for c in "abcdefghij")
    doc = parse_text(body)
    assert [i.label for i in doc.paragraphs[0].items] == list("abcdefghij")


def test_numbering_restarting_in_each_section() -> None:
    doc = parse_text("I. One\n\n1. A.\n\n2. B.\n\nII. Two\n\n1. C.\n\nIII. Three\n\n1. D.\n")
    assert [(p.number, p.section) for p in doc.paragraphs] == [
        ("1", ("I. One",)), ("2", ("I. One",)), ("1", ("II. Two",)), ("1", ("III. Three",))]
    assert doc.warnings == ()


def test_numbering_restart_without_annex_is_flagged() -> None:
    doc = parse_text("1. One.\n\n2. Two.\n\n1. One again.\n")
    assert [p.number for p in doc.paragraphs] == ["1", "2", "1"]
    assert doc.warnings == ("numbering restarts at 1 after paragraph 2",)


def test_declaration_with_its_own_numbering() -> None:
    text = (
        "The General Assembly,\n\n*Recalling* its resolution,\n\n"
        "1. *Adopts* the following declaration:\n\n"
        "## Declaration of the sample dialogue\n\n"
        "1. We recognize the contribution of migrants.\n\n"
        "I. Commitments\n\n"
        "2. We commit to cooperation.\n"
    )
    doc = parse_text(text)
    assert [(p.kind, p.number, p.section) for p in doc.paragraphs] == [
        (ParagraphKind.PREAMBULAR, None, ()),
        (ParagraphKind.OPERATIVE, "1", ()),
        (ParagraphKind.NUMBERED, "1", ("Declaration of the sample dialogue",)),
        (ParagraphKind.NUMBERED, "2", ("Declaration of the sample dialogue", "I. Commitments")),
    ]
    assert doc.warnings == ()


def test_html_document() -> None:
    html = """<!DOCTYPE html><html><head><title>A/99/1</title><style>p{}</style></head><body>
    <p>A/99/1</p><p>Distr.: General</p><p>3 March 2025</p><p>Ninety-ninth session</p>
    <p>Agenda item 7</p><p><b>Migration and development</b></p>
    <h1>Summary of a sample dialogue</h1><h2>Note by the Secretary-General</h2>
    <h3>I. Introduction</h3>
    <p>1. The dialogue took place on 2 March 2025.<sup>1</sup></p>
    <p>2. Participants discussed remittances<br>and skills.</p>
    <div class="footnotes"><p>1 See A/98/2.</p></div>
    </body></html>"""
    doc = parse_html(html, filename="a.html")
    assert doc.front.symbol == "A/99/1"
    assert doc.front.title == "Summary of a sample dialogue"
    assert doc.front.subtitle == "Note by the Secretary-General"
    assert doc.front.doc_type is DocumentType.NOTE
    assert [(p.number, p.section, p.text) for p in doc.paragraphs] == [
        ("1", ("I. Introduction",), "The dialogue took place on 2 March 2025."),
        ("2", ("I. Introduction",), "Participants discussed remittances and skills."),
    ]
    assert doc.paragraphs[0].footnote_markers == ("1",)
    assert [(f.marker, f.text, f.paragraph_position) for f in doc.footnotes] == [
        ("1", "See A/98/2.", 1)]


def test_parse_bytes_detects_html_and_text() -> None:
    html = b"<html><body><p>1. Hello there.</p></body></html>"
    assert parse_bytes(html, filename="x").paragraphs[0].text == "Hello there."
    assert parse_bytes(b"1. Hello there.\n", filename="x.txt").paragraphs[0].text == "Hello there."
    assert parse_bytes("\ufeff1. Hi.\n".encode(), filename="x.txt").paragraphs[0].text == "Hi."


def test_to_dict_is_json() -> None:
    doc = parse_text("I. Intro\n\n1. Hello.\n", language="fr")
    d = json.loads(json.dumps(doc.to_dict()))
    assert d["language"] == "fr"
    assert d["paragraphs"][0]["section"] == "I. Intro"
    assert d["paragraphs"][0]["kind"] == "numbered"
    assert d["parser_version"] == doc.parser_version
