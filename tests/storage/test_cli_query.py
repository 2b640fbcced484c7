"""The read commands end to end through Typer, on both engines."""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

import cli.query  # noqa: F401 - registers the commands
from cli.app import app
from storage import catalog, runs
from storage.db import head_revision, make_engine
from tests.storage.factories import BASE_TEXTS, SYMBOL, T0, load, make_doc, make_record


@pytest.fixture
def cli_env(empty_db_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> str:  # noqa: ANN001
    monkeypatch.setenv("UNMIG_DATABASE_URL", empty_db_url)
    monkeypatch.setenv("UNMIG_FILE_STORE", str(tmp_path / "files"))
    return empty_db_url


def run(*args: str):  # noqa: ANN201
    return CliRunner().invoke(app, list(args))


def _fill(url: str) -> None:
    eng = make_engine(url)
    rid = runs.start_run(eng, flow="ingest", flow_run_id="flow-1", parameters={})
    catalog.upsert_catalog_record(eng, make_record())
    load(eng, make_doc(), run_id=rid)
    texts = (*BASE_TEXTS[:2], "Member States are urged to halve remittance costs.", BASE_TEXTS[3])
    load(eng, make_doc(texts), source="f2", fetched_at=T0 + dt.timedelta(days=1), run_id=rid)
    runs.record_failure(
        eng,
        run_id=rid,
        symbol="A/78/1",
        language="en",
        url=None,
        stage="download",
        error="HTTP 404",
    )
    runs.finish_run(eng, rid, status="completed", counts={"new": 1, "updated": 1, "failed": 1})
    eng.dispose()


def test_commands(cli_env: str) -> None:
    r = run("status")
    assert r.exit_code == 1 and "unmig db upgrade" in r.output

    r = run("db", "upgrade")
    assert r.exit_code == 0, r.output
    assert f"schema revision {head_revision()}" in r.output
    _fill(cli_env)

    r = run("show", SYMBOL)
    assert r.exit_code == 0, r.output
    assert "version 2 of 2 (current)" in r.output and "halve remittance costs" in r.output
    r = run("show", SYMBOL, "--version", "1", "--language", "en")
    assert r.exit_code == 0 and "encouraged to reduce" in r.output and "superseded" in r.output
    assert run("show", SYMBOL, "--version", "5").exit_code == 1
    r = run("show", SYMBOL, "--language", "fr")
    assert r.exit_code == 1 and "it has: en" in r.output
    assert run("show", "A/0/0").exit_code == 1

    r = run("history", SYMBOL)
    assert r.exit_code == 0 and "first version" in r.output and "+0 -0 ~1" in r.output

    r = run("diff", SYMBOL, "1", "2")
    assert r.exit_code == 0, r.output
    assert "1 changed, 0 added, 0 removed" in r.output and "~ ¶3" in r.output
    assert run("diff", SYMBOL, "1", "7").exit_code == 1

    r = run("search", "remittances", "--limit", "5")
    assert r.exit_code == 0, r.output
    assert f"{SYMBOL} [en] v2 ¶2" in r.output and "[" in r.output
    assert "no paragraphs match" in run("search", "zzzunknownzzz").output

    r = run("status")
    assert r.exit_code == 0, r.output
    for expected in (
        "completed",
        "new=1",
        "A/78/1 [en] download",
        "current_documents",
        "1 document,",
        "2 versions in all",
    ):
        assert expected in r.output
    assert "password" not in r.output


def test_bad_configuration_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNMIG_DATABASE_URL", "mysql://u:s3cret@h/db")
    r = run("status")
    assert r.exit_code == 1 and "s3cret" not in r.output and "unsupported" in r.output
