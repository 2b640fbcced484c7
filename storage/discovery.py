"""The discovery watermark: per source, the newest library time stamp (OAI datestamp or 005)
of a discovery window that was fully processed. It runs on the library's clock, never ours, so
a record the library catalogues days after its document date is still ahead of it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage._sql import aware, utcnow
from storage.db import advisory_lock, write_transaction
from storage.models import DiscoveryWatermark


@dataclass(frozen=True)
class Watermark:
    source: str
    watermark: dt.datetime
    door: str | None
    run_id: int | None
    updated_at: dt.datetime


def get_watermark(engine: Engine, source: str) -> Watermark | None:
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(DiscoveryWatermark.__table__).where(DiscoveryWatermark.source == source)
        ).first()
    if row is None:
        return None
    return Watermark(row.source, aware(row.watermark), row.door, row.run_id,
                     aware(row.updated_at))


def advance_watermark(
    engine: Engine, source: str, stamp: dt.datetime, *, door: str | None, run_id: int | None
) -> dt.datetime:
    """Move the source's watermark to `stamp` if that is later (never back: an overlapping or
    re-run window must not rewind it). Returns the watermark now stored."""
    stamp = aware(stamp)
    with write_transaction(engine) as conn:
        advisory_lock(conn, f"discovery:{source}")
        current = conn.execute(
            sa.select(DiscoveryWatermark.watermark).where(DiscoveryWatermark.source == source)
        ).scalar()
        if current is None:
            conn.execute(sa.insert(DiscoveryWatermark).values(
                source=source, watermark=stamp, door=door, run_id=run_id, updated_at=utcnow()))
            return stamp
        current = aware(current)
        if stamp <= current:
            return current
        conn.execute(
            sa.update(DiscoveryWatermark).where(DiscoveryWatermark.source == source)
            .values(watermark=stamp, door=door, run_id=run_id, updated_at=utcnow())
        )
        return stamp
