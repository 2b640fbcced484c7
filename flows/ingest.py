"""The flows: `ingest` (scheduled), `backfill` (a date range or symbols), `reprocess` (no network).

They only orchestrate: discovery, per-document tasks and bookkeeping live in `flows.tasks`,
`flows.document` and `storage`. Each date window runs as its own subflow, so a backfill shows
its progress month by month, and the task states Prefect keeps in memory are let go after
every window instead of piling up for the whole run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from prefect import flow
from prefect.futures import wait
from prefect.settings import PREFECT_UI_URL
from prefect.states import State
from prefect.task_runners import ThreadPoolTaskRunner

from config import Settings, load_settings
from flows.document import Outcome, record_failed, record_item_failed, reprocess_version
from flows.pipeline import Pipeline, open_pipeline
from flows.recorder import recorded_run
from flows.tasks import discover, process_document
from flows.windows import Window, month_chunks, resolve_window
from parsers import PARSER_VERSION
from sources.records import CatalogRecord
from storage import catalog, versions


def _settings(source: str | None, languages: list[str] | None) -> Settings:
    overrides: dict[str, Any] = {}
    if source:
        overrides["source"] = source
    if languages:
        overrides["languages"] = languages
    return load_settings(**overrides)


def _process(
    pipe: Pipeline, records: list[CatalogRecord], run_id: int, force: bool
) -> list[Outcome]:
    """Submit one task per record and language; record every task that failed for good."""
    settings = pipe.settings
    delays = [settings.task_retry_delay * 2**i for i in range(settings.task_retries)]
    task = process_document.with_options(retries=settings.task_retries,
                                         retry_delay_seconds=delays or 0)
    futures = [
        (record, lang, task.submit(pipe, record, lang, run_id, force))
        for record in records
        for lang in settings.languages
    ]
    wait([f for _, _, f in futures])
    outcomes = []
    for record, lang, future in futures:
        state = future.state
        if state.is_completed():
            outcomes.append(state.result())
            continue
        exc = state.result(raise_on_failure=False)
        outcomes.append(record_failed(pipe, record, lang, run_id, exc,
                                      link=_task_run_link(future.task_run_id)))
    return outcomes


def _task_run_link(task_run_id: object) -> str:
    ui = PREFECT_UI_URL.value()
    return f"{ui.rstrip('/')}/runs/task-run/{task_run_id}" if ui else f"task run {task_run_id}"


@flow(
    name="ingest-window",
    flow_run_name="{since} to {until}",
    task_runner=ThreadPoolTaskRunner(max_workers=4),
)
def ingest_window(
    since: dt.date | None,
    until: dt.date,
    run_id: int,
    symbols: list[str] | None = None,
    source: str | None = None,
    languages: list[str] | None = None,
    force: bool = False,
    retry_failures: bool = False,
) -> tuple[int, list[Outcome]]:
    """Discover the records of one window (or the given symbols) and process each of them."""
    settings = _settings(source, languages)
    pipe = open_pipeline(settings)
    try:
        records = discover(pipe, Window(since, until), symbols, retry_failures)
        return len(records), _process(pipe, records, run_id, force)
    finally:
        pipe.close()


def _run(
    flow_name: str,
    settings: Settings,
    parameters: dict[str, Any],
    windows_of: Callable[[Pipeline], list[Window]],
    *,
    symbols: list[str] | None,
    force: bool,
    retry_failures: bool,
) -> dict[str, int] | State:
    """Shared body of `ingest` and `backfill`: one runs-table row, a subflow per window."""
    pipe = open_pipeline(settings)
    try:
        # Once a run, not once a window: a backfill opens the pipeline again for every month.
        pipe.files.remove_stale_temporaries()
        window = ingest_window.with_options(
            task_runner=ThreadPoolTaskRunner(max_workers=settings.concurrency)
        )
        with recorded_run(pipe, flow_name, parameters) as run:
            windows = windows_of(pipe)
            for w in windows:
                found, done = window(
                    w.since, w.until, run.run_id, symbols=symbols, source=settings.source,
                    languages=settings.languages, force=force, retry_failures=retry_failures,
                )
                run.add(done, discovered=found)
    finally:
        pipe.close()
    label = ", ".join(map(str, windows)) if len(windows) < 4 else (
        f"{windows[0].since} to {windows[-1].until} in {len(windows)} chunks"
    )
    return run.result(label)


@flow(name="ingest")
def ingest(
    since: dt.date | None = None,
    until: dt.date | None = None,
    source: str | None = None,
    languages: list[str] | None = None,
    force: bool = False,
) -> dict[str, int] | State:
    """Find and load new documents since the last run.

    Args:
        since: First date to search (default: the watermark the last run left, less the overlap).
        until: Last date to search, inclusive (default: today, UTC).
        source: UN Digital Library base URL or a local archive folder (default: UNMIG_SOURCE).
        languages: Language versions to load, e.g. ["en", "fr"] (default: UNMIG_LANGUAGES).
        force: Download and parse again even when nothing changed.
    """
    settings = _settings(source, languages)

    def windows(pipe: Pipeline) -> list[Window]:
        return [
            resolve_window(
                since=since, until=until, watermark=catalog.watermark(pipe.engine),
                overlap_days=settings.overlap_days, today=dt.datetime.now(dt.UTC).date(),
            )
        ]

    params = {"since": since, "until": until, "source": settings.source, "force": force,
              "languages": settings.languages}
    return _run(
        "ingest", settings, params, windows, symbols=None, force=force, retry_failures=True
    )


@flow(name="backfill")
def backfill(
    start: dt.date | None = None,
    end: dt.date | None = None,
    symbols: list[str] | None = None,
    languages: list[str] | None = None,
    force: bool = False,
    source: str | None = None,
) -> dict[str, int] | State:
    """Load the documents of a past period, a month at a time, or a list of symbols.

    Re-running a backfill, or any month of it, is harmless: unchanged documents are not
    versioned again, and a cancelled backfill resumes by running it again.

    Args:
        start: First date of the period (e.g. 2011-01-01). Needed unless symbols are given.
        end: Last date of the period, inclusive (default: today, UTC).
        symbols: Document symbols to load instead of a period, e.g. ["A/61/515", "A/RES/73/195"].
        languages: Language versions to load, e.g. ["en", "fr"] (default: UNMIG_LANGUAGES).
        force: Download and parse again even when nothing changed (after a parser fix).
        source: UN Digital Library base URL or a local archive folder (default: UNMIG_SOURCE).
    """
    if not symbols and start is None:
        raise ValueError("backfill needs a start date or a list of symbols")
    settings = _settings(source, languages)
    today = dt.datetime.now(dt.UTC).date()

    def windows(pipe: Pipeline) -> list[Window]:
        return [Window(None, today)] if symbols else month_chunks(start, end or today)

    params = {"start": start, "end": end, "symbols": symbols, "source": settings.source,
              "force": force, "languages": settings.languages}
    from flows import fanout  # here, not at the top: flows.fanout imports this module

    if fanout.workers_for(fanout.BACKFILL_CHUNK, settings):
        return fanout.backfill_on_workers(settings, windows(None), params)  # type: ignore[arg-type]
    return _run(
        "backfill", settings, params, windows, symbols=symbols, force=force,
        retry_failures=False,
    )


@flow(name="reprocess")
def reprocess(limit: int | None = None) -> dict[str, int] | State:
    """Parse stored raw files again where the stored parser version is stale; no network.

    Args:
        limit: Reprocess at most this many document versions (default: all stale ones).
    """
    settings = load_settings()
    from flows import fanout  # here, not at the top: flows.fanout imports this module

    if fanout.workers_for(fanout.REPROCESS_CHUNK, settings):
        return fanout.reprocess_on_workers(settings, limit)
    pipe = open_pipeline(settings)
    try:
        pipe.files.remove_stale_temporaries()
        with recorded_run(pipe, "reprocess", {"limit": limit}) as run:
            stale = versions.stale_versions(pipe.engine, PARSER_VERSION)[:limit]
            run.add([], discovered=len(stale))
            for item in stale:
                try:
                    outcome = reprocess_version(pipe, item, run_id=run.run_id)
                except Exception as exc:  # noqa: BLE001 - this version only; recorded, run goes on
                    outcome = record_item_failed(
                        pipe, item.symbol, item.language, item.source_url, run.run_id, exc
                    )
                run.add([outcome])
    finally:
        pipe.close()
    return run.result(f"parser {PARSER_VERSION}")
