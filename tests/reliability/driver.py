"""One ingest pass without Prefect, the way the flows do it, for fault-injection tests.

`run_pass(settings)` opens a run row, discovers every record of the source (plus the ones owed
a retry by an open failure, as `flows.tasks.discover` does), runs `flows.document.
ingest_document` for each record and language, retries a document whose failure is transient
(as the Prefect task does, with short delays), records what still fails in `ingest_failures`
(as `flows.ingest._process` does) and closes the run. It starts in a fraction of a second,
where a real flow run starts a temporary Prefect server (~12 s), so a test can kill and restart
it dozens of times.

Anything escaping `ingest_document` that is not a `StageError` is a bug in the pipeline's error
handling: it is recorded as stage "unknown" and counted in `PassResult.untyped`.

Run as a program, for tests that want a real separate process (kills, concurrent ingests)::

    python -m tests.reliability.driver --db URL --source ARCHIVE --files DIR [--threads N]
        [--kill-at POINT:N] [--start-file PATH] [--parse-workers N]

It prints `ready` once imported and configured, one `doc SYMBOL LANG STATUS` line per document,
and a final `pass {json}` line with the PassResult.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import itertools
import json
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from config import Settings, load_settings
from flows.document import (
    Outcome,
    StageError,
    ingest_document,
    one_record_per_symbol,
    owed_records,
    record_failed,
)
from flows.pipeline import Pipeline, open_pipeline
from sources.records import CatalogRecord
from storage import runs

_DB_ERRORS = (sa.exc.OperationalError, sa.exc.InterfaceError)


@dataclasses.dataclass
class PassResult:
    run_id: int | None = None
    status: str = "running"
    discovered: int = 0
    outcomes: dict[str, int] = dataclasses.field(default_factory=dict)
    transient_errors: int = 0  # StageErrors retried (or given up on) as transient
    permanent_errors: int = 0
    transient_gave_up: int = 0  # documents recorded failed on a transient error (retries used)
    untyped: list[str] = dataclasses.field(default_factory=list)  # not a StageError: a bug
    stage_errors: list[str] = dataclasses.field(default_factory=list)  # "stage: Cause" seen
    crashed: str | None = None  # why the pass itself failed (discovery, bookkeeping)
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        return self.crashed is None and not self.outcomes.get("failed")


def _bookkeeping(fn: Callable[..., Any], *args: Any, tries: int = 5, **kwargs: Any) -> Any:
    """A bookkeeping write (run row, failure row), tried again while the database is away."""
    for attempt in range(tries):
        try:
            return fn(*args, **kwargs)
        except _DB_ERRORS:
            if attempt == tries - 1:
                raise
            time.sleep(0.05 * 2**attempt)
    raise AssertionError("unreachable")


def discover(pipe: Pipeline) -> list[CatalogRecord]:
    found = one_record_per_symbol(pipe.source.search(since=None, until=None))
    return found + owed_records(pipe, found)


def run_pass(
    settings: Settings,
    *,
    retries: int = 2,
    retry_delay: float = 0.05,
    threads: int = 1,
    on_outcome: Callable[[Outcome], None] | None = None,
    flow: str = "reliability",
) -> PassResult:
    """One pass over every record of the source; see the module doc."""
    t0 = time.monotonic()
    result = PassResult()
    lock = threading.Lock()
    pipe = open_pipeline(settings)
    try:
        result.run_id = _bookkeeping(
            runs.start_run, pipe.engine, flow=flow, flow_run_id=None,
            parameters={"source": settings.source, "pid": os.getpid()},
        )
        try:
            records = discover(pipe)
        except Exception as exc:  # noqa: BLE001 - the run reports it, the next run retries
            result.crashed = f"discover: {type(exc).__name__}: {exc}"
            result.status = "crashed"
            _bookkeeping(runs.finish_run, pipe.engine, result.run_id, status="crashed",
                         counts={}, error=result.crashed)
            return result
        result.discovered = len(records)

        def one(record: CatalogRecord, language: str) -> Outcome:
            outcome = _one(pipe, record, language, result, lock, retries, retry_delay)
            if on_outcome is not None:
                on_outcome(outcome)
            return outcome

        jobs = [(r, lang) for r in records for lang in settings.languages]
        if threads > 1:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                outcomes = list(pool.map(lambda job: one(*job), jobs))
        else:
            outcomes = [one(*job) for job in jobs]
        counts = Counter(str(o.status) for o in outcomes)
        result.outcomes = dict(counts)
        result.status = "partial" if counts.get("failed") else "completed"
        _bookkeeping(runs.finish_run, pipe.engine, result.run_id, status=result.status,
                     counts={"discovered": len(records), **counts})
        return result
    finally:
        result.seconds = time.monotonic() - t0
        pipe.close()


def _one(
    pipe: Pipeline,
    record: CatalogRecord,
    language: str,
    result: PassResult,
    lock: threading.Lock,
    retries: int,
    retry_delay: float,
) -> Outcome:
    for attempt in itertools.count():
        try:
            return ingest_document(pipe, record, language, run_id=result.run_id)
        except StageError as exc:
            with lock:
                kind = "transient" if exc.transient else "permanent"
                result.stage_errors.append(f"{exc.stage}: {type(exc.cause).__name__} ({kind})")
                if exc.transient:
                    result.transient_errors += 1
                else:
                    result.permanent_errors += 1
            if exc.transient and attempt < retries:
                time.sleep(retry_delay * 2**attempt)
                continue
            if exc.transient:
                with lock:
                    result.transient_gave_up += 1
            failure: BaseException = exc
        except Exception as exc:  # noqa: BLE001 - counted as a bug, recorded, the run goes on
            with lock:
                result.untyped.append(f"{record.symbol} [{language}]: {type(exc).__name__}: {exc}")
            failure = exc
        return _bookkeeping(record_failed, pipe, record, language, result.run_id, failure)
    raise AssertionError("unreachable")


# -- kill points: the process SIGKILLs itself at an exact place -----------------------------------


def die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def _counting_transaction(real: Callable, nth: int, when: str) -> Callable:
    calls = itertools.count(1)

    @contextlib.contextmanager
    def wrapper(engine: Any) -> Iterator[Any]:
        n = next(calls)
        with real(engine) as conn:
            yield conn
            if n == nth and when == "before-commit":
                die()
        if n == nth and when == "after-commit":
            die()

    return wrapper


class _OsProxy:
    """The `os` module as `storage.filestore` sees it, dying at the nth rename into place."""

    def __init__(self, nth: int) -> None:
        self._calls = itertools.count(1)
        self._nth = nth

    def replace(self, src: str, dst: str) -> None:
        if next(self._calls) == self._nth:
            die()
        os.replace(src, dst)

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)


KILL_POINTS = {
    "catalog-before-commit": "a catalogue record written, not committed",
    "validators-before-commit": "HTTP validators written, not committed",
    "file-before-rename": "a raw file written to a temporary, not renamed into place",
    "paragraphs-written": "a version and all its paragraphs written, not committed",
    "version-before-commit": "a whole version written (paragraphs, footnotes, source), "
    "not committed",
    "version-after-commit": "a version committed, its failures not yet resolved",
    "failure-before-commit": "a failure row written, not committed",
}


def install_kill_point(point: str, nth: int) -> None:
    """Make this process SIGKILL itself at the `nth` passage through `point` (KILL_POINTS)."""
    from storage import catalog as catalog_mod
    from storage import filestore, http_cache, versions
    from storage import runs as runs_mod

    if point == "catalog-before-commit":
        catalog_mod.write_transaction = _counting_transaction(
            catalog_mod.write_transaction, nth, "before-commit")
    elif point == "validators-before-commit":
        http_cache.write_transaction = _counting_transaction(
            http_cache.write_transaction, nth, "before-commit")
    elif point == "file-before-rename":
        filestore.os = _OsProxy(nth)
    elif point == "paragraphs-written":
        real, calls = versions.bulk_insert, itertools.count(1)

        def bulk_insert(conn, table, columns, rows) -> None:  # noqa: ANN001
            real(conn, table, columns, rows)
            if table.name == "paragraphs" and next(calls) == nth:
                die()

        versions.bulk_insert = bulk_insert
    elif point in ("version-before-commit", "version-after-commit"):
        versions.write_transaction = _counting_transaction(
            versions.write_transaction, nth, point.removeprefix("version-"))
    elif point == "failure-before-commit":
        # The first runs-table transaction is start_run; count failures only.
        real_record = runs_mod.record_failure
        calls = itertools.count(1)

        def record_failure(*args: Any, **kwargs: Any) -> None:
            if next(calls) == nth:
                saved = runs_mod.write_transaction
                runs_mod.write_transaction = _counting_transaction(saved, 1, "before-commit")
            return real_record(*args, **kwargs)

        runs_mod.record_failure = record_failure
    else:
        raise ValueError(f"unknown kill point {point!r}; known: {', '.join(KILL_POINTS)}")


def run_child(settings_kwargs: dict[str, Any], kill_at: tuple[str, int] | None = None,
              threads: int = 1) -> None:
    """Entry point of a forked or spawned child: one pass, then exit without cleanup."""
    if kill_at is not None:
        install_kill_point(*kill_at)
    try:
        run_pass(load_settings(**settings_kwargs), threads=threads)
    finally:
        sys.stdout.flush()
        os._exit(0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.reliability.driver")
    ap.add_argument("--db", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--files", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--parse-workers", type=int, default=0)
    ap.add_argument("--kill-at", default=None, help="POINT:N, see KILL_POINTS")
    ap.add_argument("--start-file", default=None, help="wait until this file exists, then go")
    args = ap.parse_args(argv)
    settings = load_settings(
        database_url=args.db, source=args.source, file_store=args.files,
        parse_workers=args.parse_workers, rate_limit=1000.0, timeout=5.0, retries=2,
        http_backoff=0.01,
    )
    if args.kill_at:
        point, _, nth = args.kill_at.partition(":")
        install_kill_point(point, int(nth or 1))
    print("ready", flush=True)
    if args.start_file:
        while not Path(args.start_file).exists():
            time.sleep(0.005)

    def report(o: Outcome) -> None:
        print(f"doc {o.symbol} {o.language} {o.status}", flush=True)

    result = run_pass(settings, threads=args.threads, on_outcome=report)
    print("pass " + json.dumps(dataclasses.asdict(result)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
