"""Building the search, and our own check of what it returns."""

from __future__ import annotations

import datetime as dt

import pytest

from config import load_settings
from sources.query import (
    Scope,
    build_lookup_params,
    build_query,
    build_search_params,
    is_general_assembly,
    is_relevant,
    subject_matches,
)
from sources.records import AgendaItem, CatalogRecord

SUBJECTS = ["INTERNATIONAL MIGRATION", "REMITTANCES"]
D1, D2 = dt.date(2023, 1, 1), dt.date(2023, 12, 31)


def test_default_params_subjects_window_sort_and_paging() -> None:
    params = build_search_params(subjects=SUBJECTS, since=D1, until=D2, page_size=200, jrec=201)
    assert params == {
        "p": '(650__a:"INTERNATIONAL MIGRATION" OR 650__a:"REMITTANCES")'
             " AND 269__a:2023-01-01->2023-12-31",
        "of": "xm",
        "rg": "200",
        "jrec": "201",
        "sf": "latest first",
        "so": "d",
    }


def test_agenda_and_body_clauses() -> None:
    q = build_query(subjects=["MIGRANTS"], agenda=["international migration and development"],
                    body='981__a:"General Assembly"', since=D1, until=D2)
    assert q == ('(650__a:"MIGRANTS" OR 991__c:"international migration and development")'
                 ' AND 981__a:"General Assembly" AND 269__a:2023-01-01->2023-12-31')
    q = build_query(subjects=["MIGRANTS"], body="981__a:x", since=None, until=None,
                    query_template="{subjects} AND ({body})")
    assert q == '(650__a:"MIGRANTS") AND (981__a:x)'


def test_open_windows() -> None:
    assert build_query(subjects=SUBJECTS[:1], since=None, until=None) == (
        '(650__a:"INTERNATIONAL MIGRATION")'
    )
    assert build_query(subjects=SUBJECTS[:1], since=D1, until=None).endswith(
        "269__a:2023-01-01->9999-12-31"
    )
    assert build_query(subjects=SUBJECTS[:1], since=None, until=D2).endswith(
        "269__a:1945-01-01->2023-12-31"
    )


def test_template_gets_window_appended_unless_placed() -> None:
    q = build_query(subjects=SUBJECTS, since=D1, until=D2,
                    query_template='{subjects} AND 191__b:"A/"')
    assert q == (
        '((650__a:"INTERNATIONAL MIGRATION" OR 650__a:"REMITTANCES") AND 191__b:"A/")'
        " AND 269__a:2023-01-01->2023-12-31"
    )
    q = build_query(subjects=SUBJECTS, since=D1, until=D2,
                    query_template="migration AND 269__a:{since}->{until}")
    assert q == "migration AND 269__a:2023-01-01->2023-12-31"
    q = build_query(subjects=SUBJECTS, since=None, until=None, query_template="x {window}")
    assert q == "x "


def test_quotes_cannot_break_out_of_a_phrase() -> None:
    q = build_query(subjects=['MIGRATION" OR 1=1 OR "x', "  REMITTANCES  "], since=None,
                    until=None)
    assert q == '(650__a:"MIGRATION OR 1=1 OR x" OR 650__a:"REMITTANCES")'


def test_bad_paging_arguments() -> None:
    with pytest.raises(ValueError, match="1-based"):
        build_search_params(subjects=SUBJECTS, since=None, until=None, page_size=10, jrec=0)
    with pytest.raises(ValueError):
        build_search_params(subjects=SUBJECTS, since=None, until=None, page_size=0, jrec=1)


def test_lookup_params() -> None:
    p = build_lookup_params(["A/RES/78/1", "A/78/L.2", "A/1]x["], page_size=50, jrec=1)
    # Exact terms in brackets, as the library's own resolver sends; a bracket cannot break out.
    assert p["p"] == "191__a:[A/RES/78/1] OR 191__a:[A/78/L.2] OR 191__a:[A/1 x]"
    assert (p["of"], p["rg"], p["jrec"]) == ("xm", "50", "1")


def _rec(symbols=("A/78/1",), subjects=("INTERNATIONAL MIGRATION",), date=dt.date(2023, 6, 1)):
    return CatalogRecord(record_id="1", symbols=tuple(symbols), subjects=tuple(subjects), date=date)


@pytest.mark.parametrize(
    ("record", "since", "until", "expected"),
    [
        (_rec(), D1, D2, True),
        (_rec(), None, None, True),
        (_rec(date=D1), D1, D2, True),  # inclusive start
        (_rec(date=D2), D1, D2, True),  # inclusive end
        (_rec(date=dt.date(2022, 12, 31)), D1, D2, False),
        (_rec(date=dt.date(2024, 1, 1)), D1, None, True),
        (_rec(date=dt.date(2024, 1, 1)), None, D2, False),
        (_rec(date=None), D1, D2, False),
        (_rec(date=None), None, None, True),
        (_rec(symbols=("S/2023/1",)), D1, D2, False),
        (_rec(symbols=()), D1, D2, False),
        (_rec(symbols=("S/2023/1", "A/78/9")), D1, D2, True),  # a joint GA document
        (_rec(symbols=("a/78/1",)), D1, D2, True),
        (_rec(subjects=("international  migration",)), D1, D2, True),
        (_rec(subjects=("WOMEN MIGRANT WORKERS",)), D1, D2, False),  # not in SUBJECTS below
        (_rec(subjects=("DISARMAMENT",)), D1, D2, False),
        (_rec(subjects=()), D1, D2, False),
    ],
)
def test_is_relevant(record: CatalogRecord, since, until, expected: bool) -> None:
    assert is_relevant(record, subjects=SUBJECTS, since=since, until=until) is expected


def test_subject_matches_whole_words() -> None:
    assert subject_matches("WOMEN MIGRANT WORKERS", ["MIGRANT WORKERS"])
    assert subject_matches("Migration policy", ["MIGRATION"])
    assert not subject_matches("IMMIGRATION", ["MIGRATION"])
    assert not subject_matches("MIGRATION", ["", "  "])


def _ga(symbols=("A/78/1",), body="General Assembly"):  # noqa: ANN202
    return CatalogRecord(record_id="1", symbols=tuple(symbols), body=body)


@pytest.mark.parametrize(
    ("record", "hrc", "conf", "expected"),
    [
        (_ga(), False, False, True),
        (_ga(body="General Assembly, 3rd Committee"), False, False, True),
        (_ga(symbols=("S/2023/1",), body="Security Council"), False, False, False),
        (_ga(symbols=("A/78/9", "S/2023/9")), False, False, True),  # a joint document
        (_ga(body=None), False, False, True),  # no 981: the A/ symbol decides
        (_ga(symbols=("S/1",), body=None), False, False, False),
        (_ga(symbols=("A/HRC/55/1",), body="Human Rights Council"), False, False, False),
        (_ga(symbols=("A/HRC/55/1",), body="Human Rights Council"), True, False, True),
        (_ga(symbols=("A/HRC/55/1",), body=None), False, False, False),
        (_ga(symbols=("A/HRC/55/1",), body=None), True, False, True),
        # A body of "General Assembly" does not bring in an HRC-only symbol.
        (_ga(symbols=("A/HRC/55/1",)), False, False, False),
        (_ga(symbols=("A/CONF.231/3",), body="Intergovernmental Conference"), False, False,
         False),
        (_ga(symbols=("A/CONF.231/3",), body="Intergovernmental Conference"), False, True,
         True),
        (_ga(symbols=("A/CONF.231/3",), body=None), False, True, True),
    ],
)
def test_general_assembly_by_body(record: CatalogRecord, hrc: bool, conf: bool,
                                  expected: bool) -> None:
    assert is_general_assembly(record, include_hrc=hrc, include_conferences=conf) is expected


def test_agenda_items_make_a_record_relevant() -> None:
    item = AgendaItem("A/78/251", "18c",
                      "Globalization and interdependence : international migration and "
                      "development", "DEVELOPMENT")
    rec = CatalogRecord(record_id="1", symbols=("A/78/2",), subjects=("GLOBALIZATION",),
                        agenda_items=(item,), body="General Assembly")
    agenda = ["international migration and development"]
    assert is_relevant(rec, subjects=["MIGRANTS"], agenda=agenda, since=None, until=None)
    assert not is_relevant(rec, subjects=["MIGRANTS"], since=None, until=None)
    # The 991 $d heading counts as a subject heading.
    heading = CatalogRecord(record_id="2", symbols=("A/78/3",), body="General Assembly",
                            agenda_items=(AgendaItem(None, None, None, "MIGRANTS--PROTECTION"),))
    assert is_relevant(heading, subjects=["MIGRANTS"], since=None, until=None)


def test_scope_from_settings() -> None:
    scope = Scope.from_settings(load_settings(subjects="MIGRANTS", agenda="a, b",
                                              include_hrc=True))
    assert scope == Scope(subjects=("MIGRANTS",), agenda=("a", "b"), include_hrc=True)
    hrc = CatalogRecord(record_id="1", symbols=("A/HRC/1",), subjects=("MIGRANTS",),
                        body="Human Rights Council")
    assert scope.admits(hrc, since=None, until=None)
    assert not Scope(subjects=("MIGRANTS",)).admits(hrc, since=None, until=None)
