"""A run's figures: counted from the outcomes, rendered for the Prefect UI. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from config import Settings
from flows.document import Outcome, Status
from sources.records import CatalogRecord
from storage.db import safe_url

COUNT_KEYS = ("discovered", *(s.value for s in Status))


def tally(outcomes: Iterable[Outcome], *, discovered: int) -> dict[str, int]:
    counts = Counter(o.status.value for o in outcomes)
    return {"discovered": discovered, **{s.value: counts.get(s.value, 0) for s in Status}}


def run_status(counts: dict[str, int]) -> str:
    """'completed' when every document ended well, 'partial' when some failed."""
    return "partial" if counts.get(Status.FAILED.value, 0) else "completed"


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
