"""docs/schema.md is part of the contract: it names every table and column, and its example
queries run as written on the engine they are written for."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage import catalog, runs
from storage.models import VIEWS, Base
from tests.storage.factories import BASE_TEXTS, T0, load, make_doc, make_record

DOC = Path(__file__).resolve().parents[2] / "docs" / "schema.md"
CHILD_TABLES = {
    "catalog_symbols",
    "catalog_subjects",
    "catalog_agenda_items",
    "catalog_related",
    "catalog_files",
}


def _sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^### (\w+)\s*$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_every_table_and_column_is_documented() -> None:
    sections = _sections()
    text = DOC.read_text(encoding="utf-8")
    for name in VIEWS:
        assert name in sections, f"view {name} has no section"
    for table in Base.metadata.sorted_tables:
        if table.name in CHILD_TABLES:
            body = text  # documented together in one table of the catalog_records section
            assert f"| {table.name} |" in text, table.name
        else:
            assert table.name in sections, f"table {table.name} has no section"
            body = sections[table.name]
        for col in table.columns:
            if table.name in CHILD_TABLES and col.name in ("record_id", "position"):
                continue
            assert re.search(rf"\b{col.name}\b", body), f"{table.name}.{col.name} undocumented"


def _examples() -> list[tuple[str | None, str]]:
    blocks = re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    out = []
    for block in blocks:
        first = block.splitlines()[0].strip()
        engine = {"-- PostgreSQL": "postgresql", "-- SQLite": "sqlite"}.get(first)
        out.append((engine, block))
    return out


def test_doc_has_examples_for_both_engines() -> None:
    engines = [e for e, _ in _examples()]
    assert engines.count("postgresql") >= 3 and engines.count("sqlite") >= 3
    assert engines.count(None) >= 5


def _fill(engine: Engine) -> None:
    rid = runs.start_run(engine, flow="ingest", flow_run_id="f", parameters={"since": None})
    catalog.upsert_catalog_record(engine, make_record())
    load(engine, make_doc(), run_id=rid)
    load(
        engine,
        make_doc((*BASE_TEXTS[:2], "Revised text on remittances.", BASE_TEXTS[3])),
        source="f2",
        fetched_at=T0 + dt.timedelta(days=1),
        run_id=rid,
    )
    runs.record_failure(
        engine,
        run_id=rid,
        symbol="A/78/1",
        language="en",
        url=None,
        stage="download",
        error="HTTP 404",
    )
    runs.finish_run(engine, rid, status="completed", counts={"new": 1, "updated": 1, "failed": 1})


def test_examples_run(engine: Engine) -> None:
    _fill(engine)
    ran = 0
    for target, sql in _examples():
        if target not in (None, engine.dialect.name):
            continue
        with engine.connect() as conn:
            try:
                rows = conn.execute(sa.text(sql.strip().rstrip(";"))).all()
            except sa.exc.DBAPIError as exc:  # pragma: no cover - the message is the point
                pytest.fail(f"example failed on {engine.dialect.name}:\n{sql}\n{exc}")
        assert rows, f"example returned nothing on {engine.dialect.name}:\n{sql}"
        ran += 1
    assert ran >= 10
