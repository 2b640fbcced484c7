"""A real `prefect server start` for the tests that need what `make serve` runs: the scheduler,
automations, workers. Used through the session fixtures of tests/flows/conftest.py."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx

REPO = Path(__file__).resolve().parents[2]
# The Prefect and unmig commands of the interpreter running the tests (a venv's bin/).
BIN = Path(sys.executable).parent

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(
    predicate: Callable[[], T], timeout: float, what: str,
    proc: subprocess.Popen | None = None, *, explain: Callable[[], str] = lambda: "",
) -> T:
    """Poll `predicate` each second until it returns something truthy; fail naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: process exited with {proc.returncode}\n{explain()}")
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{explain()}")


@dataclass
class PrefectServer:
    api: str
    env: dict[str, str]  # for subprocesses: PREFECT_API_URL, PREFECT_HOME, ...
    log: Path
    deployed: bool = field(default=False)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.api, timeout=30)

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def run(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """Run a command of the venv (`prefect ...`, `unmig ...`) or a script from the repo."""
        exe = str(BIN / args[0]) if "/" not in args[0] else args[0]
        return subprocess.run(
            [exe, *args[1:]], env=env or self.env, cwd=REPO, check=True,
            capture_output=True, text=True, timeout=300,
        )


@contextmanager
def running_server(home: Path) -> Iterator[PrefectServer]:
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # The scheduler's pass, every 60 s by default, would make the schedule test slow.
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "5",
        "UNMIG_BIN": str(BIN),
    }
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        found = PrefectServer(api=api, env=env, log=log_path)

        def healthy() -> bool:
            try:
                return httpx.get(f"{api}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        try:
            wait_for(healthy, 180, "the Prefect server", server, explain=found.log_tail)
            yield found
        finally:
            server.terminate()
            server.wait(30)
