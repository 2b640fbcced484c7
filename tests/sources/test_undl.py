"""DigitalLibrary against the local replay server: paging, downloads, and every fault."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from sources.errors import (
    BadContent,
    BadResponse,
    FetchError,
    ForbiddenHost,
    ForbiddenRedirect,
    HttpError,
    NoFileYet,
    TooLarge,
)
from sources.records import CatalogRecord, FileLink
from sources.undl import DigitalLibrary
from tests.archive_builder import build_archive, fake_pdf, migration_records
from tests.replay_server import FOREIGN_HOST, Fault, ReplayServer

EN_200 = "/record/1001/files/A_78_200-EN.pdf"
Y2023 = {"since": dt.date(2023, 1, 1), "until": dt.date(2023, 12, 31)}


def record(client: DigitalLibrary, symbol: str) -> CatalogRecord:
    (found,) = client.lookup([symbol])
    return found


# -- discovery -----------------------------------------------------------------------------


def test_search_pages_through_everything_and_checks_each_record(
    client: DigitalLibrary, server: ReplayServer
) -> None:
    client.settings.page_size = 2  # 7 records in the window-less search: 4 pages
    found = list(client.search(since=None, until=None))
    # Newest first; S/ and the disarmament record dropped by our own check.
    assert [r.symbol for r in found] == ["A/78/300", "A/78/L.5", "A/78/210", "A/78/200",
                                         "A/77/500"]
    pages = server.hits("/search")
    assert [h.query["jrec"] for h in pages] == ["1", "3", "5", "7"]
    assert all(h.query["rg"] == "2" and h.query["of"] == "xm" for h in pages)
    assert '650__a:"INTERNATIONAL MIGRATION"' in pages[0].query["p"]
    assert '991__c:"international migration and development"' in pages[0].query["p"]
    assert 'AND 981__a:"General Assembly"' in pages[0].query["p"]
    assert (pages[0].query["sf"], pages[0].query["so"]) == ("latest first", "d")


def test_search_window_in_query_and_rechecked(client: DigitalLibrary, server: ReplayServer) -> None:
    found = [r.symbol for r in client.search(**Y2023)]
    assert found == ["A/78/300", "A/78/L.5", "A/78/210", "A/78/200"]
    assert "269__a:2023-01-01->2023-12-31" in server.hits("/search")[0].query["p"]


def test_search_many_pages_and_a_server_capping_rg(tmp_path: Path) -> None:
    archive = build_archive(tmp_path / "big", migration_records(53), page_size=20)
    with ReplayServer(archive, max_page_size=10) as server:
        lib = DigitalLibrary(server.settings(page_size=25))
        found = list(lib.search(since=None, until=None))
        assert len(found) == 53 and len({r.record_id for r in found}) == 53
        assert [r.date for r in found] == sorted((r.date for r in found), reverse=True)
        # The server serves 10 per page whatever we ask; we advance by what came back.
        assert [h.query["jrec"] for h in server.hits("/search")] == [
            "1", "11", "21", "31", "41", "51"]


def test_search_survives_server_errors_on_pages(client: DigitalLibrary,
                                                server: ReplayServer) -> None:
    server.fail("/search", Fault.ERROR_503, times=2)
    server.fail("/search", Fault.TRUNCATE, times=1)
    assert len(list(client.search(**Y2023))) == 4


def test_search_html_instead_of_xml_is_bad_response(client: DigitalLibrary,
                                                    server: ReplayServer) -> None:
    server.fail("/search", Fault.HTML)
    with pytest.raises(BadResponse, match="not a MARCXML answer: root element <html>"):
        list(client.search(**Y2023))


def test_lookup_by_symbols_without_relevance_check(client: DigitalLibrary,
                                                   server: ReplayServer) -> None:
    found = {r.symbol for r in client.lookup(["A/78/200", "S/2023/100", "A/99/999", "A/78/200"])}
    assert found == {"A/78/200", "S/2023/100"}
    (hit,) = server.hits("/search")
    assert hit.query["p"] == "191__a:[A/78/200] OR 191__a:[S/2023/100] OR 191__a:[A/99/999]"


# -- downloads -----------------------------------------------------------------------------


def test_fetch_english_with_politeness_headers(client: DigitalLibrary,
                                               server: ReplayServer) -> None:
    rec = record(client, "A/78/200")
    dl = client.fetch(rec, "en")
    assert dl.content == fake_pdf("A/78/200 en", 3000)
    assert dl.url == server.url + EN_200
    assert len(dl.sha256) == 64 and dl.etag and dl.last_modified and not dl.not_modified
    (hit,) = server.hits(EN_200)
    assert hit.headers["user-agent"].startswith("unmig/")
    assert "tests@example.org" in hit.headers["user-agent"]


def test_other_language(client: DigitalLibrary) -> None:
    dl = client.fetch(record(client, "A/78/210"), "FR")
    assert dl.content == fake_pdf("A/78/210 fr")


def test_conditional_request_downloads_nothing_twice(client: DigitalLibrary,
                                                     server: ReplayServer) -> None:
    rec = record(client, "A/78/200")
    first = client.fetch(rec, "en")
    again = client.fetch(rec, "en", etag=first.etag, last_modified=first.last_modified)
    assert again.not_modified and again.content == b"" and again.sha256 == ""
    assert again.etag == first.etag
    by_date = client.fetch(rec, "en", last_modified=first.last_modified)
    assert by_date.not_modified
    assert [h.status for h in server.hits(EN_200)] == [200, 304, 304]
    assert sum(h.body_bytes for h in server.hits(EN_200)) == len(first.content)


def test_changed_file_is_downloaded_again(client: DigitalLibrary, server: ReplayServer,
                                          archive: Path) -> None:
    rec = record(client, "A/78/200")
    first = client.fetch(rec, "en")
    (archive / EN_200.lstrip("/")).write_bytes(fake_pdf("A/78/200 en, corrected"))
    second = client.fetch(rec, "en", etag=first.etag)
    assert not second.not_modified and second.sha256 != first.sha256


def test_ods_fallback_for_a_record_without_link(client: DigitalLibrary,
                                                server: ReplayServer) -> None:
    rec = record(client, "A/78/L.5")
    assert rec.files == ()
    dl = client.fetch(rec, "en")
    assert dl.content == fake_pdf("A/78/L.5 en")
    assert dl.url == server.url + "/ods/A_78_L.5-EN.pdf"
    (ods,) = server.hits("/api/symbol/access")
    assert ods.query == {"s": "A/78/L.5", "l": "en", "t": "pdf"} and ods.status == 302


def test_no_file_anywhere_is_no_file_yet(client: DigitalLibrary, server: ReplayServer) -> None:
    rec = record(client, "A/78/300")
    with pytest.raises(NoFileYet) as info:
        client.fetch(rec, "en")
    exc = info.value
    assert isinstance(exc, FetchError)
    assert exc.url == f"{server.url}/api/symbol/access?s=A/78/300&l=en&t=pdf"
    assert "ODS has none yet" in str(exc) and "\n" not in str(exc)


def test_broken_link_falls_back_to_ods_then_no_file_yet(client: DigitalLibrary,
                                                        server: ReplayServer) -> None:
    rec = record(client, "A/78/210")
    with pytest.raises(NoFileYet):
        client.fetch(rec, "es")
    assert [h.status for h in server.hits("/record/1002/files/*-ES.pdf")] == [404]
    # Both ODS address forms (literal slashes and "en", %2F and "S") before giving up.
    assert [h.status for h in server.hits("/api/symbol/access")] == [404, 404]


def test_ods_answering_a_page_is_no_file_yet(client: DigitalLibrary,
                                             server: ReplayServer) -> None:
    server.fail("/api/symbol/access", Fault.HTML)
    with pytest.raises(NoFileYet, match="not a PDF"):
        client.fetch(record(client, "A/78/L.5"), "en")


def test_ods_on_another_host_redirecting_to_the_source(server: ReplayServer) -> None:
    # Both configured hosts are allowed although neither is on the (UN-only) allow-list.
    settings = server.settings(ods_url=f"http://localhost:{server.port}",
                               allowed_hosts=["digitallibrary.un.org"])
    lib = DigitalLibrary(settings)
    rec = CatalogRecord(record_id="1001", symbols=("A/78/200",))
    dl = lib.fetch(rec, "en")
    assert dl.url == server.url + EN_200


# -- faults --------------------------------------------------------------------------------


def test_429_retry_after_is_honoured(client: DigitalLibrary, server: ReplayServer) -> None:
    rec = record(client, "A/78/200")
    server.fail(EN_200, Fault.TOO_MANY, times=1, retry_after=1)
    start = time.monotonic()
    assert client.fetch(rec, "en").content.startswith(b"%PDF")
    assert time.monotonic() - start >= 0.9
    assert [h.status for h in server.hits(EN_200)] == [429, 200]


def test_429_for_ever_is_http_error(client: DigitalLibrary, server: ReplayServer) -> None:
    rec = record(client, "A/78/200")
    server.fail(EN_200, Fault.TOO_MANY, retry_after=0)
    with pytest.raises(HttpError) as info:
        client.fetch(rec, "en")
    assert info.value.status == 429
    assert len(server.hits(EN_200)) == 1 + client.settings.retries


@pytest.mark.parametrize("fault", [Fault.ERROR_500, Fault.ERROR_503])
def test_5xx_retried_then_ok(client: DigitalLibrary, server: ReplayServer, fault: Fault) -> None:
    rec = record(client, "A/78/200")
    server.fail(EN_200, fault, times=2)
    assert client.fetch(rec, "en").content.startswith(b"%PDF")
    assert [h.status for h in server.hits(EN_200)] == [int(fault.value)] * 2 + [200]


def test_5xx_for_ever_is_http_error(client: DigitalLibrary, server: ReplayServer) -> None:
    rec = record(client, "A/78/200")
    server.fail(EN_200, Fault.ERROR_500)
    with pytest.raises(HttpError, match="HTTP 500") as info:
        client.fetch(rec, "en")
    assert info.value.status == 500


def test_connection_reset_retried_then_ok(client: DigitalLibrary, server: ReplayServer) -> None:
    rec = record(client, "A/78/200")
    server.fail(EN_200, Fault.RESET, times=2)
    assert client.fetch(rec, "en").content.startswith(b"%PDF")
    assert [h.status for h in server.hits(EN_200)] == [None, None, 200]


def test_connection_reset_for_ever_is_a_plain_fetch_error(client: DigitalLibrary,
                                                          server: ReplayServer) -> None:
    rec = record(client, "A/78/200")
    server.fail(EN_200, Fault.RESET)
    with pytest.raises(FetchError) as info:
        client.fetch(rec, "en")
    assert type(info.value) is FetchError  # transient: the flow tries again later
    assert "\n" not in str(info.value)


def test_hang_times_out_and_is_retried(server: ReplayServer) -> None:
    lib = DigitalLibrary(server.settings(timeout=0.4))
    rec = record(lib, "A/78/200")
    server.fail(EN_200, Fault.HANG, times=1)
    start = time.monotonic()
    assert lib.fetch(rec, "en").content.startswith(b"%PDF")
    assert 0.35 <= time.monotonic() - start < 2.5


def test_hang_for_ever_is_a_plain_fetch_error(server: ReplayServer) -> None:
    lib = DigitalLibrary(server.settings(timeout=0.3, retries=1))
    rec = record(lib, "A/78/200")
    server.fail(EN_200, Fault.HANG)
    start = time.monotonic()
    with pytest.raises(FetchError, match="(?i)timed? ?out") as info:
        lib.fetch(rec, "en")
    assert type(info.value) is FetchError
    assert time.monotonic() - start < 2.5


def test_truncated_body_is_fetched_again(client: DigitalLibrary, server: ReplayServer) -> None:
    rec = record(client, "A/78/200")
    server.fail(EN_200, Fault.TRUNCATE, times=1)
    dl = client.fetch(rec, "en")
    assert dl.content == fake_pdf("A/78/200 en", 3000)
    assert [h.fault for h in server.hits(EN_200)] == ["truncate", None]


def test_truncated_for_ever_is_never_taken_for_a_document(client: DigitalLibrary,
                                                          server: ReplayServer) -> None:
    rec = record(client, "A/78/200")
    server.fail(EN_200, Fault.TRUNCATE)
    with pytest.raises(FetchError, match="cut short") as info:
        client.fetch(rec, "en")
    assert type(info.value) is FetchError


def test_html_instead_of_pdf_is_bad_content(client: DigitalLibrary, server: ReplayServer) -> None:
    rec = record(client, "A/78/200")
    server.fail(EN_200, Fault.HTML)
    with pytest.raises(BadContent, match="not a PDF .*text/html"):
        client.fetch(rec, "en")


def test_redirect_to_a_foreign_host_is_refused(client: DigitalLibrary,
                                               server: ReplayServer) -> None:
    rec = record(client, "A/78/200")
    server.fail(EN_200, Fault.FOREIGN_REDIRECT)
    with pytest.raises(ForbiddenRedirect, match=FOREIGN_HOST) as info:
        client.fetch(rec, "en")
    assert info.value.url == server.url + EN_200


def test_link_to_a_foreign_host_is_refused_before_any_request(client: DigitalLibrary) -> None:
    rec = CatalogRecord(record_id="1", symbols=("A/78/1",), files=(
        FileLink(url=f"http://{FOREIGN_HOST}/record/1/files/A_78_1-EN.pdf", language="en"),))
    with pytest.raises(ForbiddenHost, match="not allowed"):
        client.fetch(rec, "en")


def test_endless_body_stops_at_the_cap(server: ReplayServer) -> None:
    lib = DigitalLibrary(server.settings(max_download_mb=0.25))
    rec = record(lib, "A/78/200")
    server.fail(EN_200, Fault.ENDLESS)
    with pytest.raises(TooLarge, match="body exceeds the cap of 262144 bytes"):
        lib.fetch(rec, "en")


def test_huge_content_length_refused_before_reading(client: DigitalLibrary,
                                                    server: ReplayServer) -> None:
    rec = record(client, "A/78/200")
    server.fail(EN_200, Fault.HUGE_LENGTH)
    with pytest.raises(TooLarge, match="Content-Length 1000000000000 exceeds"):
        client.fetch(rec, "en")


def test_random_faults_with_a_seed_are_survived(tmp_path: Path) -> None:
    archive = build_archive(tmp_path / "chaos", migration_records(24), page_size=24)
    with ReplayServer(archive) as server:
        lib = DigitalLibrary(server.settings(retries=8, page_size=5))
        server.chaos(0.3, seed=11, faults=[Fault.ERROR_500, Fault.ERROR_503, Fault.RESET,
                                           Fault.TOO_MANY, Fault.TRUNCATE], retry_after=0)
        found = list(lib.search(since=None, until=None))
        assert len(found) == 24
        for rec in found:
            assert lib.fetch(rec, "en").content.startswith(b"%PDF")
        faults = {h.fault for h in server.log if h.fault}
        assert len(faults) >= 3, faults
        assert len(server.hits("/record/*", status=200)) >= 24


def test_rate_limit_spaces_requests_to_one_host(server: ReplayServer) -> None:
    lib = DigitalLibrary(server.settings(rate_limit=20.0))
    rec = record(lib, "A/78/200")
    start = time.monotonic()
    for _ in range(4):
        lib.fetch(rec, "en")
    assert time.monotonic() - start >= 0.19  # 4 requests after the lookup: 4 intervals of 0.05 s


# -- paging edge cases, with a scripted search -------------------------------------------


class _Scripted(DigitalLibrary):
    """A DigitalLibrary whose search pages come from a function of jrec (no HTTP)."""

    def __init__(self, settings, pages) -> None:  # noqa: ANN001
        super().__init__(settings)
        self.pages, self.asked = pages, []

    def search_page(self, params: dict[str, str]):  # noqa: ANN201
        self.asked.append(int(params["jrec"]))
        return self.pages(int(params["jrec"]))


def _recs(*ids: str) -> list[CatalogRecord]:
    return [CatalogRecord(record_id=i, symbols=(f"A/78/{i}",), subjects=("MIGRATION",))
            for i in ids]


def test_paging_survives_records_added_while_paging(server: ReplayServer) -> None:
    from sources.marcxml import SearchPage

    catalogue = _recs("r1", "r2", "r3", "r4", "r5", "r6")

    def pages(jrec: int) -> SearchPage:
        # After the first page two new records arrive on top and push everything down.
        now = catalogue if jrec == 1 else _recs("n1", "n2") + catalogue
        return SearchPage(total=len(now), records=now[jrec - 1 : jrec + 1])

    lib = _Scripted(server.settings(page_size=2), pages)
    found = [r.record_id for r in lib.search(since=None, until=None)]
    assert found == ["r1", "r2", "r3", "r4", "r5", "r6"]  # page 2 was all repeats
    # The page at 7 came back full at the total, so one more is asked: a total can lie.
    assert lib.asked == [1, 3, 5, 7, 9]


def test_paging_stops_when_the_server_ignores_jrec(server: ReplayServer) -> None:
    from sources.marcxml import SearchPage

    lib = _Scripted(server.settings(page_size=2),
                    lambda jrec: SearchPage(total=100, records=_recs("a", "b")))
    assert [r.record_id for r in lib.search(since=None, until=None)] == ["a", "b"]
    assert lib.asked == [1, 3]


def test_paging_without_total_stops_on_a_short_page(server: ReplayServer) -> None:
    from sources.marcxml import SearchPage

    data = _recs("a", "b", "c")
    lib = _Scripted(server.settings(page_size=2),
                    lambda jrec: SearchPage(total=None, records=data[jrec - 1 : jrec + 1]))
    assert [r.record_id for r in lib.search(since=None, until=None)] == ["a", "b", "c"]
    assert lib.asked == [1, 3]
