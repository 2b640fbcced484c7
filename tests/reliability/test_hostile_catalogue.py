"""A broken or hostile catalogue: over-long values and two records claiming one document.

Issue 13, items 4 and 5. Each pass is the driver's (`flows.document.ingest_document` per record,
failures recorded as the flows record them) over a local archive, on both engines.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from config import load_settings
from storage import limits, runs
from storage.db import make_engine
from tests.archive_builder import ArchiveRecord, build_archive
from tests.pdfgen import make_corpus, render_pdf
from tests.reliability.conftest import ENGINES, Figures, archive_settings
from tests.reliability.driver import run_pass


@pytest.fixture(scope="module")
def pdfs() -> list[bytes]:
    return [render_pdf(s) for s in make_corpus(4, pages=1, seed=1313)]


def _versions(url: str, symbol: str) -> list[tuple[int, str | None]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(
                "SELECT version, record_id FROM document_versions WHERE symbol = :s "
                "ORDER BY version"), {"s": symbol})]
    finally:
        engine.dispose()


@pytest.mark.parametrize("kind", ENGINES)
def test_over_long_values_fail_their_record_not_the_run(
    kind: str, new_db, tmp_path: Path, pdfs: list[bytes], figures: Figures
) -> None:
    long_symbol = "A/97/" + "9" * 4995  # 5,000 characters: over PostgreSQL's btree limit
    long_id = "7" * 40  # catalog_records.record_id is VARCHAR(32)
    good = [ArchiveRecord(f"80{i}", f"A/97/80{i}", files={"en": pdf})
            for i, pdf in enumerate(pdfs[:3])]
    hostile = [
        ArchiveRecord("810", long_symbol, links_only=["en"]),
        ArchiveRecord(long_id, "A/97/811", files={"en": pdfs[3]}),
        ArchiveRecord("812", "A/97/812", title="T" * 30_000, files={"en": pdfs[3]}),
    ]
    build_archive(tmp_path / "archive", [*good, *hostile], page_size=3)
    url = new_db(kind)
    t0 = time.monotonic()
    passes = [run_pass(load_settings(**archive_settings(url, tmp_path / "archive",
                                                        tmp_path / "files")))
              for _ in range(2)]
    seconds = time.monotonic() - t0
    for result in passes:
        assert result.crashed is None and not result.untyped, (result.crashed, result.untyped)
        assert result.outcomes == {"new" if result is passes[0] else "unchanged": 3,
                                   "failed": 3}
        assert result.status == "partial"
    engine = make_engine(url)
    try:
        failures = runs.open_failures(engine)
        with engine.connect() as conn:
            loaded = set(conn.scalars(sa.text("SELECT symbol FROM current_documents")))
            catalogued = conn.execute(sa.text("SELECT count(*) FROM catalog_records")).scalar()
    finally:
        engine.dispose()
    assert loaded == {r.symbol for r in good}
    assert catalogued == 3  # the refused records are not half stored
    assert {f.stage for f in failures} == {"catalog"}
    assert {f.attempts for f in failures} == {2}  # found again on the second pass, not doubled
    by_symbol = {f.symbol: f for f in failures}
    assert set(by_symbol) == {limits.bounded(long_symbol, limits.SYMBOL_BYTES), "A/97/811",
                              "A/97/812"}
    long_row = by_symbol[limits.bounded(long_symbol, limits.SYMBOL_BYTES)]
    assert long_row.symbol.startswith("A/97/999") and len(long_row.symbol) <= 200
    assert "symbol of 5000 bytes over the 200-byte cap" in long_row.error
    assert "record id of 40 bytes" in by_symbol["A/97/811"].error
    assert "title of 30" in by_symbol["A/97/812"].error
    figures.add(
        "over-long symbol, record id, title in the catalogue", kind, injected=3, survived=3,
        tried=6, seconds=seconds,
        notes=[f"2 passes: 3 documents loaded, each over-long record a `catalog` failure row "
               f"(symbol cut to {len(long_row.symbol)} chars), run `partial`, no crash"],
    )


@pytest.mark.parametrize("kind", ENGINES)
def test_two_records_claiming_one_symbol_make_no_flip_flop(
    kind: str, new_db, tmp_path: Path, pdfs: list[bytes], figures: Figures
) -> None:
    older = ArchiveRecord("901", "A/97/900", modified=dt.datetime(2025, 1, 1),
                          files={"en": pdfs[0]})
    newer = ArchiveRecord("902", "A/97/900", modified=dt.datetime(2025, 2, 1),
                          files={"en": pdfs[1]})
    other = ArchiveRecord("903", "A/97/903", files={"en": pdfs[2]})
    build_archive(tmp_path / "first", [older, other], page_size=5)
    # The newer record listed first, then last: the order must not matter.
    build_archive(tmp_path / "second", [newer, older, other], page_size=5)
    build_archive(tmp_path / "third", [other, older, newer], page_size=5)
    url = new_db(kind)
    t0 = time.monotonic()
    seen = []
    for edition in ("first", "second", "third", "second", "third"):
        result = run_pass(load_settings(**archive_settings(url, tmp_path / edition,
                                                           tmp_path / "files")))
        assert result.crashed is None and not result.untyped
        seen.append((result.outcomes, _versions(url, "A/97/900")))
    seconds = time.monotonic() - t0
    assert seen[0] == ({"new": 2}, [(1, "901")])
    # The newer record takes the document over once (a new version from its file) ...
    assert seen[1] == ({"updated": 1, "unchanged": 1}, [(1, "901"), (2, "902")])
    # ... and keeps it, whatever order the records come in.
    for outcomes, versions in seen[2:]:
        assert outcomes == {"unchanged": 2}
        assert versions == [(1, "901"), (2, "902")]
    figures.add(
        "two catalogue records claiming one symbol", kind, injected=4, survived=4, tried=5,
        seconds=seconds,
        notes=["5 passes (records in either order): 2 versions (the older record's, then the "
               "newer's once), never alternating"],
    )
