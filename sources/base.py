"""What the pipeline needs from a source of UN documents: the Digital Library over HTTP
(`sources.undl.DigitalLibrary`) or a local archive folder (`sources.archive.LocalArchive`).

A source that pages over a network may also offer `discovery_notes() -> list[DiscoveryNote]`
(what its last search or lookup met: paging cut short, a total that did not match, a record it
could not read) and `limit_discovery(seconds)` (what is left of the run's discovery budget);
the flows use them when present (`flows.tasks.discover`). `sources.paging.PageGuard` is the
piece that makes such notes and keeps a paging loop finite."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

from sources.records import CatalogRecord, Download


@runtime_checkable
class Source(Protocol):
    def search(
        self, *, since: dt.date | None, until: dt.date | None
    ) -> Iterator[CatalogRecord]:
        """Every relevant record (General Assembly, a migration subject, 269 date inside
        [since, until]) newest first, paging through all results, each record id once."""
        ...

    def lookup(self, symbols: Sequence[str]) -> Iterator[CatalogRecord]:
        """The records carrying any of these symbols (in 191), each once; no subject or date
        check, since the caller named them (backfills by symbol list)."""
        ...

    def fetch(
        self,
        record: CatalogRecord,
        language: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Download:
        """The file of `record` in `language` (ISO 639-1, "en"): its 856 link, else the ODS.

        With validators from an earlier download, an unchanged file answers
        `not_modified=True` with empty content. Raises `sources.errors.NoFileYet` when there is
        no file anywhere yet, other `FetchError`s when the download fails.
        """
        ...
