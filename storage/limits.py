"""How long a catalogue value may be before storage refuses it: the one place for the caps.

Several columns are indexed (symbols, subjects, URLs) or sized (record ids, languages). A
PostgreSQL btree entry holds at most 2,704 bytes, so a 5,000-character symbol from a broken or
hostile catalogue would fail every run that meets it, and recording that failure would fail the
same way. SQLite stores anything, so without a cap the two engines would disagree. The caps are
in UTF-8 bytes (what the index limit counts), far above any real UN value.

`check_record` refuses a record whose values exceed the caps (the pipeline records that as a
failure of the record); `bounded` shortens a value safely for a failure row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from sources.records import CatalogRecord

RECORD_ID_BYTES = 32  # catalog_records.record_id is VARCHAR(32)
LANGUAGE_BYTES = 8  # VARCHAR(8) columns
SYMBOL_BYTES = 200  # indexed; real symbols are under 40 ("A/C.3/78/L.49/Rev.1")
SUBJECT_BYTES = 1000  # indexed (catalog_subjects.subject)
URL_BYTES = 2000  # http_validators.url is a primary key
SHORT_BYTES = 1000  # agenda items, relation indicators
TEXT_BYTES = 20_000  # titles, bodies: not indexed, but a title is not a book


class FieldTooLong(ValueError):
    """A catalogue value over its cap; the record is refused, never half stored."""

    def __init__(self, field: str, value: str, cap: int) -> None:
        self.field = field
        self.size = len(value.encode("utf-8", "surrogatepass"))
        self.cap = cap
        super().__init__(
            f"{field} of {self.size} bytes over the {cap}-byte cap: {bounded(value, 80)!r}"
        )


class FieldEmpty(ValueError):
    """A value every stored record must have (its record id) is missing."""


def _size(value: str) -> int:
    return len(value.encode("utf-8", "surrogatepass"))


def bounded(value: str, cap: int) -> str:
    """`value` if it fits in `cap` UTF-8 bytes, else its opening, an ellipsis and a hash of the
    whole: stable (the same value always gives the same text, so a failure row is found again
    and counted) and distinct (two long values sharing an opening stay apart)."""
    if _size(value) <= cap:
        return value
    raw = value.encode("utf-8", "surrogatepass")
    tail = f"…#{hashlib.sha256(raw).hexdigest()[:12]}"
    if cap < 2 * _size(tail):  # too short a column for a hash: the opening alone
        tail = ""
    return raw[: cap - _size(tail)].decode("utf-8", "ignore") + tail


def _values(record: CatalogRecord) -> Iterator[tuple[str, str | None, int]]:
    yield "record id", record.record_id, RECORD_ID_BYTES
    for s in record.symbols:
        yield "symbol", s, SYMBOL_BYTES
    yield "title", record.title, TEXT_BYTES
    yield "body", record.body, TEXT_BYTES
    for s in record.subjects:
        yield "subject", s, SUBJECT_BYTES
    for a in record.agenda_items:
        yield "agenda symbol", a.symbol, SYMBOL_BYTES
        yield "agenda item", a.item, SHORT_BYTES
        yield "agenda title", a.title, TEXT_BYTES
        yield "agenda subject", a.subject, SUBJECT_BYTES
    for relation, symbol in record.related:
        yield "relation", relation, SHORT_BYTES
        yield "related symbol", symbol, SYMBOL_BYTES
    for f in record.files:
        yield "file URL", f.url, URL_BYTES
        yield "file language", f.language, LANGUAGE_BYTES


def check_record(record: CatalogRecord) -> None:
    """Raise FieldTooLong (or FieldEmpty) unless every value of `record` fits its column."""
    if not record.record_id:
        raise FieldEmpty("record without a record id (001)")
    for field, value, cap in _values(record):
        if value is not None and _size(value) > cap:
            raise FieldTooLong(field, value, cap)
