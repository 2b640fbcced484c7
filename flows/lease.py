"""A run's lease on its `ingest_runs` row, and how a run ends when it is told to stop.

While a run is open, a daemon thread renews its heartbeat (and its live counts) every
`UNMIG_HEARTBEAT_SECONDS`. A process killed outright (SIGKILL, the machine lost) cannot close
its row, so the next run to start closes every `running` row whose heartbeat is more than
`STALE_BEATS` intervals old as `abandoned`: the lease ran out, which a living process, renewing it
every interval, never lets happen.

A run asked to stop (SIGINT, SIGTERM, Prefect cancelling it) is closed `interrupted` with the
signal that stopped it. The open leases of this process are kept here, so whoever gets there
first, the flow unwinding or `cli.stop` ending a process whose threads hang, closes them.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from storage import runs
from storage.db import make_engine

# A lease older than this many heartbeat intervals belongs to a process that is gone.
STALE_BEATS = 4
INTERRUPTED = "interrupted"

log = logging.getLogger(__name__)


class RunInterrupted(BaseException):
    """Raised in the main thread when the process is asked to stop (see `cli.stop`).

    A BaseException like KeyboardInterrupt, so no `except Exception` on the way up takes it for
    a document's failure."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(stop_reason_of_signal(signum))


def stop_reason_of_signal(signum: int) -> str:
    name = signal.Signals(signum).name
    why = {
        signal.SIGINT: "Ctrl-C or kill -INT",
        signal.SIGTERM: "the service manager, a Prefect cancellation or kill",
    }.get(signal.Signals(signum), "a signal")
    return f"stopped by {name} ({why})"


def stop_reason(exc: BaseException) -> str | None:
    """The reason a run was stopped on purpose, or None when `exc` is a real crash."""
    if isinstance(exc, RunInterrupted):
        return str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return stop_reason_of_signal(signal.SIGINT)
    # Prefect's own signal exception (a worker's flow run cancelled, or SIGTERM under it).
    if type(exc).__name__ == "TerminationSignal":
        return stop_reason_of_signal(getattr(exc, "signal", signal.SIGTERM))
    return None


@dataclass
class Lease:
    run_id: int
    engine: Engine  # its own pool: the heartbeat must not queue behind the pipeline's work
    interval: float
    counts: Callable[[], dict[str, int]]
    flow_run_id: str | None = None  # the Prefect flow run that holds it
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._beat()
        self._thread = threading.Thread(
            target=self._loop, name=f"unmig-heartbeat-{self.run_id}", daemon=True
        )
        self._thread.start()

    def _beat(self) -> bool:
        try:
            return runs.beat(self.engine, self.run_id, counts=self.counts())
        except Exception as exc:  # noqa: BLE001 - a missed beat is retried next interval
            log.warning("heartbeat of run %d failed: %s", self.run_id, exc)
            return True

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            if not self._beat():
                return  # closed by somebody else: nothing left to renew

    def close(self, *, status: str, error: str, warnings: list[str] | None = None) -> bool:
        """Close the row if it is still running (with what discovery warned of, when the run
        knows); True if this call closed it."""
        closed = runs.close_if_running(
            self.engine, self.run_id, status=status, error=error, counts=self.counts(),
            warnings=warnings,
        )
        if closed and status == INTERRUPTED:
            _interrupted.append(self.run_id)
        return closed

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=self.interval + 5)
        self.engine.dispose()


_open: dict[int, Lease] = {}
_open_lock = threading.Lock()
_interrupted: list[int] = []  # runs this process closed as interrupted, for its last words


def close_abandoned_runs(
    engine: Engine, heartbeat_seconds: float, *, closed_by: int | None = None
) -> list[runs.AbandonedRun]:
    """As a run starts: close the runs whose process is gone (see the module's note)."""
    closed = runs.close_abandoned(
        engine, stale_after=dt.timedelta(seconds=STALE_BEATS * heartbeat_seconds),
        closed_by=closed_by,
    )
    for r in closed:
        log.warning("run %d (%s, started %s) had no heartbeat since %s: closed as abandoned",
                    r.id, r.flow, f"{r.started_at:%Y-%m-%d %H:%M:%S}",
                    f"{r.last_sign_of_life:%Y-%m-%d %H:%M:%S}")
    return closed


@contextmanager
def held(
    database_url: str, run_id: int, *, interval: float, counts: Callable[[], dict[str, int]],
    flow_run_id: str | None = None,
) -> Iterator[Lease]:
    """Hold the lease of run `run_id` for the duration of the block."""
    lease = Lease(run_id, make_engine(database_url), interval, counts, flow_run_id)
    lease.start()
    with _open_lock:
        _open[run_id] = lease
    try:
        yield lease
    finally:
        with _open_lock:
            _open.pop(run_id, None)
        lease.release()


def open_flow_runs() -> list[str]:
    """The Prefect flow runs of the runs this process still holds."""
    with _open_lock:
        return [lease.flow_run_id for lease in _open.values() if lease.flow_run_id]


def interrupt_open_runs(reason: str) -> list[int]:
    """Close every run this process still holds as `interrupted` (called by `cli.stop` when
    the flow cannot unwind in time); returns the ids of every run this process closed as
    interrupted, here or as its flow unwound."""
    with _open_lock:
        leases = list(_open.values())
    for lease in leases:
        try:
            lease.close(status=INTERRUPTED, error=reason)
        except Exception as exc:  # noqa: BLE001 - the next run closes it as abandoned
            log.warning("could not close run %d as interrupted: %s", lease.run_id, exc)
    return sorted(set(_interrupted))
