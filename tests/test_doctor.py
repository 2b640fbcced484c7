"""`unmig doctor` against the stand-in in each of its moods: everything open, the firewall's
challenge, the library's own robots.txt, a token, a database nobody migrated."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.app import app
from cli.doctor import PROBE_SYMBOL
from storage.db import upgrade_database
from tests.archive_builder import ArchiveRecord, build_archive, fake_pdf
from tests.replay_server import LIBRARY_ROBOTS, Fault, ReplayServer

TOKEN = "doctor-token"


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[ReplayServer]:
    records = [ArchiveRecord("9001", PROBE_SYMBOL, date=dt.date(2018, 12, 19),
                             subjects=("MIGRANTS",), ods_files={"en": fake_pdf("GCM", 2000)})]
    with ReplayServer(build_archive(tmp_path / "lib", records), api_token=TOKEN) as server:
        yield server


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'doctor.db'}"
    upgrade_database(url)
    return url


def _doctor(srv: ReplayServer, db: str, **env: str) -> tuple[int, dict[str, tuple[str, str]]]:
    base = {"UNMIG_SOURCE": srv.url, "UNMIG_ODS_URL": srv.url, "UNMIG_DATABASE_URL": db,
            "UNMIG_RATE_LIMIT": "1000", "UNMIG_RETRIES": "1", "UNMIG_HTTP_BACKOFF": "0.01",
            "UNMIG_TIMEOUT": "2"}
    result = CliRunner().invoke(app, ["doctor"], env={**base, **env})
    lines = {}
    for line in result.output.splitlines():
        name, verdict, detail = (line.split(None, 2) + ["", ""])[:3]
        lines[name] = (verdict, detail)
    return result.exit_code, lines


def test_everything_open(srv: ReplayServer, db: str) -> None:
    code, lines = _doctor(srv, db)
    assert code == 0
    assert lines["search"][0] == lines["oai"][0] == lines["ods"][0] == "open"
    assert "a PDF of 2000 bytes" in lines["ods"][1]
    assert lines["api"][0] == "info" and "UNMIG_UNDL_API_TOKEN" in lines["api"][1]
    assert lines["database"][0] == "open"
    assert "through the oai door" in lines["verdict"][1]
    # One knock on each door, no more.
    assert len(srv.hits("/search")) == len(srv.hits("/oai2d")) == 1


def test_the_firewall_mood(srv: ReplayServer, db: str) -> None:
    srv.challenge(search=True, files=True)
    srv.fail("/oai2d", Fault.CHALLENGE)
    code, lines = _doctor(srv, db)
    assert code == 1
    assert lines["search"][0] == lines["oai"][0] == "SHUT"
    assert "challenge" in lines["search"][1] and "challenge" in lines["oai"][1]
    assert lines["ods"][0] == "open"  # the ODS is not behind the firewall
    assert lines["verdict"][0] == "SHUT" and "UNMIG_UNDL_API_TOKEN" in lines["verdict"][1]
    assert len(srv.hits("/search")) == 1  # a challenge is not retried


def test_the_library_robots_txt(srv: ReplayServer, db: str) -> None:
    srv.set_robots(LIBRARY_ROBOTS.replace("Crawl-delay: 5", "Crawl-delay: 0.05"))
    code, lines = _doctor(srv, db)
    assert code == 0
    assert lines["robots.txt"][1].startswith("disallows /search")
    assert "Crawl-delay 0.05 s" in lines["robots.txt"][1]
    assert lines["search"][0] == "SHUT" and "robots.txt" in lines["search"][1]
    assert srv.hits("/search") == []
    assert "through the oai door" in lines["verdict"][1]


def test_a_token_opens_the_api(srv: ReplayServer, db: str) -> None:
    srv.fail("/oai2d", Fault.CHALLENGE)
    code, lines = _doctor(srv, db, UNMIG_UNDL_API_TOKEN=TOKEN)
    assert code == 0
    assert lines["api+token"][0] == "open"
    assert "through the api door" in lines["verdict"][1]
    code, lines = _doctor(srv, db, UNMIG_UNDL_API_TOKEN="not-it")
    assert lines["api+token"][0] == "SHUT" and "not-it" not in str(lines)


def test_a_database_nobody_migrated(srv: ReplayServer, tmp_path: Path) -> None:
    code, lines = _doctor(srv, f"sqlite:///{tmp_path / 'new.db'}")
    assert code == 1
    assert lines["database"][0] == "TROUBLE" and "unmig db upgrade" in lines["database"][1]
