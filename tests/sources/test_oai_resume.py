"""A killed OAI-PMH harvest takes up where it stopped (SQLite and PostgreSQL): the resumption
point stored after each page survives the run, the next run asks only for the pages it never
finished when the stored token still holds, and starts the piece again, losing nothing, when
the repository refuses the token or the token is too old to try."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sources.discovery import LibrarySource
from sources.errors import HttpError
from storage.db import make_engine, upgrade_database
from storage.discovery import StoredResumption, advance_watermark
from tests.replay_server import Fault, ReplayServer
from tests.sources.doors import catalogued, door_archive

SINCE = catalogued(0).date()
RELEVANT = ["3000", "3001", "3002", "3003", "3004"]


@pytest.fixture
def engine(empty_db_url: str) -> Iterator[Engine]:
    upgrade_database(empty_db_url)
    eng = make_engine(empty_db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[ReplayServer]:
    # Seven records stamped on days 0..8, two a page: four pages.
    with ReplayServer(door_archive(tmp_path / "lib"), oai_page_size=2) as server:
        yield server


def _harvest(srv: ReplayServer, engine: Engine):
    source = LibrarySource(srv.settings(discovery="oai"))
    try:
        checkpoint = StoredResumption(engine, srv.url, "library", SINCE, None)
        harvest = source.new_in_library(SINCE, None, checkpoint)
        return harvest, source.discovery_notes()
    finally:
        source.close()


def _stored(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select door, piece_from, token, served, seen, record_ids "
                                    "from discovery_resumptions"))
        # JSON text on SQLite, JSONB decoded on PostgreSQL.
        return [(*r[:5], json.loads(r[5]) if isinstance(r[5], str) else r[5]) for r in rows]


def _killed_at_page_three(srv: ReplayServer, engine: Engine) -> str:
    """The first run: pages 1 and 2 answer, page 3 fails for good; returns the stored token."""
    rule = srv.fail("/oai2d", Fault.ERROR_500, after=2)
    with pytest.raises(HttpError):
        _harvest(srv, engine)
    srv.rules.remove(rule)
    ((door, piece_from, token, served, seen, ids),) = _stored(engine)
    assert door == "oai" and str(piece_from) == str(SINCE)
    # Pages 1 and 2 handed on (3000, 3001, 3900, 3002): the three relevant ones are kept.
    assert (served, seen) == (4, 4)
    assert sorted(ids) == ["3000", "3001", "3002"]
    assert token == srv.hits("/oai2d")[2].query["resumptionToken"]
    return token


def test_a_killed_harvest_resumes_after_the_last_finished_page(
    srv: ReplayServer, engine: Engine
) -> None:
    token = _killed_at_page_three(srv, engine)
    srv.reset_log()
    harvest, notes = _harvest(srv, engine)
    hits = srv.hits("/oai2d")
    # Pages 3 and 4 only: nothing of pages 1 and 2 is asked for again.
    assert len(hits) == 2 and hits[0].query == {"verb": "ListRecords",
                                                 "resumptionToken": token}
    assert sorted(r.record_id for r in harvest.records) == RELEVANT
    assert harvest.seen == 7 and harvest.door == "oai"
    assert harvest.high_water == catalogued(8).replace(tzinfo=dt.UTC)
    # The list is complete although this run was served only 3 of its 7 records.
    assert not [n for n in notes if n.incomplete], notes
    assert _stored(engine)[0][3] == 6  # the point moved on with the harvest
    advance_watermark(engine, srv.url, harvest.high_water, door="oai", run_id=None)
    assert _stored(engine) == []  # the window is done


def test_a_refused_token_starts_the_piece_again(srv: ReplayServer, engine: Engine) -> None:
    _killed_at_page_three(srv, engine)
    srv.expire_oai_tokens()
    srv.reset_log()
    harvest, notes = _harvest(srv, engine)
    hits = srv.hits("/oai2d")
    # The stored token (refused), then the piece from its start: four pages.
    assert "resumptionToken" in hits[0].query and len(hits) == 5
    assert hits[1].query["from"] == SINCE.isoformat()
    assert sorted(r.record_id for r in harvest.records) == RELEVANT
    assert not [n for n in notes if n.incomplete], notes


def test_a_token_too_old_is_not_tried(srv: ReplayServer, engine: Engine,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _killed_at_page_three(srv, engine)
    monkeypatch.setattr("sources.oai.TOKEN_MAX_AGE", dt.timedelta(0))
    srv.reset_log()
    harvest, _ = _harvest(srv, engine)
    hits = srv.hits("/oai2d")
    assert len(hits) == 4 and hits[0].query["from"] == SINCE.isoformat()
    assert sorted(r.record_id for r in harvest.records) == RELEVANT


def test_a_point_of_another_window_is_not_taken_up(srv: ReplayServer, engine: Engine) -> None:
    _killed_at_page_three(srv, engine)
    srv.reset_log()
    source = LibrarySource(srv.settings(discovery="oai"))
    try:
        later = catalogued(2).date()
        harvest = source.new_in_library(
            later, None, StoredResumption(engine, srv.url, "library", later, None))
    finally:
        source.close()
    assert srv.hits("/oai2d")[0].query["from"] == later.isoformat()
    # Only what this window holds: nothing carried over from the other window's point.
    assert sorted(r.record_id for r in harvest.records) == RELEVANT[1:]


def test_a_record_the_catalogue_refuses_makes_the_window_start_over(engine: Engine) -> None:
    from sources.oai import ResumePoint
    from sources.records import CatalogRecord
    from storage.limits import TEXT_BYTES

    good = CatalogRecord("6001", ("A/78/601",), title="Migrants")
    too_long = CatalogRecord("6002", ("A/78/602",), title="x" * (TEXT_BYTES + 1))
    checkpoint = StoredResumption(engine, "https://library.example", "library", SINCE, None)
    point = ResumePoint(SINCE, None, "rt4", dt.datetime.now(dt.UTC), None, 4)
    checkpoint.save("oai", point, [good], None, 2)
    resumed = checkpoint.load()
    assert resumed is not None and [r.record_id for r in resumed.records] == ["6001"]
    # The refused record is still owed: taking the point up would lose it, so it is not.
    checkpoint.save("oai", point, [too_long], None, 4)
    assert _stored(engine)[0][5] == ["6001", "6002"]
    assert checkpoint.load() is None
