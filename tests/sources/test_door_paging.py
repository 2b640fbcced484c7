"""The OAI-PMH and API doors page under the search's guard (sources/paging.py): a resumption
token that never advances and a spent discovery budget end a harvest, with a note saying that
records may be missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sources.api import ApiDoor
from sources.http import RateLimiter
from sources.oai import OaiDoor
from sources.query import CREATED_FIELD, window_clause
from sources.undl import DigitalLibrary
from tests.replay_server import ReplayServer
from tests.sources.doors import catalogued, door_archive

TOKEN = "paging-token"


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[ReplayServer]:
    with ReplayServer(door_archive(tmp_path / "lib"), oai_page_size=2, api_page_size=2,
                      api_token=TOKEN) as server:
        yield server


def test_a_resumption_token_that_never_advances_ends_the_harvest(
    lib: DigitalLibrary, srv: ReplayServer
) -> None:
    srv.oai_stuck_token = True
    found = list(OaiDoor(lib).stamped(catalogued(2).date(), catalogued(6).date()))
    # The first page's two records, once each; the same page again under the same list size
    # is the server cycling, and the harvest stops there instead of asking for ever.
    assert [i.record.record_id for i in found] == ["3001", "3900"]
    assert len(srv.hits("/oai2d")) == 2
    notes = lib.discovery_notes()
    assert len(notes) == 1 and notes[0].incomplete
    assert "page 2 repeats page 1" in notes[0].message


def test_a_spent_budget_stops_the_oai_harvest_before_its_first_page(
    lib: DigitalLibrary, srv: ReplayServer
) -> None:
    lib.limit_discovery(0)
    assert list(OaiDoor(lib).stamped(catalogued(0).date(), None)) == []
    assert srv.hits("/oai2d") == []
    assert any("discovery budget is spent" in n.message and n.incomplete
               for n in lib.discovery_notes())


def test_a_spent_budget_stops_the_api_before_its_first_page(
    lib: DigitalLibrary, srv: ReplayServer
) -> None:
    lib.limit_discovery(0)
    door = ApiDoor(lib, TOKEN, pacer=RateLimiter(1000))
    p = window_clause(catalogued(2).date(), catalogued(6).date(), field=CREATED_FIELD)
    assert list(door.query(p)) == []
    assert srv.hits("/api/v1/search") == []
    assert any("discovery budget is spent" in n.message and n.incomplete
               for n in lib.discovery_notes())


def test_an_honest_api_search_leaves_no_note(lib: DigitalLibrary, srv: ReplayServer) -> None:
    door = ApiDoor(lib, TOKEN, pacer=RateLimiter(1000))
    p = window_clause(catalogued(2).date(), catalogued(6).date(), field=CREATED_FIELD)
    assert len(list(door.query(p))) == 5
    assert lib.discovery_notes() == []
