"""The database going away mid-run.

PostgreSQL: every connection of the test database is cut (`pg_terminate_backend`) again and
again while an ingest runs. (The shared server is not stopped: other tests use it.)
SQLite: another process holds the write lock past the busy timeout, again and again, so writers
get "database is locked".

Either way the document in flight must fail with a *transient* StageError (never an untyped
exception), be retried, be recorded in ingest_failures if it still fails, and the next run must
complete it: the final database equals the uninterrupted run's.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from config import load_settings
from storage import db as storage_db
from storage import runs
from storage.db import make_engine
from tests.conftest import _pg_admin_engine
from tests.reliability import dbstate
from tests.reliability.conftest import Corpus, Figures, Reference, archive_settings
from tests.reliability.driver import PassResult, run_pass


def _outage_then_recovery(url: str, files: Path, corpus: Corpus, reference: Reference,
                          inject) -> tuple[list[PassResult], int]:
    """Passes with `inject(stop, counter)` running alongside until documents were caught in
    flight and retried, and at least one given up on (passes alternate between retrying a
    document caught in flight once, as the flow's task does, and giving up at once, so that the
    next run has to finish the work); then one clean pass."""
    settings = load_settings(**archive_settings(url, corpus.first, files))
    faulty: list[PassResult] = []
    injected = 0
    for n in range(8):
        if n >= 2 and sum(r.transient_errors for r in faulty) >= 3 and any(
            r.transient_gave_up for r in faulty
        ):
            break
        retries = 1 if n % 2 == 0 else 0
        stop = threading.Event()
        counter: list[int] = []
        t = threading.Thread(target=inject, args=(stop, counter), daemon=True)
        t.start()
        try:
            faulty.append(run_pass(settings, retries=retries, retry_delay=0.02))
        finally:
            stop.set()
            t.join(timeout=30)
        injected += sum(counter)
    engine = make_engine(url)
    try:
        for r in faulty:
            assert r.untyped == [], f"database errors escaped untyped: {r.untyped}"
            assert r.crashed is None, r.crashed
            # Each failure the run gave up on is on record with the run.
            run = runs.get_run(engine, r.run_id)
            assert run is not None and run.counts.get("failed", 0) == r.outcomes.get("failed", 0)
        assert dbstate.check_invariants(engine, files) == []
    finally:
        engine.dispose()
    final = run_pass(settings)
    assert final.untyped == [] and final.transient_errors == 0, final
    engine = make_engine(url)
    try:
        state = dbstate.dump(engine)
        open_ = {(f.symbol, f.stage) for f in runs.open_failures(engine)}
    finally:
        engine.dispose()
    assert state == reference.first, dbstate.diff(reference.first, state)
    # Only the corpus's own permanent failures stay open; every database failure was resolved.
    assert {s for s, _ in open_} == {corpus.html, corpus.encrypted, corpus.no_file}, open_
    return faulty, injected


def _summary(faulty: list[PassResult]) -> tuple[int, int, str]:
    caught = sum(r.transient_errors for r in faulty)
    gave_up = sum(r.transient_gave_up for r in faulty)
    stages = sorted({s.removesuffix(" (transient)") for r in faulty for s in r.stage_errors
                     if s.endswith("(transient)")})
    return caught, gave_up, ", ".join(stages)


@pytest.mark.postgres
def test_postgres_connections_cut_mid_run(
    new_db, tmp_path: Path, corpus: Corpus, reference: Reference, figures: Figures
) -> None:
    t0 = time.monotonic()
    url = new_db("postgresql")
    name = sa.engine.make_url(url).database
    admin = _pg_admin_engine()
    rng = random.Random(5)
    cut = sa.text("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                  "WHERE datname = :db AND pid <> pg_backend_pid()")

    def inject(stop: threading.Event, counter: list[int]) -> None:
        with admin.connect() as conn:
            while not stop.wait(rng.uniform(0.01, 0.15)):
                counter.append(conn.execute(cut, {"db": name}).scalar_one())

    try:
        faulty, cuts = _outage_then_recovery(url, tmp_path / "files", corpus, reference, inject)
    finally:
        admin.dispose()
    caught, gave_up, stages = _summary(faulty)
    assert caught > 0, "no document was ever caught by a cut: the test injected nothing"
    figures.add(
        "PostgreSQL connections cut mid-run", "postgresql", injected=cuts, survived=cuts,
        lost=0, seconds=time.monotonic() - t0,
        notes=[f"{cuts} backends terminated during {len(faulty)} passes; {caught} times a "
               f"document was caught in flight, each a transient StageError ({stages}); "
               f"{gave_up} given up on, recorded in ingest_failures and completed (and "
               "resolved) by the next pass; final state == uninterrupted run"],
    )


def test_sqlite_locked_past_the_busy_timeout(
    new_db, tmp_path: Path, corpus: Corpus, reference: Reference, figures: Figures,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    t0 = time.monotonic()
    url = new_db("sqlite")
    path = sa.engine.make_url(url).database
    # A short busy timeout, so holding the lock for a second is an outage, not a wait.
    monkeypatch.setattr(storage_db, "SQLITE_BUSY_TIMEOUT_MS", 100)
    rng = random.Random(6)

    def inject(stop: threading.Event, counter: list[int]) -> None:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        try:
            while not stop.wait(rng.uniform(0.05, 0.4)):
                conn.execute("BEGIN EXCLUSIVE")
                counter.append(1)
                stop.wait(rng.uniform(0.2, 0.5))
                conn.execute("ROLLBACK")
        finally:
            conn.close()

    faulty, locks = _outage_then_recovery(url, tmp_path / "files", corpus, reference, inject)
    caught, gave_up, stages = _summary(faulty)
    assert caught > 0, "no write ever met the lock: the test injected nothing"
    figures.add(
        "SQLite write lock held past the busy timeout", "sqlite", injected=locks, survived=locks,
        lost=0, seconds=time.monotonic() - t0,
        notes=[f"{locks} exclusive lock holds of 0.2-0.5 s against a 100 ms busy timeout during "
               f"{len(faulty)} passes; {caught} times a document failed in flight as a "
               f"transient StageError ({stages}); {gave_up} recorded, then completed and "
               "resolved by the next pass"],
    )
