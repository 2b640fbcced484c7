"""The `unmig` command line as a user runs it: a real process, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa

REPO = Path(__file__).resolve().parent.parent
UNMIG = [sys.executable, "-m", "cli.main"]


def unmig(*args: str, env: dict | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*UNMIG, *args], capture_output=True, text=True, timeout=300, cwd=cwd,
        env={**os.environ, **(env or {})},
    )


def test_parse_seed_as_json(seeds_dir: Path) -> None:
    done = unmig("parse", str(seeds_dir / "000_869cbad1eecc4c8c.txt"), "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert set(doc) >= {"symbol", "title", "date", "language", "paragraphs", "footnotes",
                        "warnings"}
    assert [p["number"] for p in doc["paragraphs"]] == [str(n) for n in range(1, 19)]
    assert {"number", "section", "kind", "text"} <= set(doc["paragraphs"][0])
    assert doc["paragraphs"][0]["section"] == "I. Introduction"


def test_parse_prints_paragraphs_for_people(seeds_dir: Path) -> None:
    done = unmig("parse", str(seeds_dir / "002_f0f546887a381fec.txt"))
    assert done.returncode == 0, done.stderr
    assert "Sixty-first session" in done.stdout and "warning: " in done.stdout


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.pdf", "no such file"),
        (lambda d: d, "is a directory"),
        (lambda d: _write(d / "broken.pdf", b"<html><body>Not found</body></html>"), "not a PDF"),
        (lambda d: _write(d / "empty.txt", b""), "empty"),
    ],
)
def test_parse_errors_are_one_line(tmp_path: Path, make, message: str) -> None:
    done = unmig("parse", str(make(tmp_path)))
    assert done.returncode != 0
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in done.stderr


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_bad_setting_is_one_line_before_any_work(tmp_path: Path) -> None:
    done = unmig("ingest", env={"UNMIG_RATE_LIMIT": "fast"})
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "unmig: error: invalid UNMIG_RATE_LIMIT: Input should be a valid number, "
        "unable to parse string as a number"
    ]


@pytest.mark.prefect
def test_demo_twice_adds_nothing_the_second_time(tmp_path: Path) -> None:
    """What `make demo` does: upgrade, ingest the bundled sample archive, twice."""
    env = {
        "UNMIG_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
        "UNMIG_FILE_STORE": str(tmp_path / "files"),
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": "",
    }
    assert unmig("db", "upgrade", env=env).returncode == 0

    def counts() -> dict[str, int]:
        engine = sa.create_engine(env["UNMIG_DATABASE_URL"])
        with engine.connect() as conn:
            out = {t: conn.execute(sa.text(f"select count(*) from {t}")).scalar_one()
                   for t in ("documents", "document_versions", "paragraphs", "footnotes",
                             "catalog_records")}
        engine.dispose()
        return out

    args = ("ingest", "--source", "samples/archive", "--since", "2000-01-01")
    first = unmig(*args, env=env)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "new=3" in first.stdout
    after_first = counts()
    assert after_first["documents"] == 3 and after_first["paragraphs"] == 18

    second = unmig(*args, env=env)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "unchanged=3" in second.stdout
    assert counts() == after_first

    status = unmig("status", env=env)
    assert status.returncode == 0 and "#2 ingest completed" in status.stdout


def test_ingest_on_a_database_nobody_migrated_says_what_to_do(tmp_path: Path) -> None:
    env = {"UNMIG_DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}",
           "PREFECT_HOME": str(tmp_path / "prefect")}
    done = unmig("ingest", "--source", "samples/archive", env=env)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        f"unmig: error: the database at sqlite:///{tmp_path / 'new.db'} has no unmig schema yet; "
        "run `unmig db upgrade`"
    ]


@pytest.mark.prefect
def test_a_failed_run_ends_in_one_line(tmp_path: Path) -> None:
    env = {"UNMIG_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
           "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_API_URL": ""}
    assert unmig("db", "upgrade", env=env).returncode == 0
    done = unmig("ingest", "--source", "samples/archive", "--since", "2020-02-01",
                 "--until", "2020-01-01", env=env)
    assert done.returncode == 1
    assert "unmig: error: ingest failed: ValueError: window starts after it ends" in done.stderr
    assert not [line for line in done.stderr.splitlines() if line.startswith("unmig: error")][1:]


# -- issue 13: `unmig parse` under the ingest's budget; no temporary folder left by a SIGKILL --


def _repeated_content_pdf(times: int = 200_000) -> bytes:
    """One page whose content is the same small stream listed `times` times: pdfminer runs
    for minutes and takes gigabytes on it."""
    from tests.reliability.hostile import FONT, TEXT, build_pdf, stream

    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ["
            + b"4 0 R " * times + b"] /Resources << /Font << /F1 5 0 R >> >> >>")
    return build_pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                      b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", page, stream(TEXT), FONT])


def _nested_html(depth: int = 200_000) -> bytes:
    body = b"<div>" * depth + b"1. Migration." + b"</div>" * depth
    return b"<html><body>" + body + b"</body></html>"


@pytest.mark.parametrize(("name", "make"), [("repeat.pdf", _repeated_content_pdf),
                                            ("nested.html", _nested_html)])
def test_parse_runs_under_the_ingest_budget(tmp_path: Path, name: str, make) -> None:
    import time

    path = _write(tmp_path / name, make())
    t0 = time.monotonic()
    done = subprocess.run([*UNMIG, "parse", str(path)], capture_output=True, text=True,
                          timeout=60, cwd=REPO, env={**os.environ, "UNMIG_PARSE_TIMEOUT": "3"})
    took = time.monotonic() - t0
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"unmig: error: {path}: parse exceeded its time budget: over 3 s"]
    assert took < 20, took


_SANDBOX_PARSE = """
import sys
from flows.sandbox import ParseSandbox
sandbox = ParseSandbox(workers=1, timeout=120, memory_mb=2048)
data = open(sys.argv[1], "rb").read()
print(sandbox.parse(data, filename=sys.argv[1], language="en").paragraphs[0].text)
sandbox.close()
"""


def test_a_killed_process_leaves_no_temporary_folder(tmp_path: Path, seeds_dir: Path) -> None:
    """The parse sandbox (as an ingest and `unmig parse` run it) SIGKILLed mid-parse: the next
    one to start removes the temporary folder the killed one could not."""
    import signal
    import time

    # A short folder: the forkserver's socket lives inside it, and an AF_UNIX path holds 107
    # bytes at most (under pytest's tmp_path the test failed once its run counter reached 100).
    temp = Path(tempfile.mkdtemp(prefix="um-", dir="/tmp"))
    env = {**os.environ, "TMPDIR": str(temp)}
    path = _write(tmp_path / "repeat.pdf", _repeated_content_pdf())
    victim = subprocess.Popen([sys.executable, "-c", _SANDBOX_PARSE, str(path)], cwd=REPO,
                              env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not any(temp.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert any(temp.iterdir()), "the sandbox never made its temporary folder"
        time.sleep(1)  # the worker is parsing now
    finally:
        os.killpg(victim.pid, signal.SIGKILL)  # the group: the worker too, not left to spin
        victim.wait(timeout=30)
    assert list(temp.iterdir())  # what a SIGKILL leaves: the cleanup at exit never ran
    done = subprocess.run([sys.executable, "-c", _SANDBOX_PARSE,
                           str(seeds_dir / "000_869cbad1eecc4c8c.txt")], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert list(temp.iterdir()) == []
    temp.rmdir()
