"""Prefect tasks: thin wrappers that give the pipeline's steps retries, names and logs."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.document import (
    _DB_GONE,
    Outcome,
    StageError,
    ingest_document,
    one_record_per_symbol,
    owed_records,
)
from flows.pipeline import Pipeline
from flows.windows import LIBRARY, Window
from sources.discovery import Harvest, new_in_library
from sources.errors import BlockedError
from sources.paging import DiscoveryNote
from sources.records import CatalogRecord
from storage.discovery import StoredResumption


def _transient(task, task_run, state) -> bool:  # noqa: ANN001 - Prefect's hook signature
    exc = state.result(raise_on_failure=False)
    return isinstance(exc, StageError) and exc.transient


def _database_gone(task, task_run, state) -> bool:  # noqa: ANN001 - Prefect's hook signature
    # Only the database (owed_records) is worth a second discovery: the HTTP client has already
    # retried every network fault (sources/http.py, UNMIG_RETRIES with backoff), and repeating
    # the whole search twice more, 10 and 60 s apart, made one that fails for good take
    # minutes to say so. A shut door (BlockedError) is never retried: it stays shut for
    # minutes at least, and asking again in 10 s only knocks again.
    exc = state.result(raise_on_failure=False)
    return isinstance(exc, _DB_GONE) and not isinstance(exc, BlockedError)


@dataclass(frozen=True)
class Discovered:
    """What one window's discovery found, what the source noted on the way (paging cut short,
    totals that did not match, unreadable records), the seconds its search took, and how the
    records were found (`Harvest.summary()`: the door, the doors found shut, the newest
    library time stamp seen; empty for a source without doors)."""

    records: list[CatalogRecord]
    notes: list[DiscoveryNote] = field(default_factory=list)
    seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)


@task(name="discover", retries=2, retry_delay_seconds=[10, 60], retry_condition_fn=_database_gone,
      cache_policy=NO_CACHE)
def discover(
    pipe: Pipeline,
    window: Window,
    symbols: list[str] | None,
    retry_failures: bool,
    budget_seconds: float | None = None,
) -> Discovered:
    """Every relevant record in the window (or the named symbols), and with `retry_failures`
    the ones earlier runs could not finish. `budget_seconds`: what is left of the run's
    discovery budget (UNMIG_DISCOVERY_SECONDS), for a source that pages."""
    logger = get_run_logger()
    limit = getattr(pipe.source, "limit_discovery", None)
    if limit is not None and budget_seconds is not None:
        limit(budget_seconds)
    t0 = time.monotonic()
    info: dict[str, Any] = {}
    if symbols:
        found = list(pipe.source.lookup(symbols))
    elif window.clock == LIBRARY:
        # The harvest stores where it can take up again after each page, so a run killed
        # half-way leaves its successor only the pages it never finished.
        resume = StoredResumption(pipe.engine, pipe.settings.source, window.clock,
                                  window.since, window.until)
        harvest = new_in_library(pipe.source, window.since, window.until, resume)
        found, info = harvest.records, harvest.summary()
    else:
        found = list(pipe.source.search(since=window.since, until=window.until))
        last: Harvest | None = getattr(pipe.source, "last_harvest", None)
        info = last.summary() if last is not None else {}
    found = one_record_per_symbol(found)
    seconds = time.monotonic() - t0
    notes_of = getattr(pipe.source, "discovery_notes", None)
    notes: list[DiscoveryNote] = list(notes_of()) if notes_of is not None else []
    owed = owed_records(pipe, found) if retry_failures else []
    logger.info("discovered %d records in %s, %d owed a retry%s", len(found), window, len(owed),
                f" (door {info['door']}; shut: {info['blocked'] or 'none'})"
                if info.get("door") else "")
    for note in notes:
        logger.warning("%s", note.message)
    return Discovered(found + owed, notes, seconds, info)


@task(
    name="ingest-document",
    task_run_name="{record.symbol} [{language}]",
    retries=2,
    retry_delay_seconds=30,
    retry_jitter_factor=0.5,
    retry_condition_fn=_transient,
    cache_policy=NO_CACHE,
)
def process_document(
    pipe: Pipeline, record: CatalogRecord, language: str, run_id: int | None, force: bool
) -> Outcome:
    return ingest_document(pipe, record, language, run_id=run_id, force=force)
