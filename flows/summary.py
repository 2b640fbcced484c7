"""A run's figures: counted from the outcomes, rendered for the Prefect UI. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from config import Settings
from flows.document import Outcome, Status
from sources.records import CatalogRecord
from storage.db import safe_url

COUNT_KEYS = ("discovered", *(s.value for s in Status))


def tally(outcomes: Iterable[Outcome], *, discovered: int) -> dict[str, int]:
    counts = Counter(o.status.value for o in outcomes)
    return {"discovered": discovered, **{s.value: counts.get(s.value, 0) for s in Status}}


def run_status(counts: dict[str, int], *, incomplete: bool = False) -> str:
    """'completed' when every document ended well, 'partial' when some failed, when discovery
    may have missed records (`incomplete`) or, for a run fanned out over workers, when some of
    its chunks failed."""
    failed = counts.get(Status.FAILED.value, 0) or counts.get("chunks_failed", 0)
    return "partial" if incomplete or failed else "completed"


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


def discovery_lines(
    windows: Iterable[tuple[str, dict[str, Any]]], overrides: Iterable[str] = ()
) -> list[str]:
    """One line per window: the door that found its records, the doors found shut and why, the
    newest library time stamp seen; then the operator's robots.txt overrides in force."""
    lines = []
    for window, info in windows:
        door = info.get("door") or "no door"
        shut = "; ".join(f"{d}: {why}" for d, why in (info.get("blocked") or {}).items())
        line = f"{window}: found through the {door} door"
        if info.get("high_water"):
            line += f", newest library stamp {info['high_water']}"
        lines.append(line + (f"; shut: {shut}" if shut else "; no door shut"))
    lines += [f"override: {o}" for o in overrides]
    return lines


def summary_markdown(
    counts: dict[str, int],
    *,
    window: str,
    run_id: int | None,
    flow: str = "ingest",
    warnings: list[str] | None = None,
    notes: Iterable[str] = (),
) -> str:
    lines = [
        f"## {flow.capitalize()} run {run_id if run_id is not None else ''} ({window})",
        "",
        "| " + " | ".join(COUNT_KEYS) + " |",
        "|" + "---|" * len(COUNT_KEYS),
        "| " + " | ".join(str(counts.get(k, 0)) for k in COUNT_KEYS) + " |",
    ]
    if warnings:
        lines += ["", f"### Warnings ({len(warnings)})", ""]
        lines += [f"- {w}" for w in warnings]
    notes = list(notes)
    if notes:
        lines += ["", "### Doors", ""] + [f"- {n}" for n in notes]
    return "\n".join(lines)


def missing_symbols(requested: Iterable[str], records: Iterable[CatalogRecord]) -> list[str]:
    """The requested symbols no record carries (any of its symbols, case aside), in order."""
    have = {s.casefold() for r in records for s in r.symbols}
    wanted = dict.fromkeys(s.strip() for s in requested if s.strip())
    return [s for s in wanted if s.casefold() not in have]


def not_found_markdown(symbols: list[str]) -> str:
    if not symbols:
        return ""
    return (
        f"\n\n**Not found in the library ({len(symbols)}):** "
        + ", ".join(f"`{s}`" for s in symbols)
        + "\n\nNo catalogue record carries these symbols; check them, or the source."
    )


def context_markdown(settings: Settings) -> str:
    """Where the run read from and wrote to, so its summary stands alone."""
    return (
        "\n\n| source | database | file store |\n|---|---|---|\n"
        f"| {settings.source} | {safe_url(settings.database_url)} | {settings.file_store} |"
    )
