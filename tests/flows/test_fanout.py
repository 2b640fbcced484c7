"""The parts of the fan-out that need no worker: how chunks are named and keyed, which ones a
re-run skips (from the runs table, on both engines), when the work stays in-process, and which
databases workers may share."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from config import load_settings
from flows import fanout
from flows.summary import run_status
from flows.windows import month_chunks
from storage import chunks, runs
from storage.db import make_engine

D = dt.date
PARAMS = {"start": D(2024, 1, 1), "end": D(2024, 3, 31), "symbols": None, "languages": ["en"],
          "force": False, "source": "https://digitallibrary.un.org"}


def test_backfill_chunks_are_months_with_a_key_of_the_backfill() -> None:
    got = fanout.backfill_chunks(month_chunks(D(2024, 1, 15), D(2024, 3, 31)), PARAMS)
    assert [c.name for c in got] == ["2024-01-15..2024-01-31", "2024-02-01..2024-02-29",
                                     "2024-03-01..2024-03-31"]
    first = got[0].parameters
    assert (first["since"], first["until"], first["chunk"]) == (
        "2024-01-15", "2024-01-31", "2024-01-15..2024-01-31")
    assert {c.parameters["key"] for c in got} == {first["key"]}
    # The same backfill gets the same key (so a re-run finds its chunks), another one not.
    again = fanout.backfill_chunks(month_chunks(D(2024, 1, 15), D(2024, 3, 31)), dict(PARAMS))
    assert again[0].parameters["key"] == first["key"]
    forced = fanout.backfill_chunks(month_chunks(D(2024, 1, 15), D(2024, 3, 31)),
                                    {**PARAMS, "force": True})
    assert forced[0].parameters["key"] != first["key"]


def test_completed_chunks_come_from_the_chunk_runs(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        def chunk_run(key: str, chunk: str, status: str, flow: str = "backfill-chunk") -> None:
            run_id = runs.start_run(engine, flow=flow, flow_run_id=f"fr-{chunk}-{status}",
                                    parameters={"key": key, "chunk": chunk})
            runs.finish_run(engine, run_id, status=status, counts={"new": 1})

        chunk_run("k1", "2024-01-01..2024-01-31", "completed")
        chunk_run("k1", "2024-02-01..2024-02-29", "partial")  # failed documents: run it again
        chunk_run("k1", "2024-03-01..2024-03-31", "crashed")
        chunk_run("k2", "2024-04-01..2024-04-30", "completed")  # another backfill
        chunk_run("k1", "batch 1", "completed", flow="reprocess-chunk")
        assert chunks.completed_chunks(engine, flow="backfill-chunk", key="k1") == {
            "2024-01-01..2024-01-31"
        }
        found = chunks.run_of_flow_run(engine, "fr-2024-02-01..2024-02-29-partial")
        assert found is not None and (found.status, found.counts) == ("partial", {"new": 1})
        assert chunks.run_of_flow_run(engine, "no such run") is None
    finally:
        engine.dispose()


def test_no_server_or_fanout_off_keeps_the_work_in_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: None}):
        assert not fanout.workers_for(fanout.BACKFILL_CHUNK, load_settings())
    # Off wins even before any server is asked (this address answers nothing).
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        assert not fanout.workers_for(fanout.BACKFILL_CHUNK, load_settings(fanout="off"))


def test_failed_chunks_make_a_partial_run() -> None:
    assert run_status({"new": 3, "failed": 0, "chunks": 6, "chunks_failed": 0}) == "completed"
    assert run_status({"new": 3, "failed": 0, "chunks": 6, "chunks_failed": 2}) == "partial"


MOUNTS = """\
/dev/sda1 / ext4 rw,relatime 0 0
server:/export /mnt/shared nfs4 rw,relatime 0 0
/dev/sdb1 /mnt/shared/local\\040disk ext4 rw 0 0
"""


def test_sqlite_on_a_network_file_system_is_refused(tmp_path: Path) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(MOUNTS)
    assert fanout.filesystem_type(Path("/mnt/shared/db"), MOUNTS) == "nfs4"
    assert fanout.filesystem_type(Path("/mnt/shared/local disk/x"), MOUNTS) == "ext4"
    assert fanout.filesystem_type(Path("/mnt/sharedother"), MOUNTS) == "ext4"
    with pytest.raises(fanout.UnsafeDatabase, match="nfs4 file system.*PostgreSQL"):
        fanout.check_shared_database("sqlite:////mnt/shared/unmig.db", mounts)
    # A local file, and PostgreSQL, are fine.
    fanout.check_shared_database("sqlite:////var/lib/unmig/unmig.db", mounts)
    fanout.check_shared_database("sqlite:////mnt/shared/local disk/unmig.db", mounts)
    fanout.check_shared_database("postgresql://u@db.example.org/unmig", mounts)
