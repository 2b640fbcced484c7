"""The `unmig` Typer application; command modules register themselves on `app`."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="unmig",
    help="Ingest UN General Assembly documents on international migration and development.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a one-line error to stderr and return the Exit to raise."""
    typer.secho(f"unmig: error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)
