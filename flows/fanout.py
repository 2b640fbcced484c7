"""Backfill and reprocess on many workers: each chunk of the work is a flow run of a deployment.

A backfill is cut into months (a reprocess into batches of stale versions); with a Prefect
server whose work pool has a worker online, each chunk is submitted with `run_deployment` as a
flow run of `backfill-chunk/chunk` (or `reprocess-chunk/chunk`), so any number of workers on
any number of machines share them. The parent submits them all, waits, resubmits once a chunk
whose flow run ended `Crashed` (its worker or process died), and tallies the children's own
`ingest_runs` rows. It ends:

- `Completed` (or `Partial` when documents failed, as flows/recorder.py says) when every chunk
  finished;
- `Partial` naming how many chunks failed when some did (their months are worth running again:
  running the same backfill again runs only the chunks not complete);
- `Failed` when every chunk failed.

A chunk is complete when its flow run recorded an `ingest_runs` row ended `completed` carrying
the parent's key (a hash of the backfill's parameters): a second run of the same backfill skips
those (storage/chunks.py). Chunks are idempotent anyway (unchanged documents are not versioned
again), so a resubmitted chunk that had half run loses and doubles nothing.

With no server, no chunk deployment, no worker online, or UNMIG_FANOUT=off, the flows in
flows/ingest.py run everything in their own process as before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.states import Completed, State
from prefect.task_runners import ThreadPoolTaskRunner

from config import Settings, load_settings
from flows.document import record_item_failed, reprocess_version
from flows.pipeline import open_pipeline
from flows.recorder import PARTIAL, recorded_run
from flows.windows import Window
from parsers import PARSER_VERSION
from storage import chunks as chunk_store
from storage import versions

log = logging.getLogger(__name__)

BACKFILL_CHUNK = "backfill-chunk/chunk"
REPROCESS_CHUNK = "reprocess-chunk/chunk"
POLL_SECONDS = 2.0
CRASH_RESUBMITS = 1
# A chunk claimed by a worker that died before starting its process stays Pending for ever;
# starting one takes seconds (25 s at most measured here, under load).
PENDING_TIMEOUT = 90.0


class ChunksFailed(RuntimeError):
    """Every chunk of a fanned-out run failed: the run itself is failed."""


@dataclass(frozen=True)
class Chunk:
    name: str  # stable within the parent: "2024-01-01..2024-01-31", "batch 3"
    parameters: dict[str, Any]


@dataclass
class ChunkResult:
    chunk: Chunk
    flow_run_ids: list[str] = field(default_factory=list)
    state_type: str = ""
    state_name: str = ""

    @property
    def ok(self) -> bool:
        return self.state_type == "COMPLETED"


# --- where to run ---------------------------------------------------------------------------

# File systems where SQLite's locks and WAL shared memory do not hold between machines.
NETWORK_FILESYSTEMS = frozenset({"nfs", "nfs4", "cifs", "smb", "smb3", "smbfs", "9p", "afs",
                                 "ceph", "glusterfs", "lustre", "fuse.sshfs", "fuse.s3fs",
                                 "fuse.gcsfuse", "fuse.rclone", "davfs", "fuse.glusterfs"})


class UnsafeDatabase(RuntimeError):
    """A database the workers of a fan-out cannot share safely."""


def filesystem_type(path: Path, mounts: str) -> str:
    """The type of the file system holding `path`, from /proc/mounts text (longest mount
    point that contains it)."""
    best, kind = -1, ""
    resolved = str(path.resolve())
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = resolved == point or resolved.startswith(point.rstrip("/") + "/")
        if inside and len(point) > best:
            best, kind = len(point), fields[2]
    return kind


def check_shared_database(url: str, mounts_file: Path = Path("/proc/mounts")) -> None:
    """Refuse a SQLite file on a network file system: workers on several machines would each
    take SQLite's locks on their own machine and could corrupt it. Several workers on one
    machine share a local SQLite file safely (WAL, BEGIN IMMEDIATE, a 30 s busy timeout; see
    tests/storage/test_concurrency.py); PostgreSQL is the database for several machines."""
    from storage.db import normalize_url

    u = normalize_url(url)
    if u.get_backend_name() != "sqlite" or u.database in (None, "", ":memory:"):
        return
    if not mounts_file.is_file():
        return
    folder = Path(u.database).expanduser().parent
    kind = filesystem_type(folder, mounts_file.read_text(errors="replace"))
    if kind in NETWORK_FILESYSTEMS:
        raise UnsafeDatabase(
            f"the SQLite database {u.database} is on a {kind} file system, which several "
            "workers cannot share safely: set UNMIG_DATABASE_URL to PostgreSQL for workers on "
            "more than one machine (docs/scaling.md), or UNMIG_FANOUT=off"
        )


def workers_for(deployment: str, settings: Settings) -> bool:
    """True when chunks can go to workers: a Prefect server (not a temporary one) that has
    `deployment`, whose work pool has a worker online, and UNMIG_FANOUT is not `off`."""
    if settings.fanout == "off":
        return False
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        return False
    try:
        with get_client(sync_client=True) as client:
            try:
                found = client.read_deployment_by_name(deployment)
            except ObjectNotFound:
                return False
            if not found.work_pool_name:
                return False
            workers = client.read_workers_for_work_pool(found.work_pool_name)
    except Exception as exc:  # noqa: BLE001 - no answer: run here, as without a server
        log.warning("cannot ask the Prefect server about %s (%s): running in-process",
                    deployment, exc)
        return False
    return any(str(getattr(w.status, "value", w.status)).upper() == "ONLINE" for w in workers)


# --- submitting and waiting -----------------------------------------------------------------


def _submit(deployment: str, chunk: Chunk, attempt: int) -> str:
    from prefect.deployments import run_deployment
    from prefect.runtime import flow_run

    parent = flow_run.id or "cli"
    submitted = run_deployment(
        deployment,
        parameters=chunk.parameters,
        timeout=0,  # submit only; the parent waits for all of them below
        flow_run_name=chunk.name if attempt == 1 else f"{chunk.name} (attempt {attempt})",
        # A retried parent finds the flow runs it already made instead of making them again.
        idempotency_key=f"{parent}:{chunk.name}:{attempt}",
    )
    return str(submitted.id)


def _crash_stuck(flow_run_id: str) -> State:
    """Mark a run Pending past PENDING_TIMEOUT Crashed, so it is submitted again (a worker
    that starts it late finds it Crashed and does not run it)."""
    from prefect.client.orchestration import get_client
    from prefect.states import Crashed

    state = Crashed(message=f"pending for more than {PENDING_TIMEOUT:.0f} s: its worker is "
                            "presumed dead")
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(flow_run_id, state, force=True)
    return state


def run_chunks(deployment: str, chunks: Sequence[Chunk],
               poll_seconds: float = POLL_SECONDS) -> list[ChunkResult]:
    """Submit every chunk as a flow run of `deployment`, wait for all of them, resubmit once
    each one that ended Crashed; the results in the order of `chunks`."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    logger = get_run_logger()
    results = [ChunkResult(c) for c in chunks]
    waiting: dict[str, ChunkResult] = {}
    for result in results:
        run_id = _submit(deployment, result.chunk, 1)
        result.flow_run_ids.append(run_id)
        waiting[run_id] = result
    logger.info("submitted %d chunks to %s", len(results), deployment)
    while waiting:
        time.sleep(poll_seconds)
        with get_client(sync_client=True) as client:
            found = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=list(waiting))),
                limit=len(waiting),
            )
        for run in found:
            state = run.state
            if state is not None and state.is_pending() and state.timestamp is not None and (
                dt.datetime.now(dt.UTC) - state.timestamp
            ).total_seconds() > PENDING_TIMEOUT:
                state = _crash_stuck(str(run.id))
            if state is None or not state.is_final():
                continue
            result = waiting.pop(str(run.id))
            result.state_type, result.state_name = state.type.value, state.name or ""
            if state.is_crashed() and len(result.flow_run_ids) <= CRASH_RESUBMITS:
                attempt = len(result.flow_run_ids) + 1
                logger.warning("chunk %s crashed (%s); submitting it again",
                               result.chunk.name, state.message)
                run_id = _submit(deployment, result.chunk, attempt)
                result.flow_run_ids.append(run_id)
                waiting[run_id] = result
    return results


def _key(kind: str, parameters: dict[str, Any]) -> str:
    text = json.dumps([kind, parameters], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _tally(flow_name: str, settings: Settings, parameters: dict[str, Any],
           chunks: list[Chunk], deployment: str, label: str) -> dict[str, int] | State:
    """The parent's body: skip complete chunks, run the rest on the workers, record the tally."""
    check_shared_database(settings.database_url)
    pipe = open_pipeline(settings)
    try:
        pipe.files.remove_stale_temporaries()
        with recorded_run(pipe, flow_name, {**parameters, "fanout": deployment}) as run:
            chunk_flow = deployment.split("/")[0]
            key = chunks[0].parameters["key"] if chunks else ""
            done = chunk_store.completed_chunks(pipe.engine, flow=chunk_flow, key=key)
            todo = [c for c in chunks if c.name not in done]
            results = run_chunks(deployment, todo) if todo else []
            failed = [r for r in results if not r.ok]
            for r in results:
                row = chunk_store.run_of_flow_run(pipe.engine, r.flow_run_ids[-1])
                if row is not None and r.ok:
                    run.add_counts(row.counts)
            run.add_counts({"chunks": len(chunks), "chunks_skipped": len(chunks) - len(todo),
                            "chunks_failed": len(failed),
                            "chunks_resubmitted": sum(len(r.flow_run_ids) - 1 for r in results)})
            if todo and len(failed) == len(todo):
                raise ChunksFailed(
                    f"all {len(todo)} chunks failed: "
                    + ", ".join(f"{r.chunk.name} {r.state_name}" for r in failed[:10])
                )
    finally:
        pipe.close()
    state = run.result(f"{label}, {len(chunks)} chunks on workers")
    if not failed:
        return state
    return Completed(
        name=PARTIAL,
        message=(
            f"{flow_name} run {run.run_id}: {len(failed)} of {len(todo)} chunks failed ("
            + ", ".join(f"{r.chunk.name} {r.state_name}" for r in failed[:10])
            + f"); run it again to run only the chunks not complete; counts {run.counts}"
        ),
        data=run.counts,
    )


# --- backfill -------------------------------------------------------------------------------


def backfill_chunks(windows: Sequence[Window], parameters: dict[str, Any]) -> list[Chunk]:
    """One chunk per window; `parameters` are the backfill's (symbols, languages, force,
    source) and name it (the key)."""
    key = _key("backfill", parameters)
    common = {k: parameters.get(k) for k in ("symbols", "languages", "force", "source")}
    out = []
    for w in windows:
        name = f"{w.since.isoformat() if w.since else '…'}..{w.until.isoformat()}"
        out.append(Chunk(name, {
            "since": w.since.isoformat() if w.since else None, "until": w.until.isoformat(),
            "key": key, "chunk": name, **common,
        }))
    return out


def backfill_on_workers(
    settings: Settings, windows: Sequence[Window], parameters: dict[str, Any]
) -> dict[str, int] | State:
    chunks = backfill_chunks(windows, parameters)
    label = str(windows[0]) if len(windows) == 1 else f"{windows[0].since} to {windows[-1].until}"
    return _tally("backfill", settings, parameters, chunks, BACKFILL_CHUNK, label)


@flow(name="backfill-chunk", flow_run_name="{chunk}",
      task_runner=ThreadPoolTaskRunner(max_workers=4))
def backfill_chunk(
    since: dt.date | None,
    until: dt.date,
    key: str,
    chunk: str,
    symbols: list[str] | None = None,
    languages: list[str] | None = None,
    force: bool = False,
    source: str | None = None,
) -> dict[str, int] | State:
    """One chunk of a backfill run on the workers: discover a window (or the symbols) and
    process its documents, recorded as its own run.

    Args:
        since: First date of the window.
        until: Last date of the window, inclusive.
        key: The parent backfill's key (a re-run of it skips this chunk once complete).
        chunk: This chunk's name within the parent.
        symbols: Document symbols to load instead of a window.
        languages: Language versions to load (default: UNMIG_LANGUAGES).
        force: Download and parse again even when nothing changed.
        source: UN Digital Library base URL or a local archive folder (default: UNMIG_SOURCE).
    """
    from flows.ingest import _process, _settings
    from flows.summary import missing_symbols
    from flows.tasks import discover

    settings = _settings(source, languages)
    check_shared_database(settings.database_url)
    pipe = open_pipeline(settings)
    params = {"key": key, "chunk": chunk, "since": since, "until": until, "symbols": symbols,
              "languages": settings.languages, "force": force, "source": settings.source}
    try:
        with recorded_run(pipe, "backfill-chunk", params) as run:
            found = discover(pipe, Window(since, until), symbols, False,
                             settings.discovery_seconds)
            run.add(_process(pipe, found.records, run.run_id, force),
                    discovered=len(found.records), notes=found.notes,
                    not_found=missing_symbols(symbols or [], found.records))
    finally:
        pipe.close()
    return run.result(chunk)


# --- reprocess ------------------------------------------------------------------------------


def reprocess_chunks(stale: Sequence[versions.StaleVersion], parser_version: str,
                     batch: int) -> list[Chunk]:
    items = [[s.symbol, s.language] for s in stale]
    key = _key("reprocess", {"parser": parser_version,
                             "items": hashlib.sha256(json.dumps(items).encode()).hexdigest()})
    return [
        Chunk(f"batch {i // batch + 1}",
              {"items": items[i:i + batch], "key": key, "chunk": f"batch {i // batch + 1}"})
        for i in range(0, len(items), batch)
    ]


def reprocess_on_workers(settings: Settings, limit: int | None) -> dict[str, int] | State:
    from storage.db import make_engine

    engine = make_engine(settings.database_url)
    try:
        stale = versions.stale_versions(engine, PARSER_VERSION)[:limit]
    finally:
        engine.dispose()
    chunks = reprocess_chunks(stale, PARSER_VERSION, settings.reprocess_batch)
    return _tally("reprocess", settings, {"limit": limit}, chunks, REPROCESS_CHUNK,
                  f"parser {PARSER_VERSION}")


@flow(name="reprocess-chunk", flow_run_name="{chunk}")
def reprocess_chunk(items: list[list[str]], key: str, chunk: str) -> dict[str, int] | State:
    """One batch of a reprocess run on the workers: parse these stored versions again (those
    still stale; a batch that ran already finds nothing to do).

    Args:
        items: [symbol, language] pairs.
        key: The parent reprocess's key.
        chunk: This batch's name within the parent.
    """
    settings = load_settings()
    check_shared_database(settings.database_url)
    pipe = open_pipeline(settings)
    wanted = {(s, lang) for s, lang in items}
    try:
        with recorded_run(pipe, "reprocess-chunk", {"key": key, "chunk": chunk,
                                                    "items": len(items)}) as run:
            stale = [v for v in versions.stale_versions(pipe.engine, PARSER_VERSION)
                     if (v.symbol, v.language) in wanted]
            run.add([], discovered=len(stale))
            for item in stale:
                try:
                    outcome = reprocess_version(pipe, item, run_id=run.run_id)
                except Exception as exc:  # noqa: BLE001 - this version only; recorded
                    outcome = record_item_failed(
                        pipe, item.symbol, item.language, item.source_url, run.run_id, exc
                    )
                run.add([outcome])
    finally:
        pipe.close()
    return run.result(chunk)
