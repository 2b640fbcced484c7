"""Throw-away PostgreSQL databases for the benchmarks."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def available(admin_url: str) -> str | None:
    """None when the server answers, else why not."""
    try:
        eng = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(sa.text("select 1"))
        eng.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "no server"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return None


@contextmanager
def scratch_database(admin_url: str) -> Iterator[str]:
    """An empty database, dropped on exit; yields its URL."""
    name = f"unmig_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
