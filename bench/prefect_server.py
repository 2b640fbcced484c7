"""One Prefect server for the whole benchmark run, on a free 127.0.0.1 port.

Without `PREFECT_API_URL`, every process running a flow starts a temporary server of its own
(10-25 s here); the benchmark instead starts one `prefect server start` up front and points
every child at it, as a deployment does. Its home (database, settings) is a temporary folder,
analytics are off, and it is stopped (its process group, which it alone is in) at the end.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrefectServer:
    def __init__(self, home: Path | None = None) -> None:
        self.home = home or Path(tempfile.mkdtemp(prefix="unmig-bench-prefect-"))
        self.port = _free_port()
        self.proc: subprocess.Popen | None = None
        self.log = self.home / "server.log"
        self.started_in: float | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def env(self) -> dict[str, str]:
        return {
            "PREFECT_HOME": str(self.home),
            "PREFECT_API_URL": self.api_url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        }

    def start(self, timeout: float = 180) -> None:
        prefect = Path(sys.executable).with_name("prefect")
        env = {**os.environ, **self.env()}
        env.pop("PREFECT_API_URL")  # the server itself does not need a client URL
        t0 = time.perf_counter()
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [
                    str(prefect),
                    "server",
                    "start",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--no-ui",
                    "--analytics-off",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prefect server exited; see {self.log}")
            try:
                with urllib.request.urlopen(self.api_url + "/health", timeout=2) as resp:
                    if resp.status == 200:
                        self.started_in = time.perf_counter() - t0
                        return
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"prefect server not healthy after {timeout:.0f} s; see {self.log}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the group this server started
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self) -> PrefectServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()
