"""`unmig status --runs N`, `unmig failures [--run ID] [--full]`, and the commands `status`
suggests, on both engines."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli.query
import cli.runs  # noqa: F401 - registers the command
from cli.app import app
from storage import runs
from storage.db import make_engine, upgrade_database

LONG = "ParseError: the file ends early\n  at object 12\n  at xref table (second line kept)"


@pytest.fixture
def url(empty_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    upgrade_database(empty_db_url)
    monkeypatch.setenv("UNMIG_DATABASE_URL", empty_db_url)
    monkeypatch.setenv("UNMIG_FILE_STORE", str(tmp_path / "files"))
    return empty_db_url


def run(*args: str):  # noqa: ANN201
    return CliRunner().invoke(app, list(args))


def _runs(url: str) -> tuple[int, int, int]:
    eng = make_engine(url)
    try:
        ids = []
        for i in range(7):
            rid = runs.start_run(eng, flow="backfill", flow_run_id=None, parameters={"i": i})
            runs.finish_run(eng, rid, status="completed", counts={"new": i})
            ids.append(rid)
        symbols = runs.start_run(eng, flow="backfill", flow_run_id=None, parameters={})
        runs.set_not_found(eng, symbols, ["A/99/999", "A/99/998"])
        runs.record_failure(eng, run_id=symbols, symbol="A/78/1", language="en",
                            url="https://digitallibrary.un.org/record/1/files/A_78_1-EN.pdf",
                            stage="parse", error=LONG)
        runs.finish_run(eng, symbols, status="partial", counts={"new": 1, "failed": 1})
        live = runs.start_run(eng, flow="ingest", flow_run_id=None, parameters={})
        runs.beat(eng, live, counts={"discovered": 40, "new": 12, "failed": 0})
        return ids[0], symbols, live
    finally:
        eng.dispose()


def test_status_lists_n_runs_live_counts_and_what_was_not_found(url: str) -> None:
    first, symbols, live = _runs(url)
    r = run("status")
    assert r.exit_code == 0, r.output
    assert r.output.count("\n  #") == 5 and f"#{first} " not in r.output
    assert f"#{live} ingest running" in r.output and "s so far  discovered=40" in r.output
    assert "new=12" in r.output
    assert "not found in the library: A/99/999, A/99/998" in r.output

    r = run("status", "--runs", "20")
    assert r.exit_code == 0 and f"#{first} backfill completed" in r.output
    assert r.output.count("\n  #") == 9


def test_failures_open_of_a_run_and_in_full(url: str) -> None:
    _, symbols, _ = _runs(url)
    r = run("failures")
    assert r.exit_code == 0, r.output
    assert "Open failures (1)" in r.output and "A/78/1 [en] parse: 1 attempt(s)" in r.output
    assert "ParseError: the file ends early" in r.output and "second line" not in r.output

    r = run("failures", "--run", str(symbols), "--full")
    assert r.exit_code == 0, r.output
    assert f"#{symbols} backfill partial" in r.output
    assert "not found in the library: A/99/999, A/99/998" in r.output
    assert "at xref table (second line kept)" in r.output
    assert "A_78_1-EN.pdf" in r.output

    r = run("failures", "--run", "999999")
    assert r.exit_code == 1 and "no run 999999" in r.output


def test_suggested_commands_work_where_they_are_printed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # After `make run` the command is .venv/bin/unmig, which the shell does not find.
    venv = tmp_path / ".venv" / "bin"
    venv.mkdir(parents=True)
    exe = venv / "unmig"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(exe), "status"])
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert cli.query.unmig_command() == ".venv/bin/unmig"
    # Once it is on the PATH, its name is enough.
    monkeypatch.setenv("PATH", f"{venv}{os.pathsep}/usr/bin")
    assert cli.query.unmig_command() == "unmig"


def test_runs_option_is_bounded(url: str) -> None:
    assert run("status", "--runs", "0").exit_code == 2
