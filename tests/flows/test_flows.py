"""The Prefect flows on a temporary Prefect server (one per session), a real database on both
engines, and the local replay server standing in for the UN Digital Library."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.replay_server import Fault, ReplayServer

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

D = dt.date


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path):
    """Point the flows' settings (read from the environment) at a test database and server."""

    def point_at(server: ReplayServer) -> None:
        for name, value in {
            "UNMIG_DATABASE_URL": db_url,
            "UNMIG_FILE_STORE": str(tmp_path / "files"),
            "UNMIG_SOURCE": server.url,
            "UNMIG_ODS_URL": server.url,
            "UNMIG_RATE_LIMIT": "1000",
            "UNMIG_TIMEOUT": "2",
            "UNMIG_RETRIES": "2",
            "UNMIG_HTTP_BACKOFF": "0.01",
            "UNMIG_TASK_RETRIES": "2",
            "UNMIG_TASK_RETRY_DELAY": "0",
            "UNMIG_PARSE_WORKERS": "1",
        }.items():
            monkeypatch.setenv(name, value)

    return point_at


def _scalar(db_url: str, sql: str):
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql)).scalar_one()
    finally:
        engine.dispose()


def _rows(db_url: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def test_ingest_loads_what_it_can_and_records_the_rest(corpus, env, db_url: str) -> None:
    from flows.ingest import ingest

    with ReplayServer(corpus.archive) as server:
        env(server)
        # One file fails more often than the HTTP client retries: the task retry recovers it.
        server.fail("/record/100/files/*", Fault.ERROR_503, times=3)
        counts = ingest(since=D(2024, 1, 1), until=D(2024, 12, 31))
        assert counts == {"discovered": 7, "new": 5, "updated": 0, "unchanged": 0,
                          "pending": 1, "failed": 1}

        failures = _rows(db_url, "select symbol, stage, error from ingest_failures "
                                 "where resolved_at is null order by symbol")
        assert [(s, st) for s, st, _ in failures] == [
            (corpus.html_instead_of_pdf, "download"), (corpus.no_file, "download"),
        ]
        assert "BadContent" in failures[0][2] and "HTML" in failures[0][2].upper()
        run = _rows(db_url, "select flow, status, flow_run_id from ingest_runs")
        assert [(f, s) for f, s, _ in run] == [("ingest", "partial")] and run[0][2]

        # Second run: nothing new, no file sent again, no new version; the two failures stay
        # on record and are tried again (the pending one and the HTML one still fail).
        versions = _scalar(db_url, "select count(*) from document_versions")
        server.reset_log()
        again = ingest(since=D(2024, 1, 1), until=D(2024, 12, 31))
        assert again["unchanged"] == 5 and again["new"] == again["updated"] == 0
        # Only the broken file, still on record as a failure, is fetched whole again.
        assert [h.path for h in server.hits("/record/*", status=200)] == [
            "/record/201/files/A_98_201-EN.pdf"
        ]
        assert _scalar(db_url, "select count(*) from document_versions") == versions
        assert _scalar(db_url, "select max(attempts) from ingest_failures") == 2

        # The library fixes the broken file: the next run loads it and resolves the failure.
        html_pdf = next((corpus.archive / "record" / "201" / "files").iterdir())
        html_pdf.write_bytes(next((corpus.archive / "record" / "100" / "files").iterdir())
                             .read_bytes())
        third = ingest(since=D(2024, 1, 1), until=D(2024, 12, 31))
        assert third["new"] == 1 and third["failed"] == 0
        assert _rows(db_url, "select symbol from ingest_failures where resolved_at is null") == [
            (corpus.no_file,)
        ]


@pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)
def test_a_search_that_fails_for_good_says_so_in_seconds(corpus, env, db_url: str) -> None:
    """The HTTP client's retries are the only ones on a failing search (the discover task
    repeated them twice more, 10 and 60 s apart: 87 to 108 s before the run said so)."""
    from flows.ingest import ingest

    with ReplayServer(corpus.archive) as server:
        env(server)
        server.fail("/search", Fault.ERROR_500)
        t0 = time.monotonic()
        state = ingest(since=D(2024, 1, 1), until=D(2024, 12, 31), return_state=True)
        took = time.monotonic() - t0
        assert state.is_failed()
        assert len(server.hits("/search*")) == 3  # UNMIG_RETRIES=2: one request, two retries
        assert took < 20, took
        assert _rows(db_url, "select status from ingest_runs") == [("crashed",)]


@pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)
def test_backfill_by_month_and_by_symbol(corpus, env, db_url: str) -> None:
    from flows.ingest import backfill

    with ReplayServer(corpus.archive) as server:
        env(server)
        counts = backfill(start=D(2024, 1, 1), end=D(2024, 2, 29))
        # January and February only: the March document stays out.
        assert counts["new"] == 4 and counts["discovered"] == 6
        symbols = {s for (s,) in _rows(db_url, "select symbol from current_documents")}
        assert corpus.good[3] not in symbols

        by_symbol = backfill(symbols=[corpus.good[3]])
        assert by_symbol["new"] == 1 and by_symbol["discovered"] == 1
        params = _rows(db_url, "select parameters from ingest_runs order by id")
        assert '"start":"2024-01-01"' in params[0][0].replace(" ", "")


def _make_stale(db_url: str) -> None:
    """Mark every stored version as parsed by an older parser: reprocess owes each a parse."""
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("update document_versions set parser_version = '0.old'"))
        conn.execute(sa.text("update version_sources set parser_version = '0.old'"))
    engine.dispose()


@pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)
def test_reprocess_reparses_stale_versions_without_network(corpus, env, db_url: str) -> None:
    from flows.ingest import ingest, reprocess

    with ReplayServer(corpus.archive) as server:
        env(server)
        ingest(since=D(2024, 1, 1), until=D(2024, 12, 31))
        _make_stale(db_url)
        server.reset_log()
        counts = reprocess()
        assert server.log == []  # no network at all
        assert counts["discovered"] == 5 and counts["failed"] == 0
        assert reprocess()["discovered"] == 0  # nothing stale any more


@pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)
def test_run_summary_artifact(corpus, env, db_url: str) -> None:
    import httpx
    from prefect.settings import PREFECT_API_URL

    from flows.ingest import ingest

    with ReplayServer(corpus.archive) as server:
        env(server)
        ingest(since=D(2024, 1, 1), until=D(2024, 12, 31))

    def latest(key: str) -> dict:
        body = {"artifacts": {"key": {"any_": [key]}}, "sort": "CREATED_DESC", "limit": 1,
                "offset": 0}
        found = httpx.post(f"{PREFECT_API_URL.value()}/artifacts/filter", json=body).json()
        assert found, key
        return found[0]

    assert "| 7 | 5 | 0 | 0 | 1 | 1 |" in latest("ingest-summary")["data"]
    rows = latest("ingest-documents")["data"]
    assert corpus.html_instead_of_pdf in str(rows) and "BadContent" in str(rows)


def _flow_run(flow_run_id: str) -> dict:
    import httpx
    from prefect.settings import PREFECT_API_URL

    return httpx.get(f"{PREFECT_API_URL.value()}/flow_runs/{flow_run_id}").json()


@pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)
def test_a_run_that_lost_a_document_ends_partial(corpus, env, db_url: str) -> None:
    """A document that failed for good (an HTML page where the PDF should be) makes the run
    `Completed` named `Partial`, on the server, where an automation can match it."""
    from flows.ingest import backfill, ingest
    from flows.recorder import PARTIAL

    with ReplayServer(corpus.archive) as server:
        env(server)
        state = ingest(since=D(2024, 1, 1), until=D(2024, 12, 31), return_state=True)
        assert (state.type.value, state.name) == ("COMPLETED", PARTIAL)
        counts = state.result()
        assert counts["failed"] == 1 and counts["new"] == 5
        assert "1 of 7 documents failed for good" in state.message
        on_server = _flow_run(str(state.state_details.flow_run_id))["state"]
        assert (on_server["type"], on_server["name"]) == ("COMPLETED", PARTIAL)
        assert _rows(db_url, "select status from ingest_runs") == [("partial",)]

        # Nothing lost: a plain Completed, and the flow still returns its counts.
        clean = backfill(symbols=[corpus.good[0]], return_state=True)
        assert (clean.type.value, clean.name) == ("COMPLETED", "Completed")
        assert clean.result()["unchanged"] == 1


@pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)
def test_reprocess_with_a_missing_raw_file_records_it_and_goes_on(
    corpus, env, db_url: str, tmp_path: Path
) -> None:
    from flows.ingest import ingest, reprocess
    from flows.recorder import PARTIAL
    from parsers import PARSER_VERSION
    from storage import versions
    from storage.filestore import FileStore

    with ReplayServer(corpus.archive) as server:
        env(server)
        ingest(since=D(2024, 1, 1), until=D(2024, 12, 31))
        _make_stale(db_url)
        [(lost, sha256)] = _rows(
            db_url, "select v.symbol, s.source_sha256 from document_versions v "
                    "join version_sources s on s.version_id = v.id order by v.symbol limit 1",
        )
        shared = _scalar(db_url, "select count(*) from version_sources where source_sha256 = "
                                 f"'{sha256}'")
        assert shared == 1  # the file belongs to that version only
        FileStore(tmp_path / "files").path(sha256).unlink()

        state = reprocess(return_state=True)
        assert (state.type.value, state.name) == ("COMPLETED", PARTIAL)
        counts = state.result()
        assert counts["discovered"] == 5 and counts["failed"] == 1
        assert counts["unchanged"] + counts["updated"] == 4  # the others were parsed again
        assert _rows(db_url, "select flow, status from ingest_runs order by id") == [
            ("ingest", "partial"), ("reprocess", "partial"),
        ]
        [(stage, error, last_run)] = _rows(
            db_url, "select stage, error, last_run_id from ingest_failures "
                    f"where symbol = '{lost}' and resolved_at is null",
        )
        assert stage == "download" and "FileStoreError" in error and sha256 in error
        assert last_run == _scalar(db_url, "select max(id) from ingest_runs")
        engine = sa.create_engine(db_url)
        stale = versions.stale_versions(engine, PARSER_VERSION)
        engine.dispose()
        assert [v.symbol for v in stale] == [lost]  # only the lost file is still owed a parse

        # The next ingest owes that document: it downloads the file again and settles it.
        again = ingest(since=D(2024, 1, 1), until=D(2024, 12, 31))
        assert again["failed"] == 1  # only the HTML-instead-of-PDF document, as before
        assert _rows(db_url, f"select count(*) from ingest_failures where symbol = '{lost}' "
                             "and resolved_at is null") == [(0,)]
        assert _rows(db_url, "select count(*) from ingest_runs where status = 'running'") == [(0,)]


def test_a_backfill_chunk_run_in_process_loads_its_month(corpus, env, db_url: str) -> None:
    """The chunk flows a worker runs (flows/fanout.py), called here in-process: the soak test
    runs them on real workers, this one keeps them working in every `make test`."""
    from flows.fanout import backfill_chunk, reprocess_chunk

    with ReplayServer(corpus.archive) as server:
        env(server)
        counts = backfill_chunk(since=D(2024, 1, 1), until=D(2024, 1, 31), key="k",
                                chunk="2024-01", symbols=None)
        # January holds good documents and one the corpus breaks on purpose.
        assert counts["new"] >= 1 and counts["new"] + counts["failed"] == counts["discovered"]
        loaded = _rows(db_url, "select symbol, language from current_documents")
        assert loaded
        _make_stale(db_url)
        again = reprocess_chunk(items=[list(r) for r in loaded], key="r", chunk="batch 1")
        assert again["discovered"] == len(loaded) and again["failed"] == 0
