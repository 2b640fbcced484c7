"""The Digital Library search for General Assembly documents on international migration.

The library (TIND, an Invenio descendant) takes `GET /search?p=QUERY&of=xm&rg=N&jrec=K`. Fields are
queried with MARC tags inside `p` (`650__a:"MIGRATION"`); a date range is `269__a:A->B`. Public
code reports that the MARC-tag *wildcard* form is unreliable, and no search is taken on trust
anyway: `is_relevant` checks every record after parsing (symbol, subject, date).

The query is configurable (UNMIG_QUERY). A template may use these placeholders:
`{subjects}` (the OR of the subject clauses, parenthesised), `{window}` (the 269 date range, or
nothing), `{since}` / `{until}` (ISO dates). A template without `{window}`, `{since}` or `{until}`
gets the date range ANDed on, so a window is never silently dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence

from sources.records import CatalogRecord

DATE_TAG = "269__a"
SUBJECT_TAG = "650__a"
SYMBOL_TAG = "191__a"
# Open ends of a window: before the UN, and far in the future.
_FIRST_DAY = dt.date(1945, 1, 1)
_LAST_DAY = dt.date(9999, 12, 31)


def _quote(value: str) -> str:
    # A double quote would end the phrase early; the library has no escape for it in a phrase.
    return '"' + " ".join(value.replace('"', " ").split()) + '"'


def subject_clause(subjects: Iterable[str]) -> str:
    """`(650__a:"MIGRATION" OR 650__a:"REMITTANCES")`; empty if no subjects."""
    terms = [f"{SUBJECT_TAG}:{_quote(s)}" for s in subjects if s.strip()]
    return f"({' OR '.join(terms)})" if terms else ""


def window_clause(since: dt.date | None, until: dt.date | None) -> str:
    """`269__a:2023-01-01->2023-12-31`; empty for an unbounded window."""
    if since is None and until is None:
        return ""
    return f"{DATE_TAG}:{(since or _FIRST_DAY).isoformat()}->{(until or _LAST_DAY).isoformat()}"


def symbols_clause(symbols: Iterable[str]) -> str:
    """`191__a:"A/RES/78/1" OR 191__a:"A/78/L.2"`: exact symbols, no wildcard."""
    return " OR ".join(f"{SYMBOL_TAG}:{_quote(s)}" for s in symbols if s.strip())


def build_query(
    *,
    subjects: Sequence[str],
    since: dt.date | None,
    until: dt.date | None,
    query_template: str = "",
) -> str:
    """The `p` expression: the template (or the subject clause) and the date window."""
    subj = subject_clause(subjects)
    window = window_clause(since, until)
    if not query_template.strip():
        return " AND ".join(part for part in (subj, window) if part)
    query = (
        query_template.replace("{subjects}", subj)
        .replace("{window}", window)
        .replace("{since}", (since or _FIRST_DAY).isoformat())
        .replace("{until}", (until or _LAST_DAY).isoformat())
    )
    placed = any(k in query_template for k in ("{window}", "{since}", "{until}"))
    if window and not placed:
        query = f"({query}) AND {window}"
    return query


def build_search_params(
    *,
    subjects: Sequence[str],
    since: dt.date | None,
    until: dt.date | None,
    query_template: str = "",
    page_size: int,
    jrec: int,
    sort_field: str = DATE_TAG,
    sort_order: str = "d",
) -> dict[str, str]:
    """Query-string parameters for one page of the search, newest first (by 269 date).

    `jrec` is 1-based (the first record of the page); `page_size` is `rg` (the library serves up
    to 200). `sf`/`so` ask for 269 descending; the client does not depend on the order for
    completeness (it pages through everything and de-duplicates).
    """
    if jrec < 1:
        raise ValueError(f"jrec is 1-based, got {jrec}")
    if page_size < 1:
        raise ValueError(f"page_size must be positive, got {page_size}")
    return {
        "p": build_query(
            subjects=subjects, since=since, until=until, query_template=query_template
        ),
        "of": "xm",
        "rg": str(page_size),
        "jrec": str(jrec),
        "sf": sort_field,
        "so": sort_order,
    }


def build_lookup_params(symbols: Sequence[str], *, page_size: int, jrec: int) -> dict[str, str]:
    """Parameters to find records by exact symbol (backfills by symbol list)."""
    return {
        "p": symbols_clause(symbols),
        "of": "xm",
        "rg": str(page_size),
        "jrec": str(jrec),
    }


def _words(text: str) -> str:
    # Padded with spaces so that containment below means whole words.
    return " " + " ".join(re.split(r"[^\w]+", text.casefold())).strip() + " "


def subject_matches(heading: str, subjects: Iterable[str]) -> bool:
    """A 650 heading matches a subject if it contains it as whole words, case-insensitive:
    "WOMEN MIGRANT WORKERS" matches "MIGRANT WORKERS"; "IMMIGRATION" does not match "MIGRATION"."""
    h = _words(heading)
    return any((w := _words(s)).strip() and w in h for s in subjects)


def is_relevant(
    record: CatalogRecord,
    *,
    subjects: Iterable[str],
    since: dt.date | None,
    until: dt.date | None,
) -> bool:
    """Our own check of a search hit: a General Assembly symbol (one of its 191 symbols starts
    "A/"), a 650 heading matching one of the subjects (`subject_matches`), and a 269 date inside
    [since, until] (inclusive). A record without a date passes only an unbounded window."""
    if not any(s.upper().startswith("A/") for s in record.symbols):
        return False
    subjects = list(subjects)
    if not any(subject_matches(h, subjects) for h in record.subjects):
        return False
    if since is None and until is None:
        return True
    if record.date is None:
        return False
    if since is not None and record.date < since:
        return False
    return not (until is not None and record.date > until)
