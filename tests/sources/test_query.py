"""Building the search, and our own check of what it returns."""

from __future__ import annotations

import datetime as dt

import pytest

from sources.query import (
    build_lookup_params,
    build_query,
    build_search_params,
    is_relevant,
    subject_matches,
)
from sources.records import CatalogRecord

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
        "sf": "269__a",
        "so": "d",
    }


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
    p = build_lookup_params(["A/RES/78/1", "A/78/L.2"], page_size=50, jrec=1)
    assert p["p"] == '191__a:"A/RES/78/1" OR 191__a:"A/78/L.2"'
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
