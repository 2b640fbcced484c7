"""The token API door against the stand-in: search_id paging, the token (in a header only), a
refused token, the 429 JSON error with Retry-After, and the API's own request budget."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from sources.api import ApiDoor, parse_api_response
from sources.errors import BadResponse, BlockedError, Door
from sources.http import RateLimiter
from sources.query import CREATED_FIELD, window_clause
from sources.undl import DigitalLibrary
from tests.replay_server import Fault, ReplayServer
from tests.sources.doors import catalogued, door_archive

TOKEN = "s3cret-token-value"


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[ReplayServer]:
    with ReplayServer(door_archive(tmp_path / "lib"), api_page_size=2,
                      api_token=TOKEN) as server:
        yield server


def _fast(lib: DigitalLibrary, token: str = TOKEN) -> ApiDoor:
    return ApiDoor(lib, token, pacer=RateLimiter(1000))


def test_pages_through_search_id_until_the_total(lib: DigitalLibrary, srv: ReplayServer) -> None:
    door = _fast(lib)
    p = window_clause(catalogued(2).date(), catalogued(6).date(), field=CREATED_FIELD)
    found = [i.record.record_id for i in door.query(p)]
    assert sorted(found) == ["3001", "3002", "3003", "3900", "3901"]
    hits = srv.hits("/api/v1/search")
    assert len(hits) == 3 == door.requests
    assert hits[0].query["search_id"] == "" and hits[0].query["format"] == "xml"
    sid = hits[1].query["search_id"]
    assert sid and hits[2].query["search_id"] == sid
    # The token travels in the Authorization header, never in the URL.
    assert all(h.headers["authorization"] == f"Token {TOKEN}" for h in hits)
    assert all(TOKEN not in str(h.query) for h in hits)


def test_a_refused_token_shuts_the_api_door(lib: DigitalLibrary) -> None:
    with pytest.raises(BlockedError) as info:
        list(_fast(lib, "wrong").query("191__a:[A/78/500]"))
    assert info.value.door is Door.API and "401" in str(info.value)
    assert "wrong" not in str(info.value)


def test_429_with_retry_after_is_waited_out(lib: DigitalLibrary, srv: ReplayServer) -> None:
    srv.fail("/api/v1/search", Fault.API_LIMIT, times=1, retry_after=1)
    found = list(_fast(lib).lookup(["A/78/500"]))
    assert [r.symbol for r in found] == ["A/78/500"]
    first, second = srv.hits("/api/v1/search")
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 0.95


def test_requests_keep_to_the_api_budget(lib: DigitalLibrary, srv: ReplayServer) -> None:
    # 100 requests per 5 minutes is one every 3 s; a budget of 4 a second shows the spacing.
    door = ApiDoor(lib, TOKEN, pacer=RateLimiter(4))
    assert len(list(door.query(""))) == 7
    hits = srv.hits("/api/v1/search")
    assert len(hits) == 4
    assert min(b.at - a.at for a, b in zip(hits, hits[1:], strict=False)) >= 0.24


def test_answer_shape() -> None:
    body = (b'<?xml version="1.0"?><response><total>1</total><search_id>abc</search_id>'
            b'<collection xmlns="http://www.loc.gov/MARC21/slim"><record>'
            b'<controlfield tag="001">42</controlfield>'
            b'<controlfield tag="005">20231101090000.0</controlfield></record>'
            b"</collection></response>")
    page = parse_api_response(body)
    assert (page.total, page.search_id, [r.record_id for r in page.records]) == (1, "abc", ["42"])
    with pytest.raises(BadResponse):
        parse_api_response(b'{"error": "Max 100 requests per 5 minutes"}')
    with pytest.raises(BadResponse):
        parse_api_response(b"<html><body>hello</body></html>")


def test_no_token_is_refused_before_any_request(lib: DigitalLibrary) -> None:
    with pytest.raises(ValueError, match="UNMIG_UNDL_API_TOKEN"):
        ApiDoor(lib, "")


def test_record_stamp_is_its_005(lib: DigitalLibrary) -> None:
    (item,) = list(_fast(lib).query("191__a:[A/78/500]"))
    assert item.stamp == dt.datetime(2023, 11, 1, 9, tzinfo=dt.UTC)


def test_the_token_is_never_logged(lib: DigitalLibrary, srv: ReplayServer,
                                   caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    srv.fail("/api/v1/search", Fault.API_LIMIT, times=1, retry_after=0)
    list(_fast(lib).query("191__a:[A/78/500]"))
    with pytest.raises(BlockedError) as info:
        list(_fast(lib, TOKEN + "-old").query("191__a:[A/78/500]"))
    assert "urllib3" in caplog.text  # the transport's debug lines were captured
    assert TOKEN not in caplog.text and TOKEN not in str(info.value)
