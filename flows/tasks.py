"""Prefect tasks: thin wrappers that give the pipeline's steps retries, names and logs."""

from __future__ import annotations

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
from flows.windows import Window
from sources.records import CatalogRecord


def _transient(task, task_run, state) -> bool:  # noqa: ANN001 - Prefect's hook signature
    exc = state.result(raise_on_failure=False)
    return isinstance(exc, StageError) and exc.transient


def _database_gone(task, task_run, state) -> bool:  # noqa: ANN001 - Prefect's hook signature
    # Only the database (owed_records) is worth a second discovery: the HTTP client has already
    # retried every network fault (sources/http.py, UNMIG_RETRIES with backoff), and repeating
    # the whole search twice more, 10 and 60 s apart, made one that fails for good take
    # minutes to say so.
    exc = state.result(raise_on_failure=False)
    return isinstance(exc, _DB_GONE)


@task(name="discover", retries=2, retry_delay_seconds=[10, 60], retry_condition_fn=_database_gone,
      cache_policy=NO_CACHE)
def discover(
    pipe: Pipeline, window: Window, symbols: list[str] | None, retry_failures: bool
) -> list[CatalogRecord]:
    """Every relevant record in the window (or the named symbols), and with `retry_failures`
    the ones earlier runs could not finish."""
    logger = get_run_logger()
    if symbols:
        found = list(pipe.source.lookup(symbols))
    else:
        found = list(pipe.source.search(since=window.since, until=window.until))
    found = one_record_per_symbol(found)
    owed = owed_records(pipe, found) if retry_failures else []
    logger.info("discovered %d records in %s, %d owed a retry", len(found), window, len(owed))
    return found + owed


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
