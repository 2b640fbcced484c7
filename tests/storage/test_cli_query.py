"""The read commands end to end through Typer, on both engines."""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

import cli.query  # noqa: F401 - registers the commands
from cli.app import app
from storage import catalog, discovery, runs
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
    runs.finish_run(eng, rid, status="completed", counts={"new": 1, "updated": 1, "failed": 1},
                    warnings=["search: the server served 300 records but reported 10"])
    discovery.advance_watermark(eng, "https://digitallibrary.un.org",
                                dt.datetime(2023, 11, 15, 10, tzinfo=dt.UTC), door="oai",
                                run_id=rid)
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
        "warning: search: the server served 300 records but reported 10",
        "current_documents",
        "1 document,",
        "2 versions in all",
        "watermark  2023-11-15 10:00",
        "through the oai door",
    ):
        assert expected in r.output
    assert "password" not in r.output


def test_bad_configuration_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNMIG_DATABASE_URL", "mysql://u:s3cret@h/db")
    r = run("status")
    assert r.exit_code == 1 and "s3cret" not in r.output and "unsupported" in r.output


# -- issue 13: every error one line; an exclusion first; a read-only file system ---------------


def _one_line_error(r, *expected: str) -> None:  # noqa: ANN001 - a click Result
    # An uncaught exception would be the runner's `exception` (exit code 1 too), not SystemExit.
    assert isinstance(r.exception, SystemExit) and r.exit_code == 1, (r.exception, r.output)
    assert "Traceback" not in r.output
    last = r.output.strip().splitlines()[-1]
    assert last.startswith("unmig: error: "), r.output
    for text in expected:
        assert text in last, r.output


def test_search_takes_an_exclusion_as_first_word(cli_env: str) -> None:
    assert run("db", "upgrade").exit_code == 0
    _fill(cli_env)
    # Paragraph 2 speaks of remittances; paragraph 3 of costs (and remittance costs).
    r = run("search", "-remittances", "costs")
    assert r.exit_code == 0, r.output
    assert "no paragraphs match '-remittances costs'" in r.output
    r = run("search", "-halve", "remittances")
    assert r.exit_code == 0 and f"{SYMBOL} [en] v2 ¶2" in r.output, r.output
    assert "¶3" not in r.output
    r = run("search", "-n", "1", "--", "-halve", "remittance*")
    assert r.exit_code == 0 and r.output.count(SYMBOL) == 1, r.output
    r = run("search", "remittances", "--limit=1", "-l", "en")
    assert r.exit_code == 0 and r.output.count(SYMBOL) == 1, r.output
    _one_line_error(run("search", *["remittances"] * 100), "1199 characters")
    _one_line_error(run("search", *[f"w{i}" for i in range(40)]), "40 distinct terms")


def test_absurd_version_numbers_are_one_line(cli_env: str) -> None:
    assert run("db", "upgrade").exit_code == 0
    _fill(cli_env)
    huge = "999999999999999999999"
    _one_line_error(run("show", SYMBOL, "--version", huge), f"has no version {huge}")
    _one_line_error(run("show", SYMBOL, "--version", "2147483648"), "(latest is 2)")
    _one_line_error(run("diff", SYMBOL, "1", huge), f"has no version {huge}")


@pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("damage", ["header", "pages"])
def test_a_damaged_sqlite_file_is_one_line(cli_env: str, damage: str) -> None:
    import random

    import cli.ingest  # noqa: F401 - registers `ingest`

    assert run("db", "upgrade").exit_code == 0
    _fill(cli_env)
    path = make_engine(cli_env).url.database
    data = bytearray(open(path, "rb").read())  # noqa: SIM115, PTH123
    rng = random.Random(13)
    span = slice(0, 100) if damage == "header" else slice(4096, len(data))
    data[span] = rng.randbytes(len(data[span]))
    open(path, "wb").write(data)  # noqa: SIM115, PTH123
    for args in (["status"], ["search", "remittances"], ["show", SYMBOL], ["ingest"]):
        r = run(*args)
        if r.exit_code == 0:  # a read that never touched a damaged page
            continue
        _one_line_error(r, "database")


def _read_only_prefix(folder: str) -> list[str] | None:
    """A command prefix that runs the rest in a private mount namespace where `folder` is a
    read-only file system; None where this machine does not allow it."""
    import os
    import shutil
    import subprocess

    if shutil.which("unshare") is None:
        return None
    user = ["-r"] if os.geteuid() != 0 else []
    mount = (f"mount --bind '{folder}' '{folder}' && "
             f"mount -o remount,ro,bind '{folder}' '{folder}' && exec \"$@\"")
    prefix = ["unshare", *user, "-m", "sh", "-c", mount, "sh"]
    probe = subprocess.run([*prefix, "sh", "-c", f"! touch '{folder}/probe'"],
                           capture_output=True, timeout=30)
    return prefix if probe.returncode == 0 else None


@pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)
def test_reads_work_on_a_read_only_file_system(cli_env: str) -> None:
    import subprocess
    import sys
    from pathlib import Path

    assert run("db", "upgrade").exit_code == 0
    _fill(cli_env)
    folder = str(Path(make_engine(cli_env).url.database).parent)
    prefix = _read_only_prefix(folder)
    if prefix is None:
        pytest.skip("no private mount namespace here (unshare -m) to make a read-only disk")
    repo = Path(__file__).resolve().parents[2]

    def unmig(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*prefix, sys.executable, "-m", "cli.main", *args], cwd=repo,
                              capture_output=True, text=True, timeout=120)

    for args, expected in ((["status"], "2 versions in all"),
                           (["search", "remittances"], f"{SYMBOL} [en] v2 ¶2"),
                           (["show", SYMBOL], "halve remittance costs")):
        done = unmig(*args)
        assert done.returncode == 0 and expected in done.stdout, (args, done.stdout, done.stderr)
    done = unmig("ingest")
    assert done.returncode == 1 and done.stderr.strip().splitlines() == [
        f"unmig: error: the database at {cli_env} is read-only here: reads work, writes cannot"]
