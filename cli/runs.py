"""`unmig failures`: the documents that failed, whole, for the operator who has to act on them."""

from __future__ import annotations

import typer

from cli.app import app, fail
from cli.query import _first_line, _ts, _wrap, open_database, run_line
from storage import runs


@app.command()
def failures(
    run: int | None = typer.Option(
        None, "--run", "-r", min=1, help="The failures this run met (open or since resolved)."
    ),
    full: bool = typer.Option(False, "--full", help="The whole error text, not its first line."),
) -> None:
    """Open failures (or those of one run), with their stage, attempts and error."""
    with open_database() as (_, engine):
        if run is not None:
            info = runs.get_run(engine, run)
            if info is None:
                raise fail(f"no run {run} in the database")
            found = runs.failures_of_run(engine, run)
            missing = runs.not_found_of(engine, [run]).get(run, [])
        else:
            info, found, missing = None, runs.open_failures(engine), []
    if info is not None:
        typer.echo(run_line(info).strip())
        if info.error:
            typer.echo(_wrap(f"error: {info.error if full else _first_line(info.error)}", "  "))
        if missing:
            typer.echo(_wrap(f"not found in the library: {', '.join(missing)}", "  "))
    what = f"Failures of run {run}" if run is not None else "Open failures"
    typer.secho(f"{what} ({len(found)})", bold=True)
    for f in found:
        lang = f" [{f.language}]" if f.language else ""
        state = f"resolved {_ts(f.resolved_at)}" if f.resolved_at else "open"
        typer.echo(
            f"  {f.symbol}{lang} {f.stage}: {f.attempts} attempt(s), first {_ts(f.first_seen_at)}"
            f", last {_ts(f.last_seen_at)} (runs {f.first_run_id or '-'}..{f.last_run_id or '-'})"
            f", {state}"
        )
        if f.url:
            typer.echo(f"      {f.url}")
        if full:
            for line in f.error.splitlines() or [""]:
                typer.echo(_wrap(line, "      "))
        else:
            typer.echo(_wrap(_first_line(f.error), "      "))
