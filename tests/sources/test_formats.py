"""UNMIG_FORMATS: the Word version from the ODS (`t=doc`) when there is no PDF, or first when
configured so; read by the Word parser."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest

from parsers import parse_bytes
from sources.discovery import LibrarySource
from sources.errors import NoFileYet
from tests.archive_builder import ArchiveRecord, build_archive, fake_pdf, file_name
from tests.replay_server import ReplayServer


def _word(symbol: str) -> bytes:
    d = docx.Document()
    d.add_paragraph(symbol)
    d.add_paragraph("I.\tIntroduction", style="Heading 1")
    d.add_paragraph("1.\tMigrants contribute to development.")
    d.add_paragraph("2.\tThe Assembly welcomes the report.")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[ReplayServer]:
    records = [
        # No PDF anywhere; the ODS has the Word version.
        ArchiveRecord("4001", "A/79/401", subjects=("MIGRANTS",), date=dt.date(2024, 5, 1)),
        # Both: a linked PDF, and the Word version at the ODS.
        ArchiveRecord("4002", "A/79/402", subjects=("MIGRANTS",), date=dt.date(2024, 5, 2),
                      files={"en": fake_pdf("A/79/402")}),
        # Neither.
        ArchiveRecord("4003", "A/79/403", subjects=("MIGRANTS",), date=dt.date(2024, 5, 3)),
        # A PDF only.
        ArchiveRecord("4004", "A/79/404", subjects=("MIGRANTS",), date=dt.date(2024, 5, 4),
                      files={"en": fake_pdf("A/79/404")}),
    ]
    archive = build_archive(tmp_path / "lib", records)
    for symbol in ("A/79/401", "A/79/402"):
        (archive / "ods").mkdir(exist_ok=True)
        (archive / "ods" / file_name(symbol, "en").replace(".pdf", ".docx")).write_bytes(
            _word(symbol))
    with ReplayServer(archive) as server:
        yield server


def _record(src: LibrarySource, symbol: str):  # noqa: ANN202 - CatalogRecord
    (found,) = src.lookup([symbol])
    return found


def test_pdf_only_leaves_a_word_only_document_pending(srv: ReplayServer) -> None:
    with LibrarySource(srv.settings(discovery="search")) as src, pytest.raises(NoFileYet):
        src.fetch(_record(src, "A/79/401"), "en")
    assert not [h for h in srv.hits("/api/symbol/access") if h.query.get("t") == "doc"]


def test_word_when_there_is_no_pdf(srv: ReplayServer) -> None:
    with LibrarySource(srv.settings(discovery="search", formats="pdf,docx")) as src:
        got = src.fetch(_record(src, "A/79/401"), "en")
        assert got.url.endswith("/ods/A_79_401-EN.docx") and got.content.startswith(b"PK")
        parsed = parse_bytes(got.content, filename=got.url)
        assert [p.number for p in parsed.paragraphs if p.number] == ["1", "2"]
        # A PDF, when there is one, is still preferred.
        assert src.fetch(_record(src, "A/79/402"), "en").content.startswith(b"%PDF-")
        # Neither: pending, as with PDFs alone.
        with pytest.raises(NoFileYet):
            src.fetch(_record(src, "A/79/403"), "en")


def test_word_first_when_configured(srv: ReplayServer) -> None:
    with LibrarySource(srv.settings(discovery="search", formats="docx,pdf")) as src:
        assert src.fetch(_record(src, "A/79/402"), "en").content.startswith(b"PK")
        # No Word version: the PDF after all.
        assert src.fetch(_record(src, "A/79/404"), "en").content.startswith(b"%PDF-")
