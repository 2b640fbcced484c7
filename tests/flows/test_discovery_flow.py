"""Discovery on the library's clock across scheduled runs (SQLite and PostgreSQL): a document
catalogued days after its date is found by the next run; a bulk edit that re-stamps a thousand
records makes no new version; with the search and the files behind a bot challenge, discovery
goes through OAI-PMH and the files through the ODS, and no document fails for it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.archive_builder import ArchiveRecord, build_archive
from tests.pdfgen import DocSpec
from tests.replay_server import ReplayServer

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

T = dt.datetime
FILLER = 996  # irrelevant records, so that a bulk edit touches a thousand


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path):
    def point_at(server: ReplayServer, **extra: str) -> None:
        for name, value in {
            "UNMIG_DATABASE_URL": db_url,
            "UNMIG_FILE_STORE": str(tmp_path / "files"),
            "UNMIG_SOURCE": server.url,
            "UNMIG_ODS_URL": server.url,
            "UNMIG_RATE_LIMIT": "1000",
            "UNMIG_API_RATE_LIMIT": "1000",
            "UNMIG_TIMEOUT": "2",
            "UNMIG_RETRIES": "2",
            "UNMIG_HTTP_BACKOFF": "0.01",
            "UNMIG_TASK_RETRIES": "0",
            "UNMIG_PARSE_WORKERS": "1",
            "UNMIG_DISCOVERY_OVERLAP_DAYS": "3",
            **extra,
        }.items():
            monkeypatch.setenv(name, value)

    return point_at


def _rows(db_url: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def _library(folder: Path, pdfs: list[tuple[DocSpec, bytes]], *, filler: int = 0,
             ods: bool = False) -> Path:
    """Four relevant documents; the third (LATE) is dated 5 November but catalogued on the
    15th, after the first run (on the 13th) has covered its date."""
    (a, pa), (b, pb), (c, pc), (d, pd) = pdfs

    def rec(rid: str, spec: DocSpec, pdf: bytes, date: dt.date, when: T) -> ArchiveRecord:
        files = {"en": pdf}
        return ArchiveRecord(rid, spec.symbol, title=spec.title, date=date,
                             subjects=["MIGRANTS"], catalogued=when,
                             files=files, ods_files=files if ods else {})

    records = [
        rec("701", a, pa, dt.date(2023, 11, 1), T(2023, 11, 3, 10)),
        rec("702", b, pb, dt.date(2023, 11, 2), T(2023, 11, 4, 10)),
        rec("703", c, pc, dt.date(2023, 11, 5), T(2023, 11, 15, 10)),  # LATE
        rec("704", d, pd, dt.date(2023, 11, 12), T(2023, 11, 13, 8)),
    ]
    records += [
        ArchiveRecord(str(90000 + i), f"A/78/F.{i}", subjects=["FISHERIES"],
                      date=dt.date(2023, 10, 1), catalogued=T(2023, 10, 2, 12))
        for i in range(filler)
    ]
    return build_archive(folder, records, page_size=500)


def test_a_document_catalogued_after_the_run_that_covered_its_date_is_found_next_run(
    corpus_pdfs, env, db_url: str, tmp_path: Path,
) -> None:
    from flows.ingest import ingest

    late = corpus_pdfs[2][0].symbol
    with ReplayServer(_library(tmp_path / "lib", corpus_pdfs, filler=FILLER),
                      oai_page_size=100) as server:
        env(server)
        # The night of 13 November: LATE (dated the 5th) is not catalogued yet.
        server.set_clock(T(2023, 11, 13, 23))
        first = ingest()
        assert (first["discovered"], first["new"]) == (3, 3)
        (mark,) = _rows(db_url, "select watermark, door from discovery_watermarks")
        # The watermark is the library's stamp (2023), not our clock (the test runs later).
        assert str(mark[0]).startswith("2023-11-13 08:00")

        # Under the old rule (document dates from the watermark less 7 days) the next window
        # would start on 6 November and LATE, dated the 5th, would never be asked for.
        assert dt.date(2023, 11, 5) < dt.date(2023, 11, 13) - dt.timedelta(days=7)

        server.set_clock(T(2023, 11, 16, 23))
        server.reset_log()
        second = ingest()
        assert second["new"] == 1 and second["failed"] == 0
        loaded = {r[0] for r in _rows(db_url, "select symbol from document_versions")}
        assert late in loaded and len(loaded) == 4
        (mark,) = _rows(db_url, "select watermark, door from discovery_watermarks")
        assert str(mark[0]).startswith("2023-11-15 10:00") and mark[1] == "oai"
        oai = server.hits("/oai2d")
        assert oai and oai[0].query["from"] == "2023-11-10"  # the 13th less 3 days' overlap
        assert server.hits("/search") == []

        # A bulk edit re-stamps every record (a thousand): nothing in them changed.
        versions = _rows(db_url, "select count(*) from document_versions")
        touched = server.restamp(T(2023, 11, 20, 3))
        assert touched == 4 + FILLER
        server.set_clock(T(2023, 11, 20, 23))
        server.reset_log()
        third = ingest()
        assert third["discovered"] == 4 and third["unchanged"] == 4
        assert third["new"] == third["updated"] == third["failed"] == 0
        assert _rows(db_url, "select count(*) from document_versions") == versions
        assert _rows(db_url, "select count(*) from catalog_record_history") == [(0,)]
        # Every catalogue row carries the new 005; no file was sent again (304s).
        stamps = _rows(db_url, "select distinct modified from catalog_records")
        assert len(stamps) == 1 and str(stamps[0][0]).startswith("2023-11-20 03:00")
        assert server.hits("/record/*", status=200) == []
        (mark,) = _rows(db_url, "select watermark from discovery_watermarks")
        assert str(mark[0]).startswith("2023-11-20 03:00")


@pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)
def test_behind_the_challenge_discovery_takes_oai_and_files_take_the_ods(
    corpus_pdfs, env, db_url: str, tmp_path: Path,
) -> None:
    import httpx
    from prefect.settings import PREFECT_API_URL

    from flows.ingest import ingest

    with ReplayServer(_library(tmp_path / "lib", corpus_pdfs, ods=True)) as server:
        env(server, UNMIG_CONCURRENCY="1")  # one document at a time: one knock on the files
        server.challenge(search=True, files=True)
        # A database that has seen the library before: the run is on the library's clock.
        from storage.db import make_engine
        from storage.discovery import advance_watermark

        engine = make_engine(db_url)
        advance_watermark(engine, server.url, T(2023, 11, 1, tzinfo=dt.UTC), door="oai",
                          run_id=None)
        engine.dispose()
        counts = ingest()
        assert counts == {"discovered": 4, "new": 4, "updated": 0, "unchanged": 0,
                          "pending": 0, "failed": 0}
        assert server.hits("/oai2d", status=200)
        assert server.hits("/search") == []  # OAI-PMH answered first: the search is not asked
        assert len(server.hits("/record/*")) == 1  # knocked once; the ODS served the rest
        assert len(server.hits("/ods/*", status=200)) == 4

    body = {"artifacts": {"key": {"any_": ["ingest-summary"]}}, "sort": "CREATED_DESC",
            "limit": 1, "offset": 0}
    summary = httpx.post(f"{PREFECT_API_URL.value()}/artifacts/filter", json=body).json()[0]
    text = summary["data"]
    assert "found through the oai door" in text
    assert "shut: files: bot challenge" in text
    assert _rows(db_url, "select count(*) from ingest_failures") == [(0,)]


def test_a_run_killed_half_way_through_its_harvest_is_taken_up_by_the_next(
    corpus_pdfs, env, db_url: str, tmp_path: Path,
) -> None:
    from flows.ingest import ingest
    from tests.replay_server import Fault

    with ReplayServer(_library(tmp_path / "lib", corpus_pdfs, filler=6),
                      oai_page_size=2) as server:
        env(server, UNMIG_DISCOVERY="oai")
        from storage.db import make_engine
        from storage.discovery import advance_watermark

        engine = make_engine(db_url)
        advance_watermark(engine, server.url, T(2023, 10, 1, tzinfo=dt.UTC), door="oai",
                          run_id=None)
        engine.dispose()
        # Ten records stamped from 2 October, two a page: the library fails for good at page 4.
        rule = server.fail("/oai2d", Fault.ERROR_500, after=3)
        first = ingest(return_state=True)
        assert first.is_failed()
        server.rules.remove(rule)
        (point,) = _rows(db_url, "select token, served from discovery_resumptions")
        assert point[1] == 6 and point[0]
        assert _rows(db_url, "select count(*) from document_versions") == [(0,)]

        server.reset_log()
        second = ingest()
        assert (second["discovered"], second["new"], second["failed"]) == (4, 4, 0)
        oai = server.hits("/oai2d")
        # Pages 4 and 5 only, the first through the token stored before the kill.
        assert [h.query.get("resumptionToken") for h in oai][:1] == [point[0]]
        assert len(oai) == 2
        assert _rows(db_url, "select count(*) from discovery_resumptions") == [(0,)]
        (mark,) = _rows(db_url, "select watermark from discovery_watermarks")
        assert str(mark[0]).startswith("2023-11-15 10:00")  # the newest stamp: LATE's
