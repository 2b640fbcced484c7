"""End to end through a real Prefect server: deploy prefect.yaml, start a worker, trigger a
backfill through the API (the call the UI's Custom Run makes), find the documents in the DB."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.flows.prefect_server import BIN, REPO, PrefectServer, wait_for

pytestmark = pytest.mark.prefect


def test_backfill_through_deployment(deployed: PrefectServer, tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'e2e.db'}"
    env = {
        **deployed.env,
        "UNMIG_DATABASE_URL": db_url,
        "UNMIG_FILE_STORE": str(tmp_path / "files"),
        "UNMIG_SOURCE": str(REPO / "samples" / "archive"),
        "UNMIG_PARSE_WORKERS": "1",
        # The backfill's own process does the work here (its worker runs once); the chunks
        # on many workers are tests/flows/test_fanout_e2e.py's.
        "UNMIG_FANOUT": "off",
    }
    deployed.run("unmig", "db", "upgrade", env=env)

    worker_log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [str(BIN / "prefect"), "worker", "start", "--pool", env["UNMIG_WORK_POOL"], "--run-once"],
        env=env, cwd=REPO, stdout=worker_log, stderr=subprocess.STDOUT,
    )
    try:
        client = deployed.client()
        deployment = client.get("/deployments/name/backfill/backfill").json()
        # The UI's Custom Run form shows a date picker and each parameter's description.
        start = deployment["parameter_openapi_schema"]["properties"]["start"]
        # (a plain date, no "or None" branch: that made the form open it as "None").
        assert (start["type"], start["format"]) == ("string", "date") and start["description"]
        assert "anyOf" not in start
        # What the UI's Custom Run posts.
        flow_run = client.post(
            f"/deployments/{deployment['id']}/create_flow_run",
            json={"parameters": {"start": "2025-09-01", "end": "2025-11-30"}},
        ).json()

        def finished() -> dict | None:
            state = client.get(f"/flow_runs/{flow_run['id']}").json()["state"]
            return state if state["type"] in ("COMPLETED", "FAILED", "CRASHED") else None

        state = wait_for(finished, 300, "the backfill flow run", worker)
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
    engine.dispose()
    assert {"A/99/101", "A/RES/99/202", "A/99/303"} <= symbols
    assert paragraphs == 18  # 7 + 7 + 4 in the three samples
    assert run_row == ("backfill", flow_run["id"], "completed")
