"""Shut doors: the library's bot challenge and 403s on the search and the files, the ODS as the
way round for files, and what a shut door means for a document (pending, never failed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from sources.errors import (
    BadContent,
    BadResponse,
    BlockedError,
    Door,
    HttpError,
    NoFileYet,
)
from sources.undl import DigitalLibrary
from tests.archive_builder import ArchiveRecord, build_archive, fake_pdf
from tests.replay_server import Fault, ReplayServer

MIGRANTS = ("MIGRANTS",)
BOTH = "/record/2001/files/A_79_10-EN.pdf"  # linked, and the ODS has its own copy
LINK_ONLY = "/record/2002/files/A_79_11-EN.pdf"  # linked, the ODS has nothing
ODS_BOTH = "/ods/A_79_10-EN.pdf"


def _records() -> list[ArchiveRecord]:
    return [
        ArchiveRecord("2001", "A/79/10", date=dt.date(2024, 3, 1), subjects=MIGRANTS,
                      files={"en": fake_pdf("A/79/10 library")},
                      ods_files={"en": fake_pdf("A/79/10 ods")}),
        ArchiveRecord("2002", "A/79/11", date=dt.date(2024, 3, 2), subjects=MIGRANTS,
                      files={"en": fake_pdf("A/79/11 library")}),
        ArchiveRecord("2003", "A/79/12", date=dt.date(2024, 3, 3), subjects=MIGRANTS,
                      files={"en": fake_pdf("A/79/12 library")},
                      ods_files={"en": fake_pdf("A/79/12 ods")}),
    ]


@pytest.fixture
def door_archive(tmp_path: Path) -> Path:
    return build_archive(tmp_path / "doors", _records())


@pytest.fixture
def srv(door_archive: Path) -> Iterator[ReplayServer]:
    with ReplayServer(door_archive) as server:
        yield server


def _record(lib: DigitalLibrary, symbol: str):  # noqa: ANN202 - CatalogRecord
    (found,) = lib.lookup([symbol])
    return found


# -- the search door --------------------------------------------------------------------------


@pytest.mark.parametrize("page", [False, True], ids=["202-waf-header", "200-challenge-page"])
def test_challenged_search_is_blocked_not_bad(lib: DigitalLibrary, srv: ReplayServer,
                                              page: bool) -> None:
    srv.challenge(search=True, files=False, page=page)
    with pytest.raises(BlockedError) as info:
        list(lib.search(since=None, until=None))
    exc = info.value
    assert exc.door is Door.SEARCH and "search door shut" in str(exc)
    assert ("x-amzn-waf-action: challenge" in exc.why) != page
    assert "\n" not in str(exc)
    # A challenge is not retried: hammering a firewall only makes it surer.
    assert len(srv.hits("/search")) == 1
    assert lib.blocked_doors() == {"search": exc.why}


def test_forbidden_search_is_blocked(lib: DigitalLibrary, srv: ReplayServer) -> None:
    srv.fail("/search", Fault.FORBIDDEN)
    with pytest.raises(BlockedError, match="search door shut: HTTP 403"):
        list(lib.search(since=None, until=None))


def test_an_ordinary_html_page_is_still_a_bad_response(lib: DigitalLibrary,
                                                       srv: ReplayServer) -> None:
    srv.fail("/search", Fault.HTML)
    with pytest.raises(BadResponse) as info:
        list(lib.search(since=None, until=None))
    assert not isinstance(info.value, BlockedError)


# -- the files door, and the ODS as the way round ------------------------------------------


@pytest.mark.parametrize("fault", [Fault.CHALLENGE, Fault.CHALLENGE_PAGE, Fault.FORBIDDEN,
                                   Fault.HTML])
def test_refused_library_file_comes_from_the_ods(lib: DigitalLibrary, srv: ReplayServer,
                                                 fault: Fault) -> None:
    rec = _record(lib, "A/79/10")
    srv.fail("/record/*", fault)
    dl = lib.fetch(rec, "en")
    assert dl.content == fake_pdf("A/79/10 ods") and dl.url == srv.url + ODS_BOTH
    assert len(srv.hits(BOTH)) == 1  # asked once, not retried
    (ods,) = srv.hits("/api/symbol/access")
    assert ods.status == 302


def test_a_challenge_shuts_the_files_door_for_the_run(lib: DigitalLibrary,
                                                      srv: ReplayServer) -> None:
    first, second = _record(lib, "A/79/10"), _record(lib, "A/79/12")
    srv.challenge(search=False, files=True)
    assert lib.fetch(first, "en").content == fake_pdf("A/79/10 ods")
    assert lib.fetch(second, "en").content == fake_pdf("A/79/12 ods")
    # The second document went straight to the ODS: one knock on the shut door, not two.
    assert len(srv.hits("/record/*")) == 1
    assert set(lib.blocked_doors()) == {"files"}


def test_a_403_does_not_shut_the_door_for_other_files(lib: DigitalLibrary,
                                                      srv: ReplayServer) -> None:
    first, second = _record(lib, "A/79/10"), _record(lib, "A/79/12")
    srv.fail(BOTH, Fault.FORBIDDEN)
    assert lib.fetch(first, "en").content == fake_pdf("A/79/10 ods")
    assert lib.fetch(second, "en").content == fake_pdf("A/79/12 library")
    assert lib.blocked_doors() == {}


def test_challenged_file_with_nothing_at_the_ods_is_blocked_so_pending(
    lib: DigitalLibrary, srv: ReplayServer
) -> None:
    rec = _record(lib, "A/79/11")
    srv.challenge(search=False, files=True)
    with pytest.raises(BlockedError) as info:
        lib.fetch(rec, "en")
    exc = info.value
    assert exc.door is Door.FILES and exc.url == srv.url + LINK_ONLY
    assert "the ODS has none either" in exc.reason
    # What the flow records as pending (tried again on later runs), never as failed for good.
    assert isinstance(exc, NoFileYet)
    # Both ODS address forms were tried before giving up.
    assert [h.query["l"] for h in srv.hits("/api/symbol/access")] == ["en", "E"]


def test_ods_pointing_back_at_the_refused_file_is_not_asked_again(
    lib: DigitalLibrary, srv: ReplayServer
) -> None:
    # The stand-in's ODS redirects to the library's link when it has no copy of its own.
    srv.fail(LINK_ONLY, Fault.HTML)
    with pytest.raises(BadContent, match="not a PDF.*the ODS has none either.*already failed"):
        lib.fetch(_record(lib, "A/79/11"), "en")
    assert len(srv.hits(LINK_ONLY)) == 1


def test_challenged_ods_is_blocked_naming_the_ods(lib: DigitalLibrary,
                                                  srv: ReplayServer) -> None:
    rec = _record(lib, "A/79/11")
    srv.challenge(search=False, files=True)
    srv.fail("/api/symbol/access", Fault.CHALLENGE)
    with pytest.raises(BlockedError) as info:
        lib.fetch(rec, "en")
    assert info.value.door is Door.ODS
    assert len(srv.hits("/api/symbol/access")) == 1  # the second form is not tried at a shut door


def test_gone_and_server_errors_are_not_doors(lib: DigitalLibrary, srv: ReplayServer) -> None:
    rec = _record(lib, "A/79/11")
    srv.fail("/record/*", Fault.ERROR_500)
    with pytest.raises(HttpError) as info:
        lib.fetch(rec, "en")
    assert info.value.status == 500 and not isinstance(info.value, NoFileYet)


# -- the ODS address forms ----------------------------------------------------------------


@pytest.mark.parametrize(("style", "served_by"), [("plain", 0), ("encoded", 1)])
def test_the_ods_is_asked_in_both_address_forms(door_archive: Path, style: str,
                                                served_by: int) -> None:
    records = [ArchiveRecord("3001", "A/79/L.7", date=dt.date(2024, 4, 1), subjects=MIGRANTS,
                             ods_files={"fr": fake_pdf("A/79/L.7 fr")})]
    archive = build_archive(door_archive.parent / style, records)
    with ReplayServer(archive, ods_style=style) as server, \
            DigitalLibrary(server.settings()) as client:
        dl = client.fetch(_record(client, "A/79/L.7"), "fr")
        assert dl.content == fake_pdf("A/79/L.7 fr")
        asked = server.hits("/api/symbol/access")
        assert len(asked) == served_by + 1 and asked[-1].status == 302
        assert [(h.query["s"], h.query["l"]) for h in asked] == [
            ("A/79/L.7", "fr"), ("A/79/L.7", "F")][: served_by + 1]


# -- what the flow makes of a shut door ----------------------------------------------------


def test_a_shut_door_leaves_the_document_pending_not_failed(
    srv: ReplayServer, tmp_path: Path
) -> None:
    from flows.document import Status, ingest_document
    from flows.pipeline import open_pipeline
    from storage import runs
    from storage.db import upgrade_database

    url = f"sqlite:///{tmp_path / 'doors.sqlite'}"
    upgrade_database(url)
    pipe = open_pipeline(srv.settings(database_url=url, file_store=str(tmp_path / "files"),
                                      parse_workers=0))
    try:
        (rec,) = pipe.source.lookup(["A/79/11"])
        srv.challenge(search=False, files=True)
        outcome = ingest_document(pipe, rec, "en", run_id=None)
        assert outcome.status is Status.PENDING
        assert "files door shut" in outcome.detail
        (failure,) = runs.open_failures(pipe.engine)
        assert (failure.symbol, failure.stage) == ("A/79/11", "download")
    finally:
        pipe.close()
