"""LocalArchive over a built archive folder, and open_source choosing the source."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from config import load_settings
from config.settings import ConfigError
from sources import open_source
from sources.archive import LocalArchive
from sources.base import Source
from sources.discovery import LibrarySource
from sources.errors import BadContent, NoFileYet, TooLarge
from sources.records import CatalogRecord, FileLink
from sources.undl import DigitalLibrary
from tests.archive_builder import ArchiveRecord, build_archive, fake_pdf
from tests.replay_server import ReplayServer

Y2023 = {"since": dt.date(2023, 1, 1), "until": dt.date(2023, 12, 31)}


@pytest.fixture
def local(archive: Path) -> LocalArchive:
    return LocalArchive(archive, load_settings(source=str(archive)))


def test_search_same_relevance_filter_newest_first(local: LocalArchive) -> None:
    assert [r.symbol for r in local.search(**Y2023)] == [
        "A/78/300", "A/78/L.5", "A/78/210", "A/78/200"]
    assert [r.symbol for r in local.search(since=None, until=None)][-1] == "A/77/500"


def test_same_answers_as_the_library_serving_the_same_archive(archive: Path,
                                                              local: LocalArchive) -> None:
    with ReplayServer(archive) as server:
        remote = DigitalLibrary(server.settings(page_size=2))
        for window in (Y2023, {"since": None, "until": None}):
            assert [r.record_id for r in remote.search(**window)] == [
                r.record_id for r in local.search(**window)]


def test_lookup(local: LocalArchive) -> None:
    assert {r.symbol for r in local.lookup(["a/78/200", "S/2023/100", "A/1/1"])} == {
        "A/78/200", "S/2023/100"}


def _get(local: LocalArchive, symbol: str) -> CatalogRecord:
    (rec,) = local.lookup([symbol])
    return rec


def test_fetch_link_file_and_conditional(local: LocalArchive, archive: Path) -> None:
    rec = _get(local, "A/78/200")
    dl = local.fetch(rec, "en")
    assert dl.content == fake_pdf("A/78/200 en", 3000)
    assert dl.url == "https://digitallibrary.un.org/record/1001/files/A_78_200-EN.pdf"
    assert dl.headers["X-Archive-Path"] == str(archive / "record/1001/files/A_78_200-EN.pdf")
    assert dl.origin == dl.headers["X-Archive-Path"]  # what a parse error names
    assert dl.etag == f'"{dl.sha256}"'
    again = local.fetch(rec, "en", etag=dl.etag)
    assert again.not_modified and again.content == b""
    assert local.fetch(rec, "en", last_modified=dl.last_modified).not_modified
    assert not local.fetch(rec, "en", etag='"stale"').not_modified


def test_fetch_ods_folder_fallback(local: LocalArchive) -> None:
    dl = local.fetch(_get(local, "A/78/L.5"), "en")
    assert dl.content == fake_pdf("A/78/L.5 en")
    assert dl.url == "https://documents.un.org/api/symbol/access?s=A/78/L.5&l=en&t=pdf"


def test_missing_file_is_no_file_yet(local: LocalArchive) -> None:
    with pytest.raises(NoFileYet, match="no en file for record 1004"):
        local.fetch(_get(local, "A/78/300"), "en")
    with pytest.raises(NoFileYet):
        local.fetch(_get(local, "A/78/210"), "es")  # linked, file absent


def test_link_cannot_escape_the_archive(local: LocalArchive, archive: Path) -> None:
    (archive.parent / "secret-EN.pdf").write_bytes(fake_pdf("secret"))
    rec = CatalogRecord(record_id="9", symbols=("A/9/9",), files=(
        FileLink(url="https://digitallibrary.un.org/record/../../secret-EN.pdf", language="en"),))
    with pytest.raises(NoFileYet):
        local.fetch(rec, "en")


def test_html_file_and_oversized_file(tmp_path: Path) -> None:
    folder = build_archive(tmp_path / "a", [
        ArchiveRecord("1", "A/78/1", files={"en": b"<html>error</html>"}),
        ArchiveRecord("2", "A/78/2", files={"en": fake_pdf("big", 200_000)}),
    ])
    local = LocalArchive(folder, load_settings(source=str(folder), max_download_mb=0.1))
    # The errors name the archive's file, not the library URL its path mimics.
    with pytest.raises(BadContent, match=rf"{folder}/record/1/files/.*not a PDF"):
        local.fetch(_get(local, "A/78/1"), "en")
    with pytest.raises(TooLarge, match=str(folder)):
        local.fetch(_get(local, "A/78/2"), "en")


def test_duplicate_records_across_pages_latest_wins(tmp_path: Path) -> None:
    old = ArchiveRecord("1", "A/78/1", title="Old", modified=dt.datetime(2024, 1, 1))
    new = ArchiveRecord("1", "A/78/1", title="New", modified=dt.datetime(2025, 1, 1))
    folder = build_archive(tmp_path / "a", [new, old], page_size=1)
    local = LocalArchive(folder, load_settings(source=str(folder)))
    (rec,) = local.lookup(["A/78/1"])
    assert rec.title and rec.title.startswith("New")


def test_real_answer_as_an_archive(tmp_path: Path, marcxml_fixture: Path) -> None:
    (tmp_path / "search").mkdir()
    shutil.copy(marcxml_fixture, tmp_path / "search" / "drafts.xml")
    local = LocalArchive(tmp_path, load_settings(source=str(tmp_path)))
    assert len(local.records()) == 94
    found = list(local.search(since=dt.date(2023, 10, 1), until=dt.date(2023, 12, 31)))
    assert {r.symbol for r in found} == {"A/C.3/78/L.21/Rev.1", "A/C.3/78/L.52/Rev.1",
                                         "A/C.3/78/L.52", "A/C.3/78/L.21"}
    with pytest.raises(NoFileYet):  # catalogued, but the bulk download has no files
        local.fetch(found[0], "en")


def test_open_source(archive: Path, tmp_path: Path) -> None:
    remote = open_source(load_settings(source="https://digitallibrary.un.org"))
    assert isinstance(remote, LibrarySource) and isinstance(remote, Source)
    assert isinstance(remote.library, DigitalLibrary)
    local = open_source(load_settings(source=str(archive)))
    assert isinstance(local, LocalArchive) and isinstance(local, Source)
    with pytest.raises(ConfigError, match="no such folder"):
        open_source(load_settings(source=str(tmp_path / "nowhere")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no search/ folder"):
        open_source(load_settings(source=str(tmp_path / "empty")))
