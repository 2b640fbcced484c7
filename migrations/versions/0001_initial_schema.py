"""Initial schema: documents and versions, catalogue metadata, runs and failures, views, FTS.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types, so this revision never changes when the models do.
TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
SHA = sa.String(64)


def _pk(table: str, *cols: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*cols, name=f"pk_{table}")


def _fk(table: str, col: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    ref_table, ref_col = target.split(".")
    return sa.ForeignKeyConstraint(
        [col], [target], name=f"fk_{table}_{col}_{ref_table}", ondelete=ondelete
    )


def _catalog_child(table: str, *columns: sa.Column) -> None:
    op.create_table(
        table,
        sa.Column("record_id", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        *columns,
        _fk(table, "record_id", "catalog_records.record_id", "CASCADE"),
        _pk(table, "record_id", "position"),
    )


def upgrade() -> None:
    # --- operations ---
    op.create_table(
        "ingest_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flow", sa.Text(), nullable=False),
        sa.Column("flow_run_id", sa.String(64), nullable=True),
        sa.Column("parameters", JSON, nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("counts", JSON, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        _pk("ingest_runs", "id"),
    )
    op.create_index("ix_ingest_runs_flow_run_id", "ingest_runs", ["flow_run_id"])
    op.create_index("ix_ingest_runs_started_at", "ingest_runs", ["started_at"])

    op.create_table(
        "ingest_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.Text(), nullable=False),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("first_run_id", sa.Integer(), nullable=True),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", TS, nullable=True),
        _fk("ingest_failures", "first_run_id", "ingest_runs.id", "SET NULL"),
        _fk("ingest_failures", "last_run_id", "ingest_runs.id", "SET NULL"),
        _pk("ingest_failures", "id"),
    )
    op.create_index("ix_ingest_failures_symbol", "ingest_failures", ["symbol"])
    op.create_index(
        "uq_ingest_failures_open",
        "ingest_failures",
        ["symbol", "language", "stage"],
        unique=True,
        sqlite_where=sa.text("resolved_at IS NULL"),
        postgresql_where=sa.text("resolved_at IS NULL"),
        postgresql_nulls_not_distinct=True,
    )

    op.create_table(
        "http_validators",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("sha256", SHA, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        _pk("http_validators", "url"),
    )

    # --- UN Digital Library metadata ---
    op.create_table(
        "catalog_records",
        sa.Column("record_id", sa.String(32), nullable=False),
        sa.Column("symbol", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("modified", TS, nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("content_sha256", SHA, nullable=False),
        sa.Column("first_seen_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        _pk("catalog_records", "record_id"),
    )
    op.create_index("ix_catalog_records_symbol", "catalog_records", ["symbol"])
    _catalog_child("catalog_symbols", sa.Column("symbol", sa.Text(), nullable=False))
    op.create_index("ix_catalog_symbols_symbol", "catalog_symbols", ["symbol"])
    _catalog_child("catalog_subjects", sa.Column("subject", sa.Text(), nullable=False))
    op.create_index("ix_catalog_subjects_subject", "catalog_subjects", ["subject"])
    _catalog_child(
        "catalog_agenda_items",
        sa.Column("symbol", sa.Text(), nullable=True),
        sa.Column("item", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
    )
    _catalog_child(
        "catalog_related",
        sa.Column("relation", sa.Text(), nullable=False),
        sa.Column("symbol", sa.Text(), nullable=False),
    )
    op.create_index("ix_catalog_related_symbol", "catalog_related", ["symbol"])
    _catalog_child(
        "catalog_files",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
    )
    op.create_table(
        "catalog_record_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(32), nullable=False),
        sa.Column("modified", TS, nullable=True),
        sa.Column("content_sha256", SHA, nullable=False),
        sa.Column("record", JSON, nullable=False),
        sa.Column("valid_from", TS, nullable=False),
        sa.Column("valid_to", TS, nullable=False),
        _fk("catalog_record_history", "record_id", "catalog_records.record_id", "CASCADE"),
        _pk("catalog_record_history", "id"),
    )
    op.create_index("ix_catalog_record_history_record_id", "catalog_record_history", ["record_id"])

    # --- documents and versions ---
    op.create_table(
        "documents",
        sa.Column("symbol", sa.Text(), nullable=False),
        sa.Column("record_id", sa.String(32), nullable=True),
        sa.Column("first_seen_at", TS, nullable=False),
        _pk("documents", "symbol"),
    )
    op.create_index("ix_documents_record_id", "documents", ["record_id"])

    op.create_table(
        "document_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.Text(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(32), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("doc_date", sa.Date(), nullable=True),
        sa.Column("doc_type", sa.String(40), nullable=True),
        sa.Column("page_count", sa.Integer(), nullable=True),
        sa.Column("front_matter", JSON, nullable=False),
        sa.Column("warnings", JSON, nullable=False),
        sa.Column("paragraph_count", sa.Integer(), nullable=False),
        sa.Column("footnote_count", sa.Integer(), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("source_sha256", SHA, nullable=False),
        sa.Column("text_sha256", SHA, nullable=False),
        sa.Column("content_sha256", SHA, nullable=False),
        sa.Column("parser_version", sa.String(40), nullable=False),
        sa.Column("fetched_at", TS, nullable=False),
        sa.Column("loaded_at", TS, nullable=False),
        sa.Column("valid_from", TS, nullable=False),
        sa.Column("valid_to", TS, nullable=True),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from", name="ck_document_versions_valid_range"
        ),
        sa.CheckConstraint("version >= 1", name="ck_document_versions_version_positive"),
        _fk("document_versions", "run_id", "ingest_runs.id", "SET NULL"),
        _fk("document_versions", "symbol", "documents.symbol", "CASCADE"),
        _pk("document_versions", "id"),
        sa.UniqueConstraint(
            "symbol", "language", "version", name="uq_document_versions_symbol_language_version"
        ),
    )
    op.create_index("ix_document_versions_run_id", "document_versions", ["run_id"])
    op.create_index(
        "uq_document_versions_current",
        "document_versions",
        ["symbol", "language"],
        unique=True,
        sqlite_where=sa.text("valid_to IS NULL"),
        postgresql_where=sa.text("valid_to IS NULL"),
    )

    op.create_table(
        "version_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("source_sha256", SHA, nullable=False),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("parser_version", sa.String(40), nullable=False),
        sa.Column("first_seen_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        _fk("version_sources", "run_id", "ingest_runs.id", "SET NULL"),
        _fk("version_sources", "version_id", "document_versions.id", "CASCADE"),
        _pk("version_sources", "id"),
        sa.UniqueConstraint(
            "version_id",
            "source_sha256",
            "parser_version",
            name="uq_version_sources_version_id_source_sha256_parser_version",
        ),
    )
    op.create_index("ix_version_sources_source_sha256", "version_sources", ["source_sha256"])

    op.create_table(
        "paragraphs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("number", sa.Text(), nullable=True),
        sa.Column("section", sa.Text(), nullable=True),
        sa.Column("section_path", JSON, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_sha256", SHA, nullable=False),
        sa.Column("items", JSON, nullable=False),
        sa.Column("footnote_markers", JSON, nullable=False),
        _fk("paragraphs", "version_id", "document_versions.id", "CASCADE"),
        _pk("paragraphs", "id"),
        sa.UniqueConstraint("version_id", "position", name="uq_paragraphs_version_id_position"),
    )
    op.create_table(
        "footnotes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("marker", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("paragraph_position", sa.Integer(), nullable=True),
        _fk("footnotes", "version_id", "document_versions.id", "CASCADE"),
        _pk("footnotes", "id"),
        sa.UniqueConstraint("version_id", "position", name="uq_footnotes_version_id_position"),
    )

    # --- the read contract: views ---
    op.execute(
        """
        CREATE VIEW current_documents AS
        SELECT v.symbol, v.language, v.version,
               COALESCE(v.title, c.title) AS title,
               COALESCE(v.doc_date, c.date) AS date,
               v.source_url, v.fetched_at,
               v.record_id, v.doc_type, v.parser_version, v.source_sha256,
               v.paragraph_count, v.valid_from, v.last_seen_at, v.id AS version_id
        FROM document_versions v
        LEFT JOIN catalog_records c ON c.record_id = v.record_id
        WHERE v.valid_to IS NULL
        """
    )
    op.execute(
        """
        CREATE VIEW current_paragraphs AS
        SELECT v.symbol, v.language, v.version,
               p.position, p.number, p.section, p.kind, p.text,
               p.id AS paragraph_id, p.version_id
        FROM paragraphs p
        JOIN document_versions v ON v.id = p.version_id
        WHERE v.valid_to IS NULL
        """
    )

    # --- full-text search ---
    if op.get_bind().dialect.name == "sqlite":
        # External-content FTS5 over paragraphs.text. New paragraphs are indexed by the loader
        # in one set-based INSERT per version (storage.versions; ~4x faster than a per-row
        # trigger); deletes and text updates are kept in step by triggers.
        op.execute(
            "CREATE VIRTUAL TABLE paragraphs_fts USING fts5(text, content='paragraphs', "
            "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"
        )
        op.execute(
            "CREATE TRIGGER paragraphs_fts_ad AFTER DELETE ON paragraphs BEGIN "
            "INSERT INTO paragraphs_fts(paragraphs_fts, rowid, text) "
            "VALUES ('delete', old.id, old.text); END"
        )
        op.execute(
            "CREATE TRIGGER paragraphs_fts_au AFTER UPDATE OF text ON paragraphs BEGIN "
            "INSERT INTO paragraphs_fts(paragraphs_fts, rowid, text) "
            "VALUES ('delete', old.id, old.text); "
            "INSERT INTO paragraphs_fts(rowid, text) VALUES (new.id, new.text); END"
        )
    else:
        op.execute(
            "CREATE INDEX ix_paragraphs_text_fts ON paragraphs "
            "USING gin (to_tsvector('english'::regconfig, text))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("paragraphs_fts_au", "paragraphs_fts_ad"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS paragraphs_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_paragraphs_text_fts")
    op.execute("DROP VIEW IF EXISTS current_paragraphs")
    op.execute("DROP VIEW IF EXISTS current_documents")
    for table in (
        "footnotes",
        "paragraphs",
        "version_sources",
        "document_versions",
        "documents",
        "catalog_record_history",
        "catalog_files",
        "catalog_related",
        "catalog_agenda_items",
        "catalog_subjects",
        "catalog_symbols",
        "catalog_records",
        "http_validators",
        "ingest_failures",
        "ingest_runs",
    ):
        op.drop_table(table)  # indexes go with their table
