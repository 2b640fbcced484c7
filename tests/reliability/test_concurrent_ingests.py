"""Two and four ingests at once, in separate processes, over the same archive, the same database
and the same file store: one version per document, no lost update, no "database is locked" on
SQLite, no deadlock on PostgreSQL, and not even a transient database error retried away."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage.db import make_engine
from storage.models import IngestFailure
from tests.reliability import dbstate
from tests.reliability.conftest import ENGINES, REPO_ROOT, Corpus, Figures, Reference


def _concurrent_passes(url: str, archive: Path, files: Path, n: int, start: Path,
                       threads: int = 1) -> list[dict]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.driver", "--db", url, "--source",
             str(archive), "--files", str(files), "--start-file", str(start),
             "--threads", str(threads)],
            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(n)
    ]
    try:
        for p in procs:  # every process imported and configured: now all go at once
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        start.touch()
        outs = [p.communicate(timeout=240) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    results = []
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err[-3000:]
        assert "locked" not in err and "deadlock" not in err.lower(), err[-3000:]
        line = next(x for x in out.splitlines() if x.startswith("pass "))
        results.append(json.loads(line.removeprefix("pass ")))
    return results


def _check_edition(url: str, files: Path, results: list[dict], expected: dict,
                   new_status: str, changed: set[str]) -> dict[str, int]:
    for r in results:
        assert r["untyped"] == [] and r["crashed"] is None, r
        # Not one database error, even one retried away: no lock timeout, no deadlock.
        assert r["transient_errors"] == 0, r["stage_errors"]
    engine = make_engine(url)
    try:
        assert dbstate.check_invariants(engine, files) == []
        state = dbstate.dump(engine)
        with engine.connect() as conn:
            attempts = dict(conn.execute(
                sa.select(IngestFailure.symbol, IngestFailure.attempts)
                .where(IngestFailure.resolved_at.is_(None))
            ).all())
    finally:
        engine.dispose()
    assert state == expected, dbstate.diff(expected, state)
    # Every document was made a version of by exactly one process; the others found it.
    made = Counter(r["outcomes"].get(new_status, 0) for r in results)
    assert sum(r["outcomes"].get(new_status, 0) for r in results) == len(changed), made
    return attempts


def _scenario(kind: str, n: int, threads: int, new_db, tmp_path: Path, corpus: Corpus,
              reference: Reference, figures: Figures, label: str) -> None:
    t0 = time.monotonic()
    tmp_path.mkdir(parents=True, exist_ok=True)
    url = new_db(kind)
    files = tmp_path / "files"
    first = _concurrent_passes(url, corpus.first, files, n, tmp_path / "go1", threads)
    attempts = _check_edition(url, files, first, reference.first, "new", set(corpus.good))
    # No lost update: each process's failure of the same document was counted.
    assert attempts == {corpus.html: n, corpus.encrypted: n, corpus.no_file: n}
    second = _concurrent_passes(url, corpus.second, files, n, tmp_path / "go2", threads)
    attempts = _check_edition(url, files, second, reference.second, "updated",
                              set(corpus.reissued))
    assert attempts == {corpus.html: 2 * n, corpus.encrypted: 2 * n, corpus.no_file: 2 * n}
    docs = sum(sum(r["outcomes"].values()) for r in first + second)
    figures.add(
        label, kind, injected=n * 2, survived=n * 2, lost=0, seconds=time.monotonic() - t0,
        notes=[f"{n} processes x {threads} thread(s), twice (both editions): {docs} document "
               f"passes; versions made: {sum(r['outcomes'].get('new', 0) for r in first)} new + "
               f"{sum(r['outcomes'].get('updated', 0) for r in second)} updated, one each; "
               "0 database errors (not even retried ones); failure attempts counted exactly"],
    )


@pytest.mark.parametrize("n", [2, 4])
@pytest.mark.parametrize("kind", ENGINES)
def test_concurrent_ingests_make_one_version_each(
    kind: str, n: int, new_db, tmp_path: Path, small_corpus: Corpus, small_reference: Reference,
    figures: Figures,
) -> None:
    _scenario(kind, n, 1, new_db, tmp_path, small_corpus, small_reference, figures,
              f"{n} ingests at once")


@pytest.mark.soak
@pytest.mark.parametrize("n", [2, 4])
@pytest.mark.parametrize("kind", ENGINES)
def test_soak_concurrent_threaded_ingests(
    kind: str, n: int, new_db, tmp_path: Path, corpus: Corpus, reference: Reference,
    figures: Figures,
) -> None:
    """The full corpus, each process running four documents at once (as the flows do)."""
    for rep in range(3):
        _scenario(kind, n, 4, new_db, tmp_path / f"rep{rep}", corpus, reference, figures,
                  f"{n} ingests at once, 4 threads each (soak)")
