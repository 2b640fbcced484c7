"""What the runs table knows about the chunks of a run fanned out over workers (flows.fanout).

Each chunk runs as its own flow run and records its own `ingest_runs` row (flow
`backfill-chunk` or `reprocess-chunk`) whose parameters name the parent's key and the chunk; no
table of its own is needed: a chunk is complete when such a row ended `completed`.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage.models import IngestRun
from storage.runs import RunInfo


def completed_chunks(engine: Engine, *, flow: str, key: str) -> set[str]:
    """The chunk names of `flow` runs that ended `completed` for the fanned-out run `key`."""
    t = IngestRun.__table__
    stmt = sa.select(t.c.parameters).where(t.c.flow == flow, t.c.status == "completed")
    with engine.connect() as conn:
        rows = conn.execute(stmt).scalars().all()
    return {
        str(p["chunk"]) for p in rows
        if isinstance(p, dict) and p.get("key") == key and "chunk" in p
    }


def run_of_flow_run(engine: Engine, flow_run_id: str) -> RunInfo | None:
    """The latest run row a Prefect flow run recorded, if it got that far."""
    t = IngestRun.__table__
    stmt = (
        sa.select(*(t.c[name] for name in RunInfo.__dataclass_fields__))
        .where(t.c.flow_run_id == flow_run_id)
        .order_by(t.c.id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(stmt).first()
    return RunInfo(*row) if row else None
