"""Runs the parser in worker processes under a time and memory budget.

pdfminer is CPU-bound pure Python and can loop for a very long time on some malformed files;
in a worker process it runs in parallel with the other documents and can be killed when it
overruns, so one bad file costs one failure record, never the run.
"""

from __future__ import annotations

import atexit
import multiprocessing
import multiprocessing.util
import os
import resource
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import TypeVar

import pebble

from parsers import parse_bytes
from parsers.errors import DocumentError, ParseTimeout
from parsers.model import ParsedDocument
from parsers.picture import picture_bytes

T = TypeVar("T")


class ParserCrashed(DocumentError):
    reason = "parser process died"


class ParseOverMemory(DocumentError):
    reason = "parse exceeded its memory budget"


def _limit_memory(memory_mb: int) -> None:
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    # Ctrl-C reaches the whole process group; a parser killed by it would be recorded as a
    # document whose parse crashed. The flow's process decides when its parsers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


_TEMP_PREFIX = "unmig-mp-"
# Room left in a Unix socket path (107 bytes) for "/unmig-mp-<pid>-<8>/listener-<8>" (about 45).
_MAX_TEMP_BASE = 60


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _own_temp_dir() -> None:
    """Give multiprocessing (the forkserver's socket) a temporary folder named after this
    process, and remove those of processes that are gone.

    multiprocessing makes /tmp/pymp-* and removes it at exit, which a SIGKILL skips: nothing
    could tell a stale one from another program's live one. Ours carry the pid, so the next
    start removes exactly the folders of our dead processes."""
    base = Path(tempfile.gettempdir())
    if len(str(base)) > _MAX_TEMP_BASE:
        # The forkserver's socket lives in this folder, and a Unix socket's path may not pass
        # 107 bytes: under a long TMPDIR every worker start fails (BrokenProcessPool).
        base = Path("/tmp")
    for old in base.glob(f"{_TEMP_PREFIX}*"):
        pid = old.name.removeprefix(_TEMP_PREFIX).split("-", 1)[0]
        try:
            mine = old.stat().st_uid == os.getuid()
        except OSError:
            continue
        if mine and pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    # The attribute multiprocessing.util.get_temp_dir reads and fills; set before its first use.
    config = multiprocessing.current_process()._config  # noqa: SLF001
    if config.get("tempdir") is None:
        path = tempfile.mkdtemp(prefix=f"{_TEMP_PREFIX}{os.getpid()}-", dir=base)
        config["tempdir"] = path
        # As get_temp_dir does for its own folder: removed at a normal exit.
        multiprocessing.util.Finalize(None, shutil.rmtree, args=[path], exitpriority=-100)


_shared: dict[tuple[int, float, int], ParseSandbox] = {}
_shared_lock = threading.Lock()


def shared_sandbox(*, workers: int, timeout: float, memory_mb: int) -> ParseSandbox:
    """One pool per budget for the whole process: every chunk of a backfill reuses the same
    workers instead of paying their start-up again. Closed when the process exits."""
    key = (workers, timeout, memory_mb)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = ParseSandbox(workers=workers, timeout=timeout, memory_mb=memory_mb)
        return _shared[key]


@atexit.register
def _close_shared() -> None:
    for sandbox in _shared.values():
        sandbox.close()
    _shared.clear()


class ParseSandbox:
    """A pool of parser processes; `workers=0` parses in this process with no budget."""

    def __init__(self, *, workers: int, timeout: float, memory_mb: int) -> None:
        self.timeout = timeout
        self._pool: pebble.ProcessPool | None = None
        if workers > 0:
            _own_temp_dir()
            self._pool = pebble.ProcessPool(
                max_workers=workers,
                # A fresh process now and then keeps pdfminer's caches from growing for months.
                max_tasks=500,
                initializer=_limit_memory,
                initargs=(memory_mb,),
                # Forking a process that runs Prefect's threads is unsafe; start workers clean.
                context=multiprocessing.get_context("forkserver"),
            )

    def parse(self, content: bytes, *, filename: str, language: str) -> ParsedDocument:
        return self._run(parse_bytes, content, filename=filename, language=language)

    def picture(self, content: bytes, *, filename: str, language: str
                ) -> tuple[ParsedDocument, str]:
        """The parse and its picture (`parsers.picture`), under the same budget."""
        return self._run(picture_bytes, content, filename=filename, language=language)

    def _run(self, fn: Callable[..., T], content: bytes, *, filename: str, language: str) -> T:
        if self._pool is None:
            return fn(content, filename=filename, language=language)
        future = self._pool.schedule(
            fn,
            args=(content,),
            kwargs={"filename": filename, "language": language},
            timeout=self.timeout,
        )
        try:
            return future.result()
        except FutureTimeout:
            raise ParseTimeout(filename, f"over {self.timeout:g} s") from None
        except MemoryError:
            raise ParseOverMemory(filename) from None
        except pebble.ProcessExpired as exc:
            raise ParserCrashed(filename, f"exit code {exc.exitcode}") from None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None

    def stop(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.stop()
            pool.join(timeout=5)


def stop_shared() -> None:
    """Stop the shared pools now, killing parses in progress (a run told to stop)."""
    with _shared_lock:
        sandboxes = list(_shared.values())
        _shared.clear()
    for sandbox in sandboxes:
        sandbox.stop()
