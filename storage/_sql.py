"""Small helpers shared by the storage modules: clock, dialect-specific upserts, text hygiene."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection


def _iso(value: Any) -> str:
    # Run parameters carry dates (a backfill's window); ISO 8601 is what readers expect.
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# One encoder for every call: json.dumps with options builds a new JSONEncoder each time, which
# cost as much as the encoding itself on the loader's hot path (several calls per paragraph).
# Same options, so the output (and every content hash built from it) is byte for byte the same.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_iso).encode


def dumps_json(value: Any) -> str:
    """The engines' JSON serializer: compact, UTF-8 kept readable, the common `[]` fast."""
    if isinstance(value, list) and not value:
        return "[]"
    return _encode(value)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def aware(value: dt.datetime) -> dt.datetime:
    """`value` in UTC; a naive datetime is refused (see models.UTCDateTime)."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: pass a timezone-aware one")
    return value.astimezone(dt.UTC)


def clean(text: str | None) -> str | None:
    # PostgreSQL text cannot hold NUL; replace it on both engines so they store the same thing.
    if text is None or "\x00" not in text:
        return text
    return text.replace("\x00", "\ufffd")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_json(value: Any) -> str:
    """Hash of a JSON-able value in a canonical form (sorted keys, no whitespace)."""
    canon = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return sha256_text(canon)


def insert_ignore(
    conn: Connection, table: sa.Table, values: Mapping[str, Any], keys: Iterable[str]
) -> int:
    """INSERT ... ON CONFLICT (keys) DO NOTHING; returns rows inserted (0 or 1)."""
    stmt = _insert_ignore_stmt(conn.dialect.name, table, tuple(keys))
    return conn.execute(stmt, dict(values)).rowcount


@functools.lru_cache(maxsize=64)
def _insert_ignore_stmt(dialect: str, table: sa.Table, keys: tuple[str, ...]) -> sa.Insert:
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return ins.on_conflict_do_nothing(index_elements=list(keys))


def upsert(
    conn: Connection, table: sa.Table, values: Mapping[str, Any], keys: Iterable[str]
) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET every other given column."""
    keys = list(keys)
    ins = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)
    stmt = ins.values(**values)
    updates = {k: stmt.excluded[k] for k in values if k not in keys}
    conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=updates))


def bulk_insert(
    conn: Connection, table: sa.Table, columns: Sequence[str], rows: list[tuple]
) -> None:
    """Insert many rows without a round trip per row: COPY on PostgreSQL, one executemany on
    SQLite. Rows are driver-ready tuples in `columns` order: plain str/int/None, JSON columns
    already serialised (no SQLAlchemy type processing — at 20k rows it costs more than the
    insert itself)."""
    if not rows:
        return
    quoted = ", ".join(f'"{c}"' for c in columns)
    if conn.dialect.name == "postgresql":
        # The DBAPI connection SQLAlchemy holds, so COPY runs inside the same transaction.
        sql = f'COPY "{table.name}" ({quoted}) FROM STDIN'
        dbapi = conn.dialect.loaded_dbapi
        try:
            with conn.connection.driver_connection.cursor() as cur, cur.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
        except dbapi.Error as exc:
            # Raise what a normal execute would (sa.exc.IntegrityError, OperationalError...), so
            # callers handle one family of exceptions; drop the connection if it is gone.
            if conn.dialect.is_disconnect(exc, conn.connection.dbapi_connection, None):
                conn.invalidate(exc)
            raise sa.exc.DBAPIError.instance(
                sql, None, exc, dbapi.Error, hide_parameters=True, dialect=conn.dialect
            ) from exc
    elif conn.dialect.name == "sqlite":
        marks = ", ".join("?" * len(columns))
        conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})', rows)
    else:
        raise NotImplementedError(f"bulk insert on {conn.dialect.name}")
