"""Engines and schema migrations for SQLite and PostgreSQL.

SQLite is tuned for several processes writing one file: WAL (readers never block the writer),
a 30 s busy timeout, foreign keys on, and `BEGIN IMMEDIATE` for write transactions so a writer
takes the write lock up front instead of failing with "database is locked" when it upgrades a
read lock halfway through (SQLite does not wait in that case). PostgreSQL goes through psycopg 3.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import StaticPool

from storage._sql import dumps_json

SQLITE_BUSY_TIMEOUT_MS = 30_000
_WRITE = "unmig_write"  # execution option: this transaction will write
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def normalize_url(url: str | URL) -> URL:
    """Parse a database URL; plain `postgresql://` / `postgres://` go to the psycopg 3 driver."""
    u = make_url(url) if isinstance(url, str) else url
    if u.host and "@" in u.host:
        # An "@" left unencoded in the password: the rest of the password would be taken for
        # the host name and echoed by every connection error. Refuse without repeating it.
        raise sa.exc.ArgumentError(
            "the database URL has an unencoded '@' before its host: write '@' in the user "
            "name or password as %40"
        )
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u


def safe_url(url: str | URL) -> str:
    """The URL with any password masked, for messages and logs."""
    try:
        return normalize_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<unparseable database URL>"


def is_sqlite(bind: Engine | Connection) -> bool:
    return bind.dialect.name == "sqlite"


def make_engine(url: str | URL) -> Engine:
    """An engine for `url` with the per-engine settings above. Creates a SQLite file's folder."""
    u = normalize_url(url)
    backend = u.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(u)
    if backend == "postgresql":
        # hide_parameters: SQL errors must not echo paragraph text (or anything else) into logs.
        return sa.create_engine(
            u, pool_pre_ping=True, hide_parameters=True, json_serializer=dumps_json
        )
    raise ValueError(f"unsupported database (only SQLite and PostgreSQL): {safe_url(u)}")


def _sqlite_engine(u: URL) -> Engine:
    # RETURNING (3.35) is used on every load; FTS5, partial indexes and window functions too.
    if sqlite3.sqlite_version_info < (3, 35):
        raise ValueError(f"SQLite {sqlite3.sqlite_version} is too old (3.35 or later needed)")
    memory = u.database in (None, "", ":memory:")
    kwargs: dict = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
    read_only = False
    if memory:
        # One shared connection, or each checkout would see its own empty database.
        kwargs.update(poolclass=StaticPool)
        kwargs["connect_args"]["check_same_thread"] = False
    else:
        path = Path(u.database).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        uri = _read_only_uri(path)
        if uri is not None:
            read_only = True
            timeout = SQLITE_BUSY_TIMEOUT_MS / 1000
            kwargs["creator"] = lambda: sqlite3.connect(
                uri, uri=True, timeout=timeout, check_same_thread=False
            )
    engine = sa.create_engine(u, hide_parameters=True, json_serializer=dumps_json, **kwargs)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # noqa: ANN001 - DBAPI objects
        # Take transaction control away from pysqlite; the "begin" hook below emits BEGIN.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if not memory and not read_only:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; safe with WAL
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def integrity_problem(engine: Engine) -> str | None:
    """SQLite's `quick_check` (every page read once: 0.3 s for a 288 MB file in the page
    cache here), its first complaint or None; None on PostgreSQL, which checks its own pages.
    For commands about to write for minutes, so a damaged file is one clear error up front."""
    if not is_sqlite(engine):
        return None
    with engine.connect() as conn:
        first = conn.exec_driver_sql("PRAGMA quick_check(1)").scalar()
    return None if first == "ok" else " ".join(str(first).split())


def is_read_only(url: str | URL) -> bool:
    """True for a SQLite file this process can read but not write (see `_read_only_uri`)."""
    u = normalize_url(url)
    if u.get_backend_name() != "sqlite" or u.database in (None, "", ":memory:"):
        return False
    return _read_only_uri(Path(u.database).expanduser()) is not None


def _read_only_uri(path: Path) -> str | None:
    """A read-only URI for a database file this process cannot write (a read-only file system,
    a backup mounted read-only), or None when it can. Plain opening fails there even for reads:
    WAL needs its -shm file next to the database. With no -wal file holding commits not yet in
    the database (no writer has it open), `immutable` reads the file as it is; otherwise
    `mode=ro` (which needs the -shm the writer made)."""
    if not path.is_file() or (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        return None
    wal = path.with_name(path.name + "-wal")
    mode = "mode=ro" if wal.is_file() and wal.stat().st_size > 0 else "immutable=1"
    return f"file:{quote(str(path.resolve()))}?{mode}"


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One short write transaction: `BEGIN IMMEDIATE` on SQLite, a plain one on PostgreSQL.

    Commits on leaving the block, rolls back on an exception.
    """
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


def advisory_lock(conn: Connection, key: str) -> None:
    """Serialise writers of one `key` until the transaction ends (PostgreSQL; SQLite already
    serialises all writers with BEGIN IMMEDIATE)."""
    if conn.dialect.name == "postgresql":
        k = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": k})


# --- migrations ------------------------------------------------------------------------------


def alembic_config(url: str | URL | None = None):  # noqa: ANN201 - alembic is imported lazily
    """An Alembic Config for the packaged migrations, usable from an installed package."""
    from alembic.config import Config

    cfg = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # ConfigParser interpolates "%"; URL-encoded passwords contain it.
        rendered = normalize_url(url).render_as_string(hide_password=False)
        cfg.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return cfg


def _run_alembic(url: str | URL, action: str, revision: str) -> None:
    from alembic import command

    engine = make_engine(url)
    try:
        with write_transaction(engine) as conn:
            # Two `db upgrade` at once: the second waits, then finds nothing to do.
            advisory_lock(conn, "unmig:migrations")
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            getattr(command, action)(cfg, revision)
    finally:
        engine.dispose()


def upgrade_database(url: str, revision: str = "head") -> None:
    """Bring the schema at `url` up to `revision` (all of it in one transaction)."""
    _run_alembic(url, "upgrade", revision)


def downgrade_database(url: str, revision: str = "base") -> None:
    """Take the schema at `url` down to `revision` (`base`: nothing left)."""
    _run_alembic(url, "downgrade", revision)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at, or None when it has never been migrated."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


class SchemaNotReady(RuntimeError):
    """The database is not at the schema revision this code writes."""

    def __init__(self, where: str, revision: str | None, head: str | None) -> None:
        self.revision = revision
        state = (
            "has no unmig schema yet" if revision is None
            else f"is at schema revision {revision}, the code expects {head}"
        )
        super().__init__(f"the database at {where} {state}; run `unmig db upgrade`")


def require_schema(engine: Engine) -> None:
    """Raise SchemaNotReady unless the database is at the head revision, so a run against a
    database nobody migrated stops with what to do instead of a missing-table error."""
    revision, head = current_revision(engine), head_revision()
    if revision != head:
        raise SchemaNotReady(safe_url(engine.url), revision, head)
