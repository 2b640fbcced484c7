"""UN Digital Library metadata: stored whole, updated in place by the documented rule."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage import catalog
from tests.storage.factories import SYMBOL, make_record, row_counts


def _history(engine: Engine) -> list[sa.Row]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.text(
                    "SELECT record, valid_from, valid_to FROM catalog_record_history ORDER BY id"
                )
            )
        )


def test_round_trip_by_any_symbol(engine: Engine) -> None:
    rec = make_record()
    catalog.upsert_catalog_record(engine, rec)
    assert catalog.get_catalog_record(engine, SYMBOL) == rec
    assert catalog.get_catalog_record(engine, "A/61/515/Corr.1") == rec  # a secondary 191
    assert catalog.get_catalog_record(engine, "record:585432") == rec
    assert catalog.get_catalog_record(engine, "A/99/1") is None


def test_same_content_only_moves_last_seen(engine: Engine) -> None:
    rec = make_record()
    catalog.upsert_catalog_record(engine, rec, seen_at=dt.datetime(2024, 5, 1, tzinfo=dt.UTC))
    before = row_counts(engine)
    touched = dataclasses.replace(rec, modified=rec.modified + dt.timedelta(days=1))
    catalog.upsert_catalog_record(engine, touched, seen_at=dt.datetime(2024, 5, 2, tzinfo=dt.UTC))
    assert row_counts(engine) == before
    assert catalog.get_catalog_record(engine, SYMBOL).modified == touched.modified
    with engine.connect() as conn:
        seen = conn.execute(sa.text("SELECT last_seen_at FROM catalog_records")).scalar_one()
    assert str(seen).startswith("2024-05-02")


def test_changed_content_is_updated_in_place_with_history(engine: Engine) -> None:
    rec = make_record()
    catalog.upsert_catalog_record(engine, rec)
    newer = dataclasses.replace(
        rec,
        title="Corrected title",
        subjects=("REMITTANCES",),
        modified=rec.modified + dt.timedelta(days=3),
    )
    catalog.upsert_catalog_record(engine, newer)
    assert catalog.get_catalog_record(engine, SYMBOL) == newer
    counts = row_counts(engine)
    assert counts["catalog_records"] == 1 and counts["catalog_subjects"] == 1
    [old] = _history(engine)
    # Raw SQL: JSON comes back as text on SQLite, decoded on PostgreSQL.
    snapshot = json.loads(old.record) if isinstance(old.record, str) else old.record
    assert snapshot["title"] == rec.title
    assert snapshot["subjects"] == list(rec.subjects)


def test_an_older_copy_does_not_overwrite_a_newer_one(engine: Engine) -> None:
    rec = make_record()
    catalog.upsert_catalog_record(engine, rec)
    stale = dataclasses.replace(
        rec, title="Old title", modified=rec.modified - dt.timedelta(days=9)
    )
    catalog.upsert_catalog_record(engine, stale)
    assert catalog.get_catalog_record(engine, SYMBOL) == rec
    assert _history(engine) == []


def test_record_without_symbols_or_dates(engine: Engine) -> None:
    bare = make_record(record_id="42", symbols=(), modified=None, date=None, subjects=())
    catalog.upsert_catalog_record(engine, bare)
    assert catalog.get_catalog_record(engine, "record:42") == bare


def test_watermark(engine: Engine) -> None:
    assert catalog.watermark(engine) is None
    catalog.upsert_catalog_record(
        engine,
        make_record(record_id="1", modified=None, date=dt.date(2024, 6, 1), symbols=("A/1",)),
    )
    assert catalog.watermark(engine) == dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
    catalog.upsert_catalog_record(
        engine,
        make_record(
            record_id="2",
            modified=dt.datetime(2024, 7, 2, 9, 30, tzinfo=dt.UTC),
            date=dt.date(2023, 1, 1),
            symbols=("A/2",),
        ),
    )
    wm = catalog.watermark(engine)
    assert wm == dt.datetime(2024, 7, 2, 9, 30, tzinfo=dt.UTC) and wm.tzinfo == dt.UTC
