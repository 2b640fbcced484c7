"""The MARCXML reader against the real library answer, and against hostile XML."""

from __future__ import annotations

import collections
import datetime as dt
from pathlib import Path

import pytest

from config.settings import DEFAULT_SUBJECTS
from sources.errors import BadResponse
from sources.marcxml import language_of, parse_search_response
from sources.query import is_relevant
from tests.archive_builder import ArchiveRecord, marcxml_page


@pytest.fixture(scope="module")
def real_page(marcxml_fixture: Path):
    return parse_search_response(marcxml_fixture.read_bytes(), url=marcxml_fixture.as_uri())


def test_real_answer_total_and_records(real_page) -> None:
    assert real_page.total == 94
    assert len(real_page.records) == 94
    assert len({r.record_id for r in real_page.records}) == 94


def test_real_answer_symbols(real_page) -> None:
    symbols = [r.symbol for r in real_page.records]
    assert len(set(symbols)) == 94
    assert all(len(r.symbols) == 1 for r in real_page.records)
    assert all(s.startswith("A/C.3/78/L.") for s in symbols)
    assert sum(s.endswith("/Rev.1") for s in symbols) == 20


def test_real_answer_files_decoded_from_suffix(real_page) -> None:
    langs = collections.Counter(f.language for r in real_page.records for f in r.files)
    assert langs == {lang: 94 for lang in ("ar", "zh", "en", "fr", "ru", "es")}
    for r in real_page.records:
        en = r.file_for("en")
        assert en is not None and en.url.endswith("-EN.pdf") and en.is_pdf
        assert en.url.startswith(f"https://digitallibrary.un.org/record/{r.record_id}/files/")
        assert en.size and en.size > 0


def test_real_answer_agenda_related_dates(real_page) -> None:
    records = real_page.records
    assert sum(len(r.agenda_items) for r in records) == 145
    assert collections.Counter(len(r.agenda_items) for r in records) == {1: 45, 2: 47, 3: 2}
    related = collections.Counter(ind for r in records for ind, _ in r.related)
    assert related == {"1": 63, "3": 69}
    dates = [r.date for r in records]
    assert all(dates) and min(dates) == dt.date(2023, 8, 28) and max(dates) == dt.date(2023, 11, 15)
    assert all(r.modified and r.modified.tzinfo is dt.UTC for r in records)
    assert {r.body for r in records} == {"General Assembly, 3rd Committee"}


def test_real_answer_first_record_in_detail(real_page) -> None:
    r = real_page.records[0]
    assert r.record_id == "4026910"
    assert r.symbols == ("A/C.3/78/L.49/Rev.1",)
    assert r.title == (
        "Promotion and protection of human rights in the context of digital technologies"
        " : revised draft resolution"
    )
    assert r.date == dt.date(2023, 11, 8)
    assert r.modified == dt.datetime(2025, 5, 16, 16, 26, 31, tzinfo=dt.UTC)
    assert r.subjects[:2] == ("HUMAN RIGHTS", "HUMAN RIGHTS ADVANCEMENT")
    item = r.agenda_items[0]
    assert (item.symbol, item.item, item.subject) == ("A/78/251", "71b", "HUMAN RIGHTS ADVANCEMENT")
    assert item.title and item.title.startswith("Human rights questions")
    assert r.related == (("1", "A/RES/78/213"), ("3", "A/78/481/Add.2"))
    assert r.file_for("en").size == 245952


def test_real_answer_relevance(real_page) -> None:
    relevant = {
        r.symbol for r in real_page.records
        if is_relevant(r, subjects=DEFAULT_SUBJECTS, since=None, until=None)
    }
    # "WOMEN MIGRANT WORKERS" counts through "MIGRANT WORKERS" (whole-word containment).
    assert relevant == {"A/C.3/78/L.21", "A/C.3/78/L.21/Rev.1", "A/C.3/78/L.52",
                        "A/C.3/78/L.52/Rev.1"}


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<collection xmlns="http://www.loc.gov/MARC21/slim"><record>
<controlfield tag="001">&lol3;</controlfield></record></collection>"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<collection xmlns="http://www.loc.gov/MARC21/slim"><record>
<controlfield tag="001">&xxe;</controlfield></record></collection>"""


@pytest.mark.parametrize("xml", [BOMB, EXTERNAL], ids=["billion-laughs", "external-entity"])
def test_entity_declarations_refused(xml: bytes) -> None:
    with pytest.raises(BadResponse, match="unsafe XML refused") as info:
        parse_search_response(xml, url="http://127.0.0.1/search")
    assert "\n" not in str(info.value)
    assert str(info.value).startswith("http://127.0.0.1/search: ")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<!DOCTYPE html><html><body>Service unavailable", "not well-formed XML"),
        (b"<html><body>search</body></html>", "root element <html>"),
        (b"   ", "empty search answer"),
    ],
)
def test_not_marcxml_refused(body: bytes, reason: str) -> None:
    with pytest.raises(BadResponse, match=reason):
        parse_search_response(body)


def test_synthetic_page_roundtrip_and_missing_total() -> None:
    rec = ArchiveRecord("77", "A/79/1", extra_symbols=("A/79/1/Corr.1",), date=dt.date(2024, 2, 3),
                        files={"en": b"%PDF-1.4", "fr": b"%PDF-1.4"})
    page = parse_search_response(marcxml_page([rec], total=12))
    assert page.total == 12
    (r,) = page.records
    assert r.symbols == ("A/79/1", "A/79/1/Corr.1")
    assert [f.language for f in r.files] == ["en", "fr"]
    no_total = marcxml_page([rec]).replace(b"Search-Engine-Total-Number-Of-Results: 1", b"x")
    assert parse_search_response(no_total).total is None


def test_unnamespaced_records_and_records_without_001() -> None:
    xml = b"""<collection>
      <record><controlfield tag="001">9</controlfield>
        <datafield tag="191" ind1=" " ind2=" "><subfield code="a">A/1</subfield></datafield>
        <datafield tag="269" ind1=" " ind2=" "><subfield code="a">1946</subfield></datafield>
        <datafield tag="856" ind1="4" ind2=" "><subfield code="u">https://x/cover.jpg</subfield>
        </datafield></record>
      <record><controlfield tag="005">20200101000000.0</controlfield></record>
    </collection>"""
    page = parse_search_response(xml)
    assert [r.record_id for r in page.records] == ["9"]
    assert page.records[0].date == dt.date(1946, 1, 1)
    assert page.records[0].files == ()  # no language suffix: not a language version


@pytest.mark.parametrize(
    ("url", "lang"),
    [
        ("https://digitallibrary.un.org/record/1/files/A_78_L.1-EN.pdf", "en"),
        ("https://digitallibrary.un.org/record/1/files/A_78_L.1-zh.pdf?download=1", "zh"),
        ("https://digitallibrary.un.org/record/1/files/A_78_L.1-FR.docx", "fr"),
        ("https://digitallibrary.un.org/record/1/files/cover.pdf", None),
    ],
)
def test_language_of(url: str, lang: str | None) -> None:
    assert language_of(url) == lang


_REAL_SHAPE = """<?xml version="1.0" encoding="UTF-8"?>
<!-- Search-Engine-Total-Number-Of-Results: 1 -->
<collection{ns}>
<record>
  <controlfield tag="001">4026910</controlfield>
  <datafield tag="191" ind1=" " ind2=" "><subfield code="a">A/C.3/78/L.49/Rev.1</subfield>
    <subfield code="b">A/</subfield></datafield>
  <datafield tag="245" ind1="1" ind2="0">
    <subfield code="a">Coopération internationale : «migrants» – Société civile :</subfield>
    <subfield code="b">projet de résolution révisé</subfield></datafield>
  <datafield tag="650" ind1=" " ind2="7"><subfield code="a">MIGRANTS</subfield></datafield>
  <datafield tag="981" ind1=" " ind2=" "><subfield code="a">General Assembly</subfield>
    <subfield code="b">3rd Committee</subfield></datafield>
  <datafield tag="856" ind1="4" ind2=" "><subfield code="y">中文</subfield>
    <subfield code="u">https://digitallibrary.un.org/record/4026910/files/A_C.3_78_L.49_Rev.1-ZH.pdf</subfield>
  </datafield>
  <datafield tag="856" ind1="4" ind2=" "><subfield code="y">Français</subfield>
    <subfield code="u">https://digitallibrary.un.org/record/4026910/files/A_C.3_78_L.49_Rev.1-FR.pdf</subfield>
  </datafield>
</record>
</collection>
"""


@pytest.mark.parametrize(
    "ns",
    ['  xmlns="http://www.loc.gov/MARC21/slim"', ""],
    ids=["default-namespace", "no-namespace"],
)
def test_real_shape_default_or_no_namespace_and_utf8(ns: str) -> None:
    # What the library itself sends: the MARC namespace as the default one (or none), no
    # "ns0:" prefixes, and UTF-8 text that is read as such (no mojibake).
    page = parse_search_response(_REAL_SHAPE.replace("{ns}", ns).encode("utf-8"))
    assert page.total == 1
    (r,) = page.records
    assert r.symbols == ("A/C.3/78/L.49/Rev.1",)
    assert r.title == ("Coopération internationale : «migrants» – Société civile"
                       " : projet de résolution révisé")
    assert r.body == "General Assembly, 3rd Committee"
    assert [f.language for f in r.files] == ["zh", "fr"]
    assert is_relevant(r, subjects=["MIGRANTS"], since=None, until=None)


def test_synthetic_pages_have_the_real_shape() -> None:
    xml = marcxml_page([ArchiveRecord("5", "A/79/5", files={"fr": b"%PDF-1.4"})])
    assert b"ns0" not in xml and 'Français'.encode() in xml
    (r,) = parse_search_response(xml).records
    assert r.record_id == "5" and r.files[0].language == "fr"
