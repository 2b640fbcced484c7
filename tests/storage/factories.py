"""Test data built straight from the parser and source dataclasses (no parser code involved)."""

from __future__ import annotations

import datetime as dt
import hashlib

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from parsers.model import (
    DocumentType,
    Footnote,
    FrontMatter,
    Paragraph,
    ParagraphKind,
    ParsedDocument,
    SubItem,
)
from sources.records import AgendaItem, CatalogRecord, FileLink

SYMBOL = "A/61/515"
FILES = "https://digitallibrary.un.org/record/585432/files"
T0 = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)

BASE_TEXTS = (
    "The present report is submitted pursuant to General Assembly resolution 59/241.",
    "Remittances sent by migrant workers exceeded 250 billion dollars in 2005.",
    "Member States are encouraged to reduce the transfer costs of remittances.",
    "International migration can contribute to development in countries of origin.",
)

ALL_TABLES = (
    "documents",
    "document_versions",
    "version_sources",
    "paragraphs",
    "footnotes",
    "catalog_records",
    "catalog_symbols",
    "catalog_subjects",
    "catalog_agenda_items",
    "catalog_related",
    "catalog_files",
    "catalog_record_history",
    "ingest_runs",
    "ingest_failures",
    "http_validators",
)


def make_doc(
    texts: tuple[str, ...] = BASE_TEXTS,
    *,
    parser_version: str = "1.0",
    title: str = "International migration and development",
    numbers: tuple[str | None, ...] | None = None,
    language: str = "en",
) -> ParsedDocument:
    numbers = numbers or tuple(str(i) for i in range(1, len(texts) + 1))
    paragraphs = tuple(
        Paragraph(
            position=i,
            number=numbers[i - 1],
            section=("I. Introduction",) if i <= 2 else ("II. Remittances", "A. Costs"),
            kind=ParagraphKind.NUMBERED,
            text=text,
            items=(SubItem("a", "first item"), SubItem("b", "second item")) if i == 3 else (),
            footnote_markers=("1",) if i == 2 else (),
        )
        for i, text in enumerate(texts, start=1)
    )
    return ParsedDocument(
        front=FrontMatter(
            symbol=SYMBOL,
            distribution="General",
            date="2006-10-03",
            session="Sixty-first session",
            agenda_item="55 (b)",
            title=title,
            doc_type=DocumentType.REPORT,
        ),
        paragraphs=paragraphs,
        footnotes=(Footnote("1", "World Bank, Global Economic Prospects 2006.", 2),),
        warnings=("a warning",),
        language=language,
        parser_version=parser_version,
        page_count=3,
        text="\n\n".join(texts),
    )


def sha(data: str) -> str:
    return hashlib.sha256(data.encode()).hexdigest()


def load(
    engine: Engine,
    parsed: ParsedDocument,
    *,
    symbol: str = SYMBOL,
    source: str = "file-1",
    fetched_at: dt.datetime = T0,
    language: str = "en",
    run_id: int | None = None,
    record_id: str | None = "585432",
):
    from storage.versions import load_version

    return load_version(
        engine,
        symbol=symbol,
        language=language,
        parsed=parsed,
        source_url=f"https://documents.un.org/{symbol}-{language.upper()}.pdf",
        source_sha256=sha(source),
        fetched_at=fetched_at,
        run_id=run_id,
        record_id=record_id,
    )


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in ALL_TABLES
        }


def make_record(
    *,
    record_id: str = "585432",
    title: str = "International migration and development : report of the Secretary-General",
    modified: dt.datetime | None = dt.datetime(2024, 4, 2, 8, 30, tzinfo=dt.UTC),
    date: dt.date | None = dt.date(2006, 10, 3),
    subjects: tuple[str, ...] = ("INTERNATIONAL MIGRATION", "REMITTANCES"),
    symbols: tuple[str, ...] = (SYMBOL, "A/61/515/Corr.1"),
) -> CatalogRecord:
    return CatalogRecord(
        record_id=record_id,
        symbols=symbols,
        title=title,
        date=date,
        modified=modified,
        body="General Assembly",
        subjects=subjects,
        agenda_items=(AgendaItem("A/61/150", "55b", "Globalization and interdependence", None),),
        related=(("Resolution/Decision", "A/RES/61/208"), ("Corrigendum", "A/61/515/Corr.1")),
        files=(
            FileLink(f"{FILES}/A_61_515-EN.pdf", "en", 1234),
            FileLink(f"{FILES}/A_61_515-AR.pdf", "ar", None),
        ),
    )
