from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from storage.db import upgrade_database
from tests.archive_builder import ArchiveRecord, build_archive
from tests.flows.prefect_server import REPO, PrefectServer, running_server
from tests.pdfgen import DocSpec, html_error_page, make_corpus, render_pdf


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server for the whole session (starting one costs 12-25 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """A real `prefect server start` on a free port, with its own PREFECT_HOME, for the session."""
    with running_server(tmp_path_factory.mktemp("prefect-server") / "home") as server:
        yield server


@pytest.fixture(scope="session")
def deployed(prefect_server: PrefectServer) -> PrefectServer:
    """That server as `make serve` leaves it: work pool, prefect.yaml's deployments, alerts."""
    if not prefect_server.deployed:
        env = {**prefect_server.env, "UNMIG_PROJECT_DIR": str(REPO),
               "UNMIG_WORK_POOL": "unmig-e2e"}
        prefect_server.run(str(REPO / "scripts" / "deploy.sh"), env=env)
        prefect_server.env = env
        prefect_server.deployed = True
    return prefect_server


@dataclass(frozen=True)
class Corpus:
    """An archive of real UN-layout PDFs plus the awkward cases, and what a run should make."""

    archive: Path
    good: tuple[str, ...]  # symbols that load
    html_instead_of_pdf: str
    no_file: str
    ods_only: str
    irrelevant: str


@pytest.fixture(scope="session")
def corpus_pdfs() -> list[tuple[DocSpec, bytes]]:
    return [(spec, render_pdf(spec)) for spec in make_corpus(4, pages=2, seed=7)]


@pytest.fixture
def corpus(tmp_path: Path, corpus_pdfs: list[tuple[DocSpec, bytes]]) -> Corpus:
    dates = [dt.date(2024, 1, 10), dt.date(2024, 2, 5), dt.date(2024, 2, 20), dt.date(2024, 3, 3)]
    records = [
        ArchiveRecord(
            f"10{i}", spec.symbol, title=spec.title, date=dates[i],
            subjects=["INTERNATIONAL MIGRATION"], files={"en": pdf},
        )
        for i, (spec, pdf) in enumerate(corpus_pdfs)
    ]
    ods_spec, ods_pdf = corpus_pdfs[0]
    records += [
        ArchiveRecord("201", "A/98/201", date=dt.date(2024, 1, 20), subjects=["REMITTANCES"],
                      files={"en": html_error_page()}),
        ArchiveRecord("202", "A/98/202", date=dt.date(2024, 2, 1), subjects=["MIGRANT WORKERS"]),
        ArchiveRecord("203", "A/98/203", date=dt.date(2024, 2, 2), subjects=["MIGRATION"],
                      ods_files={"en": ods_pdf}),
        ArchiveRecord("204", "A/98/204", date=dt.date(2024, 2, 3), subjects=["FISHERIES"],
                      files={"en": ods_pdf}),
    ]
    archive = tmp_path / "archive"
    build_archive(archive, records, page_size=3)
    return Corpus(
        archive=archive,
        good=tuple(spec.symbol for spec, _ in corpus_pdfs),
        html_instead_of_pdf="A/98/201",
        no_file="A/98/202",
        ods_only="A/98/203",
        irrelevant="A/98/204",
    )


@pytest.fixture
def db_url(empty_db_url: str) -> str:
    """An empty database (SQLite and PostgreSQL) with the schema applied."""
    upgrade_database(empty_db_url)
    return empty_db_url
