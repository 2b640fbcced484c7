"""Engines: URL handling, SQLite settings for concurrent writers, bulk loading."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage.db import make_engine, normalize_url, safe_url, write_transaction
from tests.storage.factories import BASE_TEXTS, load, make_doc


def test_plain_postgres_urls_use_psycopg3_and_passwords_stay_hidden() -> None:
    for raw in ("postgresql://u:s3cret@db/unmig", "postgres://u:s3cret@db/unmig"):
        assert normalize_url(raw).drivername == "postgresql+psycopg"
        assert "s3cret" not in safe_url(raw)
        eng = make_engine(raw)  # no connection is made
        assert eng.dialect.driver == "psycopg"
        assert "s3cret" not in repr(eng) and "s3cret" not in str(eng.url)
        eng.dispose()
    assert "s3cret" not in safe_url("not a url s3cret")
    with pytest.raises(ValueError, match="unsupported"):
        make_engine("mysql://u:s3cret@db/x")


def test_sqlite_settings(tmp_path) -> None:  # noqa: ANN001
    eng = make_engine(f"sqlite:///{tmp_path}/sub/dir/u.db")  # creates the folder
    with eng.connect() as conn:
        pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == 30_000
    eng.dispose()


def test_sqlite_writers_wait_for_each_other_instead_of_failing(tmp_path) -> None:  # noqa: ANN001
    eng = make_engine(f"sqlite:///{tmp_path}/w.db")
    with eng.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (n INTEGER)")
    holding = threading.Event()
    errors: list[BaseException] = []

    def slow_writer() -> None:
        with write_transaction(eng) as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            holding.set()
            time.sleep(0.6)

    t = threading.Thread(target=slow_writer)
    t.start()
    holding.wait(5)
    # A reader is not blocked by the writer (WAL) and sees only committed data.
    with eng.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 0
    start = time.monotonic()
    try:
        # Read first, then write: the pattern that fails with "database is locked" under a
        # deferred BEGIN. BEGIN IMMEDIATE waits for the lock up front instead.
        with write_transaction(eng) as conn:
            n = conn.exec_driver_sql("SELECT count(*) FROM t").scalar()
            conn.exec_driver_sql("INSERT INTO t VALUES (?)", (n + 1,))
    except BaseException as exc:  # noqa: BLE001
        errors.append(exc)
    waited = time.monotonic() - start
    t.join()
    assert not errors
    assert waited > 0.3
    with eng.connect() as conn:
        assert conn.exec_driver_sql("SELECT n FROM t ORDER BY n").scalars().all() == [1, 2]
    eng.dispose()


def test_loading_is_bulk_not_a_round_trip_per_row(engine: Engine) -> None:
    statements: list[tuple[str, bool]] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        statements.append((statement.split()[0].upper(), executemany))

    small = make_doc(BASE_TEXTS)
    big = make_doc(tuple(f"Paragraph {i} on remittances." for i in range(3000)))
    load(engine, small, symbol="A/1")
    n_small = len(statements)
    statements.clear()
    load(engine, big, symbol="A/2")
    assert len(statements) == n_small  # the statement count does not grow with the paragraphs
    assert n_small <= 12
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM paragraphs")).scalar_one() == 3004
