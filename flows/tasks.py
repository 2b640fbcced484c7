"""Prefect tasks: thin wrappers that give the pipeline's steps retries, names and logs."""

from __future__ import annotations

from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.document import Outcome, StageError, ingest_document, owed_records
from flows.pipeline import Pipeline
from flows.windows import LIBRARY, Window
from sources.discovery import Harvest, new_in_library
from sources.errors import BlockedError
from sources.records import CatalogRecord


def _transient(task, task_run, state) -> bool:  # noqa: ANN001 - Prefect's hook signature
    exc = state.result(raise_on_failure=False)
    return isinstance(exc, StageError) and exc.transient


def _worth_retrying(task, task_run, state) -> bool:  # noqa: ANN001 - Prefect's hook signature
    # A shut door stays shut for minutes at least: asking again in 10 s only knocks again.
    return not isinstance(state.result(raise_on_failure=False), BlockedError)


@task(name="discover", retries=2, retry_delay_seconds=[10, 60], cache_policy=NO_CACHE,
      retry_condition_fn=_worth_retrying)
def discover(
    pipe: Pipeline, window: Window, symbols: list[str] | None, retry_failures: bool
) -> tuple[list[CatalogRecord], dict[str, Any]]:
    """Every relevant record in the window (or the named symbols), and with `retry_failures`
    the ones earlier runs could not finish; with how they were found (`Harvest.summary()`:
    the door, the doors found shut, the newest library time stamp seen)."""
    logger = get_run_logger()
    info: dict[str, Any] = {}
    if symbols:
        found = list(pipe.source.lookup(symbols))
    elif window.clock == LIBRARY:
        harvest = new_in_library(pipe.source, window.since, window.until)
        found, info = harvest.records, harvest.summary()
    else:
        found = list(pipe.source.search(since=window.since, until=window.until))
        last: Harvest | None = getattr(pipe.source, "last_harvest", None)
        info = last.summary() if last is not None else {}
    owed = owed_records(pipe, found) if retry_failures else []
    logger.info("discovered %d records in %s, %d owed a retry%s", len(found), window, len(owed),
                f" (door {info['door']}; shut: {info['blocked'] or 'none'})"
                if info.get("door") else "")
    return found + owed, info


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
