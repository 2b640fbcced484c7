"""Fixtures of the reliability tests: a corpus archive in two editions, fresh databases on both
engines, the reference state an uninterrupted ingest gives, and the figures the tests report.

Figures: every test adds what it injected and what came of it to the session's `figures`; the
table is printed at the end of the run and, with UNMIG_RELIABILITY_FIGURES=path, written there
as JSON (docs/reliability.md is written from it).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

from storage.db import make_engine, upgrade_database
from tests.archive_builder import ArchiveRecord, build_archive
from tests.conftest import new_postgres_database
from tests.pdfgen import encrypted_pdf, html_error_page, make_corpus, render_pdf

REPO_ROOT = Path(__file__).resolve().parents[2]

# -- figures ------------------------------------------------------------------------------------


@dataclass
class Figure:
    fault: str
    engine: str = "-"
    injected: int = 0  # faults injected (kills, cut connections, failed requests, inputs tried)
    survived: int = 0  # of those, handled as designed
    lost: int = 0  # records lost (must be 0)
    crashes: int = 0  # unhandled crashes (must be 0)
    tried: int = 0  # inputs tried (hostile input tests)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


class Figures:
    def __init__(self) -> None:
        self.rows: list[Figure] = []

    def add(self, fault: str, engine: str = "-", **values: object) -> Figure:
        row = Figure(fault, engine, **values)  # type: ignore[arg-type]
        self.rows.append(row)
        return row


_FIGURES = Figures()


@pytest.fixture(scope="session")
def figures() -> Figures:
    return _FIGURES


# Faults whose tests live with the code they exercise (not repeated here): their results in the
# same pytest session are counted into the figures.
ELSEWHERE = {
    "XML entity bomb / external entity refused": "tests/sources/test_marcxml.py::"
    "test_entity_declarations_refused",
    "download over the cap / endless body refused": "tests/sources/test_undl.py::test_endless_body",
    "Content-Length over the cap refused": "tests/sources/test_undl.py::test_huge_content_length",
    "redirect to a foreign host refused": "tests/sources/test_undl.py::test_redirect_to_a_foreign",
    "link to a foreign host refused": "tests/sources/test_undl.py::test_link_to_a_foreign_host",
    "archive link escaping its folder refused": "tests/sources/test_archive.py::"
    "test_link_cannot_escape_the_archive",
    "odd paragraph text round trip (storage)": "tests/storage/test_versions.py::test_odd_text",
    "odd search queries (storage)": "tests/storage/test_read_contract.py::"
    "test_search_never_fails_on_odd_queries",
}


def _count_elsewhere(stats: dict) -> None:
    reports = [r for key in ("passed", "failed") for r in stats.get(key, [])
               if getattr(r, "when", "call") == "call"]
    for fault, prefix in ELSEWHERE.items():
        mine = [r for r in reports if r.nodeid.startswith(prefix)]
        if not mine:
            continue
        ok = sum(r.passed for r in mine)
        _FIGURES.add(fault, "-", injected=len(mine), survived=ok, tried=len(mine),
                     crashes=len(mine) - ok, notes=[f"counted from {prefix.split('::')[0]}"])


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001, ARG001
    _count_elsewhere(terminalreporter.stats)
    rows = _FIGURES.rows
    if not rows:
        return
    tr = terminalreporter
    tr.section("reliability figures")
    tr.write_line(f"{'fault':44} {'engine':10} {'injected':>8} {'survived':>8} {'tried':>6} "
                  f"{'lost':>4} {'crash':>5} {'secs':>6}")
    for r in rows:
        tr.write_line(f"{r.fault[:44]:44} {r.engine:10} {r.injected:8} {r.survived:8} "
                      f"{r.tried:6} {r.lost:4} {r.crashes:5} {r.seconds:6.1f}")
        for note in r.notes:
            tr.write_line(f"    {note}")
    out = os.environ.get("UNMIG_RELIABILITY_FIGURES")
    if out:
        Path(out).write_text(json.dumps({
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, "
                       f"Python {platform.python_version()}, {platform.platform()}",
            "rows": [asdict(r) for r in rows],
        }, indent=2))


# -- databases ---------------------------------------------------------------------------------

ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture
def new_db(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[[str], str]]:
    """A factory of migrated, empty databases: new_db("sqlite") or new_db("postgresql")."""
    drops: list[Callable[[], None]] = []
    counter = iter(range(1000))

    def make(kind: str) -> str:
        if kind == "sqlite":
            url = f"sqlite:///{tmp_path / f'db{next(counter)}.sqlite'}"
        else:
            admin = request.getfixturevalue("postgres_available")
            url, drop = new_postgres_database(admin)
            drops.append(drop)
        upgrade_database(url)
        return url

    yield make
    for drop in drops:
        drop()


# -- the corpus ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Corpus:
    """Two editions of one archive: in the second, some files were reissued (new versions)."""

    first: Path
    second: Path
    good: tuple[str, ...]  # symbols that load
    reissued: tuple[str, ...]  # symbols whose file differs in the second edition
    html: str  # an HTML page where the PDF should be: a permanent download failure
    encrypted: str  # a permanent parse failure
    no_file: str  # pending: no file anywhere
    ods_only: str


def _records(pdfs: list[bytes], ods_pdf: bytes) -> list[ArchiveRecord]:
    base = dt.date(2024, 1, 2)
    records = [
        ArchiveRecord(
            f"5{i:02d}", f"A/97/{500 + i}", date=base + dt.timedelta(days=3 * i),
            title=f"Report {i} on international migration and development",
            subjects=["INTERNATIONAL MIGRATION"], files={"en": pdf},
        )
        for i, pdf in enumerate(pdfs)
    ]
    records += [
        ArchiveRecord("601", "A/97/601", date=dt.date(2024, 3, 1), subjects=["REMITTANCES"],
                      files={"en": html_error_page()}),
        ArchiveRecord("602", "A/97/602", date=dt.date(2024, 3, 2), subjects=["MIGRANTS"],
                      files={"en": encrypted_pdf()}),
        ArchiveRecord("603", "A/97/603", date=dt.date(2024, 3, 3), subjects=["MIGRATION"]),
        ArchiveRecord("604", "A/97/604", date=dt.date(2024, 3, 4), subjects=["MIGRATION"],
                      ods_files={"en": ods_pdf}),
    ]
    return records


def build_corpus(root: Path, n_good: int, reissued: tuple[int, ...]) -> Corpus:
    """`n_good` real UN-layout PDFs linked from their records, one more served only by the
    ODS, and the three awkward records; the second edition reissues the `reissued` ones."""
    specs = make_corpus(n_good + 1, pages=2, seed=2024)
    pdfs = [render_pdf(s) for s in specs]
    ods_pdf = pdfs.pop()
    build_archive(root / "first", _records(pdfs, ods_pdf), page_size=5)
    later = make_corpus(n_good + 1, pages=2, seed=4048)
    pdfs2 = [render_pdf(later[i]) if i in reissued else pdf for i, pdf in enumerate(pdfs)]
    build_archive(root / "second", _records(pdfs2, ods_pdf), page_size=5)
    # Same bytes, same mtime: both editions answer the same validators for unchanged files.
    for path in (root / "second").rglob("*"):
        twin = root / "first" / path.relative_to(root / "second")
        if path.is_file() and twin.is_file() and twin.read_bytes() == path.read_bytes():
            os.utime(path, (twin.stat().st_atime, twin.stat().st_mtime))
    return Corpus(
        first=root / "first",
        second=root / "second",
        good=tuple(f"A/97/{500 + i}" for i in range(len(pdfs))) + ("A/97/604",),
        reissued=tuple(f"A/97/{500 + i}" for i in reissued),
        html="A/97/601",
        encrypted="A/97/602",
        no_file="A/97/603",
        ods_only="A/97/604",
    )


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """Eight linked PDFs, one ODS-only, three awkward records; three reissued later."""
    return build_corpus(tmp_path_factory.mktemp("corpus"), 8, (0, 3, 5))


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """Three linked PDFs, one ODS-only, three awkward records; two reissued later."""
    return build_corpus(tmp_path_factory.mktemp("small-corpus"), 3, (0, 2))


def archive_settings(db_url: str, source: Path, files: Path, **overrides: object) -> dict:
    """Settings (as keyword arguments, picklable) for an ingest of a local archive."""
    return {
        "database_url": db_url,
        "source": str(source),
        "file_store": str(files),
        "parse_workers": 0,
        **overrides,
    }


@dataclass
class Reference:
    """The state uninterrupted passes leave: after the first edition, then after the second."""

    first: dict
    second: dict
    pass_seconds: float  # how long one uninterrupted pass of the first edition took


def compute_reference(corpus: Corpus, root: Path) -> Reference:
    from config import load_settings
    from tests.reliability.dbstate import check_invariants, dump
    from tests.reliability.driver import run_pass

    url = f"sqlite:///{root / 'reference.sqlite'}"
    upgrade_database(url)
    files = root / "files"
    t0 = time.monotonic()
    run_pass(load_settings(**archive_settings(url, corpus.first, files)))
    seconds = time.monotonic() - t0
    engine = make_engine(url)
    try:
        first = dump(engine)
        run_pass(load_settings(**archive_settings(url, corpus.second, files)))
        second = dump(engine)
        assert check_invariants(engine, files) == []
    finally:
        engine.dispose()
    # The reference itself must be what the corpus says.
    current = {r[0] for r in second["document_versions"] if r[-1]}
    assert current == set(corpus.good)
    assert {r[0] for r in second["open_failures"]} == {corpus.html, corpus.encrypted,
                                                        corpus.no_file}
    assert len(second["document_versions"]) == len(corpus.good) + len(corpus.reissued)
    return Reference(first=first, second=second, pass_seconds=seconds)


@pytest.fixture(scope="session")
def reference(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Reference:
    return compute_reference(corpus, tmp_path_factory.mktemp("reference"))


@pytest.fixture(scope="session")
def small_reference(small_corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Reference:
    return compute_reference(small_corpus, tmp_path_factory.mktemp("small-reference"))
