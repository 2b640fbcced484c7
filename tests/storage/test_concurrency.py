"""Concurrent writers and hard crashes, with real separate processes."""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_mod
import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage import versions
from storage.db import make_engine, upgrade_database
from storage.models import DocumentVersion
from tests.conftest import new_postgres_database
from tests.storage import workers
from tests.storage.factories import BASE_TEXTS, SYMBOL, load, make_doc, row_counts

SYMBOLS = [f"A/61/{n}" for n in range(500, 506)]


def _run_pair(db_url: str, variants: tuple[str, str]) -> list[tuple[str, str, int]]:
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(target=workers.load_many, args=(db_url, barrier, results, SYMBOLS, variant))
        for variant in variants
    ]
    for p in procs:
        p.start()
    out = []
    try:
        for _ in range(2 * len(SYMBOLS)):
            out.append(results.get(timeout=90))
    except queue_mod.Empty:
        pytest.fail(f"workers did not report in time; got {out}")
    finally:
        for p in procs:
            p.join(timeout=30)
    assert all(p.exitcode == 0 for p in procs)
    assert not [o for o in out if o[0] == "error"], out
    return out


def _chain(engine: Engine, symbol: str) -> list[tuple[int, bool]]:
    v = DocumentVersion
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(v.version, v.valid_to.is_(None)).where(v.symbol == symbol).order_by(v.version)
        )
        return [(r[0], bool(r[1])) for r in rows]


def test_two_processes_loading_the_same_document_make_one_version(
    db_url: str, engine: Engine
) -> None:
    out = _run_pair(db_url, ("same", "same"))
    for symbol in SYMBOLS:
        statuses = sorted(status for s, status, _ in out if s == symbol)
        assert statuses == ["new", "unchanged"], (symbol, out)
        assert _chain(engine, symbol) == [(1, True)]
    counts = row_counts(engine)
    assert counts["document_versions"] == len(SYMBOLS)
    assert counts["paragraphs"] == len(SYMBOLS) * len(BASE_TEXTS)
    assert counts["version_sources"] == len(SYMBOLS)


def test_two_processes_with_different_content_make_a_clean_chain(
    db_url: str, engine: Engine
) -> None:
    out = _run_pair(db_url, ("left", "right"))
    for symbol in SYMBOLS:
        assert sorted(status for s, status, _ in out if s == symbol) == ["new", "updated"]
        # Two versions, the newer one current, never two current ones.
        assert _chain(engine, symbol) == [(1, False), (2, True)]
    assert row_counts(engine)["paragraphs"] == 2 * len(SYMBOLS) * len(BASE_TEXTS)


@pytest.mark.parametrize("after", ["paragraphs", "footnotes"])
def test_hard_crash_mid_load_leaves_nothing(db_url: str, engine: Engine, after: str) -> None:
    before = row_counts(engine)
    proc = mp.get_context("spawn").Process(target=workers.crash_mid_load, args=(db_url, after))
    proc.start()
    proc.join(timeout=60)
    assert proc.exitcode == 17  # it did reach the crash point
    assert row_counts(engine) == before
    assert load(engine, make_doc()).status == "new"  # the database is fine afterwards
    assert row_counts(engine)["paragraphs"] == len(BASE_TEXTS)


@pytest.fixture
def pg_engine(postgres_available: str) -> Iterator[Engine]:
    url, drop = new_postgres_database(postgres_available)
    upgrade_database(url)
    eng = make_engine(url)
    try:
        yield eng
    finally:
        eng.dispose()
        drop()


@pytest.mark.postgres
def test_lost_race_on_unique_constraint_retries_cleanly(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the advisory lock both writers read "no version" and both insert version 1;
    the unique constraints stop the second, which rolls back, retries and sees the first's.

    PostgreSQL only: on SQLite, BEGIN IMMEDIATE serialises writers before they read, so this
    interleaving cannot happen there (the process tests above cover SQLite).
    """
    monkeypatch.setattr(versions, "advisory_lock", lambda conn, key: None)
    gate = threading.Barrier(2, timeout=20)
    local = threading.local()
    real_current, real_once = versions._current, versions._load_once
    conflicts: list[versions.VersionConflict] = []

    def current(conn, symbol, language):  # noqa: ANN001, ANN202
        row = real_current(conn, symbol, language)
        if not getattr(local, "waited", False):
            local.waited = True
            gate.wait()  # both have read "nothing current" before either writes
        return row

    def load_once(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        try:
            return real_once(*args, **kwargs)
        except versions.VersionConflict as exc:
            conflicts.append(exc)
            raise

    monkeypatch.setattr(versions, "_current", current)
    monkeypatch.setattr(versions, "_load_once", load_once)
    results: list = []

    def worker(texts: tuple[str, ...]) -> None:
        try:
            results.append(load(pg_engine, make_doc(texts)))
        except BaseException as exc:  # noqa: BLE001 - reported below
            results.append(exc)

    threads = [threading.Thread(target=worker, args=(BASE_TEXTS,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(r.status for r in results) == ["new", "unchanged"], results
    assert len(conflicts) == 1  # the loser really hit the constraint and retried
    assert _chain(pg_engine, SYMBOL) == [(1, True)]
