"""SIGKILL at random and at chosen points of an ingest, many times over, on both engines.

After every kill the database must hold only whole versions (dbstate.check_invariants), and
once a pass is let finish, the database must equal the one uninterrupted passes give
(dbstate.dump), for the first edition of the archive and again after the reissued files of the
second edition have been loaded as new versions.

The ingest runs as tests.reliability.driver (the flows' per-document pipeline without Prefect)
in a forked child (fast variant) or a separate `python -m` process (soak variant).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from config import load_settings
from storage.db import make_engine
from tests.reliability import dbstate
from tests.reliability.conftest import (
    ENGINES,
    REPO_ROOT,
    Corpus,
    Figures,
    Reference,
    archive_settings,
)
from tests.reliability.driver import KILL_POINTS, run_child, run_pass


@dataclass
class KillStats:
    kills: int = 0  # SIGKILLs that hit a running ingest
    outstanding: int = 0  # of those, with work left to do at the moment of the kill
    finished_first: int = 0  # the pass ended before the kill was due (not counted as a kill)
    checks: int = 0  # invariant checks run (after each kill)
    leftovers: int = 0  # temporary files left in the file store by kills


def _versions(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("select count(*) from document_versions")).scalar_one()
    finally:
        engine.dispose()


def _check(url: str, files: Path, stats: KillStats, context: str) -> None:
    engine = make_engine(url)
    try:
        problems = dbstate.check_invariants(engine, files)
    finally:
        engine.dispose()
    stats.checks += 1
    assert problems == [], f"after {context}: {problems}"


def _fork_pass(settings_kw: dict, *, kill_after: float | None = None,
               kill_at: tuple[str, int] | None = None, timeout: float = 120) -> int | None:
    """Run one pass in a forked child; SIGKILL it after `kill_after` seconds if still running.
    Returns the exit code (-9: killed), None never."""
    proc = mp.get_context("fork").Process(target=run_child, args=(settings_kw, kill_at))
    proc.start()
    proc.join(kill_after if kill_after is not None else timeout)
    if proc.exitcode is None:
        if kill_after is None:
            proc.kill()
            proc.join()
            pytest.fail(f"ingest pass did not finish in {timeout} s")
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
    return proc.exitcode


def _spawn_pass(settings_kw: dict, *, kill_after: float | None, timeout: float = 300) -> int:
    """The same in a separate `python -m tests.reliability.driver` process (its own group)."""
    args = [
        sys.executable, "-m", "tests.reliability.driver", "--db", settings_kw["database_url"],
        "--source", settings_kw["source"], "--files", settings_kw["file_store"],
    ]
    proc = subprocess.Popen(args, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "ready", (line, proc.stderr.read() if proc.stderr else "")
    try:
        proc.wait(kill_after if kill_after is not None else timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    out, err = proc.communicate()
    if proc.returncode not in (0, -signal.SIGKILL):
        pytest.fail(f"driver exited {proc.returncode}: {err[-2000:]}")
    return proc.returncode


def _random_kills(url: str, settings_kw: dict, files: Path, n: int, est: float,
                  rng: random.Random, stats: KillStats, *, spawn: bool, target: int) -> None:
    """Kill `n` passes at random moments; `est` is how long a whole pass is thought to take."""
    attempts = 0
    killed = 0
    while killed < n:
        attempts += 1
        assert attempts < 10 * n + 10, "passes keep finishing before the kill is due"
        before = _versions(url)
        delay = rng.uniform(0.05, max(0.2, est))
        t0 = time.monotonic()
        if spawn:
            code = _spawn_pass(settings_kw, kill_after=delay)
        else:
            code = _fork_pass(settings_kw, kill_after=delay)
        if code != -signal.SIGKILL:
            stats.finished_first += 1
            est = min(est, (time.monotonic() - t0) * 0.9)
            continue
        killed += 1
        stats.kills += 1
        stats.outstanding += before < target
        _check(url, files, stats, f"a random kill after {delay:.2f} s")


def _targeted_kills(url: str, settings_kw: dict, files: Path, stats: KillStats) -> None:
    for point in KILL_POINTS:
        code = _fork_pass(settings_kw, kill_at=(point, 1))
        assert code == -signal.SIGKILL, f"{point}: the pass never got there (exit {code})"
        stats.kills += 1
        stats.outstanding += 1
        _check(url, files, stats, f"a kill at {point}")


def _finish(url: str, settings_kw: dict, files: Path, expected: dict, what: str) -> None:
    result = run_pass(load_settings(**settings_kw))
    assert result.untyped == [] and result.crashed is None, result
    engine = make_engine(url)
    try:
        assert dbstate.check_invariants(engine, files) == []
        state = dbstate.dump(engine)
    finally:
        engine.dispose()
    assert state == expected, f"{what}: differs from an uninterrupted run:\n" + dbstate.diff(
        expected, state)


def _kill_cycle(url: str, tmp: Path, corpus: Corpus, reference: Reference, rng: random.Random,
                stats: KillStats, *, random_kills: tuple[int, int], targeted: bool,
                spawn: bool) -> None:
    files = tmp / "files"
    for edition, archive, expected, n in (
        ("first", corpus.first, reference.first, random_kills[0]),
        ("second", corpus.second, reference.second, random_kills[1]),
    ):
        kw = archive_settings(url, archive, files)
        target = len(expected["document_versions"])
        if targeted:
            _targeted_kills(url, kw, files, stats)
        est = reference.pass_seconds * (1.0 if edition == "first" else 0.5)
        _random_kills(url, kw, files, n, est, rng, stats, spawn=spawn, target=target)
        _finish(url, kw, files, expected, f"{edition} edition after {stats.kills} kills")
    stats.leftovers += dbstate.temp_files(files)


@pytest.mark.parametrize("kind", ENGINES)
def test_sigkill_at_random_and_chosen_points_loses_nothing(
    kind: str, new_db, tmp_path: Path, corpus: Corpus, reference: Reference, figures: Figures
) -> None:
    t0 = time.monotonic()
    stats = KillStats()
    url = new_db(kind)
    _kill_cycle(url, tmp_path, corpus, reference, random.Random(f"kill-{kind}"), stats,
                random_kills=(3, 2), targeted=True, spawn=False)
    figures.add(
        "SIGKILL mid-ingest (forked driver)", kind, injected=stats.kills, survived=stats.kills,
        lost=0, seconds=time.monotonic() - t0,
        notes=[f"{2 * len(KILL_POINTS)} at chosen points, {stats.kills - 2 * len(KILL_POINTS)} "
               f"at random moments; {stats.outstanding} with work outstanding; "
               f"{stats.checks} invariant checks; final state == uninterrupted run (2 editions); "
               f"{stats.leftovers} temporary files left in the store"],
    )


@pytest.mark.soak
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("kind", ENGINES)
def test_soak_fifty_kills_of_a_separate_process(
    kind: str, new_db, tmp_path: Path, corpus: Corpus, reference: Reference, figures: Figures
) -> None:
    """50+ SIGKILLs of a real `python -m` ingest process per engine, in cycles on fresh
    databases, each cycle ending in a comparison with the uninterrupted run."""
    t0 = time.monotonic()
    stats = KillStats()
    rng = random.Random(f"soak-kill-{kind}")
    cycle = 0
    while stats.kills < 50:
        cycle += 1
        url = new_db(kind)
        tmp = tmp_path / f"cycle{cycle}"
        _kill_cycle(url, tmp, corpus, reference, rng, stats, random_kills=(5, 2),
                    targeted=cycle == 1, spawn=True)
    figures.add(
        "SIGKILL mid-ingest (separate process, soak)", kind, injected=stats.kills,
        survived=stats.kills, lost=0, seconds=time.monotonic() - t0,
        notes=[f"{cycle} cycles on fresh databases, each compared with the uninterrupted run "
               f"after both editions; {stats.outstanding} kills with work outstanding; "
               f"{stats.finished_first} passes finished before their kill was due; "
               f"{stats.checks} invariant checks; {stats.leftovers} temporary files left"],
    )
