"""The schema as SQLAlchemy 2.0 typed ORM models: the single source the migrations must match.

docs/schema.md is the public description of every table, column and view; keep the two in step.
Views and full-text objects are not ORM models: the migrations create them (see `FTS_OBJECTS`
and `VIEWS`, which autogenerate comparisons skip).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC in and out on both engines.

    PostgreSQL stores `timestamptz`; SQLite has no time zones, so values are stored as naive UTC
    text (sortable) and read back with `tzinfo=UTC`. Naive input is refused: guessing is how
    timestamps drift by hours.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware one")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # a view or raw SQL on SQLite can hand back the text
            value = dt.datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


# JSONB on PostgreSQL (indexable, `->>`, `@>`), JSON text on SQLite.
JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
SHA256 = sa.String(64)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime(), dt.date: sa.Date()}


# --- documents and their versions -----------------------------------------------------------


class Document(Base):
    """One UN symbol; its language versions each have a chain of versions."""

    __tablename__ = "documents"

    symbol: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    record_id: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    first_seen_at: Mapped[dt.datetime]


class DocumentVersion(Base):
    """One version of one language of a document: what the pipeline extracted, once."""

    __tablename__ = "document_versions"
    __table_args__ = (
        sa.UniqueConstraint("symbol", "language", "version"),
        # At most one current version per document and language, whatever the writers do.
        sa.Index(
            "uq_document_versions_current",
            "symbol",
            "language",
            unique=True,
            sqlite_where=sa.text("valid_to IS NULL"),
            postgresql_where=sa.text("valid_to IS NULL"),
        ),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_range"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    symbol: Mapped[str] = mapped_column(
        sa.Text, sa.ForeignKey("documents.symbol", ondelete="CASCADE")
    )
    language: Mapped[str] = mapped_column(sa.String(8))
    version: Mapped[int]
    record_id: Mapped[str | None] = mapped_column(sa.String(32))
    title: Mapped[str | None] = mapped_column(sa.Text)
    doc_date: Mapped[dt.date | None]
    doc_type: Mapped[str | None] = mapped_column(sa.String(40))
    page_count: Mapped[int | None]
    front_matter: Mapped[dict] = mapped_column(JSONType)
    warnings: Mapped[list] = mapped_column(JSONType)
    paragraph_count: Mapped[int]
    footnote_count: Mapped[int]
    source_url: Mapped[str] = mapped_column(sa.Text)
    source_sha256: Mapped[str] = mapped_column(SHA256)
    text_sha256: Mapped[str] = mapped_column(SHA256)
    content_sha256: Mapped[str] = mapped_column(SHA256)
    parser_version: Mapped[str] = mapped_column(sa.String(40))
    fetched_at: Mapped[dt.datetime]
    loaded_at: Mapped[dt.datetime]
    valid_from: Mapped[dt.datetime]
    valid_to: Mapped[dt.datetime | None]
    last_seen_at: Mapped[dt.datetime]
    run_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ingest_runs.id", ondelete="SET NULL"), index=True
    )


class VersionSource(Base):
    """Each (source file, parser version) seen to produce a version's exact content."""

    __tablename__ = "version_sources"
    __table_args__ = (sa.UniqueConstraint("version_id", "source_sha256", "parser_version"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("document_versions.id", ondelete="CASCADE")
    )
    source_sha256: Mapped[str] = mapped_column(SHA256, index=True)
    source_url: Mapped[str] = mapped_column(sa.Text)
    parser_version: Mapped[str] = mapped_column(sa.String(40))
    first_seen_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ingest_runs.id", ondelete="SET NULL"))


class ParagraphRow(Base):
    __tablename__ = "paragraphs"
    __table_args__ = (sa.UniqueConstraint("version_id", "position"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("document_versions.id", ondelete="CASCADE")
    )
    position: Mapped[int]
    number: Mapped[str | None] = mapped_column(sa.Text)
    section: Mapped[str | None] = mapped_column(sa.Text)
    section_path: Mapped[list] = mapped_column(JSONType)
    kind: Mapped[str] = mapped_column(sa.String(20))
    text: Mapped[str] = mapped_column(sa.Text)
    text_sha256: Mapped[str] = mapped_column(SHA256)
    items: Mapped[list] = mapped_column(JSONType)
    footnote_markers: Mapped[list] = mapped_column(JSONType)


class FootnoteRow(Base):
    __tablename__ = "footnotes"
    __table_args__ = (sa.UniqueConstraint("version_id", "position"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("document_versions.id", ondelete="CASCADE")
    )
    position: Mapped[int]
    marker: Mapped[str] = mapped_column(sa.Text)
    text: Mapped[str] = mapped_column(sa.Text)
    paragraph_position: Mapped[int | None]


# --- UN Digital Library metadata -------------------------------------------------------------


class CatalogEntry(Base):
    """The current state of one UN Digital Library record (updated in place; see history)."""

    __tablename__ = "catalog_records"

    record_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    symbol: Mapped[str] = mapped_column(sa.Text, index=True)
    title: Mapped[str | None] = mapped_column(sa.Text)
    date: Mapped[dt.date | None]
    modified: Mapped[dt.datetime | None]
    body: Mapped[str | None] = mapped_column(sa.Text)
    content_sha256: Mapped[str] = mapped_column(SHA256)
    first_seen_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]


def _catalog_fk() -> sa.ForeignKey:
    return sa.ForeignKey("catalog_records.record_id", ondelete="CASCADE")


class CatalogSymbol(Base):
    __tablename__ = "catalog_symbols"

    record_id: Mapped[str] = mapped_column(sa.String(32), _catalog_fk(), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    symbol: Mapped[str] = mapped_column(sa.Text, index=True)


class CatalogSubject(Base):
    __tablename__ = "catalog_subjects"

    record_id: Mapped[str] = mapped_column(sa.String(32), _catalog_fk(), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    subject: Mapped[str] = mapped_column(sa.Text, index=True)


class CatalogAgendaItem(Base):
    __tablename__ = "catalog_agenda_items"

    record_id: Mapped[str] = mapped_column(sa.String(32), _catalog_fk(), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    symbol: Mapped[str | None] = mapped_column(sa.Text)
    item: Mapped[str | None] = mapped_column(sa.Text)
    title: Mapped[str | None] = mapped_column(sa.Text)
    subject: Mapped[str | None] = mapped_column(sa.Text)


class CatalogRelated(Base):
    __tablename__ = "catalog_related"

    record_id: Mapped[str] = mapped_column(sa.String(32), _catalog_fk(), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    relation: Mapped[str] = mapped_column(sa.Text)
    symbol: Mapped[str] = mapped_column(sa.Text, index=True)


class CatalogFile(Base):
    __tablename__ = "catalog_files"

    record_id: Mapped[str] = mapped_column(sa.String(32), _catalog_fk(), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    url: Mapped[str] = mapped_column(sa.Text)
    language: Mapped[str] = mapped_column(sa.String(8))
    size: Mapped[int | None] = mapped_column(sa.BigInteger)


class CatalogHistory(Base):
    """Earlier states of a catalogue record, one row per state it was replaced from."""

    __tablename__ = "catalog_record_history"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    record_id: Mapped[str] = mapped_column(sa.String(32), _catalog_fk(), index=True)
    modified: Mapped[dt.datetime | None]
    content_sha256: Mapped[str] = mapped_column(SHA256)
    record: Mapped[dict] = mapped_column(JSONType)
    valid_from: Mapped[dt.datetime]
    valid_to: Mapped[dt.datetime]


# --- operations: runs, failures, HTTP validators ---------------------------------------------


class IngestRun(Base):
    __tablename__ = "ingest_runs"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    flow: Mapped[str] = mapped_column(sa.Text)
    flow_run_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    parameters: Mapped[dict] = mapped_column(JSONType)
    started_at: Mapped[dt.datetime] = mapped_column(index=True)
    finished_at: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(sa.String(20))
    counts: Mapped[dict] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(sa.Text)
    # The running process's lease, renewed every few seconds (flows/lease.py).
    heartbeat_at: Mapped[dt.datetime | None]
    # Symbols a run was asked for (a symbol backfill) that the library has no record of.
    not_found: Mapped[list | None] = mapped_column(JSONType)
    # What the run met that an operator must see (flows.recorder): paging cut short, totals
    # that did not match, records that could not be read. NULL or [] when none.
    warnings: Mapped[list | None] = mapped_column(JSONType)


class IngestFailure(Base):
    __tablename__ = "ingest_failures"
    __table_args__ = (
        # One open failure per (symbol, language, stage); NULL language counts as a value.
        sa.Index(
            "uq_ingest_failures_open",
            "symbol",
            "language",
            "stage",
            unique=True,
            sqlite_where=sa.text("resolved_at IS NULL"),
            postgresql_where=sa.text("resolved_at IS NULL"),
            postgresql_nulls_not_distinct=True,
        ),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    symbol: Mapped[str] = mapped_column(sa.Text, index=True)
    language: Mapped[str | None] = mapped_column(sa.String(8))
    url: Mapped[str | None] = mapped_column(sa.Text)
    stage: Mapped[str] = mapped_column(sa.String(20))
    error: Mapped[str] = mapped_column(sa.Text)
    attempts: Mapped[int]
    first_seen_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    first_run_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ingest_runs.id", ondelete="SET NULL")
    )
    last_run_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ingest_runs.id", ondelete="SET NULL")
    )
    resolved_at: Mapped[dt.datetime | None]


class HttpValidator(Base):
    """What the server said of a URL last time, for conditional requests."""

    __tablename__ = "http_validators"

    url: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    etag: Mapped[str | None] = mapped_column(sa.Text)
    last_modified: Mapped[str | None] = mapped_column(sa.Text)
    sha256: Mapped[str] = mapped_column(SHA256)
    updated_at: Mapped[dt.datetime]


class DiscoveryWatermark(Base):
    """How far discovery has come, per source, on the library's own clock (migration 0002)."""

    __tablename__ = "discovery_watermarks"

    source: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    watermark: Mapped[dt.datetime]
    door: Mapped[str | None] = mapped_column(sa.String(16))
    run_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ingest_runs.id", ondelete="SET NULL")
    )
    updated_at: Mapped[dt.datetime]


class DiscoveryResumption(Base):
    """Where a killed harvest of a discovery window takes up again, per source (migration 0005):
    the window, the door, the harvest piece and resumption token after the last page whose
    records were all handed on, and the relevant records gathered before it (their catalogue
    rows hold them). Cleared when the watermark moves past the window."""

    __tablename__ = "discovery_resumptions"

    source: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    clock: Mapped[str] = mapped_column(sa.String(16))
    window_since: Mapped[dt.date | None]
    window_until: Mapped[dt.date | None]
    door: Mapped[str] = mapped_column(sa.String(16))
    piece_from: Mapped[dt.date | None]
    piece_until: Mapped[dt.date | None]
    token: Mapped[str | None] = mapped_column(sa.Text)
    token_at: Mapped[dt.datetime | None]
    token_expires: Mapped[dt.datetime | None]
    served: Mapped[int] = mapped_column(sa.Integer)
    high_water: Mapped[dt.datetime | None]
    seen: Mapped[int] = mapped_column(sa.Integer)
    record_ids: Mapped[list] = mapped_column(JSONType)
    updated_at: Mapped[dt.datetime]


class VersionAgreement(Base):
    """How far a version's Word file agrees with the PDF it was loaded from (migration 0005;
    `parsers.agreement`): stored when UNMIG_FORMATS lists both pdf and docx."""

    __tablename__ = "version_agreements"

    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("document_versions.id", ondelete="CASCADE"), primary_key=True
    )
    word_url: Mapped[str] = mapped_column(sa.Text)
    word_sha256: Mapped[str] = mapped_column(SHA256)
    numbering_identical: Mapped[bool] = mapped_column(sa.Boolean)
    word_numbered: Mapped[int] = mapped_column(sa.Integer)
    pdf_numbered: Mapped[int] = mapped_column(sa.Integer)
    paragraphs_identical: Mapped[int] = mapped_column(sa.Integer)
    sections_identical: Mapped[int] = mapped_column(sa.Integer)
    footnotes_found: Mapped[int] = mapped_column(sa.Integer)
    footnotes_total: Mapped[int] = mapped_column(sa.Integer)
    parser_version: Mapped[str] = mapped_column(sa.String(40))
    compared_at: Mapped[dt.datetime]


# --- objects the migrations create outside the ORM -------------------------------------------

VIEWS = ("current_documents", "current_paragraphs")
FTS_TABLE = "paragraphs_fts"  # SQLite FTS5 (plus its shadow tables paragraphs_fts_*)
FTS_INDEX = "ix_paragraphs_text_fts"  # PostgreSQL GIN index on to_tsvector('english', text)
FTS_CONFIG = "english"


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Autogenerate filter: leave the views and full-text objects to the hand-written migration."""
    if name is None:
        return True
    if type_ == "table" and (
        name in VIEWS or name == FTS_TABLE or name.startswith(FTS_TABLE + "_")
    ):
        return False
    return not (type_ == "index" and name == FTS_INDEX)
