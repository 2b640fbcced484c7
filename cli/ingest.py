"""`unmig ingest` and `unmig backfill`: run the flows once from the command line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from cli.app import app, fail
from cli.query import open_database
from config import ConfigError, load_settings


def _check(source: str | None) -> None:
    """Validate settings and the database before Prefect starts, so a bad value or a database
    nobody migrated costs no server start-up and no traceback."""
    try:
        settings = load_settings(**({"source": source} if source else {}))
    except ConfigError as exc:
        raise fail(str(exc), code=2) from None
    if not settings.source_is_remote and not Path(settings.source).is_dir():
        raise fail(f"source {settings.source!r} is neither an http(s) URL nor a folder", code=2)
    with open_database(strict=True):
        pass


def _run(flow: Callable[..., dict[str, int]], **parameters: Any) -> dict[str, int]:
    """Run a flow; its failure becomes one line (Prefect has logged the details above), and a
    signal ends it within seconds (cli/stop.py)."""
    from cli import stop
    from flows.lease import RunInterrupted

    try:
        with stop.flow_process():
            return flow(**parameters)
    except (RunInterrupted, KeyboardInterrupt) as exc:
        raise stop.interrupted(exc) from None
    except Exception as exc:  # noqa: BLE001 - whatever ended the run, say it in one line
        first = (str(exc).strip().splitlines() or [""])[0]
        name = getattr(flow, "name", "the run")
        raise fail(f"{name} failed: {type(exc).__name__}: {first}") from None


def _report(counts: dict[str, int]) -> None:
    typer.echo("  ".join(f"{k}={v}" for k, v in counts.items()))
    if counts.get("failed"):
        typer.secho("some documents failed: see `unmig status`", fg=typer.colors.YELLOW)


@app.command()
def ingest(
    source: str = typer.Option(None, help="UN Digital Library base URL or a local archive folder."),
    since: dt.datetime = typer.Option(None, formats=["%Y-%m-%d"], help="First date (YYYY-MM-DD)."),
    until: dt.datetime = typer.Option(None, formats=["%Y-%m-%d"], help="Last date, inclusive."),
    force: bool = typer.Option(False, help="Download and parse again even if unchanged."),
) -> None:
    """Run the ingestion flow once: discover, download, parse, load."""
    _check(source)
    from flows.ingest import ingest as ingest_flow

    counts = _run(
        ingest_flow,
        since=since.date() if since else None,
        until=until.date() if until else None,
        source=source,
        force=force,
    )
    _report(counts)


@app.command()
def backfill(
    start: dt.datetime = typer.Option(None, formats=["%Y-%m-%d"], help="First date."),
    end: dt.datetime = typer.Option(None, formats=["%Y-%m-%d"], help="Last date, inclusive."),
    symbol: list[str] = typer.Option(None, help="A symbol to load; repeat for several."),
    source: str = typer.Option(None, help="UN Digital Library base URL or a local archive folder."),
    force: bool = typer.Option(False, help="Download and parse again even if unchanged."),
) -> None:
    """Load a past period month by month, or a list of symbols."""
    if start is None and not symbol:
        raise fail("give --start (and optionally --end) or at least one --symbol", code=2)
    _check(source)
    from flows.ingest import backfill as backfill_flow

    counts = _run(
        backfill_flow,
        start=start.date() if start else None,
        end=end.date() if end else None,
        symbols=symbol or None,
        source=source,
        force=force,
    )
    _report(counts)


@app.command()
def reprocess(limit: int = typer.Option(None, help="At most this many versions.")) -> None:
    """Parse stored raw files again where the parser version is stale (no network)."""
    _check(None)
    from flows.ingest import reprocess as reprocess_flow

    _report(_run(reprocess_flow, limit=limit))
