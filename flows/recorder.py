"""One run recorder for the three flows: the `ingest_runs` row (start, tally, finish, crash),
the run's artifacts in the Prefect UI and the state the flow run ends in.

The state is what an operator's automation sees, so it tells the truth:

- every document ended well (new, updated, unchanged, or pending with no file yet):
  `Completed`, returning the counts;
- some documents failed for good (recorded in `ingest_failures`, retried by the next run):
  `Completed` named `Partial`, its message giving the counts; the flow still returns the counts,
  so callers (the command line, a parent flow) go on as before;
- the run itself broke: the exception propagates and Prefect marks the run `Failed` (the row in
  `ingest_runs` says `crashed`, never `running`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run
from prefect.states import Completed, State

from flows.document import Outcome, Status
from flows.pipeline import Pipeline
from flows.summary import run_status, summary_markdown, summary_table, tally
from storage import runs

# The state name automations match (flows/alerts.py, docs/architecture.md).
PARTIAL = "Partial"


@dataclass
class RunRecorder:
    """The tally of one run; `recorded_run` opens and closes its row."""

    pipe: Pipeline
    flow: str
    run_id: int
    discovered: int = 0
    outcomes: list[Outcome] = field(default_factory=list)
    # Counts tallied by other flow runs (a fanned-out chunk's own run), added to this run's.
    carried: Counter[str] = field(default_factory=Counter)

    def add(self, outcomes: Iterable[Outcome], *, discovered: int = 0) -> None:
        self.discovered += discovered
        self.outcomes.extend(outcomes)

    def add_counts(self, counts: Mapping[str, int]) -> None:
        self.carried.update({k: int(v) for k, v in counts.items()})

    @property
    def counts(self) -> dict[str, int]:
        counts = tally(self.outcomes, discovered=self.discovered)
        for key, value in self.carried.items():
            counts[key] = counts.get(key, 0) + value
        return counts

    @property
    def status(self) -> str:
        return run_status(self.counts)

    def result(self, label: str) -> dict[str, int] | State:
        """Publish the run's artifacts and return what the flow should return: the counts, or a
        `Partial` state carrying them when documents failed for good."""
        counts = self.counts
        create_markdown_artifact(
            summary_markdown(counts, window=label, run_id=self.run_id, flow=self.flow),
            key=f"{self.flow}-summary",
            description=f"{self.flow.capitalize()} run: documents discovered, new, updated, "
                        "unchanged, pending and failed.",
        )
        rows = summary_table(self.outcomes)
        if rows:
            create_table_artifact(rows, key=f"{self.flow}-documents",
                                  description=f"What changed in this {self.flow} run.")
        get_run_logger().info("%s run %d %s (%s): %s", self.flow, self.run_id, self.status,
                              label, counts)
        return final_state(counts, flow=self.flow, run_id=self.run_id)


def final_state(counts: dict[str, int], *, flow: str, run_id: int) -> dict[str, int] | State:
    failed = counts.get(Status.FAILED.value, 0)
    if not failed:
        return counts
    attempted = sum(counts.get(s.value, 0) for s in Status)
    message = (
        f"{flow} run {run_id}: {failed} of {attempted} documents failed for good "
        f"(see ingest_failures; the next run tries them again); counts {counts}"
    )
    return Completed(name=PARTIAL, message=message, data=counts)


@contextmanager
def recorded_run(pipe: Pipeline, flow: str, parameters: dict[str, Any]) -> Iterator[RunRecorder]:
    """Open the run's row; close it `completed` or `partial` from the tally, or `crashed` with
    the error when anything escapes, so no row is left `running`."""
    recorder = RunRecorder(
        pipe=pipe,
        flow=flow,
        run_id=runs.start_run(
            pipe.engine, flow=flow, flow_run_id=flow_run.id, parameters=parameters
        ),
    )
    try:
        yield recorder
    except BaseException as exc:
        try:
            runs.finish_run(
                pipe.engine, recorder.run_id, status="crashed", counts=recorder.counts,
                error=f"{type(exc).__name__}: {exc}",
            )
        except Exception as bookkeeping:  # noqa: BLE001 - the run's own error matters more
            # Often the same cause (the database went away); the row stays `running` and the
            # original exception, re-raised below, is what Prefect and the operator see.
            logging.getLogger(__name__).warning(
                "could not close run %d as crashed: %s", recorder.run_id, bookkeeping
            )
        raise
    runs.finish_run(pipe.engine, recorder.run_id, status=recorder.status,
                    counts=recorder.counts)
