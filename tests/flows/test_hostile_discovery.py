"""A server paging without end or lying about its total, through the ingest flow: the run
ends, `partial` or with a warning, the reason on its row, and what was found is kept."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage import runs
from tests.replay_server import Paging, ReplayServer

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]


def _point_at(monkeypatch: pytest.MonkeyPatch, server: ReplayServer, db_url: str,
              files: Path) -> None:
    for name, value in {
        "UNMIG_DATABASE_URL": db_url, "UNMIG_FILE_STORE": str(files),
        "UNMIG_SOURCE": server.url, "UNMIG_ODS_URL": server.url, "UNMIG_RATE_LIMIT": "1000",
        "UNMIG_TIMEOUT": "2", "UNMIG_RETRIES": "0", "UNMIG_HTTP_BACKOFF": "0.01",
        "UNMIG_TASK_RETRIES": "0", "UNMIG_PARSE_WORKERS": "0", "UNMIG_PAGE_SIZE": "5",
        "UNMIG_DISCOVERY_MAX_RECORDS": "50",
    }.items():
        monkeypatch.setenv(name, value)


def _last_run(db_url: str) -> runs.RunInfo:
    engine = sa.create_engine(db_url)
    try:
        return runs.last_runs(engine, 1)[0]
    finally:
        engine.dispose()


def test_paging_without_end_ends_the_run_partial_with_the_reason(
    corpus, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.ingest import ingest

    with ReplayServer(corpus.archive) as server:
        _point_at(monkeypatch, server, db_url, tmp_path / "files")
        server.hostile_search(Paging.ALTERNATE)
        counts = ingest(since=dt.date(2024, 1, 1), until=dt.date(2024, 12, 31))
        assert counts["discovered"] == 10  # two pages of five, each record once, all kept
        run = _last_run(db_url)
        assert run.status == "partial"
        assert run.warnings and "page 3 repeats page 1" in run.warnings[0]
        assert len(server.hits("/search")) == 3


def test_lying_total_is_a_warning_on_the_run(
    corpus, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.ingest import ingest

    with ReplayServer(corpus.archive) as server:
        _point_at(monkeypatch, server, db_url, tmp_path / "files")
        server.hostile_search(Paging.LYING_TOTAL, records=0, total=1000)
        counts = ingest(since=dt.date(2024, 1, 1), until=dt.date(2024, 12, 31))
        assert counts["discovered"] == 0
        run = _last_run(db_url)
        assert (run.status, run.warnings) == (
            "partial", ["search: the server reported 1000 records but served 0"]
        )


def test_one_discovery_budget_for_all_the_windows_of_a_run(
    corpus, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.ingest import backfill

    with ReplayServer(corpus.archive) as server:
        _point_at(monkeypatch, server, db_url, tmp_path / "files")
        monkeypatch.setenv("UNMIG_DISCOVERY_MAX_RECORDS", "100000")
        monkeypatch.setenv("UNMIG_DISCOVERY_SECONDS", "0.05")
        server.hostile_search(Paging.INVENTING)
        backfill(start=dt.date(2024, 1, 1), end=dt.date(2024, 2, 29))
        run = _last_run(db_url)
        assert run.status == "partial" and run.warnings and len(run.warnings) == 2
        # January spends the run's budget; February is left none and asks for no page.
        assert all("budget is spent" in w for w in run.warnings)
        assert "paging stopped after 0 pages" in run.warnings[1]
        assert run.counts["discovered"] > 0
