"""The OAI-PMH door against the stand-in: datestamp windows, resumption tokens, 503 with
Retry-After, OAI errors, deleted records, and the project's transport (robots.txt, pacing)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from sources.errors import BadResponse, BlockedError, Door, RobotsDisallowed
from sources.oai import OaiDoor, parse_datestamp, windows
from sources.undl import DigitalLibrary
from tests.replay_server import Fault, ReplayServer
from tests.sources.doors import catalogued, door_archive

D = dt.date


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[ReplayServer]:
    with ReplayServer(door_archive(tmp_path / "lib"), oai_page_size=2) as server:
        yield server


def test_harvest_follows_resumption_tokens_on_the_library_clock(
    lib: DigitalLibrary, srv: ReplayServer
) -> None:
    door = OaiDoor(lib)
    found = list(door.stamped(catalogued(2).date(), catalogued(6).date()))
    # Days 2..6: three relevant records, the Security Council one (day 3) and fisheries (day 5);
    # OAI-PMH has no subject filter, so everything stamped in the window comes.
    assert [i.record.record_id for i in found] == ["3001", "3900", "3002", "3901", "3003"]
    assert all(i.stamp is not None and i.stamp.tzinfo is not None for i in found)
    assert found[0].stamp == catalogued(2).replace(tzinfo=dt.UTC)
    hits = srv.hits("/oai2d")
    assert len(hits) == 3 == door.requests  # 5 records, 2 a page
    assert hits[0].query == {"verb": "ListRecords", "metadataPrefix": "marcxml",
                             "from": "2023-11-03", "until": "2023-11-07"}
    # Later pages carry only the token, as the protocol requires.
    assert all(set(h.query) == {"verb", "resumptionToken"} for h in hits[1:])
    assert all(h.headers["user-agent"].startswith("unmig/") for h in hits)


def test_a_503_with_retry_after_is_waited_out(lib: DigitalLibrary, srv: ReplayServer) -> None:
    srv.fail("/oai2d", Fault.BUSY, times=1, retry_after=1)
    found = list(OaiDoor(lib).stamped(catalogued(0).date(), None))
    assert len(found) == 7
    first, second = srv.hits("/oai2d")[:2]
    assert (first.status, second.status) == (503, 200)
    assert second.at - first.at >= 0.95  # Retry-After: 1, honoured by the transport's retry


def test_empty_window_is_no_records_not_an_error(lib: DigitalLibrary) -> None:
    assert list(OaiDoor(lib).stamped(D(2030, 1, 1), D(2030, 1, 31))) == []


def test_deleted_records_are_skipped(lib: DigitalLibrary, srv: ReplayServer) -> None:
    srv.delete("3004", at=catalogued(9))
    ids = [i.record.record_id for i in OaiDoor(lib).stamped(catalogued(7).date(), None)]
    assert ids == []  # 3004 (day 8) was deleted on day 9: a header, no record


def test_oai_error_is_a_bad_response(lib: DigitalLibrary, srv: ReplayServer,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sources.oai.METADATA_PREFIX", "marc21")
    with pytest.raises(BadResponse, match="CannotDisseminateFormat"):
        list(OaiDoor(lib).stamped(None, None))


@pytest.mark.parametrize("page", [False, True], ids=["202-waf-header", "200-challenge-page"])
def test_a_challenge_shuts_the_oai_door(lib: DigitalLibrary, srv: ReplayServer,
                                        page: bool) -> None:
    srv.fail("/oai2d", Fault.CHALLENGE_PAGE if page else Fault.CHALLENGE)
    with pytest.raises(BlockedError) as info:
        list(OaiDoor(lib).stamped(None, None))
    assert info.value.door is Door.OAI
    assert len(srv.hits("/oai2d")) == 1  # a challenge is not retried
    assert "oai" in lib.blocked_doors()


def test_robots_txt_applies_to_oai(lib: DigitalLibrary, srv: ReplayServer) -> None:
    srv.set_robots("User-agent: *\nDisallow: /oai2d\n")
    with pytest.raises(RobotsDisallowed) as info:
        list(OaiDoor(lib).stamped(None, None))
    assert info.value.door is Door.OAI and srv.hits("/oai2d") == []


def test_crawl_delay_spaces_the_harvest(srv: ReplayServer) -> None:
    srv.set_robots("User-agent: *\nCrawl-delay: 0.3\n")
    with DigitalLibrary(srv.settings()) as lib:
        assert len(list(OaiDoor(lib).stamped(None, None))) == 7
    hits = srv.hits("/oai2d")
    assert len(hits) == 4
    gaps = [b.at - a.at for a, b in zip(hits, hits[1:], strict=False)]
    assert min(gaps) >= 0.29


def test_windows_cut_long_ranges_and_keep_open_ends() -> None:
    assert windows(D(2024, 1, 1), D(2024, 3, 5), days=31) == [
        (D(2024, 1, 1), D(2024, 1, 31)), (D(2024, 2, 1), D(2024, 3, 2)),
        (D(2024, 3, 3), D(2024, 3, 5)),
    ]
    assert windows(D(2024, 1, 1), None) == [(D(2024, 1, 1), None)]


def test_datestamps_are_utc() -> None:
    assert parse_datestamp("2026-11-20T10:00:00Z") == dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
    assert parse_datestamp("2026-11-20") == dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    assert parse_datestamp("yesterday") is None
