"""HTTP validators (ETag, Last-Modified) per URL, so an unchanged file is not downloaded twice."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage._sql import upsert, utcnow
from storage.db import write_transaction
from storage.models import HttpValidator


@dataclass(frozen=True)
class Validators:
    etag: str | None
    last_modified: str | None
    sha256: str  # the stored file these validators describe
    updated_at: dt.datetime | None = None


def get_validators(engine: Engine, url: str) -> Validators | None:
    h = HttpValidator
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(h.etag, h.last_modified, h.sha256, h.updated_at).where(h.url == url)
        ).first()
    return Validators(*row) if row else None


def save_validators(
    engine: Engine, url: str, *, etag: str | None, last_modified: str | None, sha256: str
) -> None:
    """Remember what the server said of `url` and which stored file it served (last write wins)."""
    with write_transaction(engine) as conn:
        upsert(
            conn,
            HttpValidator.__table__,
            {
                "url": url,
                "etag": etag,
                "last_modified": last_modified,
                "sha256": sha256,
                "updated_at": utcnow(),
            },
            ["url"],
        )
