"""One run recorder for the three flows: the `ingest_runs` row (start, tally, finish, crash),
the run's artifacts in the Prefect UI and the state the flow run ends in.

The state is what an operator's automation sees, so it tells the truth:

- every document ended well (new, updated, unchanged, or pending with no file yet):
  `Completed`, returning the counts;
- some documents failed for good (recorded in `ingest_failures`, retried by the next run):
  `Completed` named `Partial`, its message giving the counts; the flow still returns the counts,
  so callers (the command line, a parent flow) go on as before;
- discovery may have missed records (paging cut short, a total larger than what was served):
  `Partial` as well, the reason among the run's `warnings`, which every run keeps with its row
  and its summary;
- the run was told to stop (SIGINT, SIGTERM, a cancellation): the row says `interrupted` and
  which signal; the exception propagates;
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

from flows import lease
from flows.document import Outcome, Status
from flows.pipeline import Pipeline
from flows.summary import (
    context_markdown,
    discovery_lines,
    not_found_markdown,
    run_status,
    summary_markdown,
    summary_table,
    tally,
)
from sources.paging import DiscoveryNote
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
    notes: list[DiscoveryNote] = field(default_factory=list)
    # How each window's records were found: door, doors shut, newest library stamp.
    discovery: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)  # the operator's robots.txt overrides
    not_found: list[str] = field(default_factory=list)  # symbols asked for, not in the library
    # The chunk in progress (flows/progress.py): its documents so far, until `add` takes them.
    in_flight: list[Outcome] = field(default_factory=list)
    in_flight_discovered: int = 0
    # Counts tallied by other flow runs (a fanned-out chunk's own run), added to this run's.
    carried: Counter[str] = field(default_factory=Counter)

    def window_started(self, discovered: int) -> None:
        self.in_flight_discovered = discovered

    def document_done(self, outcome: Outcome) -> None:
        self.in_flight.append(outcome)

    @property
    def live_counts(self) -> dict[str, int]:
        """The counts so far, the chunk in progress included (written with each heartbeat)."""
        return tally([*self.outcomes, *self.in_flight],
                     discovered=self.discovered + self.in_flight_discovered)

    def add(
        self, outcomes: Iterable[Outcome], *, discovered: int = 0,
        notes: Iterable[DiscoveryNote] = (), not_found: Iterable[str] = (),
    ) -> None:
        self.discovered += discovered
        self.outcomes.extend(outcomes)
        self.notes.extend(notes)
        self.in_flight.clear()
        self.in_flight_discovered = 0
        missing = [s for s in not_found if s not in self.not_found]
        if missing:
            # On the row at once: a run stopped later still says what it could not find.
            self.not_found.extend(missing)
            runs.set_not_found(self.pipe.engine, self.run_id, self.not_found)
            get_run_logger().warning(
                "%s run %d: not found in the library: %s", self.flow, self.run_id,
                ", ".join(missing),
            )

    def note_discovery(self, window: str, info: dict[str, Any]) -> None:
        if info:
            self.discovery.append((window, info))

    def add_counts(self, counts: Mapping[str, int]) -> None:
        self.carried.update({k: int(v) for k, v in counts.items()})

    @property
    def counts(self) -> dict[str, int]:
        counts = tally(self.outcomes, discovered=self.discovered)
        for key, value in self.carried.items():
            counts[key] = counts.get(key, 0) + value
        return counts

    @property
    def warnings(self) -> list[str]:
        return [n.message for n in self.notes]

    @property
    def incomplete(self) -> bool:
        return any(n.incomplete for n in self.notes)

    @property
    def status(self) -> str:
        return run_status(self.counts, incomplete=self.incomplete)

    def result(self, label: str) -> dict[str, int] | State:
        """Publish the run's artifacts and return what the flow should return: the counts, or a
        `Partial` state carrying them when documents failed for good."""
        counts = self.counts
        doors = discovery_lines(self.discovery, self.overrides)
        create_markdown_artifact(
            summary_markdown(counts, window=label, run_id=self.run_id, flow=self.flow,
                             warnings=self.warnings, notes=doors)
            + context_markdown(self.pipe.settings)
            + not_found_markdown(self.not_found),
            key=f"{self.flow}-summary",
            description=f"{self.flow.capitalize()} run: documents discovered, new, updated, "
                        "unchanged, pending and failed.",
        )
        rows = summary_table(self.outcomes)
        if rows:
            create_table_artifact(rows, key=f"{self.flow}-documents",
                                  description=f"What changed in this {self.flow} run.")
        get_run_logger().info("%s run %d %s (%s): %s%s", self.flow, self.run_id, self.status,
                              label, counts, "".join(f"; {line}" for line in doors)
                              + (f"; not found: {', '.join(self.not_found)}" if self.not_found
                                 else ""))
        return final_state(counts, flow=self.flow, run_id=self.run_id,
                           missing=[n.message for n in self.notes if n.incomplete])


def final_state(
    counts: dict[str, int], *, flow: str, run_id: int, missing: list[str] | None = None
) -> dict[str, int] | State:
    """The counts, or `Partial` when documents failed or discovery may have missed records
    (`missing`: why)."""
    failed = counts.get(Status.FAILED.value, 0)
    if not failed and not missing:
        return counts
    attempted = sum(counts.get(s.value, 0) for s in Status)
    parts = []
    if failed:
        parts.append(f"{failed} of {attempted} documents failed for good "
                     "(see ingest_failures; the next run tries them again)")
    if missing:
        parts.append(f"discovery may have missed records: {missing[0]}"
                     + (f" (and {len(missing) - 1} more warnings)" if len(missing) > 1 else ""))
    message = f"{flow} run {run_id}: {'; '.join(parts)}; counts {counts}"
    return Completed(name=PARTIAL, message=message, data=counts)


@contextmanager
def recorded_run(pipe: Pipeline, flow: str, parameters: dict[str, Any]) -> Iterator[RunRecorder]:
    """Open the run's row and hold its lease (flows/lease.py); close it `completed` or
    `partial` from the tally, `interrupted` when the run was told to stop, or `crashed` with
    the error when anything else escapes, so no row is left `running`."""
    recorder = RunRecorder(
        pipe=pipe,
        flow=flow,
        run_id=runs.start_run(
            pipe.engine, flow=flow, flow_run_id=flow_run.id, parameters=parameters
        ),
    )
    heartbeat = pipe.settings.heartbeat_seconds
    try:
        lease.close_abandoned_runs(pipe.engine, heartbeat, closed_by=recorder.run_id)
    except Exception as exc:  # noqa: BLE001 - others' rows wait for the next run; this one goes on
        logging.getLogger(__name__).warning("could not close abandoned runs: %s", exc)
    with lease.held(pipe.settings.database_url, recorder.run_id, interval=heartbeat,
                    counts=lambda: recorder.live_counts,
                    flow_run_id=str(flow_run.id) if flow_run.id else None) as held:
        try:
            yield recorder
        except BaseException as exc:
            _close_on_error(recorder, held, exc)
            raise
        runs.finish_run(pipe.engine, recorder.run_id, status=recorder.status,
                        counts=recorder.counts, warnings=recorder.warnings)


def _close_on_error(recorder: RunRecorder, held: lease.Lease, exc: BaseException) -> None:
    try:
        reason = lease.stop_reason(exc)
        if reason is not None:
            held.close(status=lease.INTERRUPTED, error=reason, warnings=recorder.warnings)
        else:
            runs.finish_run(
                recorder.pipe.engine, recorder.run_id, status="crashed", counts=recorder.counts,
                error=f"{type(exc).__name__}: {exc}", warnings=recorder.warnings,
            )
    except Exception as bookkeeping:  # noqa: BLE001 - the run's own error matters more
        # Often the same cause (the database went away); the row stays `running` until its
        # lease runs out, and the original exception, re-raised, is what Prefect and the
        # operator see.
        logging.getLogger(__name__).warning(
            "could not close run %d: %s", recorder.run_id, bookkeeping
        )
