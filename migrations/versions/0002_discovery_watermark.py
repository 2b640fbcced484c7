"""Discovery watermark: how far discovery has come, per source, on the library's own clock.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of the column type, so this revision never changes when the models do.
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "discovery_watermarks",
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("watermark", TS, nullable=False),
        sa.Column("door", sa.String(16), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["ingest_runs.id"], name="fk_discovery_watermarks_run_id_ingest_runs",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("source", name="pk_discovery_watermarks"),
    )


def downgrade() -> None:
    op.drop_table("discovery_watermarks")
