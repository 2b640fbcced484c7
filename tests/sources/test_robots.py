"""robots.txt: Disallow refuses before any request, Crawl-delay spaces every request to the host
(retries and the robots.txt request included), and the operator's overrides."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from config import load_settings
from config.settings import ConfigError
from sources.errors import BlockedError, Door, RobotsDisallowed
from sources.http import RobotsPolicy, origin_of
from sources.undl import DigitalLibrary
from tests.archive_builder import ArchiveRecord, build_archive, fake_pdf
from tests.replay_server import LIBRARY_ROBOTS, Fault, Logged, ReplayServer

MIGRANTS = ("MIGRANTS",)
FILE = "/record/4001/files/A_79_20-EN.pdf"


@pytest.fixture
def robots_archive(tmp_path: Path) -> Path:
    records = [
        ArchiveRecord(str(4000 + i), f"A/79/{20 + i}", date=dt.date(2024, 5, 1 + i),
                      subjects=MIGRANTS, files={"en": fake_pdf(f"A/79/{20 + i} library")},
                      ods_files={"en": fake_pdf(f"A/79/{20 + i} ods")})
        for i in range(1, 4)
    ]
    return build_archive(tmp_path / "robots", records)


@pytest.fixture
def srv(robots_archive: Path) -> Iterator[ReplayServer]:
    with ReplayServer(robots_archive) as server:
        yield server


def _gaps(log: list[Logged]) -> list[float]:
    times = sorted(e.at for e in log)
    return [b - a for a, b in itertools.pairwise(times)]


def test_crawl_delay_spaces_every_request_to_the_host(srv: ReplayServer) -> None:
    srv.set_robots("User-agent: *\nCrawl-delay: 0.5\n")
    srv.fail("/record/4002/files/*", Fault.ERROR_503, times=1)  # a retry, beneath the adapter
    with DigitalLibrary(srv.settings()) as lib:  # rate limit 1000/s: only robots.txt slows it
        records = list(lib.search(since=None, until=None))
        for rec in records:
            lib.fetch(rec, "en")
    paths = [e.path for e in srv.log]
    assert paths[0] == "/robots.txt" and paths.count("/robots.txt") == 1
    assert len(srv.log) == 1 + 1 + 3 + 1  # robots, one search page, three files, one retry
    assert [e.status for e in srv.hits("/record/4002/*")] == [503, 200]
    gaps = _gaps(srv.log)
    assert min(gaps) >= 0.5, gaps


def test_without_crawl_delay_the_rate_limit_alone_applies(srv: ReplayServer) -> None:
    with DigitalLibrary(srv.settings()) as lib:
        for rec in list(lib.search(since=None, until=None)):
            lib.fetch(rec, "en")
    assert max(_gaps(srv.log)) < 0.3


def test_disallowed_search_is_refused_before_any_request(srv: ReplayServer) -> None:
    srv.set_robots(LIBRARY_ROBOTS.replace("Crawl-delay: 5", "Crawl-delay: 0.01"))
    with DigitalLibrary(srv.settings()) as lib, pytest.raises(RobotsDisallowed) as info:
        list(lib.search(since=None, until=None))
    exc = info.value
    assert isinstance(exc, BlockedError) and exc.door is Door.SEARCH
    assert "disallowed by" in exc.reason and "/robots.txt" in exc.reason
    assert [e.path for e in srv.log] == ["/robots.txt"]


def test_disallowed_files_come_from_the_ods(srv: ReplayServer) -> None:
    with DigitalLibrary(srv.settings()) as lib:
        (rec,) = lib.lookup(["A/79/21"])
    srv.set_robots("User-agent: *\nDisallow: /record/\n")
    with DigitalLibrary(srv.settings()) as lib:  # a new run reads robots.txt again
        dl = lib.fetch(rec, "en")
    assert dl.content == fake_pdf("A/79/21 ods")
    assert srv.hits("/record/*") == []  # only via the ODS's redirect to /ods/


def test_rules_for_our_agent_win_over_the_star(srv: ReplayServer) -> None:
    srv.set_robots("User-agent: *\nDisallow: /\n\nUser-agent: unmig\nAllow: /\n")
    with DigitalLibrary(srv.settings()) as lib:
        assert len(list(lib.search(since=None, until=None))) == 3


def test_no_robots_txt_allows_everything(srv: ReplayServer) -> None:
    srv.set_robots(None)
    with DigitalLibrary(srv.settings()) as lib:
        assert len(list(lib.search(since=None, until=None))) == 3
    assert [e.status for e in srv.hits("/robots.txt")] == [404]


def test_unreachable_robots_txt_disallows_until_asked_again(srv: ReplayServer) -> None:
    srv.fail("/robots.txt", Fault.ERROR_503)
    with DigitalLibrary(srv.settings(retries=1)) as lib:
        with pytest.raises(RobotsDisallowed, match="unreachable.*assuming everything"):
            list(lib.search(since=None, until=None))
        assert srv.hits("/search") == []
        assert len(srv.hits("/robots.txt")) == 2  # the session's retry policy applies


def test_operator_may_ignore_robots(srv: ReplayServer) -> None:
    srv.set_robots(LIBRARY_ROBOTS)
    with DigitalLibrary(srv.settings(ignore_robots=True)) as lib:
        assert len(list(lib.search(since=None, until=None))) == 3
    assert srv.hits("/robots.txt") == []


def test_operator_crawl_delay_replaces_the_robots_one(srv: ReplayServer) -> None:
    srv.set_robots("User-agent: *\nCrawl-delay: 30\n")
    with DigitalLibrary(srv.settings(crawl_delay=0.2)) as lib:
        (rec,) = lib.lookup(["A/79/21"])
        lib.fetch(rec, "en")
    gaps = _gaps(srv.log)
    assert len(gaps) == 2 and all(0.2 <= g < 5 for g in gaps)


def test_policy_overrides_in_words_and_settings_checked() -> None:
    policy = RobotsPolicy.from_settings(load_settings(ignore_robots=True, crawl_delay=2))
    assert policy.overrides() == ["robots.txt ignored (UNMIG_IGNORE_ROBOTS)",
                                  "crawl delay set to 2 s (UNMIG_CRAWL_DELAY)"]
    assert RobotsPolicy("unmig").overrides() == []
    with pytest.raises(ConfigError, match="UNMIG_CRAWL_DELAY"):
        load_settings(crawl_delay=-1)


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://digitallibrary.un.org/search?p=x", "https://digitallibrary.un.org"),
        ("HTTPS://Documents.UN.org:443/api", "https://documents.un.org"),
        ("http://127.0.0.1:8080/robots.txt", "http://127.0.0.1:8080"),
    ],
)
def test_origin_of(url: str, origin: str) -> None:
    assert origin_of(url) == origin
