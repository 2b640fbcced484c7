"""How a command-line run ends when it is told to stop, and what it leaves behind.

- Prefect's temporary server (started when no PREFECT_API_URL is set) runs in a session of its
  own, so Ctrl-C or systemd's SIGTERM to the process group does not kill it before the run has
  said why it ended (it used to die first, and the run's last words were "ConnectError:
  Connection refused"); the kernel stops it if this process dies, even by SIGKILL.
- SIGINT and SIGTERM raise `RunInterrupted` in the main thread: the flow unwinds and its run is
  closed `interrupted` with the signal's name. A document task blocked in a read cannot be
  interrupted, and Python would wait for its thread at exit; so `GRACE_SECONDS` after the
  signal, or at a second signal, the process closes its open runs itself, stops the parser
  processes and the temporary server, and exits.
- Temporary files go to a folder of this process (`unmig-run-<pid>-*` in the system's temporary
  folder), removed at exit; the folders of processes that no longer exist (killed) are removed
  by the next command that runs a flow.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

GRACE_SECONDS = 5.0
STARTUP_SECONDS = 90
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_server: Any = None  # the temporary Prefect server this process started, if any
_stopping = threading.Lock()
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: the kernel sends SIGTERM when the CLI process
    # (the thread that started it, the main thread) ends, however it ends.
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _temporary_server_class() -> type:
    from prefect.server.api.server import SubprocessASGIServer

    class OwnSessionServer(SubprocessASGIServer):
        """Prefect's temporary server, in its own session and tied to this process's life."""

        _instances: dict = {}

        def _run_uvicorn_command(self) -> subprocess.Popen[Any]:
            import prefect
            from prefect.settings import get_current_settings

            # The command of SubprocessASGIServer._run_uvicorn_command (Prefect 3.8, pinned),
            # started with start_new_session and a parent-death signal.
            return subprocess.Popen(
                args=[
                    sys.executable, "-m", "uvicorn",
                    "--app-dir", str(prefect.__module_path__.parent),
                    "--factory", "prefect.server.api.server:create_app",
                    "--host", "127.0.0.1", "--port", str(self.port),
                    "--log-level", "error", "--lifespan", "on",
                ],
                env={
                    **os.environ,
                    "PREFECT_UI_ENABLED": "0",
                    "PREFECT__SERVER_EPHEMERAL": "1",
                    "PREFECT__SERVER_FINAL": "1",
                    **get_current_settings().to_environment_variables(exclude_unset=True),
                },
                start_new_session=True,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - only a prctl call, no locks
            )

    return OwnSessionServer


@contextlib.contextmanager
def prefect_server() -> Iterator[None]:
    """Without PREFECT_API_URL, start Prefect's temporary server the way this module needs it
    and stop it after the block. Prefect finds it where it looks for its own (one temporary
    server per process), so every client of the run uses it."""
    global _server
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value():
        yield
        return
    from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

    server = _temporary_server_class()()
    # Prefect's 20 s is short for a busy machine (it took 10 to 25 s here under load).
    server.start(
        timeout=max(STARTUP_SECONDS, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())
    )
    SubprocessASGIServer._instances[None] = server
    _server = server
    try:
        yield
    finally:
        _send_what_is_queued()
        _server = None
        SubprocessASGIServer._instances.pop(None, None)
        server.stop()


def _send_what_is_queued() -> None:
    """Logs and events still queued go to the server before it stops, rather than being
    retried against a closed port for a minute as the process exits."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        with contextlib.suppress(Exception):
            worker.drain_all(timeout=5)


def _exit_code(signum: int) -> int:
    return 128 + signum


def wind_down(signum: int) -> list[int]:
    """What every stop does, whether the flow unwound or not: close this process's open runs
    as interrupted, stop the parser processes and the temporary server. Returns the runs
    closed here (the flow may already have closed them)."""
    from flows import lease, sandbox

    if _server is None:
        # A Prefect server that outlives this process would show the run as running for ever.
        _crash_flow_runs(lease.open_flow_runs(), lease.stop_reason_of_signal(signum))
    closed = lease.interrupt_open_runs(lease.stop_reason_of_signal(signum))
    sandbox.stop_shared()
    server = _server
    if server is not None:
        with contextlib.suppress(Exception):
            server.stop()
    return closed


def _crash_flow_runs(flow_run_ids: list[str], reason: str) -> None:
    if not flow_run_ids:
        return
    from prefect.client.orchestration import get_client
    from prefect.states import Crashed

    try:
        with get_client(sync_client=True, httpx_settings={"timeout": 3}) as client:
            for flow_run_id in flow_run_ids:
                client.set_flow_run_state(flow_run_id, Crashed(message=reason), force=True)
    except Exception as exc:  # noqa: BLE001 - the run's own row already says how it ended
        sys.stderr.write(f"unmig: warning: Prefect not told the run stopped: {exc}\n")


def _hard_stop(signum: int, why: str) -> None:
    from flows import lease

    if not _stopping.acquire(blocking=False):
        return
    closed = wind_down(signum)
    runs_note = f"; run {', '.join(map(str, closed))} closed as interrupted" if closed else ""
    sys.stderr.write(f"unmig: error: {lease.stop_reason_of_signal(signum)}{runs_note} ({why})\n")
    sys.stderr.flush()
    remove_own_temporary_folder()
    os._exit(_exit_code(signum))


def _watch(read_fd: int) -> None:
    """Read the signal numbers the interpreter writes to its wakeup fd: whichever Python
    handler is installed at the time (Prefect puts its own SIGTERM handler in place while a
    flow runs), the grace period starts at the first signal and a second one ends it."""
    first: int | None = None
    deadline = None
    while True:
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        ready, _, _ = select.select([read_fd], [], [], timeout)
        if not ready:
            _hard_stop(first or signal.SIGTERM,
                       f"work still running {GRACE_SECONDS:g} s after the signal was abandoned")
            return
        data = os.read(read_fd, 64)
        if not data:  # the block is over: the flow ended, or unwound after the signal
            os.close(read_fd)
            if first is not None:
                # Unwound; if the process still has not exited at the deadline, end it.
                time.sleep(max(0.0, deadline - time.monotonic()))
                _hard_stop(first, f"still running {GRACE_SECONDS:g} s after the signal")
            return
        for signum in data:
            if signum not in _STOP_SIGNALS:
                continue
            if first is None:
                first, deadline = signum, time.monotonic() + GRACE_SECONDS
            else:
                _hard_stop(signum, "second signal")
                return


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGINT and SIGTERM interrupt the run (see the module's note) for the block's duration."""
    from flows.lease import RunInterrupted

    received: list[int] = []

    def handler(signum: int, frame: object) -> None:
        if received:
            return  # the watcher ends the process
        received.append(signum)
        raise RunInterrupted(signum)

    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    previous = {s: signal.signal(s, handler) for s in _STOP_SIGNALS}
    previous_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    threading.Thread(target=_watch, args=(read_fd,), daemon=True,
                     name="unmig-stop-watch").start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous_fd)
        for s, h in previous.items():
            signal.signal(s, h)
        os.close(write_fd)


def interrupted(exc: BaseException) -> typer.Exit:
    """The one line and exit code of a run that unwound after a signal."""
    from flows.lease import RunInterrupted, stop_reason

    signum = exc.signum if isinstance(exc, RunInterrupted) else signal.SIGINT
    closed = wind_down(signum)
    note = f"; run {', '.join(map(str, closed))} closed as interrupted" if closed else ""
    typer.secho(f"unmig: error: {stop_reason(exc)}{note}", err=True, fg=typer.colors.RED)
    return typer.Exit(_exit_code(signum))


# --- temporary folders ---------------------------------------------------------------------------

_PREFIX = "unmig-run-"
_own_tmp: Path | None = None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_temporary_folders(root: Path | None = None) -> int:
    """Remove the temporary folders of unmig processes that no longer exist; returns how many."""
    root = Path(root or tempfile.gettempdir())
    removed = 0
    for folder in root.glob(f"{_PREFIX}*-*"):
        pid = folder.name.removeprefix(_PREFIX).split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed


def use_own_temporary_folder() -> Path:
    """Point this process and its children (the temporary server, the parser processes and
    multiprocessing's own folders) at a folder named after this process."""
    global _own_tmp
    if _own_tmp is None:
        base = Path(tempfile.gettempdir())
        sweep_temporary_folders(base)
        _own_tmp = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=base))
        tempfile.tempdir = str(_own_tmp)
        os.environ["TMPDIR"] = str(_own_tmp)
        # After multiprocessing's own clean-up of its folders in there (priority -100), so
        # neither finds the other's work gone.
        from multiprocessing.util import Finalize

        Finalize(None, remove_own_temporary_folder, exitpriority=-200)
    return _own_tmp


def remove_own_temporary_folder() -> None:
    if _own_tmp is not None:
        shutil.rmtree(_own_tmp, ignore_errors=True)


@contextlib.contextmanager
def flow_process() -> Iterator[None]:
    """Everything a command that runs a flow needs around it, in order."""
    use_own_temporary_folder()
    with prefect_server(), stop_on_signals():
        yield
