"""4. An ingest with nothing new; 5. a backfill end to end; 6. the naive baseline.

Everything runs as it would in production, each run in a fresh process (`bench.child`):
the flows against one Prefect server (`bench.prefect_server`), documents served over HTTP by
`tests.replay_server.ReplayServer` from a generated archive, SQLite as configured by default,
parsing in the flows' worker pool. The parent samples the memory of the run's process tree
(the flow process, the forkserver and the parser workers) and, from the database, how many
documents are loaded, so one backfill gives its peak memory after 100 documents and at the end.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.corpus import Doc, bench_date, distinct_copy
from bench.measure import cpu_seconds, descendants, median, rss_bytes, tree_cpu_seconds
from bench.report import Report

EMPTY_TARGET_S = 2.0
MEMORY_TARGET = 0.10
THROUGHPUT_TARGET = 1.3
REPO = Path(__file__).resolve().parent.parent


@dataclass
class Archive:
    folder: Path
    n_docs: int
    per_month: int
    pages: int

    def window(self, first: int, last: int) -> tuple[dt.date, dt.date]:
        """The catalogue dates covering records first..last (inclusive)."""
        return bench_date(first, self.per_month), bench_date(last, self.per_month)


def build(folder: Path, docs: list[Doc], n_docs: int, per_month: int) -> Archive:
    """An archive of `n_docs` records, record i serving docs[i % len(docs)] made distinct (its
    own SHA-256) by `distinct_copy`, `per_month` records a month from 2019-01."""
    from tests.archive_builder import ArchiveRecord, build_archive

    datas = [d.read() for d in docs]
    records = [
        ArchiveRecord(
            record_id=str(700_000 + i),
            symbol=f"A/90/{1000 + i}",
            title=f"Benchmark document {i}",
            date=bench_date(i, per_month),
            # 005 follows the date, so a later ingest's overlap window re-checks the last week
            # of records (all unchanged), as a nightly run does.
            modified=dt.datetime.combine(bench_date(i, per_month), dt.time(12), tzinfo=dt.UTC),
            subjects=("INTERNATIONAL MIGRATION",),
            files={"en": distinct_copy(datas[i % len(datas)], i // len(datas))},
        )
        for i in range(n_docs)
    ]
    build_archive(folder, records, page_size=100)
    pages = round(sum(d.pages for d in docs) / len(docs))
    return Archive(folder, n_docs, per_month, pages)


@dataclass
class ChildRun:
    mode: str
    wall_s: float  # process start to exit
    out: dict
    samples: list[tuple[float, int, int]] = field(default_factory=list)  # (t, loaded, tree RSS)
    max_processes: int = 0
    cpu: dict[int, float] = field(default_factory=dict)  # pid -> CPU seconds, last sampled
    root_pid: int = 0

    @property
    def root_cpu(self) -> float:
        return self.cpu.get(self.root_pid, 0.0)

    @property
    def children_cpu(self) -> float:
        """The parser workers and the forkserver (a worker recycled after its 500 tasks counts
        up to its last sample)."""
        return sum(v for k, v in self.cpu.items() if k != self.root_pid)

    @property
    def flow_s(self) -> float:
        return float(self.out["flow_s"])

    def peak_rss(self, loaded_at_most: int | None = None) -> int:
        return max(
            (rss for _, n, rss in self.samples if loaded_at_most is None or n <= loaded_at_most),
            default=0,
        )


def _loaded(db: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return conn.execute("select count(*) from document_versions").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return -1


def run_child(
    mode: str,
    args: list[str],
    env: dict[str, str],
    log: Path,
    *,
    sample_db: Path | None = None,
    interval: float = 0.25,
    timeout: float = 3600,
) -> ChildRun:
    """`python -m bench.child MODE ARGS` with `env` on top of ours; with `sample_db`, the
    process tree's RSS and the loaded-document count are sampled every `interval` s."""
    full_env = {**os.environ, **env}
    samples: list[tuple[float, int, int]] = []
    cpu: dict[int, float] = {}
    max_procs = 0
    t0 = time.perf_counter()
    with log.open("ab") as err:
        err.write(f"\n=== {mode} {' '.join(args)}\n".encode())
        err.flush()
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.child", mode, *args],
            cwd=REPO,
            env=full_env,
            stdout=subprocess.PIPE,
            stderr=err,
        )
        stop = threading.Event()

        def sample() -> None:
            nonlocal max_procs
            last_n = 0
            while not stop.is_set():
                tree = descendants(proc.pid)
                rss = rss_bytes(proc.pid) + sum(rss_bytes(p) for p in tree)
                n = _loaded(sample_db) if sample_db is not None else 0
                last_n = n if n >= 0 else last_n  # a busy database: keep the last count
                samples.append((time.perf_counter() - t0, last_n, rss))
                for pid in (proc.pid, *tree):
                    c = cpu_seconds(pid)
                    if c is not None:
                        cpu[pid] = c
                max_procs = max(max_procs, 1 + len(tree))
                stop.wait(interval)

        sampler = threading.Thread(target=sample, daemon=True)
        if sample_db is not None:
            sampler.start()
        try:
            stdout, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()  # the child this call started
            proc.communicate()
            raise
        finally:
            stop.set()
            if sampler.is_alive():
                sampler.join()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"bench.child {mode} exited {proc.returncode}; see {log}")
    lines = [ln for ln in stdout.decode().splitlines() if ln.startswith("{")]
    if not lines:
        raise RuntimeError(f"bench.child {mode} printed no result; see {log}")
    out = json.loads(lines[-1])
    # The flow process's own figure is exact: it reports its CPU time itself.
    cpu[proc.pid] = out.get("cpu_s", cpu.get(proc.pid, 0.0))
    return ChildRun(mode, wall, out, samples, max_procs, cpu, proc.pid)


def child_env(
    work: Path, source_url: str, prefect_env: dict[str, str], name: str, parse_workers: int
) -> tuple[dict[str, str], Path]:
    """Settings of one run: its own SQLite database and file store under `work/name`."""
    from storage.db import upgrade_database

    data = work / name
    db = data / "unmig.db"
    data.mkdir(parents=True, exist_ok=True)
    upgrade_database(f"sqlite:///{db}")  # as `unmig db upgrade` before the first run
    env = {
        **prefect_env,
        "UNMIG_DATA_DIR": str(data),
        "UNMIG_DATABASE_URL": f"sqlite:///{db}",
        "UNMIG_SOURCE": source_url,
        "UNMIG_ODS_URL": source_url,
        "UNMIG_RATE_LIMIT": "1000",  # a local server: no politeness delay to measure
        "UNMIG_CONTACT": "bench@example.org",
        "UNMIG_PARSE_WORKERS": str(parse_workers),
        "UNMIG_TASK_RETRY_DELAY": "1",
    }
    return env, db


def _fmt_mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MiB"


def bench_pipeline(
    report: Report,
    archive: Archive,
    prefect_env: dict[str, str],
    *,
    parse_only_rate: float | None,
    baseline_docs: int,
    empty_repeat: int,
    prefect_pid: int | None = None,
    parse_workers: int = 2,
    progress: Callable[[str], None] = print,
) -> None:
    """Items 5, 4 and 6, in that order (the nothing-new ingest runs on the backfilled
    database)."""
    from tests.replay_server import ReplayServer

    work = Path(tempfile.mkdtemp(prefix="unmig-bench-runs-"))
    log = work / "children.log"
    with ReplayServer(archive.folder) as server:
        # 5. backfill
        env, db = child_env(work, server.url, prefect_env, "backfill", parse_workers)
        start, end = archive.window(0, archive.n_docs - 1)
        progress(f"  backfill of {archive.n_docs} documents ({start} to {end})")
        server_cpu0 = tree_cpu_seconds(prefect_pid) if prefect_pid else None
        here_cpu0 = time.process_time()  # the replay server's threads (and the sampler)
        bf = run_child("backfill", [start.isoformat(), end.isoformat()], env, log, sample_db=db)
        here_cpu = time.process_time() - here_cpu0
        server_cpu = tree_cpu_seconds(prefect_pid) - server_cpu0 if prefect_pid else None
        counts = bf.out.get("counts", {})
        loaded = _loaded(db)
        if loaded != archive.n_docs:
            raise RuntimeError(f"backfill loaded {loaded} of {archive.n_docs}: {counts}; {log}")
        rate = loaded / bf.flow_s * 60
        at = min(100, archive.n_docs)
        peak_small, peak_all = bf.peak_rss(at), bf.peak_rss()
        growth = peak_all / peak_small - 1 if peak_small else float("nan")
        report.add(
            "5 backfill",
            f"{loaded:,} docs, end to end",
            f"{rate:,.0f} docs/min",
            note=f"~{archive.pages} pages each, {parse_workers} parse workers, SQLite; "
            f"flow {bf.flow_s:.0f} s, process {bf.wall_s:.0f} s "
            f"({loaded / bf.wall_s * 60:,.0f}/min incl. start-up)",
        )
        per_doc = {
            "parser workers": bf.children_cpu,
            "flow process": bf.root_cpu,
            "Prefect server": server_cpu,
            "replay server": here_cpu,
        }
        report.add(
            "5 backfill",
            "CPU per document",
            f"{sum(v for v in per_doc.values() if v) / loaded:.2f} s",
            note=", ".join(f"{k} {v / loaded:.3f} s" for k, v in per_doc.items() if v is not None),
        )
        report.add(
            "5 backfill",
            f"peak RSS (tree) at {at} docs",
            _fmt_mb(peak_small),
            note=f"flow process + parser workers, up to {bf.max_processes} processes, RSS summed",
        )
        report.add(
            "5 backfill",
            f"peak RSS (tree) at {loaded:,} docs",
            _fmt_mb(peak_all),
            f"<= +{MEMORY_TARGET:.0%}",
            growth <= MEMORY_TARGET,
            note=f"{growth:+.1%} over {at} docs",
        )
        if parse_only_rate:
            ratio = parse_only_rate * 60 / rate
            report.add(
                "5 backfill",
                "parse-only / backfill throughput",
                f"{ratio:.2f}x",
                f"<= {THROUGHPUT_TARGET}x",
                ratio <= THROUGHPUT_TARGET,
                note=f"parse only (item 2, {parse_workers} workers): "
                f"{parse_only_rate * 60:,.0f} docs/min",
            )

        # 4. ingest with nothing new, against an empty flow, alternating
        progress(f"  ingest with nothing new vs an empty flow, {empty_repeat} times each")
        ingests: list[ChildRun] = []
        empties: list[ChildRun] = []
        # Untimed first runs: the server registers each flow on its first run.
        run_child("empty", [], env, log)
        run_child("ingest", [], env, log)
        for _ in range(empty_repeat):
            empties.append(run_child("empty", [], env, log))
            ingests.append(run_child("ingest", [], env, log))
        new = [
            r.out.get("counts", {}).get("new", 0) + r.out.get("counts", {}).get("updated", 0)
            for r in ingests
        ]
        if any(new):
            raise RuntimeError(f"an ingest with nothing new loaded documents: {new}; {log}")
        over = median([r.wall_s for r in ingests]) - median([r.wall_s for r in empties])
        over_flow = median([r.flow_s for r in ingests]) - median([r.flow_s for r in empties])
        seen = ingests[-1].out.get("counts", {})
        report.add(
            "4 nothing new",
            "empty Prefect flow (process)",
            f"{median([r.wall_s for r in empties]):.2f} s",
            note=f"median of {empty_repeat} fresh processes; flow alone "
            f"{median([r.flow_s for r in empties]):.2f} s",
        )
        report.add(
            "4 nothing new",
            "ingest, nothing new (process)",
            f"{median([r.wall_s for r in ingests]):.2f} s",
            note=f"{seen.get('discovered', '?')} records re-checked in the overlap "
            f"window, all unchanged; flow alone {median([r.flow_s for r in ingests]):.2f} s",
        )
        report.add(
            "4 nothing new",
            "ingest on top of the empty flow",
            f"{over:.2f} s",
            f"< {EMPTY_TARGET_S:g} s",
            over < EMPTY_TARGET_S,
            note=f"flow alone: {over_flow:+.2f} s",
        )

        # 6. the naive baseline on the first documents of the same backfill
        k = min(baseline_docs, archive.n_docs)
        b_env, b_db = child_env(work, server.url, prefect_env, "baseline", parse_workers)
        b_start, b_end = archive.window(0, k - 1)
        progress(f"  naive baseline on the first {k} documents")
        base = run_child(
            "baseline", [b_start.isoformat(), b_end.isoformat()], b_env, log, sample_db=b_db
        )
        b_loaded = base.out["counts"]["new"]
        b_rate = b_loaded / base.flow_s * 60
        report.add(
            "6 baseline",
            f"naive loop, {b_loaded:,} docs",
            f"{b_rate:,.0f} docs/min",
            note="fetch, parse, insert one after another in one process; "
            f"{base.root_cpu / b_loaded:.2f} s CPU/doc; peak RSS {_fmt_mb(base.peak_rss())}",
        )
        report.add(
            "6 baseline",
            "pipeline / baseline throughput",
            f"{rate / b_rate:.2f}x",
            note=f"backfill {rate:,.0f} docs/min vs {b_rate:,.0f}; same archive, server, "
            f"SQLite; baseline on the first {b_loaded} of its {archive.n_docs} documents",
        )

    report.details["pipeline"] = {
        "backfill": {
            "documents": loaded,
            "counts": counts,
            "flow_s": bf.flow_s,
            "process_s": bf.wall_s,
            "ready_s": bf.out.get("ready_s"),
            "docs_per_min": rate,
            "peak_rss_at_100": peak_small,
            "cpu_s": per_doc,
            "peak_rss_at_end": peak_all,
            "max_processes": bf.max_processes,
            "rss_samples": bf.samples[:: max(1, len(bf.samples) // 400)],
        },
        "nothing_new": {
            "ingest": [{"wall_s": r.wall_s, **r.out} for r in ingests],
            "empty": [{"wall_s": r.wall_s, **r.out} for r in empties],
        },
        "baseline": {
            "documents": b_loaded,
            "flow_s": base.flow_s,
            "process_s": base.wall_s,
            "cpu_s": base.root_cpu,
            "docs_per_min": b_rate,
            "peak_rss": base.peak_rss(),
        },
        "log": str(log),
    }
