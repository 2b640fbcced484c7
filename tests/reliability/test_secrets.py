"""A database password in UNMIG_DATABASE_URL never appears in output, logs, artifacts or records.

The command line runs as a user runs it (a real process, its own Prefect home), with a
PostgreSQL URL carrying a password: against a server that is down, a role that does not exist,
a URL whose password holds an unencoded '@', and a server that lets it in (the local server
trusts 127.0.0.1, so the password is carried but never checked) for a whole `unmig ingest`
over an archive with failing documents. Afterwards every byte written (stdout, stderr, the
Prefect database with its logs, flow runs and artifacts, the file store, every table of the
ingest database) is searched for the password, raw and URL-encoded.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from storage.db import make_engine
from tests import pdfgen
from tests.archive_builder import ArchiveRecord, build_archive
from tests.reliability.conftest import REPO_ROOT, Figures
from tests.reliability.hostile import compression_bomb, operator_flood

PASSWORD = "Pw;S3cr3t-'rel'x"
FRAGMENT = "S3cr3t"  # any trace of it, whatever the encoding around it
pytestmark = pytest.mark.postgres


def _unmig(*args: str, url: str, home: Path, timeout: float = 240,
           **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args], cwd=REPO_ROOT, capture_output=True, text=True,
        timeout=timeout,
        env={**os.environ, "PREFECT_HOME": str(home), "UNMIG_DATABASE_URL": url,
             "PREFECT_LOGGING_LEVEL": "INFO", "UNMIG_FILE_STORE": str(home / "files"), **env},
    )


def _leaks(*texts: str) -> list[str]:
    return [t[max(0, t.find(FRAGMENT) - 80):t.find(FRAGMENT) + 40] for t in texts
            if FRAGMENT in t or quote(PASSWORD, safe="") in t]


def _files_leaking(root: Path) -> list[str]:
    """Files under `root` holding the password's fragment, in any byte of them."""
    needle = FRAGMENT.encode()
    return [str(p) for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def _with_password(url: str) -> str:
    return sa.engine.make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)


def test_failing_database_urls_never_echo_the_password(tmp_path: Path, figures: Figures,
                                                      postgres_available: str) -> None:
    t0 = time.monotonic()
    down = f"postgresql://postgres:{quote(PASSWORD, safe='')}@127.0.0.1:1/unmig"
    no_role = f"postgresql://nobody_here:{quote(PASSWORD, safe='')}@127.0.0.1:5432/unmig"
    raw_at = "postgresql://postgres:Pw@S3cr3t@127.0.0.1:5432/unmig"  # '@' left unencoded
    tried = 0
    for url in (down, no_role, raw_at):
        for args in (("db", "upgrade"), ("status",), ("history", "A/96/800")):
            done = _unmig(*args, url=url, home=tmp_path / "home")
            tried += 1
            assert done.returncode != 0, (args, done.stdout)
            assert "error" in done.stderr.lower(), done.stderr
            assert _leaks(done.stdout, done.stderr) == [], (url, args, done.stderr)
    # And the whole flow, which starts Prefect, logs, fails the run and exits.
    archive = build_archive(tmp_path / "archive", [ArchiveRecord("901", "A/96/901")])
    done = _unmig("ingest", "--source", str(archive), url=down, home=tmp_path / "home")
    tried += 1
    assert done.returncode != 0
    assert "Connection refused" in done.stdout + done.stderr
    assert _leaks(done.stdout, done.stderr) == []
    assert _files_leaking(tmp_path / "home") == []
    figures.add(
        "password in UNMIG_DATABASE_URL, database unreachable", "postgresql", injected=tried,
        survived=tried, tried=tried, seconds=time.monotonic() - t0,
        notes=[f"{tried} commands (db upgrade, status, history, ingest) against a closed port, "
               "an unknown role and a URL with an unencoded '@'; password in no output, log or "
               "Prefect record"],
    )


def test_a_whole_ingest_never_writes_the_password(
    tmp_path: Path, new_db, figures: Figures
) -> None:
    t0 = time.monotonic()
    records = [
        ArchiveRecord("901", "A/96/901", date=dt.date(2024, 7, 1),
                      files={"en": pdfgen.render_pdf(pdfgen.sample_report())}),
        ArchiveRecord("902", "A/96/902", date=dt.date(2024, 7, 2),
                      files={"en": pdfgen.html_error_page()}),
        ArchiveRecord("903", "A/96/903", date=dt.date(2024, 7, 3),
                      files={"en": compression_bomb()}),
        ArchiveRecord("904", "A/96/904", date=dt.date(2024, 7, 4),
                      files={"en": operator_flood()}),
        ArchiveRecord("905", "A/96/905", date=dt.date(2024, 7, 5)),  # no file: pending
    ]
    archive = build_archive(tmp_path / "archive", records, page_size=10)
    url = _with_password(new_db("postgresql"))
    home = tmp_path / "home"
    budget = {"UNMIG_PARSE_WORKERS": "1", "UNMIG_PARSE_TIMEOUT": "3",
              "UNMIG_PARSE_MEMORY_MB": "1024", "UNMIG_TASK_RETRIES": "0"}
    done = _unmig("ingest", "--source", str(archive), "--since", "2024-01-01", url=url,
                  home=home, **budget)
    assert done.returncode == 0, done.stderr[-3000:]
    # The run did its work and reported the failures (so there was something to leak).
    assert "new=1" in done.stdout and "failed=3" in done.stdout and "pending=1" in done.stdout
    status = _unmig("status", url=url, home=home)
    assert status.returncode == 0 and "A/96/904" in status.stdout, status.stderr
    assert _leaks(done.stdout, done.stderr, status.stdout, status.stderr) == []
    # The Prefect database holds the run's logs, flow and task runs and artifacts.
    (prefect_db,) = home.glob("*.db")
    with sqlite3.connect(prefect_db) as conn:
        logs, artifacts = (conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
                           for t in ("log", "artifact"))
    assert logs > 0 and artifacts > 0
    assert _files_leaking(home) == []
    # Every text column of every table of the ingest database.
    engine = make_engine(url)
    try:
        cells = 0
        with engine.connect() as conn:
            for table in _tables(conn):
                for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):  # noqa: S608
                    for value in row:
                        cells += 1
                        assert FRAGMENT not in str(value), (table, str(value)[:200])
    finally:
        engine.dispose()
    figures.add(
        "password in UNMIG_DATABASE_URL, whole ingest", "postgresql", injected=1, survived=1,
        tried=1, seconds=time.monotonic() - t0,
        notes=[f"`unmig ingest` + `unmig status` with a password URL: {logs} Prefect log lines, "
               f"{artifacts} artifacts, every file of the Prefect home and file store, "
               f"{cells} database cells searched; password found 0 times"],
    )


def _tables(conn: sa.Connection) -> list[str]:
    return sa.inspect(conn).get_table_names()
