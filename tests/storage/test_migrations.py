"""Alembic on both engines: up from empty, down to base, up again; models and migrations agree."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from storage.db import (
    current_revision,
    downgrade_database,
    head_revision,
    make_engine,
    upgrade_database,
)
from storage.models import VIEWS, Base, include_object


def _objects(url: str) -> tuple[set[str], set[str]]:
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            insp = sa.inspect(conn)
            return set(insp.get_table_names()), set(insp.get_view_names())
    finally:
        eng.dispose()


def _diff(url: str, metadata: sa.MetaData = Base.metadata) -> list:
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"include_object": include_object, "compare_type": True}
            )
            return compare_metadata(ctx, metadata)
    finally:
        eng.dispose()


def test_upgrade_downgrade_upgrade(empty_db_url: str) -> None:
    upgrade_database(empty_db_url)
    tables, views = _objects(empty_db_url)
    assert set(Base.metadata.tables) <= tables
    assert views == set(VIEWS)
    eng = make_engine(empty_db_url)
    assert current_revision(eng) == head_revision()

    downgrade_database(empty_db_url)
    tables, views = _objects(empty_db_url)
    assert tables <= {"alembic_version"}  # nothing of ours left, FTS objects included
    assert views == set()
    assert current_revision(eng) is None

    upgrade_database(empty_db_url)
    assert current_revision(eng) == head_revision()
    eng.dispose()
    assert _diff(empty_db_url) == []


def test_upgrade_twice_is_a_no_op(empty_db_url: str) -> None:
    upgrade_database(empty_db_url)
    upgrade_database(empty_db_url)
    assert _diff(empty_db_url) == []


def test_models_and_migrations_agree(empty_db_url: str) -> None:
    upgrade_database(empty_db_url)
    assert _diff(empty_db_url) == []


def test_comparison_would_catch_a_drift(empty_db_url: str) -> None:
    # Guard against a vacuous "no diff": a model change must show up.
    upgrade_database(empty_db_url)
    drifted = sa.MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["paragraphs"].append_column(sa.Column("extra", sa.Integer()))
    diffs = _diff(empty_db_url, drifted)
    assert any(d[0] == "add_column" and d[3].name == "extra" for d in diffs)
