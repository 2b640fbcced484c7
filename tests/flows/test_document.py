"""One document through the whole pipeline, without Prefect: real PDFs served by the local
replay server, a real database on both engines."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from flows.document import Stage, StageError, Status, ingest_document
from flows.pipeline import Pipeline, open_pipeline
from sources.errors import BadContent
from storage import runs
from tests.replay_server import Fault, ReplayServer


def _pipe(server: ReplayServer, db_url: str, tmp_path: Path, **overrides) -> Pipeline:
    values = {"database_url": db_url, "file_store": tmp_path / "files", "parse_workers": 0}
    settings = server.settings(**{**values, **overrides})
    return open_pipeline(settings)


def _records(pipe: Pipeline) -> dict:
    return {r.symbol: r for r in pipe.source.search(since=None, until=None)}


def _count(pipe: Pipeline, table: str) -> int:
    with pipe.engine.connect() as conn:
        return conn.execute(sa.text(f"select count(*) from {table}")).scalar_one()


def test_each_document_ends_as_it_should(corpus, db_url: str, tmp_path: Path) -> None:
    with ReplayServer(corpus.archive) as server:
        pipe = _pipe(server, db_url, tmp_path)
        try:
            records = _records(pipe)
            assert corpus.irrelevant not in records  # filtered on our side
            for symbol in (*corpus.good, corpus.ods_only):
                outcome = ingest_document(pipe, records[symbol], "en", run_id=None)
                assert outcome.status is Status.NEW and outcome.version == 1, symbol

            pending = ingest_document(pipe, records[corpus.no_file], "en", run_id=None)
            assert pending.status is Status.PENDING
            with pytest.raises(StageError) as info:
                ingest_document(pipe, records[corpus.html_instead_of_pdf], "en", run_id=None)
            assert info.value.stage is Stage.DOWNLOAD and not info.value.transient
            assert isinstance(info.value.cause, BadContent)

            failures = {(f.symbol, f.stage) for f in runs.open_failures(pipe.engine)}
            assert failures == {(corpus.no_file, "download")}
            with pipe.engine.connect() as conn:
                loaded = set(conn.scalars(sa.text("select symbol from current_documents")))
            assert loaded == {*corpus.good, corpus.ods_only}
            assert _count(pipe, "current_paragraphs") > 4 * 8
        finally:
            pipe.close()


def test_second_pass_downloads_nothing_and_versions_nothing(
    corpus, db_url: str, tmp_path: Path
) -> None:
    with ReplayServer(corpus.archive) as server:
        pipe = _pipe(server, db_url, tmp_path)
        try:
            records = _records(pipe)
            for symbol in corpus.good:
                ingest_document(pipe, records[symbol], "en", run_id=None)
            counts = {t: _count(pipe, t) for t in ("document_versions", "paragraphs")}
            server.reset_log()

            for symbol in corpus.good:
                outcome = ingest_document(pipe, records[symbol], "en", run_id=None)
                assert outcome.status is Status.UNCHANGED
            files = server.hits("/record/*")
            assert len(files) == len(corpus.good)
            assert {h.status for h in files} == {304}  # asked conditionally, nothing sent
            assert {t: _count(pipe, t) for t in counts} == counts
        finally:
            pipe.close()


def test_transient_download_failure_is_marked_for_retry(
    corpus, db_url: str, tmp_path: Path
) -> None:
    with ReplayServer(corpus.archive) as server:
        pipe = _pipe(server, db_url, tmp_path)
        try:
            record = _records(pipe)[corpus.good[0]]
            server.fail("/record/*", Fault.ERROR_503)  # every HTTP retry sees 503
            with pytest.raises(StageError) as info:
                ingest_document(pipe, record, "en", run_id=None)
            assert info.value.stage is Stage.DOWNLOAD and info.value.transient
            server.clear_faults()
            assert ingest_document(pipe, record, "en", run_id=None).status is Status.NEW
        finally:
            pipe.close()


def test_parse_failure_is_permanent_and_names_the_file(
    corpus, db_url: str, tmp_path: Path
) -> None:
    from tests.pdfgen import encrypted_pdf

    victim = corpus.archive / "record" / "100" / "files"
    pdf = next(victim.iterdir())
    pdf.write_bytes(encrypted_pdf())
    with ReplayServer(corpus.archive) as server:
        pipe = _pipe(server, db_url, tmp_path, parse_workers=1)  # through the sandbox
        try:
            record = _records(pipe)[corpus.good[0]]
            with pytest.raises(StageError) as info:
                ingest_document(pipe, record, "en", run_id=None)
            assert info.value.stage is Stage.PARSE and not info.value.transient
            assert "encrypted" in str(info.value) and pdf.name in str(info.value)
            assert _count(pipe, "document_versions") == 0  # nothing half-stored
        finally:
            pipe.close()
