"""End to end through a real Prefect server: deploy prefect.yaml, start a worker, trigger a
backfill through the API (the call the UI's Custom Run makes), find the documents in the DB."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.prefect


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, timeout: float, what: str, proc: subprocess.Popen | None = None):  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: process exited with {proc.returncode}")
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture
def prefect_server(tmp_path: Path):
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "5",
    }
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )

    def healthy() -> bool:
        try:
            return httpx.get(f"{api}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        _wait(healthy, 180, "the Prefect server", server)
        yield api, env
    finally:
        server.terminate()
        server.wait(30)
        log.close()


def test_backfill_through_deployment(prefect_server, tmp_path: Path) -> None:
    api, env = prefect_server
    db_url = f"sqlite:///{tmp_path / 'e2e.db'}"
    env = {
        **env,
        "UNMIG_DATABASE_URL": db_url,
        "UNMIG_FILE_STORE": str(tmp_path / "files"),
        "UNMIG_SOURCE": str(REPO / "samples" / "archive"),
        "UNMIG_PROJECT_DIR": str(REPO),
        "UNMIG_WORK_POOL": "unmig-e2e",
        "UNMIG_PARSE_WORKERS": "1",
    }
    run = lambda *args: subprocess.run(  # noqa: E731
        [str(BIN / args[0]), *args[1:]], env=env, cwd=REPO, check=True,
        capture_output=True, text=True, timeout=300,
    )
    run("unmig", "db", "upgrade")
    run("prefect", "work-pool", "create", "unmig-e2e", "--type", "process")
    deployed = run("prefect", "deploy", "--all", "--no-prompt")
    assert "backfill" in deployed.stdout + deployed.stderr

    worker_log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [str(BIN / "prefect"), "worker", "start", "--pool", "unmig-e2e", "--run-once"],
        env=env, cwd=REPO, stdout=worker_log, stderr=subprocess.STDOUT,
    )
    try:
        client = httpx.Client(base_url=api, timeout=30)
        deployment = client.get("/deployments/name/backfill/backfill").json()
        # The UI's Custom Run form shows a date picker and each parameter's description.
        start = deployment["parameter_openapi_schema"]["properties"]["start"]
        assert {"format": "date", "type": "string"} in start["anyOf"] and start["description"]
        # What the UI's Custom Run posts.
        flow_run = client.post(
            f"/deployments/{deployment['id']}/create_flow_run",
            json={"parameters": {"start": "2025-09-01", "end": "2025-11-30"}},
        ).json()

        def finished() -> dict | None:
            state = client.get(f"/flow_runs/{flow_run['id']}").json()["state"]
            return state if state["type"] in ("COMPLETED", "FAILED", "CRASHED") else None

        state = _wait(finished, 300, "the backfill flow run", worker)
        assert state["type"] == "COMPLETED", (
            state, (tmp_path / "worker.log").read_text(errors="replace")[-4000:]
        )
    finally:
        worker.terminate()
        worker.wait(30)
        worker_log.close()

    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        symbols = {r[0] for r in conn.execute(sa.text("select symbol from current_documents"))}
        paragraphs = conn.execute(sa.text("select count(*) from current_paragraphs")).scalar()
        run_row = conn.execute(
            sa.text("select flow, flow_run_id, status from ingest_runs")
        ).one()
    assert {"A/99/101", "A/RES/99/202", "A/99/303"} <= symbols
    assert paragraphs == 18  # 7 + 7 + 4 in the three samples
    assert run_row == ("backfill", flow_run["id"], "completed")
