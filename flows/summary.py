"""A run's figures: counted from the outcomes, rendered for the Prefect UI. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from flows.document import Outcome, Status

COUNT_KEYS = ("discovered", *(s.value for s in Status))


def tally(outcomes: Iterable[Outcome], *, discovered: int) -> dict[str, int]:
    counts = Counter(o.status.value for o in outcomes)
    return {"discovered": discovered, **{s.value: counts.get(s.value, 0) for s in Status}}


def run_status(counts: dict[str, int]) -> str:
    """'completed' when every document ended well, 'partial' when some failed (or, for a run
    fanned out over workers, some of its chunks did)."""
    failed = counts.get(Status.FAILED.value, 0) or counts.get("chunks_failed", 0)
    return "partial" if failed else "completed"


def summary_table(outcomes: Iterable[Outcome]) -> list[dict[str, str]]:
    """One row per document that needs a reader's eye: new, updated, pending or failed."""
    rows = []
    for o in outcomes:
        if o.status is Status.UNCHANGED:
            continue
        rows.append(
            {
                "symbol": o.symbol,
                "language": o.language,
                "status": o.status.value,
                "version": "" if o.version is None else str(o.version),
                "detail": o.detail,
                "link": o.link,
            }
        )
    return rows


def summary_markdown(
    counts: dict[str, int], *, window: str, run_id: int | None, flow: str = "ingest"
) -> str:
    lines = [
        f"## {flow.capitalize()} run {run_id if run_id is not None else ''} ({window})",
        "",
        "| " + " | ".join(COUNT_KEYS) + " |",
        "|" + "---|" * len(COUNT_KEYS),
        "| " + " | ".join(str(counts.get(k, 0)) for k in COUNT_KEYS) + " |",
    ]
    return "\n".join(lines)
