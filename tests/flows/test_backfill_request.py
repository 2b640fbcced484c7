"""A symbol backfill names what the library does not have: in the log, the run's summary
artifact, its `ingest_runs` row and `unmig status`."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.replay_server import ReplayServer

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path):
    def point_at(server: ReplayServer) -> None:
        for name, value in {
            "UNMIG_DATABASE_URL": db_url, "UNMIG_FILE_STORE": str(tmp_path / "files"),
            "UNMIG_SOURCE": server.url, "UNMIG_ODS_URL": server.url, "UNMIG_RATE_LIMIT": "1000",
            "UNMIG_TIMEOUT": "2", "UNMIG_RETRIES": "1", "UNMIG_HTTP_BACKOFF": "0.01",
            "UNMIG_PARSE_WORKERS": "0",
        }.items():
            monkeypatch.setenv(name, value)

    return point_at


def _artifact(key: str) -> str:
    from prefect.settings import PREFECT_API_URL

    body = {"artifacts": {"key": {"any_": [key]}}, "sort": "CREATED_DESC", "limit": 1, "offset": 0}
    found = httpx.post(f"{PREFECT_API_URL.value()}/artifacts/filter", json=body).json()
    assert found, key
    return found[0]["data"]


@pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)
def test_symbols_not_in_the_library_are_named_everywhere(
    corpus, env, db_url: str, capfd: pytest.CaptureFixture[str]
) -> None:
    import cli.query  # noqa: F401 - registers `status`
    from cli.app import app
    from flows.ingest import backfill

    asked = [corpus.good[0], "A/99/999", corpus.good[1].lower(), "A/99/998"]
    with ReplayServer(corpus.archive) as server:
        env(server)
        counts = backfill(symbols=asked)
    assert counts["discovered"] == 2 and counts["new"] == 2
    # Prefect prints its run loggers to the terminal (they do not reach pytest's caplog).
    assert "not found in the library: A/99/999, A/99/998" in capfd.readouterr().err

    summary = _artifact("backfill-summary")
    assert "**Not found in the library (2):** `A/99/999`, `A/99/998`" in summary
    assert f"4 symbols: {corpus.good[0]}, A/99/999" in summary  # what was asked, not "None to"
    assert server.url in summary and "unmig.db" in summary  # the source and the database

    status = CliRunner().invoke(app, ["status"])
    assert status.exit_code == 0, status.output
    assert "not found in the library: A/99/999, A/99/998" in status.output
