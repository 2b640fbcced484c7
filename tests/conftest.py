"""Shared fixtures: real databases (SQLite and PostgreSQL), the shared material, Prefect's home."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# Prefect must never touch the user's ~/.prefect or phone home from tests; set before any import.
_PREFECT_HOME = tempfile.mkdtemp(prefix="unmig-prefect-")
os.environ.setdefault("PREFECT_HOME", _PREFECT_HOME)
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("UNMIG_SHARED", REPO.parent / "shared"))
PG_ADMIN_URL = os.environ.get("UNMIG_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared material not found at {SHARED} (set UNMIG_SHARED)")
    return SHARED


@pytest.fixture(scope="session")
def seeds_dir(shared: Path) -> Path:
    return shared / "seeds"


@pytest.fixture(scope="session")
def marcxml_fixture(shared: Path) -> Path:
    return shared / "fixtures" / "undl" / "session_78_committee_3_drafts.xml"


def _pg_admin_engine():
    import sqlalchemy as sa

    return sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


@pytest.fixture(scope="session")
def postgres_available() -> str:
    """The admin URL of a reachable PostgreSQL, or a skip (a failure under CI=true)."""
    import sqlalchemy as sa

    try:
        eng = _pg_admin_engine()
        with eng.connect() as conn:
            conn.execute(sa.text("select 1"))
        eng.dispose()
    except Exception as exc:  # noqa: BLE001 - any connection problem means "no server"
        reason = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}"
        if IN_CI:
            pytest.fail(f"{reason} (CI=true requires it)")
        pytest.skip(reason)
    return PG_ADMIN_URL


def new_postgres_database(admin_url: str) -> tuple[str, callable]:
    """Create an empty database; return its URL and a function that drops it."""
    import sqlalchemy as sa

    name = f"unmig_test_{uuid.uuid4().hex[:12]}"
    eng = _pg_admin_engine()
    with eng.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with eng.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        eng.dispose()

    return url, drop


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'unmig.db'}"
        return
    admin = request.getfixturevalue("postgres_available")
    url, drop = new_postgres_database(admin)
    try:
        yield url
    finally:
        drop()
