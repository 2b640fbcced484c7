"""The flows: `ingest` (scheduled), `backfill` (a date range or symbols), `reprocess` (no network).

They only orchestrate: discovery, per-document tasks and bookkeeping live in `flows.tasks`,
`flows.document` and `storage`. Each date window runs as its own subflow, so a backfill shows
its progress month by month, and the task states Prefect keeps in memory are let go after
every window instead of piling up for the whole run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from prefect import flow
from prefect.futures import as_completed
from prefect.settings import PREFECT_UI_URL
from prefect.states import State
from prefect.task_runners import ThreadPoolTaskRunner
from pydantic.json_schema import SkipJsonSchema

from config import Settings, load_settings
from flows import progress as run_progress
from flows.document import Outcome, record_failed, record_item_failed, reprocess_version
from flows.params import BackfillRequest, Date, Symbols
from flows.pipeline import Pipeline, open_pipeline
from flows.recorder import recorded_run
from flows.summary import missing_symbols
from flows.tasks import discover, process_document
from flows.windows import (
    DOCUMENT,
    LIBRARY,
    Window,
    library_window,
    month_chunks,
    resolve_window,
    scope_label,
)
from parsers import PARSER_VERSION
from sources.http import RobotsPolicy
from sources.paging import DiscoveryNote
from sources.records import CatalogRecord
from storage import catalog, discovery, versions


@dataclass(frozen=True)
class WindowResult:
    discovered: int
    outcomes: list[Outcome]
    notes: list[DiscoveryNote] = field(default_factory=list)
    discovery_seconds: float = 0.0
    # How the records were found: the door, the doors found shut, the newest library stamp.
    info: dict[str, Any] = field(default_factory=dict)
    not_found: list[str] = field(default_factory=list)  # symbols asked for, not in the library


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
    """Submit one task per record and language; record every task that failed for good, and
    report each document to the run's progress as it completes."""
    settings = pipe.settings
    delays = [settings.task_retry_delay * 2**i for i in range(settings.task_retries)]
    task = process_document.with_options(retries=settings.task_retries,
                                         retry_delay_seconds=delays or 0)
    futures = {
        task.submit(pipe, record, lang, run_id, force): (record, lang)
        for record in records
        for lang in settings.languages
    }
    progress = run_progress.of_run(run_id)
    outcomes = []
    for future in as_completed(list(futures)):
        record, lang = futures[future]
        future.wait()  # done, but its final state may not have reached this future yet
        state = future.state
        if state.is_completed():
            outcome = state.result()
        else:
            exc = state.result(raise_on_failure=False)
            outcome = record_failed(pipe, record, lang, run_id, exc,
                                    link=_task_run_link(future.task_run_id))
        outcomes.append(outcome)
        if progress is not None:
            progress.document_done(outcome)
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
    until: dt.date | None,
    run_id: int,
    symbols: list[str] | None = None,
    source: str | None = None,
    languages: list[str] | None = None,
    force: bool = False,
    retry_failures: bool = False,
    discovery_seconds: float | None = None,
    clock: str = DOCUMENT,
) -> WindowResult:
    """Discover the records of one window (or the given symbols) and process each of them;
    what discovery noted, the seconds it took of the run's budget (`discovery_seconds` left),
    how the records were found (the door, the doors found shut, the newest library stamp) and
    the symbols asked for but not found come back for the run's record."""
    settings = _settings(source, languages)
    pipe = open_pipeline(settings)
    try:
        window = Window(since, until, clock)
        found = discover(pipe, window, symbols, retry_failures, discovery_seconds)
        missing = missing_symbols(symbols or [], found.records)
        progress = run_progress.of_run(run_id)
        if progress is not None:
            progress.window_started(window, len(found.records) * len(settings.languages))
        outcomes = _process(pipe, found.records, run_id, force)
        info = found.info
        blocked = getattr(pipe.source, "blocked_doors", None)
        if blocked is not None:
            # Downloads may have found doors shut too (the files door: the ODS took over).
            info = {**info, "blocked": {**info.get("blocked", {}), **blocked()}}
        return WindowResult(len(found.records), outcomes, found.notes, found.seconds, info,
                            missing)
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
    moves_watermark: Callable[[Window], bool] = lambda w: False,
) -> dict[str, int] | State:
    """Shared body of `ingest` and `backfill`: one runs-table row, a subflow per window.

    After each window whose discovery covered everything new in the library since its start
    (`moves_watermark`) has been processed, the discovery watermark moves to the newest library
    time stamp seen. A run killed before that leaves it where it was: the next run asks for
    the same window again, and nothing already loaded is downloaded or versioned twice."""
    pipe = open_pipeline(settings)
    try:
        # Once a run, not once a window: a backfill opens the pipeline again for every month.
        pipe.files.remove_stale_temporaries()
        window = ingest_window.with_options(
            task_runner=ThreadPoolTaskRunner(max_workers=settings.concurrency)
        )
        with recorded_run(pipe, flow_name, parameters) as run:
            run.overrides = RobotsPolicy(
                "unmig", ignore=settings.ignore_robots, crawl_delay=settings.crawl_delay
            ).overrides()
            windows = windows_of(pipe)
            # One discovery budget for the whole run, however many windows share it.
            budget = settings.discovery_seconds
            with run_progress.tracked(run, len(windows)) as progress:
                for number, w in enumerate(windows, start=1):
                    result = window(
                        w.since, w.until, run.run_id, symbols=symbols, source=settings.source,
                        languages=settings.languages, force=force,
                        retry_failures=retry_failures,
                        discovery_seconds=max(budget, 0.0), clock=w.clock,
                    )
                    budget -= result.discovery_seconds
                    run.add(result.outcomes, discovered=result.discovered, notes=result.notes,
                            not_found=result.not_found)
                    info = result.info
                    run.note_discovery(str(w), info)
                    # Discovery cut short (paging stopped, the budget spent) may have missed
                    # records stamped before the newest stamp it saw: the watermark stays put.
                    complete = not any(n.incomplete for n in result.notes)
                    if moves_watermark(w) and info.get("high_water") and complete:
                        discovery.advance_watermark(
                            pipe.engine, settings.source,
                            dt.datetime.fromisoformat(info["high_water"]),
                            door=info.get("door"), run_id=run.run_id,
                        )
                    progress.window_done(w, number)
    finally:
        pipe.close()
    return run.result(scope_label(windows, symbols))


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
        since: First document date (269) to search. Default: no document-date window; what
            entered or changed in the library since the discovery watermark the last run left
            (less UNMIG_DISCOVERY_OVERLAP_DAYS) is found instead, on the library's own clock.
        until: Last document date to search, inclusive (given alone: from the beginning).
        source: UN Digital Library base URL or a local archive folder (default: UNMIG_SOURCE).
        languages: Language versions to load, e.g. ["en", "fr"] (default: UNMIG_LANGUAGES).
        force: Download and parse again even when nothing changed.
    """
    settings = _settings(source, languages)
    today = dt.datetime.now(dt.UTC).date()

    def windows(pipe: Pipeline) -> list[Window]:
        if since is not None or until is not None:
            # Document dates asked for by name: a window on 269, as a backfill searches.
            return [resolve_window(since=since, until=until, watermark=None, overlap_days=0,
                                   today=today)]
        stored = discovery.get_watermark(pipe.engine, settings.source)
        # A database from before the discovery watermark: its newest 005 is on the library's
        # clock too, and a fine place to start from.
        mark = stored.watermark if stored is not None else catalog.watermark(pipe.engine)
        if mark is None:
            return [Window(None, today)]  # the first run: everything, by document date
        return [library_window(watermark=mark, overlap_days=settings.discovery_overlap_days)]

    def moves_watermark(w: Window) -> bool:
        # A library-clock window saw everything stamped since its start; so did the first
        # run's unbounded search. A named document-date window did not.
        return w.clock == LIBRARY or (since is None and until is None and w.since is None)

    params = {"since": since, "until": until, "source": settings.source, "force": force,
              "languages": settings.languages}
    return _run(
        "ingest", settings, params, windows, symbols=None, force=force, retry_failures=True,
        moves_watermark=moves_watermark,
    )


@flow(name="backfill")
def backfill(
    start: Date = None,
    end: Date = None,
    symbols: Symbols = None,
    languages: list[str] | SkipJsonSchema[None] = None,
    force: bool = False,
    source: str | SkipJsonSchema[None] = None,
) -> dict[str, int] | State:
    """Load the documents of a past period, a month at a time, or a list of symbols.

    Re-running a backfill, or any month of it, is harmless: unchanged documents are not
    versioned again, and a cancelled backfill resumes by running it again.

    Args:
        start: First date of the period (e.g. 2011-01-01). Needed unless symbols are given.
        end: Last date of the period, inclusive (default: today, UTC).
        symbols: Document symbols to load instead of a period, e.g. A/61/515, A/RES/73/195;
            a pasted list is taken apart (one a line, or separated by commas or spaces).
        languages: Language versions to load, e.g. ["en", "fr"] (default: UNMIG_LANGUAGES).
        force: Download and parse again even when nothing changed (after a parser fix).
        source: UN Digital Library base URL or a local archive folder (default: UNMIG_SOURCE).
    """
    request = BackfillRequest.checked(start=start, end=end, symbols=symbols)
    start, end, symbols = request.start, request.end, request.symbols or None
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
            everything = Window(None, dt.datetime.now(dt.UTC).date())
            with run_progress.tracked(run, 1) as progress:
                progress.window_started(everything, len(stale), discovered=False)
                for item in stale:
                    try:
                        outcome = reprocess_version(pipe, item, run_id=run.run_id)
                    except Exception as exc:  # noqa: BLE001 - this version only; run goes on
                        outcome = record_item_failed(
                            pipe, item.symbol, item.language, item.source_url, run.run_id, exc
                        )
                    progress.document_done(outcome)
                    run.add([outcome])
                progress.window_done(everything, 1)
    finally:
        pipe.close()
    return run.result(f"parser {PARSER_VERSION}")
