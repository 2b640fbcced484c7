"""A backfill shared by two workers, end to end: a real Prefect server with prefect.yaml
deployed, two `prefect worker start` processes on the pool, PostgreSQL, and the stand-in
library. The backfill of six months fans out to six chunk flow runs; both workers take some;
one chunk's process, or the worker running it, is SIGKILLed mid-download and the chunk runs
again; the database ends as a
single in-process run leaves it; the library sees no more than the configured rate from all
the processes together; and the same backfill run again skips every chunk."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from storage.db import upgrade_database
from tests.archive_builder import ArchiveRecord, build_archive
from tests.conftest import new_postgres_database
from tests.flows.prefect_server import BIN, REPO, PrefectServer, wait_for
from tests.pdfgen import make_corpus, render_pdf
from tests.replay_server import Fault, ReplayServer

# 60-130 s a case here (a server, two workers, seven flow-run processes on two busy cores): soak.
pytestmark = [pytest.mark.prefect, pytest.mark.postgres, pytest.mark.soak]

RATE = 5.0  # requests per second to the stand-in, for the whole cluster
MONTHS = 6


def _archive(folder: Path) -> Path:
    """Two small documents a month, January to June 2024."""
    specs = make_corpus(2 * MONTHS, pages=1, seed=11)
    records = [
        ArchiveRecord(f"5{i:02d}", spec.symbol, title=spec.title,
                      date=dt.date(2024, 1 + i // 2, 3 + 10 * (i % 2)),
                      subjects=["INTERNATIONAL MIGRATION"], files={"en": render_pdf(spec)})
        for i, spec in enumerate(specs)
    ]
    return build_archive(folder, records, page_size=5)


@contextmanager
def _worker(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(BIN / "prefect"), "worker", "start", "--pool", env["UNMIG_WORK_POOL"],
             "--limit", "4"],
            # INFO: the worker names each flow run it submits (the test reads which it took).
            env={**env, "PREFECT_LOGGING_LEVEL": "INFO"}, cwd=REPO, stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


def _snapshot(url: str) -> tuple[list[tuple], list[tuple]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            docs = [tuple(r) for r in conn.execute(sa.text(
                "select symbol, language, version, source_sha256, paragraph_count "
                "from current_documents order by symbol, language"))]
            paras = [tuple(r) for r in conn.execute(sa.text(
                "select symbol, language, position, number, text from current_paragraphs "
                "order by symbol, language, position"))]
    finally:
        engine.dispose()
    return docs, paras


def _rows(url: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def _post(client: httpx.Client, path: str, body: dict) -> dict:
    """POST, again after a 503 or a timeout: the Prefect server on SQLite answers so while its
    database is locked by the workers' writes (Prefect's own client retries the same way)."""
    for attempt in range(10):
        try:
            answer = client.post(path, json=body)
        except httpx.TimeoutException:
            # A busy server: again, which creates nothing twice (see the idempotency keys).
            if attempt == 9:
                raise
            continue
        if answer.status_code != 503:
            break
        time.sleep(1)
    answer.raise_for_status()
    return answer.json()


def _most_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] > window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


@pytest.mark.timeout(600)  # a chunk left Pending by a dead worker waits 90 s
@pytest.mark.parametrize("killed", ["chunk", "worker"])
def test_backfill_fans_out_over_two_workers(
    killed: str,
    deployed: PrefectServer, postgres_available: str, tmp_path: Path
) -> None:
    archive = _archive(tmp_path / "archive")
    with ExitStack() as stack, ReplayServer(archive) as library:
        urls = {}
        for name in ("single", "fanout"):
            url, drop = new_postgres_database(postgres_available)
            stack.callback(drop)
            upgrade_database(url)
            urls[name] = url
        env = {
            **deployed.env,
            "UNMIG_DATABASE_URL": urls["fanout"],
            "UNMIG_FILE_STORE": str(tmp_path / "shared-files"),  # one store for both workers
            "UNMIG_SOURCE": library.url,
            "UNMIG_ODS_URL": library.url,
            "UNMIG_LANGUAGES": "en",
            "UNMIG_RATE_LIMIT": str(RATE),
            "UNMIG_TIMEOUT": "5",
            "UNMIG_RETRIES": "2",
            "UNMIG_HTTP_BACKOFF": "0.01",
            "UNMIG_PARSE_WORKERS": "0",
            "UNMIG_CONTACT": "tests@example.org",
            "UNMIG_REPROCESS_BATCH": "6",
        }
        logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
        workers = [stack.enter_context(_worker(env, log)) for log in logs]
        client = deployed.client()
        # While they start: the same backfill in one process, the command line's way.
        single = {**env, "UNMIG_DATABASE_URL": urls["single"], "UNMIG_FANOUT": "off",
                  "UNMIG_FILE_STORE": str(tmp_path / "single-files")}
        deployed.run("unmig", "backfill", "--start", "2024-01-01", "--end", "2024-06-30",
                     env=single)
        library.reset_log()

        def both_online() -> bool:
            found = _post(client, f"/work_pools/{env['UNMIG_WORK_POOL']}/workers/filter", {})
            return sum(w["status"] == "ONLINE" for w in found) >= 2

        wait_for(both_online, 120, "two workers online", workers[0])
        # March's first file hangs once: its chunk is caught mid-download and its process
        # SIGKILLed; the worker reports the flow run Crashed and the parent submits it again.
        library.fail("/record/504/files/*", Fault.HANG, times=1, hang=30)
        deployment = client.get("/deployments/name/backfill/backfill").json()
        chunk_deployment = client.get("/deployments/name/backfill-chunk/chunk").json()
        backfill = {"parameters": {"start": "2024-01-01", "end": "2024-06-30"}}
        began = dt.datetime.now(dt.UTC).isoformat()
        parent = _post(client, f"/deployments/{deployment['id']}/create_flow_run",
                       {**backfill, "idempotency_key": f"{killed}-first"})

        def children() -> list[dict]:
            return _post(client, "/flow_runs/filter", {
                "deployments": {"id": {"any_": [chunk_deployment["id"]]}},
                # This test's only: the server is the session's.
                "flow_runs": {"expected_start_time": {"after_": began}},
            })

        def march_stuck() -> dict | None:
            if not library.hits("/record/504/files/*"):
                return None
            return next((c for c in children() if c["name"].startswith("2024-03")
                         and c["state"]["type"] == "RUNNING" and c["infrastructure_pid"]), None)

        def tails() -> str:
            return "\n".join(log.read_text(errors="replace")[-3000:] for log in logs)

        march = wait_for(march_stuck, 240, "March's chunk mid-download", workers[0],
                         explain=tails)
        # Which worker runs March: the flow run's process writes to its worker's output.
        runner = next(i for i, log in enumerate(logs)
                      if march["id"] in log.read_text(errors="replace"))
        alive = workers[1 - runner] if killed == "worker" else workers[0]
        if killed == "chunk":
            # The chunk's process dies: its worker reports the run Crashed, the parent
            # submits the chunk again.
            os.kill(int(march["infrastructure_pid"].rsplit(":", 1)[-1]), signal.SIGKILL)
        else:
            # The worker dies, and its flow runs end Crashed with it (they report it
            # themselves); the chunks not yet taken go to the other worker.
            os.kill(workers[runner].pid, signal.SIGKILL)

        def finished(flow_run_id: str) -> Callable[[], dict | None]:
            def state() -> dict | None:
                found = client.get(f"/flow_runs/{flow_run_id}").json()["state"]
                return found if found["type"] in ("COMPLETED", "FAILED", "CRASHED") else None
            return state

        state = wait_for(finished(parent["id"]), 300, "the fanned-out backfill", alive,
                         explain=tails)
        if killed == "worker" and state["type"] == "CRASHED":
            # The parent ran on the killed worker and went with it: the same backfill run
            # again resumes it, skipping the months that completed.
            resumed = _post(client, f"/deployments/{deployment['id']}/create_flow_run",
                            {**backfill, "idempotency_key": f"{killed}-resumed"})
            state = wait_for(finished(resumed["id"]), 300, "the resumed backfill", alive,
                             explain=tails)
        assert (state["type"], state["name"]) == ("COMPLETED", "Completed"), (state, tails())

        runs = children()
        months = [f"2024-{m:02d}-01..2024-{m:02d}-{d}"
                  for m, d in zip(range(1, 7), ("31", "29", "31", "30", "31", "30"), strict=True)]
        assert [c["state"]["type"] for c in runs if c["id"] == march["id"]] == ["CRASHED"]
        if killed == "chunk":
            # Six child runs, one a month, and March's crashed one before them.
            assert sorted((c["name"], c["state"]["type"]) for c in runs) == sorted(
                [(m, "COMPLETED") for m in months] + [("2024-03-01..2024-03-31", "CRASHED")]
            ), runs
        else:
            # Every month completed; the runs on the killed worker crashed. (A month still
            # running from a parent that died may be run again by the resumed one: harmless,
            # the database check below shows nothing doubled.)
            completed = {c["name"] for c in runs if c["state"]["type"] == "COMPLETED"}
            assert completed == set(months), runs
            assert {c["state"]["type"] for c in runs} == {"COMPLETED", "CRASHED"}, runs
        # Both workers ran some of them (a flow run's process writes to its worker's output).
        ran = re.compile(r"View at \S+/flow-run/([0-9a-f-]{36})")
        taken = [set(ran.findall(log.read_text(errors="replace"))) & {c["id"] for c in runs}
                 for log in logs]
        assert all(taken) and taken[0].isdisjoint(taken[1]), (taken, tails())

        # The workers made the library host's rate limit on first use (flows/politeness.py).
        limit = client.get("/v2/concurrency_limits/unmig-rate-127.0.0.1").json()
        assert (limit.get("limit"), limit.get("slot_decay_per_second")) == (1, RATE), limit

        # The database ends as the single-process run left it: nothing lost, nothing doubled.
        fan_docs, fan_paras = _snapshot(urls["fanout"])
        assert (fan_docs, fan_paras) == _snapshot(urls["single"])
        assert len(fan_docs) == 2 * MONTHS and fan_paras
        chunk_rows = [r for (r,) in _rows(urls["fanout"], "select status from ingest_runs "
                                                          "where flow = 'backfill-chunk'")]
        # Every month has a completed row; a SIGKILLed process could not close its own row,
        # a crashed one (SystemExit) closed it `crashed`.
        assert chunk_rows.count("completed") == MONTHS, chunk_rows
        assert set(chunk_rows) - {"completed"} <= {"running", "crashed"}, chunk_rows
        [(status, counts)] = _rows(urls["fanout"], "select status, counts from ingest_runs "
                                                   "where flow = 'backfill' order by id desc "
                                                   "limit 1")
        assert status == "completed"
        assert (counts["chunks"], counts["chunks_failed"]) == (MONTHS, 0), counts
        if killed == "chunk":
            assert chunk_rows.count("running") == 1, chunk_rows
            assert counts["new"] + counts["unchanged"] == 2 * MONTHS, counts
            assert counts["chunks_resubmitted"] == 1, counts
        requests = len(library.log)

        # The same backfill again: every chunk is complete, none is submitted.
        again = _post(client, f"/deployments/{deployment['id']}/create_flow_run",
                      {**backfill, "idempotency_key": f"{killed}-again"})
        state = wait_for(finished(again["id"]), 120, "the second backfill", alive,
                         explain=tails)
        assert state["type"] == "COMPLETED", state
        assert len(children()) == len(runs)
        [(counts,)] = _rows(urls["fanout"], "select counts from ingest_runs where flow = "
                                            "'backfill' order by id desc limit 1")
        assert (counts["chunks"], counts["chunks_skipped"], counts["new"]) == (MONTHS, MONTHS, 0)
        assert len(library.log) == requests

        # A reprocess after a parser upgrade: its stale versions go out in batches of six.
        engine = sa.create_engine(urls["fanout"])
        with engine.begin() as conn:
            conn.execute(sa.text("update version_sources set parser_version = 'old'"))
        engine.dispose()
        dep = client.get("/deployments/name/reprocess/reprocess").json()
        again = _post(client, f"/deployments/{dep['id']}/create_flow_run",
                      {"parameters": {}, "idempotency_key": f"{killed}-reprocess"})
        state = wait_for(finished(again["id"]), 240, "the reprocess", alive, explain=tails)
        assert state["type"] == "COMPLETED", (state, tails())
        [(counts,)] = _rows(urls["fanout"], "select counts from ingest_runs where flow = "
                                            "'reprocess'")
        assert (counts["discovered"], counts["chunks"], counts["chunks_failed"]) == (
            2 * MONTHS, 2, 0), counts
        batches = _rows(urls["fanout"], "select status from ingest_runs where flow = "
                                        "'reprocess-chunk'")
        assert batches == [("completed",)] * 2
        assert _snapshot(urls["fanout"]) == _snapshot(urls["single"])
        assert len(library.log) == requests  # no network

    # The stand-in saw the cluster's rate, not each process's: one slot per 1/RATE seconds
    # from the server, give or take the network time between a slot and its request.
    times = [e.at for e in library.log]
    assert len(times) >= 3 * MONTHS  # robots.txt, search and files from the chunks
    for window in (1.0, 2.0, 4.0):
        assert _most_in_window(times, window) <= RATE * window + 2, (window, sorted(times))
