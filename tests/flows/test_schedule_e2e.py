"""The nightly run exists: on a real Prefect server with prefect.yaml deployed, the server's
scheduler creates upcoming runs of `ingest/daily`. A dependency release that breaks the
scheduler (SQLAlchemy 2.1 under prefect 3.8.8 did: no run was ever created, and nothing else
in the suite noticed) fails here."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.flows.prefect_server import PrefectServer, wait_for

pytestmark = pytest.mark.prefect


def test_daily_deployment_has_upcoming_scheduled_runs(deployed: PrefectServer) -> None:
    client = deployed.client()
    deployment = client.get("/deployments/name/ingest/daily").json()
    [schedule] = deployment["schedules"]
    assert schedule["active"] and schedule["schedule"]["cron"] == "30 2 * * *"

    def upcoming() -> list[dict]:
        found = client.post("/flow_runs/filter", json={
            "deployments": {"id": {"any_": [deployment["id"]]}},
            "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
            "sort": "EXPECTED_START_TIME_ASC",
            "limit": 10,
        })
        found.raise_for_status()
        now = dt.datetime.now(dt.UTC)
        runs = [r for r in found.json()
                if dt.datetime.fromisoformat(r["expected_start_time"]) > now]
        return runs if len(runs) >= 3 else []  # Prefect keeps at least 3 scheduled ahead

    def scheduler_errors() -> str:
        lines = [line for line in deployed.log_tail(200_000).splitlines()
                 if "Error" in line or "Traceback" in line]
        return "server log errors:\n" + "\n".join(lines[-20:])

    # The scheduler passes every 5 s here (see tests/flows/prefect_server.py); 3 runs appear
    # within about 20 s when it works.
    runs = wait_for(upcoming, 90, "scheduled runs of ingest/daily", explain=scheduler_errors)
    for run in runs:
        start = dt.datetime.fromisoformat(run["expected_start_time"]).astimezone(dt.UTC)
        assert (start.hour, start.minute) == (2, 30), run["expected_start_time"]
