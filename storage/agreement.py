"""How far a version's Word file agrees with its PDF (`parsers.agreement` computes it): one row
per version, written when both files were loaded, read by `unmig show`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from parsers.agreement import DocFigures
from storage._sql import utcnow
from storage.db import write_transaction
from storage.models import DocumentVersion, VersionAgreement


@dataclass(frozen=True)
class Agreement:
    word_url: str
    word_sha256: str
    numbering_identical: bool
    word_numbered: int
    pdf_numbered: int
    paragraphs_identical: int
    sections_identical: int
    footnotes_found: int
    footnotes_total: int
    parser_version: str
    compared_at: dt.datetime

    def line(self) -> str:
        """The one line `unmig show` prints."""
        numbering = ("identical" if self.numbering_identical
                     else f"differs ({self.pdf_numbered} in the PDF)")
        return (f"Word version agrees: numbering {numbering}; paragraphs "
                f"{self.paragraphs_identical}/{self.word_numbered}; sections "
                f"{self.sections_identical}/{self.word_numbered}; footnotes "
                f"{self.footnotes_found}/{self.footnotes_total}")


def save_agreement(engine: Engine, version_id: int, figures: DocFigures, *, word_url: str,
                   word_sha256: str, parser_version: str) -> None:
    """Store (or replace) the agreement of version `version_id` with its Word file."""
    values = {
        "word_url": word_url, "word_sha256": word_sha256,
        "numbering_identical": figures.numbering_identical,
        "word_numbered": figures.word_numbered, "pdf_numbered": figures.pdf_numbered,
        "paragraphs_identical": figures.paragraphs_identical,
        "sections_identical": figures.sections_identical,
        "footnotes_found": figures.footnotes_found, "footnotes_total": figures.footnotes_total,
        "parser_version": parser_version, "compared_at": utcnow(),
    }
    with write_transaction(engine) as conn:
        done = conn.execute(sa.update(VersionAgreement)
                            .where(VersionAgreement.version_id == version_id).values(**values))
        if not done.rowcount:
            conn.execute(sa.insert(VersionAgreement).values(version_id=version_id, **values))


def get_agreement(engine: Engine, symbol: str, language: str, version: int) -> Agreement | None:
    """The stored agreement of one version, if its Word file was compared."""
    a, v = VersionAgreement, DocumentVersion
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(*(getattr(a, f) for f in Agreement.__dataclass_fields__))
            .join(v, v.id == a.version_id)
            .where(v.symbol == symbol, v.language == language, v.version == version)
        ).first()
    return Agreement(*row) if row is not None else None
