"""The discovery watermark: per source, the newest library time stamp (OAI datestamp or 005)
of a discovery window that was fully processed. It runs on the library's clock, never ours, so
a record the library catalogues days after its document date is still ahead of it.

Beside it, the window's resumption point (`StoredResumption`): a harvest killed half-way leaves
the watermark where it was, so the next run asks for the same window; the point lets that run
take the harvest up after the last page whose records were all handed on, with those records
(kept in the catalogue) still to be processed. Moving the watermark clears it."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sources.discovery import Resumed
from sources.oai import ResumePoint
from sources.records import CatalogRecord
from storage import catalog, limits
from storage._sql import aware, utcnow
from storage.db import advisory_lock, write_transaction
from storage.models import DiscoveryResumption, DiscoveryWatermark

log = logging.getLogger(__name__)


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
    re-run window must not rewind it), and clear the source's resumption point: the window it
    belonged to is done. Returns the watermark now stored."""
    stamp = aware(stamp)
    with write_transaction(engine) as conn:
        advisory_lock(conn, f"discovery:{source}")
        # The window is done: its resumption point would only make the next window ask again.
        conn.execute(sa.delete(DiscoveryResumption).where(DiscoveryResumption.source == source))
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


class StoredResumption:
    """`sources.discovery.Checkpoint` in the database: one point per source, for the window
    (`clock`, `since`, `until`) being harvested. A point stored for another window is not
    taken up, and the first save of this window replaces it."""

    def __init__(self, engine: Engine, source: str, clock: str, since: dt.date | None,
                 until: dt.date | None) -> None:
        self.engine = engine
        self.source = source
        self.window = (clock, since, until)

    def load(self) -> Resumed | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(DiscoveryResumption.__table__)
                               .where(DiscoveryResumption.source == self.source)).first()
        if row is None or (row.clock, row.window_since, row.window_until) != self.window:
            return None
        point = ResumePoint(row.piece_from, row.piece_until, row.token, _aware(row.token_at),
                            _aware(row.token_expires), row.served)
        records = [catalog.get_catalog_record(self.engine, f"record:{i}")
                   for i in row.record_ids]
        if any(r is None for r in records):
            # A record the catalogue could not take (too long a field): only asking the door
            # again brings it back, so the window starts over rather than lose it.
            log.info("discovery resumption point of %s left: a record it gathered is not in "
                     "the catalogue", self.source)
            return None
        return Resumed(row.door, point, [r for r in records if r is not None],
                       _aware(row.high_water), row.seen)

    def save(self, door: str, point: ResumePoint, new_records: list[CatalogRecord],
             high_water: dt.datetime | None, seen: int) -> None:
        # The records first: a point must never stand for records the catalogue lacks.
        for record in new_records:
            try:
                limits.check_record(record)
            except ValueError:
                continue  # fails when processed, as ever; `load` then starts the window over
            catalog.upsert_catalog_record(self.engine, record)
        clock, since, until = self.window
        values = {
            "clock": clock, "window_since": since, "window_until": until, "door": door,
            "piece_from": point.piece_from, "piece_until": point.piece_until,
            "token": point.token, "token_at": point.token_at, "token_expires": point.expires,
            "served": point.served, "high_water": high_water, "seen": seen,
            "updated_at": utcnow(),
        }
        table = DiscoveryResumption
        with write_transaction(self.engine) as conn:
            advisory_lock(conn, f"discovery:{self.source}")
            row = conn.execute(sa.select(table.clock, table.window_since, table.window_until,
                                         table.door, table.record_ids)
                               .where(table.source == self.source)).first()
            ids = [r.record_id for r in new_records]
            if row is None:
                conn.execute(sa.insert(table).values(source=self.source, record_ids=ids,
                                                     **values))
                return
            same = (row.clock, row.window_since, row.window_until, row.door) == (
                clock, since, until, door)
            kept = list(row.record_ids) if same else []
            known = set(kept)
            kept += [i for i in ids if i not in known]
            conn.execute(sa.update(table).where(table.source == self.source)
                         .values(record_ids=kept, **values))


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return aware(value) if value is not None else None
