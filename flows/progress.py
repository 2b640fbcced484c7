"""Progress a person can see while a long run works: a Prefect progress artifact, a log line per
chunk, live counts on the run's row (written with its heartbeat, read by `unmig status`), and a
progress bar when the run was started from a terminal.

A run (`flows.ingest._run`) opens one `Progress` and registers it under its run id; the window
subflows, which run in the same process, find it by that id and report each document as it
completes.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from prefect import get_run_logger
from prefect.artifacts import create_progress_artifact, update_progress_artifact

from flows.document import Outcome
from flows.windows import Window

if TYPE_CHECKING:
    from flows.recorder import RunRecorder

# The artifact is a row on the server: once a second is plenty for a reader and cheap for it.
ARTIFACT_EVERY = 1.0


@dataclass
class Progress:
    recorder: RunRecorder
    windows: int
    bar: Any = None  # rich.progress.Progress when a terminal is watching
    artifact_id: UUID | None = None
    windows_done: int = 0
    window_documents: int = 0
    window_done_documents: int = 0
    _bar_task: Any = None
    _last_artifact: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def percent(self) -> float:
        share = (self.window_done_documents / self.window_documents
                 if self.window_documents else 0.0)
        return round(100.0 * min(1.0, (self.windows_done + share) / max(1, self.windows)), 1)

    def _publish(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if self.artifact_id is None or (not force and now - self._last_artifact < ARTIFACT_EVERY):
            return
        self._last_artifact = now
        try:
            update_progress_artifact(self.artifact_id, self.percent)
        except Exception as exc:  # noqa: BLE001 - progress is for reading, never worth a run
            get_run_logger().debug("progress artifact not updated: %s", exc)

    def window_started(self, window: Window, documents: int, *, discovered: bool = True) -> None:
        """A chunk with `documents` to do begins; `discovered`: they are this chunk's
        discoveries, not yet in the run's counts."""
        with self._lock:
            self.window_documents = documents
            self.window_done_documents = 0
            self.recorder.window_started(documents if discovered else 0)
        if self.bar is not None:
            self.bar.update(self._bar_task, description=self._label(window),
                            total=self._bar_total(documents))

    def document_done(self, outcome: Outcome) -> None:
        with self._lock:
            self.window_done_documents += 1
            self.recorder.document_done(outcome)
        if self.bar is not None:
            self.bar.advance(self._bar_task)
        self._publish()

    def window_done(self, window: Window, number: int) -> None:
        with self._lock:
            self.windows_done = number
            self.window_documents = self.window_done_documents = 0
        counts = self.recorder.counts
        get_run_logger().info(
            "%s run %d: chunk %d of %d (%s) done; %.0f%%; so far %s", self.recorder.flow,
            self.recorder.run_id, number, self.windows, window, self.percent,
            " ".join(f"{k}={v}" for k, v in counts.items()),
        )
        self._publish(force=True)

    def _label(self, window: Window) -> str:
        return f"{self.recorder.flow} {window} ({self.windows_done + 1}/{self.windows})"

    def _bar_total(self, documents: int) -> int:
        return self.bar.tasks[0].completed + documents if self.bar.tasks else documents


_current: dict[int, Progress] = {}


def of_run(run_id: int) -> Progress | None:
    return _current.get(run_id)


def _terminal_bar() -> Any:
    """A rich progress bar on stderr when a person is watching it, else None."""
    if not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.progress import Progress as Bar

    return Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), console=Console(stderr=True), transient=False)


@contextmanager
def tracked(recorder: RunRecorder, windows: int) -> Iterator[Progress]:
    """Progress of one run over `windows` chunks, for the duration of the block."""
    progress = Progress(recorder=recorder, windows=windows, bar=_terminal_bar())
    try:
        progress.artifact_id = create_progress_artifact(
            0.0, key=f"{recorder.flow}-progress",
            description=f"{recorder.flow.capitalize()} run {recorder.run_id}: share of its "
                        f"{windows} chunk(s) done, documents within the current one.",
        )
    except Exception as exc:  # noqa: BLE001 - progress is for reading, never worth a run
        get_run_logger().debug("no progress artifact: %s", exc)
    _current[recorder.run_id] = progress
    if progress.bar is not None:
        progress.bar.start()
        progress._bar_task = progress.bar.add_task(recorder.flow, total=None)
    try:
        yield progress
    finally:
        _current.pop(recorder.run_id, None)
        if progress.bar is not None:
            progress.bar.stop()
