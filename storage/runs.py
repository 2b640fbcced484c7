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


# --- leases: a run's heartbeat, and closing the runs whose process is gone ---------------------


def beat(engine: Engine, run_id: int, *, counts: dict[str, int] | None = None) -> bool:
    """Renew a running run's lease (and, given, its live counts). False once the run is closed:
    a run that another process judged abandoned is not brought back to life."""
    values: dict[str, Any] = {"heartbeat_at": utcnow()}
    if counts is not None:
        values["counts"] = dict(counts)
    return _update_running(engine, run_id, values)


def _update_running(engine: Engine, run_id: int, values: dict[str, Any]) -> bool:
    """Write `values` on the run if it is still `running`; whether it was."""
    with write_transaction(engine) as conn:
        done = conn.execute(
            sa.update(IngestRun)
            .where(IngestRun.id == run_id, IngestRun.status == "running")
            .values(**values)
        )
        return done.rowcount == 1


def close_if_running(
    engine: Engine, run_id: int, *, status: str, error: str,
    counts: dict[str, int] | None = None, warnings: list[str] | None = None,
) -> bool:
    """Close a run that is still `running` (an interrupted or abandoned one); a run its own
    process already closed keeps what that process said. True if this call closed it."""
    values: dict[str, Any] = {"finished_at": utcnow(), "status": status, "error": _short(error)}
    if counts is not None:
        values["counts"] = dict(counts)
    if warnings:
        values["warnings"] = [_short(w) for w in warnings[:MAX_WARNINGS]]
    return _update_running(engine, run_id, values)


@dataclass(frozen=True)
class AbandonedRun:
    id: int
    flow: str
    started_at: dt.datetime
    last_sign_of_life: dt.datetime


def close_abandoned(
    engine: Engine, *, stale_after: dt.timedelta, closed_by: int | None = None
) -> list[AbandonedRun]:
    """Close as `abandoned` every `running` run whose lease (its heartbeat, or its start when it
    never beat) is older than `stale_after`: its process was killed or its machine lost, since a
    living process renews the lease far more often. Returns the runs closed."""
    t = IngestRun.__table__
    last = sa.func.coalesce(t.c.heartbeat_at, t.c.started_at)
    now = utcnow()
    with write_transaction(engine) as conn:
        # One closer at a time; two runs starting together must not both close the same row.
        advisory_lock(conn, "runs:close-abandoned")
        rows = conn.execute(
            sa.select(t.c.id, t.c.flow, t.c.started_at, t.c.heartbeat_at)
            .where(t.c.status == "running", last < now - stale_after)
            .order_by(t.c.id)
        ).all()
        closed = []
        for run_id, flow, started_at, heartbeat_at in rows:
            seen = heartbeat_at or started_at
            by = f" by run {closed_by}" if closed_by is not None else ""
            conn.execute(
                sa.update(IngestRun)
                .where(t.c.id == run_id, t.c.status == "running")
                .values(
                    status="abandoned",
                    # When it was last known alive, not when somebody noticed.
                    finished_at=seen,
                    error=f"abandoned: no heartbeat since {seen:%Y-%m-%d %H:%M:%S} UTC "
                          f"(its process was killed or its machine lost); closed{by} at "
                          f"{now:%Y-%m-%d %H:%M:%S} UTC",
                )
            )
            closed.append(AbandonedRun(run_id, flow, started_at, seen))
        return closed


# --- what a run was asked for and the library did not have -------------------------------------


def set_not_found(engine: Engine, run_id: int, symbols: list[str]) -> None:
    with write_transaction(engine) as conn:
        conn.execute(
            sa.update(IngestRun).where(IngestRun.id == run_id).values(not_found=list(symbols))
        )


def not_found_of(engine: Engine, run_ids: list[int]) -> dict[int, list[str]]:
    """The symbols each of `run_ids` was asked for and did not find (runs with none left out)."""
    if not run_ids:
        return {}
    t = IngestRun.__table__
    stmt = sa.select(t.c.id, t.c.not_found).where(t.c.id.in_(run_ids), t.c.not_found.isnot(None))
    with engine.connect() as conn:
        return {run_id: list(found) for run_id, found in conn.execute(stmt) if found}


def failures_of_run(engine: Engine, run_id: int) -> list[FailureInfo]:
    """The failures run `run_id` met (first or again), open or since resolved, newest first."""
    t = IngestFailure.__table__
    stmt = (
        sa.select(*(t.c[name] for name in FailureInfo.__dataclass_fields__))
        .where(sa.or_(t.c.last_run_id == run_id, t.c.first_run_id == run_id))
        .order_by(t.c.last_seen_at.desc(), t.c.id.desc())
    )
    with engine.connect() as conn:
        return [FailureInfo(*row) for row in conn.execute(stmt)]
