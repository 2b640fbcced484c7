"""A run's lease: heartbeats while it lives, closed as abandoned once its process is gone,
and a stop that never overwrites what the run's own process said."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage import runs
from storage.models import IngestRun


def _age(engine: Engine, run_id: int, *, heartbeat: dt.timedelta | None,
         started: dt.timedelta) -> None:
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(sa.update(IngestRun).where(IngestRun.id == run_id).values(
            started_at=now - started,
            heartbeat_at=None if heartbeat is None else now - heartbeat,
        ))


def test_heartbeat_renews_the_lease_and_live_counts(engine: Engine) -> None:
    rid = runs.start_run(engine, flow="ingest", flow_run_id=None, parameters={})
    assert runs.beat(engine, rid, counts={"discovered": 5, "new": 2})
    with engine.connect() as conn:
        beat, counts = conn.execute(
            sa.select(IngestRun.heartbeat_at, IngestRun.counts).where(IngestRun.id == rid)
        ).one()
    assert dt.datetime.now(dt.UTC) - beat < dt.timedelta(seconds=30)
    assert counts == {"discovered": 5, "new": 2}

    runs.finish_run(engine, rid, status="completed", counts={"new": 3})
    assert not runs.beat(engine, rid, counts={"new": 0}), "a closed run is not revived"
    assert runs.get_run(engine, rid).counts == {"new": 3}


def test_only_runs_whose_lease_ran_out_are_closed_as_abandoned(engine: Engine) -> None:
    minute = dt.timedelta(minutes=1)
    killed = runs.start_run(engine, flow="backfill", flow_run_id=None, parameters={})
    _age(engine, killed, heartbeat=10 * minute, started=60 * minute)
    never_beat = runs.start_run(engine, flow="ingest", flow_run_id=None, parameters={})
    _age(engine, never_beat, heartbeat=None, started=10 * minute)
    alive = runs.start_run(engine, flow="ingest", flow_run_id=None, parameters={})
    _age(engine, alive, heartbeat=dt.timedelta(seconds=5), started=60 * minute)
    finished = runs.start_run(engine, flow="ingest", flow_run_id=None, parameters={})
    runs.finish_run(engine, finished, status="completed", counts={})
    _age(engine, finished, heartbeat=10 * minute, started=60 * minute)
    me = runs.start_run(engine, flow="ingest", flow_run_id=None, parameters={})

    closed = runs.close_abandoned(engine, stale_after=2 * minute, closed_by=me)

    assert [c.id for c in closed] == [killed, never_beat]
    info = {r.id: r for r in runs.last_runs(engine, 10)}
    assert [info[i].status for i in (killed, never_beat, alive, finished, me)] == [
        "abandoned", "abandoned", "running", "completed", "running"]
    # Closed at its last sign of life, saying so and by whom.
    assert info[killed].finished_at == closed[0].last_sign_of_life
    assert info[killed].error.startswith("abandoned: no heartbeat since ")
    assert f"closed by run {me}" in info[killed].error
    assert runs.close_abandoned(engine, stale_after=2 * minute) == []


def test_a_stop_does_not_overwrite_what_the_run_said(engine: Engine) -> None:
    rid = runs.start_run(engine, flow="ingest", flow_run_id=None, parameters={})
    assert runs.close_if_running(engine, rid, status="interrupted", error="stopped by SIGTERM",
                                 counts={"new": 1})
    assert not runs.close_if_running(engine, rid, status="interrupted", error="again")
    r = runs.get_run(engine, rid)
    assert (r.status, r.error, r.counts) == ("interrupted", "stopped by SIGTERM", {"new": 1})
