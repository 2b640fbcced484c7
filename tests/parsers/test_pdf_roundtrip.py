"""Known paragraphs -> a real PDF in the UN layout (tests/pdfgen.py) -> parse: exactly the same."""

from __future__ import annotations

import io
import re

import pytest
from pdfminer.high_level import extract_text

from parsers import parse_bytes
from parsers.model import ParagraphKind
from tests import pdfgen
from tests.pdfgen import AnnexSpec, DocSpec, ParaSpec

PREAMBLE = [
    "Recalling its resolutions 61/208 of 20 December 2006, 63/225 of 19 December 2008 and "
    "65/170 of 20 December 2010 on international migration and development, and recalling "
    "also the high-level dialogue held in New York on 14 and 15 September 2006,",
    "Reaffirming the commitment of Member States to protect the human rights of all migrants, "
    "regardless of their migration status, and to promote safe, orderly and regular "
    "migration in countries of origin, transit and destination,",
    "Recognizing the contribution of migrants to inclusive growth and sustainable "
    "development in countries of origin, transit and destination, and recognizing also "
    "that international migration is a multidimensional reality of major relevance,",
    "Concerned about the situation of migrants in vulnerable situations, including women and "
    "children, and about the increasing number of migrants affected by natural disasters, "
    "conflicts and the adverse effects of climate change,",
    "Taking note of the report of the Secretary-General on international migration and "
    "development and of the recommendations contained therein, as well as of the work of the "
    "Global Forum on Migration and Development,",
    "Recalling also the Global Compact for Safe, Orderly and Regular Migration and the "
    "commitments made therein to improve cooperation on international migration in all "
    "its dimensions, including on the recognition of skills and qualifications,",
    "Stressing the importance of reliable, accurate and disaggregated data on migrants and "
    "their families for the formulation of evidence-based policies, and of cooperation "
    "among national statistical offices,",
    "Mindful of the need to reduce the transaction costs of migrant remittances to less than "
    "3 per cent and to eliminate remittance corridors with costs higher than 5 per cent,",
    "Welcoming the efforts of Member States to include migration in their national "
    "development plans and to engage diaspora communities in development,",
    "Acknowledging the important contribution made by migrant women and men to countries of "
    "origin and destination, and the value of their skills and experience,",
    "Recognizing also the need to protect children in the context of international "
    "migration, in particular unaccompanied children and children separated from their "
    "families, and to ensure their access to education and health care,",
    "Noting with concern the large number of migrants who lose their lives or are injured in "
    "their attempt to cross international borders, and noting also the risks migrants face "
    "at sea and in transit,",
    "Deeply concerned about the impact of the financial and economic crises on international "
    "migration and on migrants, in particular on migrant workers and their families,",
    "Reaffirming also the need to address the root causes of irregular migration, including "
    "poverty, the lack of decent work, conflict and environmental degradation, while "
    "respecting the sovereign right of States to govern the entry of non-nationals,",
    "Bearing in mind the contributions of the International Organization for Migration, the "
    "International Labour Organization and the Office of the United Nations High "
    "Commissioner for Human Rights to the protection of migrants and their families,",
]


def resolution_spec() -> DocSpec:
    ops = [
        ParaSpec("1", "Takes note of the report of the Secretary-General;{fn}",
                 footnotes=("A/99/203.",)),
        ParaSpec("2", "Calls upon Member States to promote and protect effectively the human "
                      "rights of all migrants, in particular:", items=(
                          ("a", "To combat racism, xenophobia and discrimination against "
                                "migrants, including by informing the public about their "
                                "contributions;"),
                          ("b", "To extend social protection to migrant workers and their "
                                "families, with particular attention to:"),
                          ("i", "Domestic workers, most of whom are women;"),
                          ("ii", "Seasonal and temporary workers;"),
                          ("c", "To reduce the costs of labour migration, including the fees "
                                "charged by recruiters;"),
                      )),
        ParaSpec("3", "Encourages Member States to strengthen cooperation on international "
                      "migration at the bilateral, regional and global levels, including "
                      "through the Global Forum on Migration and Development;{fn}",
                 footnotes=("See General Assembly resolution 71/1.",)),
        ParaSpec("4", "Decides to include in the provisional agenda of its hundredth session "
                      "the sub-item entitled \u201cInternational migration and "
                      "development\u201d."),
    ]
    return DocSpec(
        symbol="A/RES/99/202",
        title="International migration and development",
        date="2025-01-10",
        doc_type="resolution",
        session="Ninety-ninth session",
        agenda_item="18 (c)",
        preambular=PREAMBLE,
        sections=[("", ops)],
        annexes=[AnnexSpec("Annex", "Summary of the informal dialogue", (
            ("I. Opening", (
                ParaSpec("1", "Speakers stressed that the dialogue was an opportunity to take "
                              "stock of progress since the adoption of the Global Compact."),
                ParaSpec("2", "Several participants called for co-development programmes "
                              "linking diaspora communities with local development plans."),
            )),
            ("II. Round tables", (
                ParaSpec("3", "Participants discussed the effects of highly skilled emigration "
                              "on health systems in countries of origin."),
            )),
        ))],
    )


def assert_round_trip(spec: DocSpec, data: bytes | None = None):
    data = data if data is not None else pdfgen.render_pdf(spec)
    doc = parse_bytes(data, filename=f"{spec.symbol}.pdf")
    got = [
        (p.number, p.section, str(p.kind), p.text, tuple((i.label, i.text) for i in p.items),
         p.footnote_markers)
        for p in doc.paragraphs
    ]
    want = [
        (e.number, e.section, e.kind, e.text, e.items, e.footnote_markers)
        for e in pdfgen.expected_paragraphs(spec)
    ]
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g == w
    assert [(f.marker, f.text, f.paragraph_position) for f in doc.footnotes] == \
        pdfgen.expected_footnotes(spec)
    front = {k: (str(v) if v is not None else None) for k, v in vars(doc.front).items()}
    assert front == pdfgen.expected_front(spec)
    assert doc.warnings == ()
    assert doc.page_count == pdfgen.count_pages(spec)
    return doc


@pytest.fixture(scope="module")
def report_pdf() -> bytes:
    return pdfgen.render_pdf(pdfgen.sample_report())


@pytest.fixture(scope="module")
def resolution_pdf() -> bytes:
    return pdfgen.render_pdf(resolution_spec())


def test_sample_report_round_trip(report_pdf: bytes) -> None:
    doc = assert_round_trip(pdfgen.sample_report(), report_pdf)
    assert doc.paragraphs[0].section == ("I. Introduction",)
    # The heading that wraps over two lines comes back as one.
    assert doc.paragraphs[1].section[0].endswith("countries of origin and destination")


def test_the_pdf_has_the_quirks_the_parser_must_undo(report_pdf: bytes) -> None:
    raw = extract_text(io.BytesIO(report_pdf))
    assert "Amer ica" in raw and "Confere nce" in raw  # torn words
    assert "  " in raw  # justified double spaces
    assert re.search(r"^1\.\s*$", raw, re.MULTILINE)  # a number in a box of its own
    assert "*1137256*" in raw and "Please recycle" in raw and "11-37256 (E)" in raw


def test_footnotes_linked_and_never_in_text(report_pdf: bytes) -> None:
    doc = parse_bytes(report_pdf, filename="r.pdf")
    assert [(f.marker, f.paragraph_position) for f in doc.footnotes] == [("1", 1), ("2", 3)]
    assert "resolution 97/210, in which" in doc.paragraphs[0].text  # marker "1" cut out
    assert "A/97/PV.52" not in doc.text and "A/73/85" not in doc.text


def test_furniture_is_gone(resolution_pdf: bytes) -> None:
    doc = parse_bytes(resolution_pdf, filename="res.pdf")
    assert doc.page_count and doc.page_count >= 3
    everything = doc.text + " ".join(f.text for f in doc.footnotes)
    for junk in ("Please recycle", "*", "11-37256", "A/RES/99/202", f"2/{doc.page_count}",
                 "plenary meeting", "The General Assembly,"):
        assert junk not in everything


def test_resolution_round_trip(resolution_pdf: bytes) -> None:
    spec = resolution_spec()
    doc = assert_round_trip(spec, resolution_pdf)
    n = len(PREAMBLE)
    kinds = [p.kind for p in doc.paragraphs]
    assert kinds == [ParagraphKind.PREAMBULAR] * n + [ParagraphKind.OPERATIVE] * 4 + [
        ParagraphKind.NUMBERED] * 3
    assert [p.number for p in doc.paragraphs[n:]] == ["1", "2", "3", "4", "1", "2", "3"]
    assert [(i.label, i.text) for i in doc.paragraphs[n + 1].items[2:4]] == [
        ("i", "Domestic workers, most of whom are women;"),
        ("ii", "Seasonal and temporary workers;"),
    ]
    assert doc.paragraphs[n + 4].section == ("Annex", "Summary of the informal dialogue",
                                             "I. Opening")
    assert doc.front.title == "International migration and development"


def test_resolution_has_a_preambular_paragraph_across_a_page_break() -> None:
    crossing = pdfgen.crossing_paragraphs(resolution_spec())
    assert any(pos <= len(PREAMBLE) for pos in crossing), crossing


@pytest.mark.parametrize(("pages", "seed"), [(2, 1), (3, 4), (5, 6), (8, 9)])
def test_generated_corpus_round_trip(pages: int, seed: int) -> None:
    for spec in pdfgen.make_corpus(2, pages=pages, seed=seed):
        assert_round_trip(spec)


def test_corpus_documents_cross_page_breaks_with_sub_items() -> None:
    """The corpus exercises what the round trip must survive (so the test above means it)."""
    specs = pdfgen.make_corpus(2, pages=8, seed=9)
    crossing_with_items = []
    for spec in specs:
        expected = pdfgen.expected_paragraphs(spec)
        for pos in pdfgen.crossing_paragraphs(spec):
            if expected[pos - 1].items:
                crossing_with_items.append((spec.symbol, pos))
    assert crossing_with_items
    raw = extract_text(io.BytesIO(pdfgen.render_pdf(specs[0])))
    assert re.search(r"[a-z]-\n", raw)  # a word hyphenated at a line end
    assert re.search(r"[a-z] -\n", raw)  # a compound's hyphen detached ("drug -")


def test_draft_resolution_front_matter() -> None:
    spec = DocSpec(
        symbol="A/C.2/99/L.12", title="International migration and development",
        date="2024-10-30", doc_type="draft resolution", session="Ninety-ninth session",
        agenda_item="18 (c)", agenda_title="Globalization and interdependence",
        preambular=PREAMBLE[:2],
        sections=[("", [ParaSpec("1", "Takes note of the report of the Secretary-General;"),
                        ParaSpec("2", "Decides to continue its consideration of the item.")])],
    )
    assert_round_trip(spec)


def test_corpus_hits_its_page_target() -> None:
    for spec in pdfgen.make_corpus(3, pages=6, seed=2):
        assert abs(pdfgen.count_pages(spec) - 6) <= 1
