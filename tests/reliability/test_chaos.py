"""A 30 % chaos replay server: resets, 429s, 5xx and timeouts on a random share of requests.

Passes run over the whole corpus, as a nightly run would, with the faults still on: every
document that fails a pass is on record in `ingest_failures` until a later pass loads it, and
the database converges to exactly the state an undisturbed pass over the same server gives.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from pathlib import Path

import pytest

from flows.document import Outcome, Status
from storage import runs
from storage.db import make_engine, upgrade_database
from tests.reliability import dbstate
from tests.reliability.conftest import ENGINES, Corpus, Figures
from tests.reliability.driver import PassResult, run_pass
from tests.replay_server import Fault, ReplayServer

FAULTS = (Fault.RESET, Fault.TOO_MANY, Fault.ERROR_500, Fault.ERROR_503, Fault.HANG)


def _settings(server: ReplayServer, url: str, files: Path):  # noqa: ANN202 - config.Settings
    # No HTTP retry, so that the 30 % reach the documents and their failure records instead of
    # being absorbed by the client; small search pages, so that discovery can fail too.
    return server.settings(database_url=url, file_store=str(files), parse_workers=0,
                           timeout=0.5, retries=0, http_backoff=0.01, page_size=5)


def _state(url: str, files: Path) -> tuple[dict, set[tuple[str, str | None]]]:
    engine = make_engine(url)
    try:
        assert dbstate.check_invariants(engine, files) == []
        owed = {(f.symbol, f.language) for f in runs.open_failures(engine)}
        return dbstate.dump(engine), owed
    finally:
        engine.dispose()


def _content(state: dict) -> dict:
    """Everything but the open failures: what a reader of the database gets."""
    return {k: v for k, v in state.items() if k != "open_failures"}


def _converge(kind: str, new_db, tmp: Path, corpus: Corpus, *, seed: int, max_passes: int,
              figures: Figures, label: str) -> None:
    t0 = time.monotonic()
    with ReplayServer(corpus.first, hang_seconds=1.0) as server:
        # The reference: one undisturbed pass over this very server (same URLs and validators).
        ref_url = f"sqlite:///{tmp / 'reference.sqlite'}"
        upgrade_database(ref_url)
        clean = run_pass(_settings(server, ref_url, tmp / "ref-files"))
        assert clean.crashed is None and clean.untyped == []
        expected, _ = _state(ref_url, tmp / "ref-files")
        server.reset_log()

        server.chaos(0.3, seed=seed, faults=FAULTS, retry_after=0)
        url = new_db(kind)
        files = tmp / "files"
        passes: list[PassResult] = []
        state: dict = {}
        while len(passes) < max_passes:
            ended: list[Outcome] = []
            # One attempt per document and pass: the next pass is the retry, as the next
            # scheduled run is for a document whose task retries ran out.
            result = run_pass(_settings(server, url, files), retries=0,
                              on_outcome=ended.append)
            passes.append(result)
            assert result.untyped == [], result.untyped
            state, owed = _state(url, files)
            # Every document this pass could not finish is on record until a pass loads it.
            unfinished = {(o.symbol, o.language) for o in ended
                          if o.status in (Status.FAILED, Status.PENDING)}
            assert unfinished <= owed, unfinished - owed
            if _content(state) == _content(expected):
                break
        assert _content(state) == _content(expected), (
            f"no convergence after {len(passes)} passes:\n" + dbstate.diff(expected, state))
        # Under 30 % faults some document's (conditional) download fails on every pass, so
        # some transient failure is always open; once the network heals, one pass settles them.
        injected = [e for e in server.hits() if e.fault]
        requests = len(server.log)
        server.clear_faults()
        healed = run_pass(_settings(server, url, files), retries=0)
        assert healed.untyped == [] and healed.crashed is None
        state, _ = _state(url, files)
    assert state == expected, "after the network healed:\n" + dbstate.diff(expected, state)
    by_fault = Counter(e.fault for e in injected)
    crashed = sum(r.crashed is not None for r in passes)
    failed_docs = sum(r.transient_gave_up for r in passes)
    assert failed_docs > 0 or crashed, "no fault ever reached a document: nothing was tested"
    figures.add(
        label, kind, injected=len(injected), survived=len(injected), lost=0,
        seconds=time.monotonic() - t0,
        notes=[f"{len(passes)} passes under faults until the content equalled the undisturbed "
               "pass's, one more once they stopped, to settle the open failures "
               f"({crashed} lost their discovery to a fault, "
               f"{failed_docs} documents given up on by a pass, recorded, then loaded by a later "
               f"one); {len(injected)} of {requests} requests faulted: "
               + ", ".join(f"{k} {v}" for k, v in sorted(by_fault.items()))
               + f"; {sum(len(r.stage_errors) for r in passes)} stage errors, all typed; "
               "final state == undisturbed pass"],
    )


@pytest.mark.parametrize("kind", ENGINES)
def test_chaos_server_runs_converge_with_every_failure_on_record(
    kind: str, new_db, tmp_path: Path, corpus: Corpus, figures: Figures
) -> None:
    _converge(kind, new_db, tmp_path, corpus, seed=random.Random(kind).randrange(1000),
              max_passes=40, figures=figures, label="30 % chaos replay server")


@pytest.mark.soak
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("kind", ENGINES)
def test_soak_chaos_server_many_seeds(
    kind: str, new_db, tmp_path: Path, corpus: Corpus, figures: Figures
) -> None:
    for seed in range(8):
        _converge(kind, new_db, tmp_path / f"seed{seed}", corpus, seed=seed, max_passes=60,
                  figures=figures, label="30 % chaos replay server (soak)")
