"""Discovery resumption (where a killed harvest of a discovery window takes up again) and
version agreement (how far a version's Word file agrees with its PDF).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types, so this revision never changes when the models do.
TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "discovery_resumptions",
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("clock", sa.String(16), nullable=False),
        sa.Column("window_since", sa.Date(), nullable=True),
        sa.Column("window_until", sa.Date(), nullable=True),
        sa.Column("door", sa.String(16), nullable=False),
        sa.Column("piece_from", sa.Date(), nullable=True),
        sa.Column("piece_until", sa.Date(), nullable=True),
        sa.Column("token", sa.Text(), nullable=True),
        sa.Column("token_at", TS, nullable=True),
        sa.Column("token_expires", TS, nullable=True),
        sa.Column("served", sa.Integer(), nullable=False),
        sa.Column("high_water", TS, nullable=True),
        sa.Column("seen", sa.Integer(), nullable=False),
        sa.Column("record_ids", JSON, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("source", name="pk_discovery_resumptions"),
    )


    op.create_table(
        "version_agreements",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("word_url", sa.Text(), nullable=False),
        sa.Column("word_sha256", sa.String(64), nullable=False),
        sa.Column("numbering_identical", sa.Boolean(), nullable=False),
        sa.Column("word_numbered", sa.Integer(), nullable=False),
        sa.Column("pdf_numbered", sa.Integer(), nullable=False),
        sa.Column("paragraphs_identical", sa.Integer(), nullable=False),
        sa.Column("sections_identical", sa.Integer(), nullable=False),
        sa.Column("footnotes_found", sa.Integer(), nullable=False),
        sa.Column("footnotes_total", sa.Integer(), nullable=False),
        sa.Column("parser_version", sa.String(40), nullable=False),
        sa.Column("compared_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"], ["document_versions.id"],
            name="fk_version_agreements_version_id_document_versions", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", name="pk_version_agreements"),
    )


def downgrade() -> None:
    op.drop_table("version_agreements")
    op.drop_table("discovery_resumptions")
