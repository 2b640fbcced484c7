"""UNMIG_FORMATS=pdf,docx: the PDF is loaded as the version of record, the Word version beside
it at the ODS is fetched and parsed too, and how far the two agree is stored with the version
and shown by `unmig show`. A real pair (A/80/604/Add.2 from ../shared/real-docs) through the
stand-in, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import docx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from cli.main import app
from flows.document import Status, ingest_document
from flows.pipeline import Pipeline, open_pipeline
from tests.archive_builder import ArchiveRecord, build_archive, file_name
from tests.replay_server import ReplayServer

SYMBOL = "A/80/604/Add.2"
REAL = Path(__file__).resolve().parents[2].parent / "shared" / "real-docs"
STEM = "A_80_604_Add.2"


def _archive(folder: Path, word: bytes) -> Path:
    if not (REAL / f"{STEM}.docx").is_file():
        pytest.skip(f"no real pair {STEM} in {REAL}")
    record = ArchiveRecord("5001", SYMBOL, subjects=("MIGRANTS",), date=dt.date(2026, 4, 9),
                           files={"en": (REAL / f"{STEM}.pdf").read_bytes()})
    archive = build_archive(folder, [record])
    (archive / "ods").mkdir(exist_ok=True)
    (archive / "ods" / file_name(SYMBOL, "en").replace(".pdf", ".docx")).write_bytes(word)
    return archive


def _edited_word() -> bytes:
    """The real Word file with one word of paragraph 44 changed, as a late edit would."""
    d = docx.Document(str(REAL / f"{STEM}.docx"))
    (para,) = [p for p in d.paragraphs if "road-sweeping" in p.text]
    (run,) = [r for r in para.runs if "road-sweeping" in r.text]
    run.text = run.text.replace("road-sweeping", "street-sweeping")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _pipe(server: ReplayServer, db_url: str, tmp_path: Path, formats: str) -> Pipeline:
    return open_pipeline(server.settings(
        database_url=db_url, file_store=tmp_path / "files", parse_workers=0,
        discovery="search", formats=formats))


def _load(server: ReplayServer, db_url: str, tmp_path: Path, formats: str) -> list[tuple]:
    pipe = _pipe(server, db_url, tmp_path, formats)
    try:
        (record,) = pipe.source.lookup([SYMBOL])
        outcome = ingest_document(pipe, record, "en", run_id=None)
        assert outcome.status is Status.NEW
        with pipe.engine.connect() as conn:
            source = conn.execute(sa.text("select source_url from document_versions")).scalar()
            assert source.endswith(".pdf")  # the PDF is the version of record
            return [tuple(r) for r in conn.execute(sa.text(
                "select word_url, numbering_identical, word_numbered, pdf_numbered, "
                "paragraphs_identical, sections_identical, footnotes_found, footnotes_total "
                "from version_agreements"))]
    finally:
        pipe.close()


def test_both_formats_store_how_far_word_and_pdf_agree(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ReplayServer(_archive(tmp_path / "lib", (REAL / f"{STEM}.docx").read_bytes())) as srv:
        ((url, numbering, *counts),) = _load(srv, db_url, tmp_path, "pdf,docx")
        assert url.endswith(".docx") and srv.hits("/ods/*.docx", status=200)
        assert bool(numbering) and counts == [56, 56, 56, 56, 3, 3]

    monkeypatch.setenv("UNMIG_DATABASE_URL", db_url)
    monkeypatch.setenv("UNMIG_FILE_STORE", str(tmp_path / "files"))
    shown = CliRunner().invoke(app, ["show", SYMBOL])
    assert shown.exit_code == 0, shown.output
    assert ("Word version agrees: numbering identical; paragraphs 56/56; sections 56/56; "
            "footnotes 3/3") in shown.output


def test_a_word_file_that_differs_is_counted(db_url: str, tmp_path: Path) -> None:
    with ReplayServer(_archive(tmp_path / "lib", _edited_word())) as srv:
        ((_, numbering, *counts),) = _load(srv, db_url, tmp_path, "pdf,docx")
    assert bool(numbering) and counts == [56, 56, 55, 56, 3, 3]


def test_pdf_alone_asks_for_no_word_file(db_url: str, tmp_path: Path) -> None:
    with ReplayServer(_archive(tmp_path / "lib", _edited_word())) as srv:
        assert _load(srv, db_url, tmp_path, "pdf") == []
        assert srv.hits("/ods/*") == []
