"""Progress of a long run: a Prefect progress artifact that reaches 100 %, a log line per chunk
with the counts so far."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import httpx
import pytest

from tests.replay_server import ReplayServer

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]


@pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)
def test_a_backfill_reports_each_chunk_and_its_progress(
    corpus, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
) -> None:
    from prefect.settings import PREFECT_API_URL

    from flows.ingest import backfill

    # The tests keep Prefect's loggers at WARNING (tests/conftest.py); the chunk lines are INFO.
    with ReplayServer(corpus.archive) as server, \
            caplog.at_level(logging.INFO, logger="prefect.flow_runs"):
        for name, value in {
            "UNMIG_DATABASE_URL": db_url, "UNMIG_FILE_STORE": str(tmp_path / "files"),
            "UNMIG_SOURCE": server.url, "UNMIG_ODS_URL": server.url,
            "UNMIG_RATE_LIMIT": "1000", "UNMIG_TIMEOUT": "2", "UNMIG_RETRIES": "1",
            "UNMIG_HTTP_BACKOFF": "0.01", "UNMIG_TASK_RETRIES": "0", "UNMIG_PARSE_WORKERS": "0",
        }.items():
            monkeypatch.setenv(name, value)
        backfill(start=dt.date(2024, 1, 1), end=dt.date(2024, 3, 31))

    logged = capfd.readouterr().err + caplog.text
    for n in (1, 2, 3):
        assert f"backfill run 1: chunk {n} of 3 (2024-0{n}-01 to 2024-0{n}-" in logged, logged
    assert "chunk 3 of 3 (2024-03-01 to 2024-03-31) done; 100%; so far discovered=" in logged

    body = {"artifacts": {"key": {"any_": ["backfill-progress"]}}, "sort": "CREATED_DESC",
            "limit": 1, "offset": 0}
    [artifact] = httpx.post(f"{PREFECT_API_URL.value()}/artifacts/filter", json=body).json()
    assert (artifact["type"], artifact["data"]) == ("progress", 100.0)
