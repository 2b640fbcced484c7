"""The backfill's request: typed for the Custom run form, refused when empty, pasted symbol lists
taken apart; and a symbol backfill names what the library does not have, in the log, the
run's summary artifact, its `ingest_runs` row and `unmig status`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.flows.prefect_server import PrefectServer
from tests.replay_server import ReplayServer


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


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)
def test_symbols_not_in_the_library_are_named_everywhere(
    corpus, env, db_url: str, capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    import cli.query  # noqa: F401 - registers `status`
    from cli.app import app
    from flows.ingest import backfill

    asked = [corpus.good[0], "A/99/999", corpus.good[1].lower(), "A/99/998"]
    with ReplayServer(corpus.archive) as server:
        env(server)
        counts = backfill(symbols=asked)
    assert counts["discovered"] == 2 and counts["new"] == 2
    # Prefect's run loggers reach the terminal, or pytest's log capture once pytest has
    # taken over logging: either way, the warning is there.
    logged = capfd.readouterr().err + caplog.text
    assert "not found in the library: A/99/999, A/99/998" in logged

    summary = _artifact("backfill-summary")
    assert "**Not found in the library (2):** `A/99/999`, `A/99/998`" in summary
    assert f"4 symbols: {corpus.good[0]}, A/99/999" in summary  # what was asked, not "None to"
    assert server.url in summary and "unmig.db" in summary  # the source and the database

    status = CliRunner().invoke(app, ["status"])
    assert status.exit_code == 0, status.output
    assert "not found in the library: A/99/999, A/99/998" in status.output


def test_the_backfill_form_refuses_an_empty_request_and_takes_pasted_symbols(
    deployed: PrefectServer,
) -> None:
    """On a real server with prefect.yaml deployed by scripts/deploy.sh: the form's schema shows
    dates and a list, an empty request is refused before a run exists, a pasted list is valid."""
    client = deployed.client()
    deployment = client.get("/deployments/name/backfill/backfill").json()
    schema = deployment["parameter_openapi_schema"]
    props = schema["properties"]
    assert (props["start"]["type"], props["start"]["format"]) == ("string", "date")
    assert (props["end"]["type"], props["end"]["format"]) == ("string", "date")
    assert props["symbols"]["type"] == "array" and "anyOf" not in props["symbols"]
    assert "paste a list" in props["symbols"]["description"]

    refused = client.post(f"/deployments/{deployment['id']}/create_flow_run",
                          json={"parameters": {}})
    assert refused.status_code == 409, refused.text
    assert "'start' is a required property" in refused.json()["detail"]
    refused = client.post(f"/deployments/{deployment['id']}/create_flow_run",
                          json={"parameters": {"symbols": []}})
    assert refused.status_code == 409, refused.text

    def form_errors(values: dict) -> list:
        answer = client.post("/ui/schemas/validate", json={"schema": schema, "values": values})
        assert answer.status_code == 200, answer.text
        return answer.json()["errors"]

    # What the Custom run form shows: the error on the start date field. The form sends
    # null for a field left empty, or leaves it out; both are an empty request.
    untouched = {"start": None, "end": None, "symbols": None, "languages": None,
                 "source": None, "force": False}
    for values in ({}, untouched, {**untouched, "symbols": []}):
        [error] = form_errors(values)
        assert error["property"] == "start", error
    refused = client.post(f"/deployments/{deployment['id']}/create_flow_run",
                          json={"parameters": untouched})
    assert refused.status_code == 409, refused.text
    # Filled in, with the other fields left empty (null): valid.
    pasted = ["A/61/515, A/RES/73/195\nA/C.3/78/L.49"]
    assert form_errors({**untouched, "symbols": pasted}) == []
    assert form_errors({"symbols": pasted}) == []
    assert form_errors({**untouched, "start": "2011-01-01", "end": "2011-12-31"}) == []
    assert form_errors({"start": "2011-02-30"}) != []
    # No "default": null for the form to fill its fields with (that drew "None" in them).
    assert all(props[name].get("default", "absent") is not None for name in props)


@pytest.mark.parametrize(
    ("given", "symbols"),
    [
        ("A/61/515, A/RES/73/195\nA/C.3/78/L.49", ["A/61/515", "A/RES/73/195", "A/C.3/78/L.49"]),
        (["A/61/515 A/62/1", "A/61/515;A/63/2", " "], ["A/61/515", "A/62/1", "A/63/2"]),
    ],
)
def test_pasted_symbols_are_taken_apart(given: object, symbols: list[str]) -> None:
    from flows.ingest import backfill
    from flows.params import BackfillRequest

    assert backfill.validate_parameters({"symbols": given})["symbols"] == symbols
    assert BackfillRequest.checked(symbols=given).symbols == symbols


def test_an_empty_or_backwards_request_is_refused_in_one_sentence() -> None:
    from flows.params import EMPTY, BackfillRequest

    with pytest.raises(ValueError) as empty:
        BackfillRequest.checked(start=None, end=None, symbols=None)
    assert str(empty.value) == EMPTY
    with pytest.raises(ValueError, match="the end date 2011-01-01 is before the start date"):
        BackfillRequest.checked(start=dt.date(2011, 2, 1), end=dt.date(2011, 1, 1))
