"""UN Digital Library metadata: one current row per record, earlier states in a history table.

The update rule (docs/schema.md states it for downstream users):

- A record is keyed by its record id (MARC 001). Its content hash covers every field except the
  005 modification time.
- Same content as stored: only `last_seen_at` moves (and `modified`, if the copy is newer).
- Different content, and the copy is not older than the stored one by its 005 time: the stored
  state is copied whole into `catalog_record_history` (valid from its `updated_at` to now), then
  the record and its child rows (symbols, subjects, agenda items, related, files) are replaced in
  place, all in one transaction.
- Different content but an older 005 time than the stored one: an out-of-date copy (a slow
  mirror, an overlapping window); it is ignored.

One document identity: when several records claim one primary symbol (a duplicate in the
catalogue), the document's text comes from one of them only, the *owner*: the record with the
newest 005 time (a record without one is older than any with one), ties going to the greater
record id (`owner_key`). Every record is still stored; only the owner's files are loaded, so
runs never alternate between the two records' files.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from sources.records import AgendaItem, CatalogRecord, FileLink
from storage._sql import aware, clean, sha256_json, utcnow
from storage.db import advisory_lock, write_transaction
from storage.models import (
    CatalogAgendaItem,
    CatalogEntry,
    CatalogFile,
    CatalogHistory,
    CatalogRelated,
    CatalogSubject,
    CatalogSymbol,
)

_CHILDREN = (CatalogSymbol, CatalogSubject, CatalogAgendaItem, CatalogRelated, CatalogFile)


def record_to_dict(record: CatalogRecord) -> dict:
    """A JSON-able form of a record (the shape kept in catalog_record_history.record)."""
    return {
        "record_id": record.record_id,
        "symbols": list(record.symbols),
        "title": record.title,
        "date": record.date.isoformat() if record.date else None,
        "modified": aware(record.modified).isoformat() if record.modified else None,
        "body": record.body,
        "subjects": list(record.subjects),
        "agenda_items": [
            {"symbol": a.symbol, "item": a.item, "title": a.title, "subject": a.subject}
            for a in record.agenda_items
        ],
        "related": [[rel, sym] for rel, sym in record.related],
        "files": [{"url": f.url, "language": f.language, "size": f.size} for f in record.files],
    }


def content_hash(record: CatalogRecord) -> str:
    data = record_to_dict(record)
    del data["modified"]  # a touched record with the same content is not a new state
    return sha256_json(data)


def upsert_catalog_record(
    engine: Engine, record: CatalogRecord, *, seen_at: dt.datetime | None = None
) -> None:
    """Store `record` by the update rule in this module's docstring. One transaction."""
    now = aware(seen_at) if seen_at else utcnow()
    new_hash = content_hash(record)
    modified = aware(record.modified) if record.modified else None
    with write_transaction(engine) as conn:
        advisory_lock(conn, f"catalog:{record.record_id}")
        row = conn.execute(
            sa.select(
                CatalogEntry.modified,
                CatalogEntry.content_sha256,
                CatalogEntry.updated_at,
                CatalogEntry.last_seen_at,
            ).where(CatalogEntry.record_id == record.record_id)
        ).first()
        if row is None:
            conn.execute(
                sa.insert(CatalogEntry).values(
                    **_scalars(record, modified),
                    content_sha256=new_hash,
                    first_seen_at=now,
                    updated_at=now,
                    last_seen_at=now,
                )
            )
            _insert_children(conn, record)
            return

        where = CatalogEntry.record_id == record.record_id
        if row.content_sha256 == new_hash:
            values: dict = {"last_seen_at": max(now, row.last_seen_at)}
            if modified and (row.modified is None or modified > row.modified):
                values["modified"] = modified
            conn.execute(sa.update(CatalogEntry).where(where).values(**values))
            return
        if modified and row.modified and modified < row.modified:
            return  # an out-of-date copy: keep the newer state we have

        old = _load(conn, record.record_id)
        assert old is not None  # the row is there and we hold the lock
        conn.execute(
            sa.insert(CatalogHistory).values(
                record_id=record.record_id,
                modified=row.modified,
                content_sha256=row.content_sha256,
                record=record_to_dict(old),
                valid_from=row.updated_at,
                valid_to=max(now, row.updated_at),
            )
        )
        conn.execute(
            sa.update(CatalogEntry)
            .where(where)
            .values(
                **_scalars(record, modified),
                content_sha256=new_hash,
                updated_at=max(now, row.updated_at),
                last_seen_at=now,
            )
        )
        for child in _CHILDREN:
            conn.execute(sa.delete(child).where(child.record_id == record.record_id))
        _insert_children(conn, record)


def _scalars(record: CatalogRecord, modified: dt.datetime | None) -> dict:
    return {
        "record_id": record.record_id,
        "symbol": clean(record.symbol),
        "title": clean(record.title),
        "date": record.date,
        "modified": modified,
        "body": clean(record.body),
    }


def _insert_children(conn: Connection, record: CatalogRecord) -> None:
    rid = record.record_id
    batches = {
        CatalogSymbol: [
            {"record_id": rid, "position": i, "symbol": clean(s)}
            for i, s in enumerate(record.symbols)
        ],
        CatalogSubject: [
            {"record_id": rid, "position": i, "subject": clean(s)}
            for i, s in enumerate(record.subjects)
        ],
        CatalogAgendaItem: [
            {
                "record_id": rid,
                "position": i,
                "symbol": clean(a.symbol),
                "item": clean(a.item),
                "title": clean(a.title),
                "subject": clean(a.subject),
            }
            for i, a in enumerate(record.agenda_items)
        ],
        CatalogRelated: [
            {"record_id": rid, "position": i, "relation": clean(rel), "symbol": clean(sym)}
            for i, (rel, sym) in enumerate(record.related)
        ],
        CatalogFile: [
            {"record_id": rid, "position": i, "url": f.url, "language": f.language, "size": f.size}
            for i, f in enumerate(record.files)
        ],
    }
    for model, rows in batches.items():
        if rows:
            conn.execute(sa.insert(model), rows)


def _load(conn: Connection, record_id: str) -> CatalogRecord | None:
    e = conn.execute(
        sa.select(CatalogEntry.__table__).where(CatalogEntry.record_id == record_id)
    ).first()
    if e is None:
        return None

    def children(model: type) -> list:
        t = model.__table__
        return list(
            conn.execute(sa.select(t).where(t.c.record_id == record_id).order_by(t.c.position))
        )

    return CatalogRecord(
        record_id=e.record_id,
        symbols=tuple(s.symbol for s in children(CatalogSymbol)),
        title=e.title,
        date=e.date,
        modified=e.modified,
        body=e.body,
        subjects=tuple(s.subject for s in children(CatalogSubject)),
        agenda_items=tuple(
            AgendaItem(symbol=a.symbol, item=a.item, title=a.title, subject=a.subject)
            for a in children(CatalogAgendaItem)
        ),
        related=tuple((r.relation, r.symbol) for r in children(CatalogRelated)),
        files=tuple(
            FileLink(url=f.url, language=f.language, size=f.size) for f in children(CatalogFile)
        ),
    )


def get_catalog_record(engine: Engine, symbol: str) -> CatalogRecord | None:
    """The record carrying `symbol` (as its primary symbol first, else any of its 191 symbols;
    the most recently modified wins a tie). `record:ID` looks a record up by its id."""
    with engine.connect() as conn:
        if symbol.startswith("record:"):
            return _load(conn, symbol.removeprefix("record:"))
        record_id = conn.execute(
            sa.select(CatalogSymbol.record_id)
            .join(CatalogEntry, CatalogEntry.record_id == CatalogSymbol.record_id)
            .where(CatalogSymbol.symbol == symbol)
            .order_by(
                CatalogSymbol.position,
                CatalogEntry.modified.desc().nulls_last(),
                CatalogEntry.record_id.desc(),
            )
            .limit(1)
        ).scalar()
        return _load(conn, record_id) if record_id is not None else None


def owner_key(record_id: str, modified: dt.datetime | None) -> tuple:
    """Sort key of the document-identity rule above: the greatest key owns the symbol."""
    if modified is not None and modified.tzinfo is None:
        modified = modified.replace(tzinfo=dt.UTC)
    return (modified is not None, modified, record_id)


def symbol_owner(engine: Engine, symbol: str) -> str | None:
    """The record id that owns `symbol` among the stored records carrying it as their primary
    symbol (see `owner_key`); None when no stored record does."""
    with engine.connect() as conn:
        claims = conn.execute(
            sa.select(CatalogEntry.record_id, CatalogEntry.modified)
            .join(CatalogSymbol, CatalogSymbol.record_id == CatalogEntry.record_id)
            .where(CatalogSymbol.symbol == symbol, CatalogSymbol.position == 0)
        ).all()
    if not claims:
        return None
    return max(claims, key=lambda c: owner_key(c.record_id, c.modified)).record_id


def watermark(engine: Engine) -> dt.datetime | None:
    """Where the next run's window starts from: the newest 005 modification time stored, or for
    records without one, their record date (as midnight UTC); the later of the two."""
    with engine.connect() as conn:
        newest_modified = conn.execute(sa.select(sa.func.max(CatalogEntry.modified))).scalar()
        newest_date = conn.execute(
            sa.select(sa.func.max(CatalogEntry.date)).where(CatalogEntry.modified.is_(None))
        ).scalar()
    candidates = [newest_modified] if newest_modified else []
    if newest_date is not None:
        if isinstance(newest_date, str):  # defensive: SQLite aggregate of a DATE column
            newest_date = dt.date.fromisoformat(newest_date)
        candidates.append(dt.datetime.combine(newest_date, dt.time(), tzinfo=dt.UTC))
    return max(candidates) if candidates else None
