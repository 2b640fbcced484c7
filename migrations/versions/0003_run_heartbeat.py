"""A run's heartbeat (the lease that lets the next run close a run whose process was killed),
and the symbols it was asked for that the library does not have.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Written by the running process every few seconds (flows/lease.py); a `running` row whose
    # heartbeat is several intervals old belongs to a process that no longer exists.
    op.add_column("ingest_runs", sa.Column("heartbeat_at", sa.DateTime(timezone=True),
                                           nullable=True))
    op.add_column("ingest_runs", sa.Column(
        "not_found", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True))


def downgrade() -> None:
    op.drop_column("ingest_runs", "not_found")
    op.drop_column("ingest_runs", "heartbeat_at")
