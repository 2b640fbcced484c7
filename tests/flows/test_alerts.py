"""The project's alerts on a real Prefect server: `make serve`'s deploy step (scripts/deploy.sh)
applies automations.yaml, and a real ingest that loses a document ends `Partial` and fires the
"failed documents" automation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from flows.recorder import PARTIAL
from tests.flows.prefect_server import PrefectServer, wait_for

pytestmark = pytest.mark.prefect

NO_INGEST = "unmig: no completed ingest in 25 hours"
PARTIAL_RUN = "unmig: run ended with failed documents"
BACKFILL_FAILED = "unmig: backfill failed"


def _automations(server: PrefectServer) -> dict[str, dict]:
    found = server.client().post("/automations/filter", json={"limit": 100})
    found.raise_for_status()
    return {a["name"]: a for a in found.json()}


def test_deploy_applies_the_alerts(deployed: PrefectServer) -> None:
    automations = _automations(deployed)
    assert {NO_INGEST, PARTIAL_RUN, BACKFILL_FAILED} <= set(automations)
    assert all(automations[n]["enabled"] for n in (NO_INGEST, PARTIAL_RUN, BACKFILL_FAILED))

    silence = automations[NO_INGEST]["trigger"]
    assert silence["posture"] == "Proactive" and silence["within"] == 25 * 3600
    assert set(silence["expect"]) == {"prefect.flow-run.Completed", f"prefect.flow-run.{PARTIAL}"}
    assert silence["match_related"]["prefect.resource.name"] == "ingest"

    partial = automations[PARTIAL_RUN]["trigger"]
    # The state name the flows end in (flows/recorder.py) is the one the trigger waits for.
    assert partial["expect"] == [f"prefect.flow-run.{PARTIAL}"]
    assert partial["match"]["prefect.state-name"] == PARTIAL

    failed = automations[BACKFILL_FAILED]["trigger"]
    assert "prefect.flow-run.Failed" in failed["expect"]
    assert failed["match_related"]["prefect.resource.name"] == "backfill"


def test_applying_again_replaces_rather_than_duplicates(deployed: PrefectServer) -> None:
    before = _automations(deployed)
    out = deployed.run("python", "-m", "flows.alerts")  # what each `make serve` runs again
    assert out.stdout.count("automation updated:") == 3 and "created" not in out.stdout
    after = _automations(deployed)
    assert {n: a["id"] for n, a in after.items()} == {n: a["id"] for n, a in before.items()}


def test_a_run_that_lost_a_document_fires_the_partial_alert(
    deployed: PrefectServer, corpus, tmp_path: Path
) -> None:
    env = {
        **deployed.env,
        "UNMIG_DATABASE_URL": f"sqlite:///{tmp_path / 'alerts.db'}",
        "UNMIG_FILE_STORE": str(tmp_path / "files"),
        "UNMIG_PARSE_WORKERS": "1",
        "UNMIG_TASK_RETRY_DELAY": "0",
    }
    started = dt.datetime.now(dt.UTC)
    deployed.run("unmig", "db", "upgrade", env=env)
    out = deployed.run("unmig", "ingest", "--source", str(corpus.archive),
                       "--since", "2024-01-01", "--until", "2024-12-31", env=env)
    assert "failed=1" in out.stdout  # the HTML page served where the PDF should be

    client = deployed.client()
    [run] = client.post("/flow_runs/filter", json={
        "flows": {"name": {"any_": ["ingest"]}},
        # Not the upcoming runs the scheduler made for ingest/daily: this run had no deployment.
        "flow_runs": {"deployment_id": {"is_null_": True},
                      "start_time": {"after_": started.isoformat()}},
    }).json()
    assert (run["state"]["type"], run["state"]["name"]) == ("COMPLETED", PARTIAL)
    assert "1 of 7 documents failed for good" in run["state"]["message"]

    automation_id = _automations(deployed)[PARTIAL_RUN]["id"]

    def fired() -> list[dict]:
        found = client.post("/events/filter", json={"filter": {
            "occurred": {"since": started.isoformat()},
            "event": {"name": ["prefect.automation.triggered"]},
            "resource": {"id": [f"prefect.automation.{automation_id}"]},
        }, "limit": 10})
        found.raise_for_status()
        return found.json()["events"]

    [event] = wait_for(fired, 60, "the partial-run automation to trigger",
                       explain=deployed.log_tail)
    assert run["id"] in str(event)  # triggered by that run's state change
