"""Clocks, CPU time of other processes and the memory of a process tree (Linux /proc)."""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of one process (any user's), None if unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK


def rss_bytes(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


def descendants(pid: int) -> list[int]:
    """Every live process under `pid` (children, grandchildren...)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


@dataclass
class TreeMemory:
    """Peak RSS of a process and of the process with all its descendants, sampled."""

    root_peak: int = 0
    tree_peak: int = 0
    max_processes: int = 0
    samples: int = 0


@dataclass
class RssSampler:
    """Samples the RSS of `pid` and its descendants every `interval` seconds in a thread.

    The tree figure is the sum of the processes' RSS, so pages the forkserver's children share
    with it count once per process: an upper bound, but the same bound at every corpus size.
    """

    pid: int
    interval: float = 0.2
    result: TreeMemory = field(default_factory=TreeMemory)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> RssSampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            root = rss_bytes(self.pid)
            if root == 0 and not Path(f"/proc/{self.pid}").exists():
                return
            tree = descendants(self.pid)
            total = root + sum(rss_bytes(p) for p in tree)
            r = self.result
            r.root_peak = max(r.root_peak, root)
            r.tree_peak = max(r.tree_peak, total)
            r.max_processes = max(r.max_processes, 1 + len(tree))
            r.samples += 1
            self._stop.wait(self.interval)


@dataclass
class Timing:
    wall: float
    cpu: float


def timed(fn: Callable[[], object]) -> Timing:
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return Timing(time.perf_counter() - t0, time.process_time() - c0)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _busy_share(seconds: float) -> float:
    t0, c0 = time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds:
        pass
    return (time.process_time() - c0) / (time.perf_counter() - t0)


def cores_available(n: int | None = None, seconds: float = 1.5) -> float:
    """How many cores `n` busy processes get right now (n = all cores): on a shared machine,
    what the figures measured next can use, 2.0 on an idle 2-core machine."""
    import concurrent.futures as cf
    import multiprocessing

    n = n or os.cpu_count() or 1
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=n, mp_context=ctx) as pool:
        list(pool.map(_busy_share, [0.05] * n))  # workers started before measuring
        return sum(pool.map(_busy_share, [seconds] * n))


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of `pid` and its live descendants."""
    return sum(cpu_seconds(p) or 0.0 for p in (pid, *descendants(pid)))
