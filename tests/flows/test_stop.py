"""Stopping a hung `unmig ingest`: real processes, real signals, a stand-in library that hangs.

The library answers the search and then never answers a file request (the replay server's HANG
fault, with a read timeout longer than the test), so the run's document tasks are stuck in a
read when the signal arrives, as they were when operators could not stop a run.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage.db import make_engine, upgrade_database
from tests.archive_builder import ArchiveRecord, build_archive, fake_pdf
from tests.flows.prefect_server import BIN, REPO, PrefectServer, wait_for
from tests.pdfgen import make_corpus, render_pdf
from tests.replay_server import Fault, ReplayServer

SERVER_CMD = "prefect.server.api.server:create_app"


@pytest.fixture
def library(tmp_path: Path) -> Iterator[ReplayServer]:
    [spec] = make_corpus(1, pages=1, seed=11)
    records = [
        ArchiveRecord(f"70{i}", f"A/96/70{i}", date=dt.date(2024, 1, 10 + i),
                      subjects=["INTERNATIONAL MIGRATION"],
                      files={"en": render_pdf(spec) if i == 0 else fake_pdf(str(i))})
        for i in range(3)
    ]
    build_archive(tmp_path / "archive", records, page_size=10)
    with ReplayServer(tmp_path / "archive", hang_seconds=600) as server:
        server.fail("/record/*", Fault.HANG)
        yield server


def _env(tmp_path: Path, server: ReplayServer, prefect: PrefectServer | None) -> dict[str, str]:
    db = f"sqlite:///{tmp_path / 'unmig.db'}"
    if not (tmp_path / "unmig.db").exists():
        upgrade_database(db)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "UNMIG_"))}
    env.update(
        UNMIG_DATABASE_URL=db, UNMIG_FILE_STORE=str(tmp_path / "files"),
        UNMIG_ODS_URL=server.url, UNMIG_RATE_LIMIT="1000", UNMIG_TIMEOUT="600",
        UNMIG_CONTACT="tests@example.org", UNMIG_HEARTBEAT_SECONDS="1",
        UNMIG_PARSE_WORKERS="0", UNMIG_TASK_RETRIES="0", TMPDIR=str(tmp_path),
        PREFECT_HOME=str(tmp_path / "prefect-home"),
    )
    if prefect is not None:
        env["PREFECT_API_URL"] = prefect.api
    return env


def _start(env: dict[str, str], server: ReplayServer) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "unmig"), "ingest", "--source", server.url, "--since", "2024-01-01"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,  # its own process group, as a shell job or a systemd unit
    )


def _children(pid: int) -> list[int]:
    """Every living descendant of `pid` (from /proc)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _hung(proc: subprocess.Popen, server: ReplayServer) -> None:
    """Wait until the run is stuck in a file download."""
    wait_for(lambda: server.hits("/record/*"), 180, "the run to request a file", proc,
             explain=lambda: proc.stdout.read() if proc.poll() is not None else "")
    time.sleep(1)


def _runs(env: dict[str, str]) -> list[tuple]:
    engine = make_engine(env["UNMIG_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return conn.execute(
                sa.text("SELECT id, status, error, heartbeat_at FROM ingest_runs ORDER BY id")
            ).all()
    finally:
        engine.dispose()


def _stop(proc: subprocess.Popen, sig: int) -> float:
    t0 = time.monotonic()
    os.killpg(proc.pid, sig)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        pytest.fail(f"still running 60 s after {signal.Signals(sig).name}")
    return time.monotonic() - t0


def test_sigterm_ends_a_hung_run_in_seconds_and_stops_the_temporary_server(
    tmp_path: Path, library: ReplayServer
) -> None:
    env = _env(tmp_path, library, None)
    proc = _start(env, library)
    _hung(proc, library)
    servers = [p for p in _children(proc.pid) if SERVER_CMD in _cmdline(p)]
    assert len(servers) == 1, "the run should have started Prefect's temporary server"
    own_tmp = list(tmp_path.glob(f"unmig-run-{proc.pid}-*"))
    assert own_tmp, "the run should keep its temporary files in a folder of its own"

    seconds = _stop(proc, signal.SIGTERM)
    out = proc.stdout.read()

    assert seconds < 15, out
    assert proc.returncode == 128 + signal.SIGTERM, out
    [(run_id, status, error, _)] = _runs(env)
    assert status == "interrupted"
    assert error.startswith("stopped by SIGTERM"), error
    assert f"stopped by SIGTERM (the service manager, a Prefect cancellation or kill); run " \
           f"{run_id} closed as interrupted" in out
    assert "ConnectError" not in out
    wait_for(lambda: not _alive(servers[0]), 10, "the temporary server to stop")
    assert not list(tmp_path.glob(f"unmig-run-{proc.pid}-*"))


def test_sigint_ends_a_hung_run_in_seconds_and_status_showed_its_live_counts(
    tmp_path: Path, library: ReplayServer, prefect_server: PrefectServer
) -> None:
    # One document loads, two hang: the run is stuck with something to show for it.
    library.clear_faults()
    library.fail("/record/70[12]/*", Fault.HANG)
    env = _env(tmp_path, library, prefect_server)
    proc = _start(env, library)
    _hung(proc, library)

    seen: list[str] = []

    def status() -> str:
        out = subprocess.run([str(BIN / "unmig"), "status"], cwd=REPO, env=env,
                             capture_output=True, text=True, timeout=60)
        seen.append(out.stdout + out.stderr)
        return out.stdout if "new=1" in out.stdout else ""

    shown = wait_for(status, 30, "unmig status to show the running run's counts", proc,
                     explain=lambda: seen[-1] if seen else "")
    assert "#1 ingest running" in shown and "s so far  discovered=3" in shown, shown

    seconds = _stop(proc, signal.SIGINT)
    out = proc.stdout.read()

    assert seconds < 15, out
    assert proc.returncode == 128 + signal.SIGINT, out
    [(_, status, error, _)] = _runs(env)
    assert (status, error) == ("interrupted", "stopped by SIGINT (Ctrl-C or kill -INT)")
    # The Prefect server outlives the command: it must not show the run as running for ever.
    engine = make_engine(env["UNMIG_DATABASE_URL"])
    with engine.connect() as conn:
        flow_run_id = conn.execute(sa.text("SELECT flow_run_id FROM ingest_runs")).scalar_one()
    engine.dispose()
    state = prefect_server.client().get(f"/flow_runs/{flow_run_id}").json()["state"]
    assert state["type"] == "CRASHED", state


def test_a_run_killed_outright_is_closed_by_the_next_run(
    tmp_path: Path, library: ReplayServer, prefect_server: PrefectServer
) -> None:
    env = _env(tmp_path, library, None)
    proc = _start(env, library)
    _hung(proc, library)
    servers = [p for p in _children(proc.pid) if SERVER_CMD in _cmdline(p)]
    assert servers
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()

    # The temporary server is in a session of its own, out of reach of the group's SIGKILL;
    # the kernel stops it when the process that started it dies.
    wait_for(lambda: not _alive(servers[0]), 10, "the orphaned temporary server to stop")
    [(killed, status, _, beat)] = _runs(env)
    assert status == "running" and beat is not None
    assert list(tmp_path.glob(f"unmig-run-{proc.pid}-*"))

    time.sleep(4 * 1 + 1)  # four heartbeats of 1 s: the killed run's lease has run out
    library.clear_faults()
    env = _env(tmp_path, library, prefect_server)
    done = subprocess.run(
        [str(BIN / "unmig"), "ingest", "--source", library.url, "--since", "2024-01-01"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {r[0]: r for r in _runs(env)}
    assert rows[killed][1] == "abandoned"
    assert rows[killed][2].startswith("abandoned: no heartbeat since "), rows[killed][2]
    assert f"closed by run {killed + 1}" in rows[killed][2]
    assert rows[killed + 1][1] in ("completed", "partial")
    assert not list(tmp_path.glob(f"unmig-run-{proc.pid}-*"))
