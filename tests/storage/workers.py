"""Entry points run in separate processes by the concurrency and crash tests."""

from __future__ import annotations

import datetime as dt
import os
import sys

from tests.storage.factories import BASE_TEXTS, T0, load, make_doc


def load_many(url: str, barrier, queue, symbols: list[str], variant: str) -> None:  # noqa: ANN001
    """Wait for the sibling process, then load each symbol; report (symbol, status, version)."""
    from storage.db import make_engine

    engine = make_engine(url)
    texts = BASE_TEXTS if variant == "same" else tuple(f"{t} [{variant}]" for t in BASE_TEXTS)
    parsed = make_doc(texts)
    engine.connect().close()  # connect before the start line, so both really start together
    barrier.wait(timeout=60)
    try:
        for symbol in symbols:
            r = load(
                engine,
                parsed,
                symbol=symbol,
                source=f"file-{variant}",
                fetched_at=T0 + dt.timedelta(seconds=1),
            )
            queue.put((symbol, r.status, r.version))
    except BaseException as exc:  # the parent asserts on it
        queue.put(("error", repr(exc), 0))
    finally:
        engine.dispose()


def crash_mid_load(url: str, after_table: str) -> None:
    """Load a document and die (no cleanup, no rollback) right after `after_table` is written."""
    from storage import versions
    from storage.db import make_engine

    real = versions.bulk_insert

    def bulk_insert(conn, table, columns, rows) -> None:  # noqa: ANN001
        real(conn, table, columns, rows)
        if table.name == after_table:
            sys.stdout.flush()
            os._exit(17)  # like a kill -9: the transaction is never committed nor rolled back

    versions.bulk_insert = bulk_insert
    load(make_engine(url), make_doc())
