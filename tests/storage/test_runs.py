"""Runs and failures: enough to answer "what did last night's run do?" from SQL alone."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage import runs
from tests.storage.factories import SYMBOL, load, make_doc


def test_run_lifecycle_and_sql_answer(engine: Engine) -> None:
    rid = runs.start_run(
        engine, flow="ingest", flow_run_id="f-123", parameters={"since": "2024-01-01"}
    )
    load(engine, make_doc(), run_id=rid)
    runs.finish_run(engine, rid, status="completed", counts={"new": 1, "unchanged": 0})
    [last] = runs.last_runs(engine)
    assert (last.id, last.status, last.counts, last.parameters["since"]) == (
        rid,
        "completed",
        {"new": 1, "unchanged": 0},
        "2024-01-01",
    )
    assert last.finished_at >= last.started_at
    assert runs.get_run(engine, rid) == last

    # The documented query: what the last run did, from SQL alone.
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT r.id, r.status, "
                "(SELECT count(*) FROM document_versions v WHERE v.run_id = r.id) AS versions, "
                "(SELECT count(*) FROM ingest_failures f WHERE f.last_run_id = r.id) AS failures "
                "FROM ingest_runs r ORDER BY r.started_at DESC LIMIT 1"
            )
        ).one()
    assert tuple(row) == (rid, "completed", 1, 0)


def test_failures_upsert_and_resolve(engine: Engine) -> None:
    r1 = runs.start_run(engine, flow="ingest", flow_run_id=None, parameters={})
    r2 = runs.start_run(engine, flow="ingest", flow_run_id=None, parameters={})
    common = {"symbol": SYMBOL, "url": "https://x/a.pdf", "stage": "download"}
    runs.record_failure(engine, run_id=r1, language="en", error="HTTP 503", **common)
    runs.record_failure(engine, run_id=r2, language="en", error="HTTP 504", **common)
    runs.record_failure(engine, run_id=r2, language="fr", error="HTTP 404", **common)
    runs.record_failure(
        engine,
        run_id=r2,
        language=None,
        symbol=SYMBOL,
        url=None,
        stage="catalog",
        error="x" * 10_000,
    )
    runs.record_failure(
        engine, run_id=r2, language=None, symbol=SYMBOL, url=None, stage="catalog", error="again"
    )  # NULL language still upserts

    open_ = {(f.language, f.stage): f for f in runs.open_failures(engine)}
    assert len(open_) == 3
    en = open_[("en", "download")]
    assert (en.attempts, en.error, en.first_run_id, en.last_run_id) == (2, "HTTP 504", r1, r2)
    assert en.last_seen_at >= en.first_seen_at
    assert open_[(None, "catalog")].attempts == 2

    # Success in English settles the English and language-less failures, not the French one.
    assert runs.resolve_failures(engine, symbol=SYMBOL, language="en") == 2
    assert [(f.language, f.stage) for f in runs.open_failures(engine)] == [("fr", "download")]
    # A new failure after resolution opens a new row; history of the old one is kept.
    runs.record_failure(engine, run_id=r2, language="en", error="HTTP 500", **common)
    assert {f.attempts for f in runs.open_failures(engine)} == {1}
    assert runs.resolve_failures(engine, symbol=SYMBOL, language=None) == 2
    assert runs.open_failures(engine) == []
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM ingest_failures")).scalar_one() == 4
        long_error = conn.execute(
            sa.text("SELECT error FROM ingest_failures WHERE stage = 'catalog'")
        ).scalar_one()
    assert long_error == "again"


def test_finish_unknown_run_raises(engine: Engine) -> None:
    import pytest

    with pytest.raises(LookupError):
        runs.finish_run(engine, 999, status="completed", counts={})


def test_a_failure_at_another_stage_supersedes_the_open_one(engine: Engine) -> None:
    rid = runs.start_run(engine, flow="ingest", flow_run_id=None, parameters={})
    item = {"run_id": rid, "symbol": SYMBOL, "language": "en", "url": "https://x/a.pdf"}
    runs.record_failure(engine, stage="download", error="HTTP 503", **item)
    runs.record_failure(engine, stage="download", error="HTTP 503", **item)
    runs.record_failure(engine, run_id=rid, symbol=SYMBOL, language="fr", url=None,
                        stage="download", error="HTTP 404")
    runs.record_failure(engine, stage="parse", error="TruncatedPdf", **item)

    open_now = {(f.language, f.stage, f.attempts) for f in runs.open_failures(engine)}
    # The English download failure is over (the file came); the parse failure is what is owed.
    assert open_now == {("en", "parse", 1), ("fr", "download", 1)}
    with engine.connect() as conn:
        closed = conn.execute(
            sa.text("SELECT stage, attempts FROM ingest_failures WHERE resolved_at IS NOT NULL")
        ).all()
    assert [tuple(r) for r in closed] == [("download", 2)]
