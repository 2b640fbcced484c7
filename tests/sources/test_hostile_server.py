"""A hostile or broken server cannot hang discovery or a download, nor make records vanish
quietly (issue 13, items 1, 2, 6, 7, 8), against the stand-in's hostile modes.

Each case runs in a thread bounded by a join timeout, so a regression fails here instead of
hanging the suite. With UNMIG_HOSTILE_FIGURES=path the measured figures (requests, seconds,
peak memory of the search, records kept, notes) are written there as JSON for
docs/reliability.md.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sources.errors import ForbiddenHost, ForbiddenRedirect, ResponseTooSlow
from sources.records import CatalogRecord, FileLink
from sources.undl import DigitalLibrary
from tests.replay_server import Fault, Paging, ReplayServer

EN_200 = "/record/1001/files/A_78_200-EN.pdf"
LIMIT = 20.0  # seconds a case may take before it counts as hung
_FIGURES: list[dict[str, Any]] = []


@pytest.fixture(scope="module", autouse=True)
def _write_figures() -> Iterator[None]:
    yield
    path = os.environ.get("UNMIG_HOSTILE_FIGURES")
    if path and _FIGURES:
        Path(path).write_text(json.dumps(_FIGURES, indent=2), encoding="utf-8")


def _bounded(fn: Callable[[], Any]) -> tuple[Any, float, int]:
    """Run `fn` in a thread; (its result or exception, seconds, peak bytes allocated).
    Fails the test if it has not ended within LIMIT seconds."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = fn()
        except Exception as exc:  # noqa: BLE001 - handed to the test
            out["value"] = exc

    tracemalloc.start()
    t0 = time.monotonic()
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(LIMIT)
    seconds = time.monotonic() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert not worker.is_alive(), f"still running after {LIMIT:g} s"
    return out["value"], seconds, peak


def _figure(case: str, server: ReplayServer, seconds: float, peak: int, kept: int,
            recorded: str) -> None:
    _FIGURES.append({"case": case, "requests": len(server.log), "seconds": round(seconds, 2),
                     "peak_mb": round(peak / 2**20, 1), "kept": kept, "recorded": recorded})


def _search(lib: DigitalLibrary) -> Callable[[], list[CatalogRecord]]:
    return lambda: list(lib.search(since=None, until=None))


# -- 1. paging without end --------------------------------------------------------------------


@pytest.mark.parametrize("mode", [Paging.ALTERNATE, Paging.GROWING_TOTAL, Paging.INVENTING])
def test_paging_without_end_stops_and_keeps_what_was_found(
    server: ReplayServer, mode: Paging
) -> None:
    server.hostile_search(mode)
    lib = DigitalLibrary(server.settings(page_size=10, discovery_max_records=200))
    found, seconds, peak = _bounded(_search(lib))
    assert isinstance(found, list), found
    ids = [r.record_id for r in found]
    assert len(ids) == len(set(ids)) and ids  # what was found is kept, each record once
    notes = lib.discovery_notes()
    assert any(n.incomplete and "paging stopped" in n.message for n in notes), notes
    # A few pages past the evidence, never thousands of requests.
    assert len(server.hits("/search")) <= 200 // 10 + 5
    _figure(f"paging: {mode}", server, seconds, peak, len(ids),
            next(n.message for n in notes if n.incomplete))


def test_paging_budget_in_seconds(server: ReplayServer) -> None:
    server.hostile_search(Paging.INVENTING)
    # Five requests a second: pages come slowly, each well inside the budget.
    lib = DigitalLibrary(server.settings(page_size=10, discovery_max_records=10**6,
                                         discovery_seconds=1.0, rate_limit=5.0))
    found, seconds, peak = _bounded(_search(lib))
    assert isinstance(found, list) and found
    notes = lib.discovery_notes()
    assert [n.incomplete for n in notes] == [True]
    assert "budget is spent (UNMIG_DISCOVERY_SECONDS=1)" in notes[0].message
    assert seconds < 1.0 + 1.0  # the budget and at most one more page
    _figure("paging: new records for ever, time budget 1 s", server, seconds, peak, len(found),
            notes[0].message)


# -- 2. a deadline on the whole response ------------------------------------------------------


def test_search_page_dripping_is_cut_and_retried(server: ReplayServer) -> None:
    server.fail("/search", Fault.DRIP, hang=0.05)
    lib = DigitalLibrary(server.settings(response_seconds=0.5, retries=2))
    exc, seconds, peak = _bounded(_search(lib))
    assert isinstance(exc, ResponseTooSlow), exc
    assert "UNMIG_RESPONSE_SECONDS" in str(exc)
    assert len(server.hits("/search")) == 3  # tried again like a dropped connection
    _figure("search page at 20 bytes/s, deadline 0.5 s", server, seconds, peak, 0,
            f"ResponseTooSlow after {len(server.hits('/search'))} attempts")


def test_headers_dripping_are_cut_too(server: ReplayServer) -> None:
    server.fail("/search", Fault.DRIP_HEADERS, hang=0.05)
    lib = DigitalLibrary(server.settings(response_seconds=0.5, retries=1))
    exc, seconds, peak = _bounded(_search(lib))
    assert isinstance(exc, ResponseTooSlow), exc
    assert "UNMIG_RESPONSE_SECONDS" in str(exc)
    assert len(server.hits("/search")) == 2  # urllib3 tried again, under a fresh deadline
    assert seconds < 2 * 0.5 + 2.0
    _figure("status line and headers at 20 bytes/s, deadline 0.5 s", server, seconds, peak, 0,
            f"ResponseTooSlow after {len(server.hits('/search'))} attempts")


def test_file_dripping_is_cut_then_fetched_again(server: ReplayServer) -> None:
    lib = DigitalLibrary(server.settings(response_seconds=0.5, retries=2))
    rec = next(iter(lib.lookup(["A/78/200"])))
    server.fail(EN_200, Fault.DRIP, hang=0.05, times=1)
    server.reset_log()
    dl, seconds, peak = _bounded(lambda: lib.fetch(rec, "en"))
    assert not isinstance(dl, Exception), dl
    assert dl.content.startswith(b"%PDF")
    assert len(server.hits(EN_200)) == 2
    _figure("file at 20 bytes/s once, deadline 0.5 s", server, seconds, peak, 1,
            "cut, fetched again, stored")


# -- 6. a lying total -------------------------------------------------------------------------


def test_total_lower_than_served_keeps_paging_while_pages_are_full(
    server: ReplayServer,
) -> None:
    server.hostile_search(Paging.LYING_TOTAL, records=300, total=10)
    lib = DigitalLibrary(server.settings(page_size=100))
    found, seconds, peak = _bounded(_search(lib))
    assert len(found) == 300
    notes = lib.discovery_notes()
    assert [n.message for n in notes] == [
        "search: the server served 300 records but reported 10"
    ]
    _figure("total 10 over 300 records", server, seconds, peak, len(found), notes[0].message)


def test_total_with_an_empty_first_page_is_never_completed(server: ReplayServer) -> None:
    server.hostile_search(Paging.LYING_TOTAL, records=0, total=1000)
    lib = DigitalLibrary(server.settings(page_size=100))
    found, seconds, peak = _bounded(_search(lib))
    assert found == []
    notes = lib.discovery_notes()
    assert [(n.message, n.incomplete) for n in notes] == [
        ("search: the server reported 1000 records but served 0", True)
    ]
    _figure("total 1000, empty first page", server, seconds, peak, 0, notes[0].message)


# -- 7. impossible dates ----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["2024-02-30", "0000-00-00", "yesterday"])
def test_record_with_an_impossible_date_is_noted(
    server: ReplayServer, client: DigitalLibrary, text: str
) -> None:
    server.set_date("1001", text)
    found = list(client.search(since=dt.date(2023, 1, 1), until=dt.date(2023, 12, 31)))
    assert "1001" not in {r.record_id for r in found}
    assert [n.message for n in client.discovery_notes()] == [
        f"record 1001 (A/78/200) not loaded: unreadable 269 date {text!r}"
    ]


# -- 8. scheme, host and port on every hop ----------------------------------------------------


@pytest.fixture
def other_port(archive: Path) -> Iterator[ReplayServer]:
    """A second server on 127.0.0.1, another port: an allowed host, a port nobody allowed."""
    with ReplayServer(archive) as srv:
        yield srv


def test_redirect_to_another_port_of_an_allowed_host_is_refused(
    server: ReplayServer, client: DigitalLibrary, other_port: ReplayServer
) -> None:
    rec = next(iter(client.lookup(["A/78/200"])))
    server.fail(EN_200, Fault.REDIRECT, location=other_port.url + EN_200)
    with pytest.raises(ForbiddenRedirect, match=f"port {other_port.port}"):
        client.download(server.url + EN_200)
    assert other_port.log == []
    assert rec.symbol == "A/78/200"


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://127.0.0.1/x-EN.pdf"])
def test_redirect_to_another_scheme_is_refused(
    server: ReplayServer, client: DigitalLibrary, location: str
) -> None:
    server.fail(EN_200, Fault.REDIRECT, location=location)
    with pytest.raises(ForbiddenRedirect, match="scheme"):
        client.download(server.url + EN_200)


@pytest.mark.parametrize("url", ["file:///etc/passwd-EN.pdf", "http://127.0.0.1:5432/x-EN.pdf",
                                 "http://127.0.0.1:22/x-EN.pdf"])
def test_link_to_another_scheme_or_port_is_refused_before_any_request(
    server: ReplayServer, client: DigitalLibrary, url: str
) -> None:
    rec = CatalogRecord(record_id="1", symbols=(), files=(FileLink(url=url, language="en"),))
    with pytest.raises(ForbiddenHost, match="not allowed"):
        client.fetch(rec, "en")
    assert server.log == []


# -- soak: every hostile mode at the default limits --------------------------------------------


@pytest.mark.soak
@pytest.mark.parametrize(("mode", "served", "total", "kept", "incomplete"), [
    (Paging.ALTERNATE, 0, None, 200, True),
    (Paging.GROWING_TOTAL, 0, None, 100, True),
    (Paging.INVENTING, 0, None, 20_000, True),
    (Paging.LYING_TOTAL, 300, 10, 300, False),
    (Paging.LYING_TOTAL, 0, 1000, 0, True),
])
def test_soak_hostile_paging_at_the_default_limits(
    server: ReplayServer, mode: Paging, served: int, total: int | None, kept: int,
    incomplete: bool,
) -> None:
    server.hostile_search(mode, records=served, total=total)
    lib = DigitalLibrary(server.settings())  # page of 100, 20,000 records, 3,600 s
    found, seconds, peak = _bounded(_search(lib))
    assert isinstance(found, list) and len(found) == kept
    assert any(n.incomplete for n in lib.discovery_notes()) is incomplete
    assert peak < 200 * 2**20
    _figure(f"soak, default limits: {mode} ({served} served, total {total})", server, seconds,
            peak, kept, lib.discovery_notes()[-1].message)
