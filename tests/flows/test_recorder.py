"""The run recorder every flow uses: its `ingest_runs` row always ends closed, with the status
and counts of what happened, and the state it hands Prefect names a run that lost documents."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from config import load_settings
from flows.document import Outcome, Status
from flows.pipeline import Pipeline, open_pipeline
from flows.recorder import PARTIAL, final_state, recorded_run
from storage import runs


@pytest.fixture
def pipe(db_url: str, tmp_path: Path) -> Iterator[Pipeline]:
    pipeline = open_pipeline(load_settings(database_url=db_url, file_store=tmp_path / "files",
                                           parse_workers=0))
    yield pipeline
    pipeline.close()


def test_a_clean_run_is_completed_and_returns_its_counts(pipe: Pipeline) -> None:
    with recorded_run(pipe, "reprocess", {"limit": None}) as run:
        run.add([Outcome("A/1", "en", Status.NEW), Outcome("A/2", "en", Status.PENDING)],
                discovered=2)
    row = runs.get_run(pipe.engine, run.run_id)
    assert (row.flow, row.status, row.counts["new"], row.counts["pending"]) == (
        "reprocess", "completed", 1, 1)
    assert row.finished_at is not None
    assert final_state(row.counts, flow="reprocess", run_id=run.run_id) == row.counts


def test_a_run_with_a_failed_document_is_partial(pipe: Pipeline) -> None:
    with recorded_run(pipe, "ingest", {}) as run:
        run.add([Outcome("A/1", "en", Status.NEW), Outcome("A/2", "en", Status.FAILED)],
                discovered=2)
    row = runs.get_run(pipe.engine, run.run_id)
    assert row.status == "partial"
    state = final_state(row.counts, flow="ingest", run_id=run.run_id)
    assert (state.type.value, state.name) == ("COMPLETED", PARTIAL)
    assert f"ingest run {run.run_id}: 1 of 2 documents failed for good" in state.message
    assert state.data == row.counts


def test_a_run_that_breaks_is_closed_crashed_not_left_running(pipe: Pipeline) -> None:
    with pytest.raises(RuntimeError), recorded_run(pipe, "backfill", {}) as run:
        run.add([Outcome("A/1", "en", Status.UPDATED)], discovered=5)
        raise RuntimeError("the search kept failing")
    row = runs.get_run(pipe.engine, run.run_id)
    assert (row.status, row.error) == ("crashed", "RuntimeError: the search kept failing")
    assert (row.counts["discovered"], row.counts["updated"]) == (5, 1)
    assert row.finished_at is not None
