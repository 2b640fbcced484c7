"""A small synthetic archive and a replay server over it, for the source tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from sources.undl import DigitalLibrary
from tests.archive_builder import ArchiveRecord, build_archive, fake_pdf
from tests.replay_server import ReplayServer

MIGRATION = ("INTERNATIONAL MIGRATION",)


def sample_records() -> list[ArchiveRecord]:
    """Relevant and irrelevant records covering each download path."""
    return [
        # Relevant, English file linked.
        ArchiveRecord("1001", "A/78/200", date=dt.date(2023, 8, 1), subjects=MIGRATION,
                      files={"en": fake_pdf("A/78/200 en", 3000)},
                      agenda_items=[("A/78/150", "18c", "International migration", "MIGRATION")],
                      related=[("1", "A/RES/78/208")]),
        # Relevant, English and French linked, Spanish linked but its file missing.
        ArchiveRecord("1002", "A/78/210", date=dt.date(2023, 9, 1),
                      subjects=("REMITTANCES", "DEVELOPMENT FINANCE"),
                      files={"en": fake_pdf("A/78/210 en"), "fr": fake_pdf("A/78/210 fr")},
                      links_only=("es",)),
        # Relevant, no 856 link at all: only the ODS has it.
        ArchiveRecord("1003", "A/78/L.5", date=dt.date(2023, 10, 1), subjects=("MIGRANT WORKERS",),
                      ods_files={"en": fake_pdf("A/78/L.5 en")}),
        # Relevant, no file anywhere yet.
        ArchiveRecord("1004", "A/78/300", date=dt.date(2023, 11, 1), subjects=MIGRATION),
        # Not relevant: Security Council.
        ArchiveRecord("1005", "S/2023/100", date=dt.date(2023, 8, 15), subjects=MIGRATION,
                      body="Security Council", files={"en": fake_pdf("S/2023/100")}),
        # Not relevant: no migration subject.
        ArchiveRecord("1006", "A/78/400", date=dt.date(2023, 8, 20), subjects=("DISARMAMENT",),
                      files={"en": fake_pdf("A/78/400")}),
        # Relevant subject, outside a 2023 window.
        ArchiveRecord("1007", "A/77/500", date=dt.date(2022, 12, 31), subjects=MIGRATION,
                      files={"en": fake_pdf("A/77/500")}),
    ]


@pytest.fixture
def records() -> list[ArchiveRecord]:
    return sample_records()


@pytest.fixture
def archive(tmp_path: Path, records: list[ArchiveRecord]) -> Path:
    return build_archive(tmp_path / "archive", records, page_size=3)


@pytest.fixture
def server(archive: Path) -> Iterator[ReplayServer]:
    with ReplayServer(archive, hang_seconds=3.0) as srv:
        yield srv


@pytest.fixture
def lib(srv: ReplayServer) -> Iterator[DigitalLibrary]:
    """A client of the test module's own stand-in (`srv`: each door's module sets it up)."""
    client = DigitalLibrary(srv.settings())
    yield client
    client.close()


@pytest.fixture
def client(server: ReplayServer) -> Iterator[DigitalLibrary]:
    lib = DigitalLibrary(server.settings())
    yield lib
    lib.close()
