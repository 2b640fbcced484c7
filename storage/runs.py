"""Ingestion runs and failed items, so "what did last night's run do?" is answerable in SQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage._sql import clean, utcnow
from storage.db import advisory_lock, write_transaction
from storage.limits import LANGUAGE_BYTES, SYMBOL_BYTES, URL_BYTES, bounded
from storage.models import IngestFailure, IngestRun

MAX_ERROR_CHARS = 4000  # a message, not a whole traceback
MAX_WARNINGS = 200  # a hostile catalogue must not grow one row without end


@dataclass(frozen=True)
class RunInfo:
    id: int
    flow: str
    flow_run_id: str | None
    parameters: dict[str, Any]
    started_at: dt.datetime
    finished_at: dt.datetime | None
    status: str
    counts: dict[str, int]
    error: str | None
    warnings: list[str] | None = None


@dataclass(frozen=True)
class FailureInfo:
    id: int
    symbol: str
    language: str | None
    url: str | None
    stage: str
    error: str
    attempts: int
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    first_run_id: int | None
    last_run_id: int | None
    resolved_at: dt.datetime | None


def _short(error: str) -> str:
    error = clean(error) or ""
    return error if len(error) <= MAX_ERROR_CHARS else error[: MAX_ERROR_CHARS - 1] + "…"


def start_run(
    engine: Engine, *, flow: str, flow_run_id: str | None, parameters: dict[str, Any]
) -> int:
    """Open a run (status 'running'); returns its id for versions and failures to point at."""
    with write_transaction(engine) as conn:
        return conn.execute(
            sa.insert(IngestRun)
            .values(
                flow=flow,
                flow_run_id=flow_run_id,
                parameters=parameters,
                started_at=utcnow(),
                status="running",
                counts={},
            )
            .returning(IngestRun.id)
        ).scalar_one()


def finish_run(
    engine: Engine,
    run_id: int,
    *,
    status: str,
    counts: dict[str, int],
    error: str | None = None,
    warnings: list[str] | None = None,
) -> None:
    with write_transaction(engine) as conn:
        done = conn.execute(
            sa.update(IngestRun)
            .where(IngestRun.id == run_id)
            .values(
                finished_at=utcnow(),
                status=status,
                counts=dict(counts),
                error=_short(error) if error else None,
                warnings=[_short(w) for w in warnings[:MAX_WARNINGS]] if warnings else None,
            )
        )
        if done.rowcount != 1:
            raise LookupError(f"no ingest run {run_id}")


def record_failure(
    engine: Engine,
    *,
    run_id: int | None,
    symbol: str,
    language: str | None,
    url: str | None,
    stage: str,
    error: str,
) -> None:
    """Record a failed item. An open failure of the same (symbol, language, stage) is updated
    (attempts + 1, last error, last seen, last run) rather than duplicated; open failures of the
    same (symbol, language) at other stages are closed, superseded by this one."""
    f = IngestFailure
    now = utcnow()
    # The failure of a record refused for an over-long value must not fail the same way.
    symbol = bounded(clean(symbol) or "", SYMBOL_BYTES)
    language = bounded(language, LANGUAGE_BYTES) if language is not None else None
    url = bounded(clean(url) or "", URL_BYTES) if url is not None else None
    stage = bounded(str(stage), 20)
    item = [f.symbol == symbol, f.resolved_at.is_(None)]
    item.append(f.language.is_(None) if language is None else f.language == language)
    same = [*item, f.stage == stage]
    with write_transaction(engine) as conn:
        # Per item, not per stage: two writers at different stages must not both stay open.
        advisory_lock(conn, f"failure:{symbol}\x00{language}")
        # One open failure per item, the latest: a document that failed to download last night
        # and fails to parse tonight owes a parse, and the stale download failure would
        # otherwise stay open for ever (only a success resolves failures).
        conn.execute(sa.update(f).where(*item, f.stage != stage).values(resolved_at=now))
        open_id = conn.execute(sa.select(f.id).where(*same)).scalar()
        if open_id is None:
            conn.execute(
                sa.insert(f).values(
                    symbol=symbol,
                    language=language,
                    url=url,
                    stage=stage,
                    error=_short(error),
                    attempts=1,
                    first_seen_at=now,
                    last_seen_at=now,
                    first_run_id=run_id,
                    last_run_id=run_id,
                )
            )
            return
        values: dict[str, Any] = {
            "attempts": f.attempts + 1,
            "error": _short(error),
            "last_seen_at": now,
            "last_run_id": run_id,
        }
        if url is not None:
            values["url"] = url
        conn.execute(sa.update(f).where(f.id == open_id).values(**values))


def resolve_failures(engine: Engine, *, symbol: str, language: str | None) -> int:
    """Close the open failures of `symbol` that a success in `language` settles: those of that
    language and those with no language; with `language=None`, all of the symbol's. Returns how
    many were closed."""
    f = IngestFailure
    where = [f.symbol == symbol, f.resolved_at.is_(None)]
    if language is not None:
        where.append(sa.or_(f.language == language, f.language.is_(None)))
    with write_transaction(engine) as conn:
        return conn.execute(sa.update(f).where(*where).values(resolved_at=utcnow())).rowcount


def open_failures(engine: Engine) -> list[FailureInfo]:
    """Unresolved failures, most recently seen first."""
    t = IngestFailure.__table__
    stmt = (
        sa.select(*(t.c[name] for name in FailureInfo.__dataclass_fields__))
        .where(t.c.resolved_at.is_(None))
        .order_by(t.c.last_seen_at.desc(), t.c.id.desc())
    )
    with engine.connect() as conn:
        return [FailureInfo(*row) for row in conn.execute(stmt)]


def last_runs(engine: Engine, n: int = 10) -> list[RunInfo]:
    """The `n` most recently started runs, newest first."""
    t = IngestRun.__table__
    stmt = (
        sa.select(*(t.c[name] for name in RunInfo.__dataclass_fields__))
        .order_by(t.c.started_at.desc(), t.c.id.desc())
        .limit(n)
    )
    with engine.connect() as conn:
        return [RunInfo(*row) for row in conn.execute(stmt)]


def get_run(engine: Engine, run_id: int) -> RunInfo | None:
    t = IngestRun.__table__
    stmt = sa.select(*(t.c[name] for name in RunInfo.__dataclass_fields__)).where(t.c.id == run_id)
    with engine.connect() as conn:
        row = conn.execute(stmt).first()
    return RunInfo(*row) if row else None
