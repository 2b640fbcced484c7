"""The Digital Library search for General Assembly documents on international migration.

The library (TIND, an Invenio descendant) takes `GET /search?p=QUERY&of=xm&rg=N&jrec=K`. Fields are
queried with MARC tags inside `p`: `650__a:"MIGRANTS"` is a phrase anywhere in the field,
`191__a:[A/78/L.2]` an exact match (what the library's own resolver sends); a date range is
`269__a:A->B`. Public code reports that the MARC-tag *wildcard* form is unreliable, and no search
is taken on trust anyway: `is_relevant` checks every record after parsing (body, subject or
agenda item, date).

The query is configurable (UNMIG_QUERY). A template may use these placeholders:
`{subjects}` (the OR of the subject and agenda clauses, parenthesised), `{body}` (the body
clause, UNMIG_BODY_QUERY), `{window}` (the 269 date range, or nothing), `{since}` / `{until}`
(ISO dates). A template without `{window}`, `{since}` or `{until}` gets the date range ANDed on,
so a window is never silently dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from config import Settings
from sources.records import CatalogRecord

DATE_TAG = "269__a"
# When the record was created in the library: what the library's own interface sends for its
# date selector. Discovery of what is new in the library filters on it, not on 269.
CREATED_FIELD = "creation_date"
SUBJECT_TAG = "650__a"
SYMBOL_TAG = "191__a"
AGENDA_TITLE_TAG = "991__c"
# Sort as the library's own interface and public clients ask (`sf=latest first`, `so=d`); no
# known client sends a MARC tag as the sort field. Completeness never depends on the order.
SORT_FIELD = "latest first"
GENERAL_ASSEMBLY = "general assembly"
# Symbols under "A/" that are not the General Assembly's own series.
HRC_PREFIX = "A/HRC/"  # Human Rights Council
CONFERENCE_PREFIX = "A/CONF."  # United Nations conferences
# Open ends of a window: before the UN, and far in the future.
_FIRST_DAY = dt.date(1945, 1, 1)
_LAST_DAY = dt.date(9999, 12, 31)


def _quote(value: str) -> str:
    # A double quote would end the phrase early; the library has no escape for it in a phrase.
    return '"' + " ".join(value.replace('"', " ").split()) + '"'


def subject_clause(subjects: Iterable[str], agenda: Iterable[str] = ()) -> str:
    """`(650__a:"MIGRANTS" OR 991__c:"international migration and development")`: the subjects
    and the agenda-item titles, any of them; empty if there are none."""
    terms = [f"{SUBJECT_TAG}:{_quote(s)}" for s in subjects if s.strip()]
    terms += [f"{AGENDA_TITLE_TAG}:{_quote(a)}" for a in agenda if a.strip()]
    return f"({' OR '.join(terms)})" if terms else ""


def window_clause(since: dt.date | None, until: dt.date | None, *, field: str = DATE_TAG) -> str:
    """`269__a:2023-01-01->2023-12-31` (or on `field`: `creation_date:...`, when the record
    entered the library); empty for an unbounded window."""
    if since is None and until is None:
        return ""
    return f"{field}:{(since or _FIRST_DAY).isoformat()}->{(until or _LAST_DAY).isoformat()}"


def _exact(value: str) -> str:
    # Brackets would end the exact term early; symbols never contain them.
    return "[" + " ".join(value.replace("[", " ").replace("]", " ").split()) + "]"


def symbols_clause(symbols: Iterable[str]) -> str:
    """`191__a:[A/RES/78/1] OR 191__a:[A/78/L.2]`: exact symbols (a quoted phrase would also
    match A/78/L.2/Rev.1), no wildcard."""
    return " OR ".join(f"{SYMBOL_TAG}:{_exact(s)}" for s in symbols if s.strip())


def build_query(
    *,
    subjects: Sequence[str],
    since: dt.date | None,
    until: dt.date | None,
    query_template: str = "",
    agenda: Sequence[str] = (),
    body: str = "",
    date_field: str = DATE_TAG,
) -> str:
    """The `p` expression: the template (or the subject/agenda clause and the body clause) and
    the date window (on the document date, or on `date_field`)."""
    subj = subject_clause(subjects, agenda)
    window = window_clause(since, until, field=date_field)
    if not query_template.strip():
        return " AND ".join(part for part in (subj, body.strip(), window) if part)
    query = (
        query_template.replace("{subjects}", subj)
        .replace("{body}", body.strip())
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
    agenda: Sequence[str] = (),
    body: str = "",
    sort_field: str = SORT_FIELD,
    sort_order: str = "d",
    date_field: str = DATE_TAG,
) -> dict[str, str]:
    """Query-string parameters for one page of the search, latest first.

    `jrec` is 1-based (the first record of the page); `page_size` is `rg` (the library serves up
    to 200, some report less). `sf`/`so` ask for the newest first as the library's interface
    does; the client does not depend on the order for completeness (it pages through everything
    and de-duplicates).
    """
    if jrec < 1:
        raise ValueError(f"jrec is 1-based, got {jrec}")
    if page_size < 1:
        raise ValueError(f"page_size must be positive, got {page_size}")
    return {
        "p": build_query(
            subjects=subjects, since=since, until=until, query_template=query_template,
            agenda=agenda, body=body, date_field=date_field,
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


def is_general_assembly(
    record: CatalogRecord, *, include_hrc: bool = False, include_conferences: bool = False
) -> bool:
    """A General Assembly document: its 981 body is the General Assembly (a main committee
    included), or, for a record naming no body, one of its symbols is in the "A/" series.

    "A/" also prefixes the Human Rights Council's (A/HRC/...) and conferences' (A/CONF....)
    series; a record whose every "A/" symbol is in one of those is out unless included.
    """
    def in_scope(symbol: str) -> bool:
        s = symbol.upper()
        if not s.startswith("A/"):
            return False
        if s.startswith(HRC_PREFIX):
            return include_hrc
        return include_conferences if s.startswith(CONFERENCE_PREFIX) else True

    a_symbols = [s for s in record.symbols if s.upper().startswith("A/")]
    if a_symbols and not any(in_scope(s) for s in a_symbols):
        return False
    if record.body:
        body = record.body.casefold()
        if body.startswith(GENERAL_ASSEMBLY):
            return True
        if include_hrc and body.startswith("human rights council"):
            return True
        # A conference names itself as the body; its symbols say what it is.
        return include_conferences and any(
            s.upper().startswith(CONFERENCE_PREFIX) for s in record.symbols
        )
    return any(in_scope(s) for s in record.symbols)


def agenda_matches(record: CatalogRecord, agenda: Iterable[str]) -> bool:
    """One of the record's agenda items (991 $c title) contains one of `agenda` as whole words."""
    agenda = list(agenda)
    return bool(agenda) and any(
        item.title and subject_matches(item.title, agenda) for item in record.agenda_items
    )


def is_relevant(
    record: CatalogRecord,
    *,
    subjects: Iterable[str],
    since: dt.date | None,
    until: dt.date | None,
    agenda: Iterable[str] = (),
    include_hrc: bool = False,
    include_conferences: bool = False,
) -> bool:
    """Our own check of a search hit: a General Assembly document (`is_general_assembly`), a 650
    heading (or a 991 $d agenda heading) matching one of the subjects (`subject_matches`) or an
    agenda item titled with one of `agenda`, and a 269 date inside [since, until] (inclusive).
    A record without a date passes only an unbounded window."""
    if not is_general_assembly(
        record, include_hrc=include_hrc, include_conferences=include_conferences
    ):
        return False
    subjects = list(subjects)
    # 991 $d is a heading such as "MIGRANTS--PROTECTION"; it names the item's subject.
    headings = [*record.subjects, *(i.subject for i in record.agenda_items if i.subject)]
    if not (any(subject_matches(h, subjects) for h in headings)
            or agenda_matches(record, agenda)):
        return False
    if since is None and until is None:
        return True
    if record.date is None:
        return False
    if since is not None and record.date < since:
        return False
    return not (until is not None and record.date > until)


@dataclass(frozen=True)
class Scope:
    """What makes a record relevant, from the settings: handed to `is_relevant` by the sources."""

    subjects: tuple[str, ...]
    agenda: tuple[str, ...] = ()
    include_hrc: bool = False
    include_conferences: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> Scope:
        return cls(
            subjects=tuple(settings.subjects),
            agenda=tuple(settings.agenda),
            include_hrc=settings.include_hrc,
            include_conferences=settings.include_conferences,
        )

    def admits(self, record: CatalogRecord, *, since: dt.date | None,
               until: dt.date | None) -> bool:
        return is_relevant(
            record, subjects=self.subjects, since=since, until=until, agenda=self.agenda,
            include_hrc=self.include_hrc, include_conferences=self.include_conferences,
        )
