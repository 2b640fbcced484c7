"""Backfill and reprocess on 1 and 2 workers (docs/benchmarks.md, "Fan-out over workers").

    python -m bench.fanout                       # 6 months x 4 documents of 4 pages
    python -m bench.fanout --months 4 --per-month 3 --pages 2 --workers 1,2

Everything as in production: one `prefect server start`, prefect.yaml deployed with
scripts/deploy.sh, `prefect worker start` processes on the pool, PostgreSQL (a fresh database
per measurement), the stand-in library (tests/replay_server.py) serving generated PDFs at a
rate the workers share. For each worker count it times a backfill of every month from the
moment it is submitted to its parent's end, then marks every stored version stale and times a
reprocess (batches of `--batch` versions), and reads from the server how long the chunk flow
runs took (their own run time, start to end) and how long they waited for a worker.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import sqlalchemy as sa

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_ADMIN = os.environ.get("UNMIG_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _archive(folder: Path, months: int, per_month: int, pages: int) -> Path:
    from tests.archive_builder import ArchiveRecord, build_archive
    from tests.pdfgen import make_corpus, render_pdf

    specs = make_corpus(months * per_month, pages=pages, seed=23)
    records = [
        ArchiveRecord(f"9{i:04d}", spec.symbol, title=spec.title,
                      date=dt.date(2023, 1 + i // per_month, 1 + (i % per_month) * 2),
                      subjects=["INTERNATIONAL MIGRATION"], files={"en": render_pdf(spec)})
        for i, spec in enumerate(specs)
    ]
    return build_archive(folder, records, page_size=50)


def _post(client: httpx.Client, path: str, body: dict) -> dict | list:
    for _ in range(20):
        answer = client.post(path, json=body)
        if answer.status_code != 503:
            break
        time.sleep(1)
    answer.raise_for_status()
    return answer.json()


def _wait_done(client: httpx.Client, flow_run_id: str, timeout: float = 1800) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(f"/flow_runs/{flow_run_id}").json()["state"]
        if state["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            return state
        time.sleep(0.5)
    raise TimeoutError(flow_run_id)


def _chunk_figures(client: httpx.Client, deployment: str, since: str) -> dict:
    dep = client.get(f"/deployments/name/{deployment}").json()
    runs = _post(client, "/flow_runs/filter", {
        "deployments": {"id": {"any_": [dep["id"]]}},
        "flow_runs": {"expected_start_time": {"after_": since}},
    })
    run_times = [r["total_run_time"] for r in runs]
    waits = [
        (dt.datetime.fromisoformat(r["start_time"])
         - dt.datetime.fromisoformat(r["created"])).total_seconds()
        for r in runs if r["start_time"]
    ]
    return {"chunks": len(runs), "chunk_run_s_median": round(statistics.median(run_times), 1),
            "chunk_run_s_sum": round(sum(run_times), 1),
            "wait_for_worker_s_median": round(statistics.median(waits), 1)}


def _measure(workers: int, env: dict[str, str], client: httpx.Client, tmp: Path,
             months: int) -> dict:
    from storage.db import upgrade_database
    from tests.conftest import new_postgres_database

    url, drop = new_postgres_database(PG_ADMIN)
    out: dict = {"workers": workers}
    with ExitStack() as stack:
        stack.callback(drop)
        upgrade_database(url)
        env = {**env, "UNMIG_DATABASE_URL": url, "UNMIG_FILE_STORE": str(tmp / f"files-{workers}")}
        procs = []
        for i in range(workers):
            log = stack.enter_context((tmp / f"worker-{workers}-{i}.log").open("wb"))
            proc = subprocess.Popen(
                [str(BIN / "prefect"), "worker", "start", "--pool", env["UNMIG_WORK_POOL"],
                 "--name", f"bench-{workers}-{i}", "--limit", "3"],
                env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
            )
            procs.append(proc)
            stack.callback(proc.wait, 30)
            stack.callback(proc.terminate)
        mine = {f"bench-{workers}-{i}" for i in range(workers)}
        while True:
            found = _post(client, f"/work_pools/{env['UNMIG_WORK_POOL']}/workers/filter", {})
            if sum(w["name"] in mine and w["status"] == "ONLINE" for w in found) == workers:
                break
            time.sleep(1)
        for flow, deployment, params in (
            ("backfill", "backfill/backfill",
             {"start": "2023-01-01", "end": f"2023-{months:02d}-28"}),
            ("reprocess", "reprocess/reprocess", {}),
        ):
            if flow == "reprocess":
                engine = sa.create_engine(url)
                with engine.begin() as conn:
                    conn.execute(sa.text("update version_sources set parser_version = 'bench'"))
                engine.dispose()
            dep = client.get(f"/deployments/name/{deployment}").json()
            since = dt.datetime.now(dt.UTC).isoformat()
            t0 = time.perf_counter()
            run = _post(client, f"/deployments/{dep['id']}/create_flow_run",
                        {"parameters": params})
            state = _wait_done(client, run["id"])
            elapsed = time.perf_counter() - t0
            chunk_dep = "backfill-chunk/chunk" if flow == "backfill" else "reprocess-chunk/chunk"
            out[flow] = {"state": state["name"], "wall_s": round(elapsed, 1),
                         **_chunk_figures(client, chunk_dep, since)}
            print(workers, flow, out[flow], flush=True)
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__.split("\n")[0])
    p.add_argument("--months", type=int, default=6)
    p.add_argument("--per-month", type=int, default=4)
    p.add_argument("--pages", type=int, default=4)
    p.add_argument("--batch", type=int, default=4, help="versions per reprocess chunk")
    p.add_argument("--rate", type=float, default=20.0, help="requests per second, cluster-wide")
    p.add_argument("--workers", default="1,2")
    p.add_argument("--json", type=Path, default=REPO / "data" / "bench" / "fanout.json")
    args = p.parse_args(argv)

    from bench.prefect_server import PrefectServer
    from tests.replay_server import ReplayServer

    tmp = Path(tempfile.mkdtemp(prefix="unmig-bench-fanout-"))
    archive = _archive(tmp / "archive", args.months, args.per_month, args.pages)
    results = []
    with PrefectServer() as server, ReplayServer(archive) as library:
        base = {**os.environ, **server.env(), "UNMIG_PROJECT_DIR": str(REPO),
                "UNMIG_SOURCE": library.url, "UNMIG_ODS_URL": library.url,
                "UNMIG_LANGUAGES": "en", "UNMIG_RATE_LIMIT": str(args.rate),
                "UNMIG_CONTACT": "bench@example.org", "UNMIG_PARSE_WORKERS": "1",
                "UNMIG_REPROCESS_BATCH": str(args.batch), "UNMIG_BIN": str(BIN)}
        client = httpx.Client(base_url=server.api_url, timeout=30)
        for count in (int(x) for x in args.workers.split(",")):
            # A pool per measurement: the workers of the last one stay "online" for a while.
            env = {**base, "UNMIG_WORK_POOL": f"unmig-bench-{count}"}
            done = subprocess.run(["bash", str(REPO / "scripts" / "deploy.sh")], env=env,
                                  cwd=REPO, capture_output=True, text=True)
            if done.returncode:
                raise SystemExit(f"scripts/deploy.sh failed:\n{done.stdout}\n{done.stderr}")
            results.append(_measure(count, env, client, tmp, args.months))
    report = {"months": args.months, "per_month": args.per_month, "pages": args.pages,
              "batch": args.batch, "rate": args.rate, "cores": os.cpu_count(),
              "load": os.getloadavg(), "results": results}
    shutil.rmtree(tmp, ignore_errors=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
