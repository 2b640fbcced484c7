"""UNMIG_DISCOVERY: `auto` tries the doors in order and moves on when one is shut; each door
alone; the library's clock (a record catalogued after its date); the scope applied here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.settings import ConfigError
from sources.discovery import Clock, LibrarySource
from sources.errors import BlockedError
from tests.replay_server import LIBRARY_ROBOTS, Fault, ReplayServer
from tests.sources.doors import catalogued, door_archive

TOKEN = "t0ken"
RELEVANT = ["3004", "3003", "3002", "3001", "3000"]  # newest document first


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[ReplayServer]:
    with ReplayServer(door_archive(tmp_path / "lib"), oai_page_size=3, api_page_size=3,
                      api_token=TOKEN) as server:
        yield server


def _source(srv: ReplayServer, **overrides: object) -> LibrarySource:
    return LibrarySource(srv.settings(**overrides))


def test_auto_uses_oai_first_and_keeps_the_scope(srv: ReplayServer) -> None:
    with _source(srv) as src:
        harvest = src.new_in_library(catalogued(0).date())
    assert [r.record_id for r in harvest.records] == RELEVANT
    assert harvest.door == "oai" and harvest.seen == 7
    assert harvest.blocked == {}
    assert harvest.high_water == catalogued(8).replace(tzinfo=dt.UTC)
    assert srv.hits("/search") == [] and srv.hits("/api/*") == []


def test_auto_moves_on_when_oai_is_challenged_and_the_search_disallowed(
    srv: ReplayServer,
) -> None:
    srv.fail("/oai2d", Fault.CHALLENGE)
    srv.set_robots("User-agent: *\nDisallow: /search\nDisallow: /rss\n")
    with _source(srv, undl_api_token=TOKEN) as src:
        harvest = src.new_in_library(catalogued(0).date())
        assert harvest.door == "api"
        assert [r.record_id for r in harvest.records] == RELEVANT
        assert set(harvest.blocked) == {"oai"}
        assert "challenge" in harvest.blocked["oai"]
        assert "oai" in src.blocked_doors()
    api = srv.hits("/api/v1/search")
    assert api and "creation_date:2023-11-01->9999-12-31" in api[0].query["p"]


def test_auto_reaches_the_search_when_nothing_else_answers(srv: ReplayServer) -> None:
    srv.fail("/oai2d", Fault.FORBIDDEN)
    with _source(srv) as src:  # no token: the API is skipped, and said so
        harvest = src.new_in_library(catalogued(0).date())
    assert harvest.door == "search"
    assert harvest.blocked["oai"].startswith("HTTP 403")
    assert harvest.blocked["api"] == "not tried: no UNMIG_UNDL_API_TOKEN"
    assert [r.record_id for r in harvest.records] == RELEVANT


def test_every_door_shut_is_one_blocked_error_naming_them_all(srv: ReplayServer) -> None:
    srv.challenge(search=True, files=False)
    srv.fail("/oai2d", Fault.CHALLENGE)
    srv.fail("/api/v1/search", Fault.CHALLENGE)
    with _source(srv, undl_api_token=TOKEN) as src, pytest.raises(BlockedError) as info:
        src.new_in_library(catalogued(0).date())
    message = str(info.value)
    assert "no door open for discovery" in message
    assert all(d in message for d in ("oai:", "api:", "search:"))


def test_the_real_robots_txt_shuts_the_search_door_alone(srv: ReplayServer) -> None:
    srv.set_robots(LIBRARY_ROBOTS.replace("Crawl-delay: 5", "Crawl-delay: 0.05"))
    with _source(srv, discovery="search") as src, pytest.raises(BlockedError, match="robots"):
        src.new_in_library(catalogued(0).date())
    with _source(srv, discovery="oai") as src:
        assert src.new_in_library(catalogued(0).date()).door == "oai"


def test_a_single_door_is_used_alone(srv: ReplayServer) -> None:
    srv.fail("/oai2d", Fault.CHALLENGE)
    with _source(srv, discovery="oai") as src, pytest.raises(BlockedError):
        src.new_in_library(catalogued(0).date())
    assert srv.hits("/search") == [] and srv.hits("/api/*") == []
    with pytest.raises(ConfigError, match="UNMIG_UNDL_API_TOKEN"):
        _source(srv, discovery="api")


def test_a_record_catalogued_after_its_date_is_new_when_it_is_catalogued(
    srv: ReplayServer,
) -> None:
    # Day 5: records of days 0..4 are in the library; 3003 (dated day -1, catalogued day 6)
    # and 3004 (day 8) are not yet.
    srv.set_clock(catalogued(5))
    with _source(srv) as src:
        first = src.new_in_library(catalogued(0).date())
    assert [r.record_id for r in first.records] == ["3002", "3001", "3000"]
    assert first.high_water is not None
    # Three days later, the next run starts from the library stamp it saw (day 5, the
    # fisheries record), less an overlap of a day: 3003 is found, though its document date is
    # long before that watermark; 3002 (day 4) comes again through the overlap.
    srv.set_clock(catalogued(8))
    since = first.high_water.date() - dt.timedelta(days=1)
    assert dt.date(2023, 10, 31) < since  # 3003's document date is before the window
    with _source(srv) as src:
        second = src.new_in_library(since)
    assert first.high_water.date() == catalogued(5).date()
    assert [r.record_id for r in second.records] == ["3004", "3003", "3002"]


@pytest.mark.parametrize("door", ["oai", "api", "search"])
def test_each_door_serves_a_document_date_window(srv: ReplayServer, door: str) -> None:
    # Documents are dated Oct 25, 27, 29, 31 and Nov 2: 3001..3003 fall in Oct 27..Nov 1.
    since, until = dt.date(2023, 10, 27), dt.date(2023, 11, 1)
    with _source(srv, discovery=door, undl_api_token=TOKEN) as src:
        found = [r.record_id for r in src.search(since=since, until=until)]
        assert src.last_harvest is not None and src.last_harvest.door == door
    assert found == ["3003", "3002", "3001"]


def test_auto_order_for_document_dates_prefers_server_side_filters(srv: ReplayServer) -> None:
    with _source(srv, undl_api_token=TOKEN) as src:
        assert [str(d) for d in src.doors(Clock.DOCUMENT)] == ["api", "search", "oai"]
        assert [str(d) for d in src.doors(Clock.LIBRARY)] == ["oai", "api", "search"]


def test_lookups_take_the_api_when_a_token_is_set(srv: ReplayServer) -> None:
    with _source(srv, undl_api_token=TOKEN) as src:
        assert [r.symbol for r in src.lookup(["A/78/502"])] == ["A/78/502"]
    assert srv.hits("/search") == [] and len(srv.hits("/api/v1/search")) == 1
    with _source(srv) as src:
        assert [r.symbol for r in src.lookup(["A/78/502"])] == ["A/78/502"]
    assert len(srv.hits("/search")) == 1


def test_auto_does_not_harvest_the_whole_library_for_a_backfill_month(srv: ReplayServer) -> None:
    srv.challenge(search=True, files=False)
    with _source(srv) as src, pytest.raises(BlockedError) as info:
        list(src.search(since=dt.date(2023, 10, 1), until=dt.date(2023, 10, 31)))
    assert "oai: not tried for a document-date window" in str(info.value)
    assert srv.hits("/oai2d") == []
    with _source(srv) as src:  # the first run's unbounded window may take it
        assert len(list(src.search(since=None, until=None))) == 5
        assert src.last_harvest is not None and src.last_harvest.door == "oai"
