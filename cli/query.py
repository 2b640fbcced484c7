"""Read commands (show, history, diff, search, status) and `db upgrade`, on `cli.app`.

Each command reads the settings, opens the configured database and goes through `storage`.
"""

from __future__ import annotations

import datetime as dt
import shlex
import shutil
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
import typer
from sqlalchemy.engine import Engine
from typer.core import TyperCommand

from cli.app import app, db_app, fail
from config import ConfigError, Settings, load_settings
from storage import agreement, discovery, queries, runs
from storage.db import (
    SchemaNotReady,
    current_revision,
    integrity_problem,
    is_read_only,
    make_engine,
    require_schema,
    safe_url,
    upgrade_database,
)

WIDTH = 100


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise fail(str(exc)) from None


@contextmanager
def open_database(*, strict: bool = False) -> Iterator[tuple[Settings, Engine]]:
    """The configured database, checked to have the unmig schema; errors become one line.

    `strict`: a schema at another revision than the code's is an error (commands that write),
    not a warning (commands that read).
    """
    settings = _settings()
    where = safe_url(settings.database_url)
    try:
        engine = make_engine(settings.database_url)
    except (ValueError, sa.exc.ArgumentError) as exc:
        raise fail(f"bad database URL {where}: {exc}") from None
    try:
        try:
            require_schema(engine)
        except sa.exc.DBAPIError as exc:  # unreachable, locked, or not a database at all
            raise fail(f"cannot open the database at {where}: {_first_line(exc.orig)}") from None
        except SchemaNotReady as exc:
            if strict or exc.revision is None:
                raise fail(str(exc)) from None
            typer.secho(f"unmig: warning: {exc}", err=True, fg=typer.colors.YELLOW)
        if strict and is_read_only(settings.database_url):
            raise fail(f"the database at {where} is read-only here: reads work, writes cannot")
        try:
            damage = integrity_problem(engine) if strict else None
        except sa.exc.DBAPIError as exc:
            damage = _first_line(exc.orig)
        if damage:
            raise fail(f"the database at {where} is damaged: {damage}")
        try:
            yield settings, engine
        except sa.exc.DBAPIError as exc:
            raise fail(f"database error at {where}: {_first_line(exc.orig)}") from None
    finally:
        engine.dispose()


def _first_line(exc: object) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _ts(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") if value else "-"


def _wrap(text: str, indent: str) -> str:
    return (
        textwrap.fill(
            text, WIDTH, initial_indent=indent, subsequent_indent=indent, replace_whitespace=False
        )
        if text
        else indent.rstrip()
    )


# --- show / history / diff --------------------------------------------------------------------


@app.command()
def show(
    symbol: str = typer.Argument(..., help="Document symbol, e.g. A/61/515."),
    version: int | None = typer.Option(
        None, "--version", "-v", help="Version number; default current."
    ),
    language: str = typer.Option("en", "--language", "-l", help="Language code (en, fr, ...)."),
) -> None:
    """Print a document's paragraphs (the current version, or --version N)."""
    with open_database() as (_, engine):
        view = queries.get_document(engine, symbol, language=language, version=version)
        if view is None:
            langs = queries.languages(engine, symbol)
            if not langs:
                raise fail(f"no document {symbol} in the database")
            if language not in langs:
                raise fail(f"{symbol} has no {language} text (it has: {', '.join(langs)})")
            latest = queries.get_document(engine, symbol, language=language)
            raise fail(
                f"{symbol} [{language}] has no version {version}"
                + (f" (latest is {latest.latest_version})" if latest else "")
            )
        v = view.version
        word = agreement.get_agreement(engine, v.symbol, v.language, v.version)
    state = "current" if v.is_current else f"superseded {_ts(v.valid_to)}"
    typer.secho(
        f"{v.symbol} [{v.language}] version {v.version} of {view.latest_version} ({state})",
        bold=True,
    )
    if v.title:
        typer.echo(_wrap(v.title, ""))
    typer.echo(
        f"date {v.doc_date or '-'} · fetched {_ts(v.fetched_at)} UTC · parser {v.parser_version}"
    )
    typer.echo(f"source {v.source_url}")
    if word is not None:
        typer.echo(word.line())
    section = None
    for p in view.paragraphs:
        if p.section != section:
            section = p.section
            typer.echo("")
            if section:
                typer.secho(section, bold=True)
        label = f"{p.number}. " if p.number else ""
        notes = f" [{', '.join(p.footnote_markers)}]" if p.footnote_markers else ""
        typer.echo(_wrap(f"{label}{p.text}{notes}", "  "))
    if view.footnotes:
        typer.echo("")
        typer.secho("Footnotes", bold=True)
        for f in view.footnotes:
            typer.echo(_wrap(f"{f.marker} {f.text}", "  "))


@app.command()
def history(symbol: str = typer.Argument(..., help="Document symbol, e.g. A/61/515.")) -> None:
    """List every version of a document with what changed from the one before."""
    with open_database() as (_, engine):
        entries = queries.history(engine, symbol)
    if not entries:
        raise fail(f"no document {symbol} in the database")
    typer.secho(symbol, bold=True)
    header = (
        f"{'lang':<5}{'ver':>4}  {'valid from':<17} {'valid to':<17} {'paras':>6}  "
        f"{'changes':<16} {'parser':<10} run"
    )
    typer.echo(header)
    for e in entries:
        v = e.version
        what = "first version" if e.changes is None else str(e.changes)
        notes = [
            n for n, on in (("new file", e.source_changed), ("new parser", e.parser_changed)) if on
        ]
        typer.echo(
            f"{v.language:<5}{v.version:>4}  {_ts(v.valid_from):<17} "
            f"{(_ts(v.valid_to) if v.valid_to else 'current'):<17} {v.paragraph_count:>6}  "
            f"{what:<16} {v.parser_version:<10} {v.run_id if v.run_id is not None else '-'}"
            + (f"  ({', '.join(notes)})" if notes else "")
        )


@app.command()
def diff(
    symbol: str = typer.Argument(..., help="Document symbol, e.g. A/61/515."),
    v1: int = typer.Argument(..., help="Older version."),
    v2: int = typer.Argument(..., help="Newer version."),
    language: str = typer.Option("en", "--language", "-l", help="Language code."),
) -> None:
    """Show paragraphs added, removed and changed between two versions."""
    with open_database() as (_, engine):
        try:
            changes = queries.diff_versions(engine, symbol, v1, v2, language=language)
        except LookupError as exc:
            raise fail(str(exc)) from None
    n = {k: sum(c.change == k for c in changes) for k in ("added", "removed", "changed")}
    typer.secho(
        f"{symbol} [{language}] version {v1} → {v2}: "
        f"{n['changed']} changed, {n['added']} added, {n['removed']} removed",
        bold=True,
    )
    marks = {
        "added": ("+", typer.colors.GREEN),
        "removed": ("-", typer.colors.RED),
        "changed": ("~", typer.colors.YELLOW),
    }
    for c in changes:
        mark, color = marks[c.change]
        where = f" ({c.section})" if c.section else ""
        typer.secho(f"{mark} {c.label}{where}", fg=color, bold=True)
        if c.old_text is not None:
            typer.secho(_wrap(c.old_text, "  - "), fg=typer.colors.RED)
        if c.new_text is not None:
            typer.secho(_wrap(c.new_text, "  + "), fg=typer.colors.GREEN)


# --- search -----------------------------------------------------------------------------------


class _QueryWords(TyperCommand):
    """Reads a word starting with "-" as a query word (an exclusion), not an unknown option,
    so `unmig search -remittances migration` works as documented; a known option (`-n 5`,
    `--limit=5`) is still an option, and after `--` everything is query."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        takes_value: dict[str, bool] = {}
        for param in self.get_params(ctx):
            if param.param_type_name == "option":
                for name in (*param.opts, *param.secondary_opts):
                    takes_value[name] = not param.is_flag and not param.count
        options: list[str] = []
        words: list[str] = []
        rest = iter(args)
        for arg in rest:
            name = arg.split("=", 1)[0] if arg.startswith("--") else arg
            if arg == "--":
                words.extend(rest)
            elif name not in takes_value:
                words.append(arg)
            else:
                options.append(arg)
                value = next(rest, None) if takes_value[name] and "=" not in arg else None
                if value is not None:
                    options.append(value)
        return super().parse_args(ctx, [*options, "--", *words] if words else options)


@app.command(cls=_QueryWords)
def search(
    query: list[str] = typer.Argument(  # noqa: B008 - Typer's way
        ..., help='Words, "a phrase", OR, -exclude, prefix*.', metavar="WORD",
        show_default=False,
    ),
    limit: int = typer.Option(20, "--limit", "-n", min=1, max=1000, help="Most hits to print."),
    language: str | None = typer.Option(None, "--language", "-l", help="Only this language."),
) -> None:
    """Full-text search over the current versions' paragraphs."""
    text = " ".join(query)
    with open_database() as (_, engine):
        try:
            hits = queries.search(engine, text, limit=limit, language=language)
        except queries.QueryTooLong as exc:
            raise fail(str(exc)) from None
    if not hits:
        typer.echo(f"no paragraphs match {text!r}")
        return
    for h in hits:
        where = f"¶{h.number}" if h.number else f"#{h.position}"
        typer.secho(f"{h.symbol} [{h.language}] v{h.version} {where}", bold=True, nl=False)
        typer.echo(f"  {' '.join(h.snippet.split())}")


# --- status -----------------------------------------------------------------------------------


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _sample_sql_command(settings: Settings) -> str:
    sql = "SELECT symbol, language, version, title FROM current_documents LIMIT 5"
    url = sa.engine.make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        return f'sqlite3 {url.database} "{sql}"'
    plain = url.set(drivername="postgresql").render_as_string(hide_password=True)
    return f'psql "{plain}" -c "{sql}"'


def unmig_command() -> str:
    """How to call this command line again from here: `unmig` when that is what the shell
    finds, otherwise its path (`make run` leaves it in .venv/bin, off the PATH)."""
    me = Path(sys.argv[0])
    if me.name != "unmig":
        return "unmig"
    found = shutil.which("unmig")
    if found and Path(found).resolve() == me.resolve():
        return "unmig"
    try:
        return shlex.quote(str(me.resolve().relative_to(Path.cwd())))
    except ValueError:
        return shlex.quote(str(me.resolve()))


def run_line(r: runs.RunInfo) -> str:
    """One run: id, flow, status, start, how long (so far), counts."""
    if r.finished_at:
        took = f" in {int((r.finished_at - r.started_at).total_seconds())}s"
    elif r.status == "running":
        took = f", for {int((dt.datetime.now(dt.UTC) - r.started_at).total_seconds())}s so far"
    else:
        took = ""
    numbers = " ".join(f"{k}={v}" for k, v in sorted(r.counts.items()))
    return f"  #{r.id} {r.flow} {r.status} {_ts(r.started_at)}{took}  {numbers}".rstrip()


@app.command()
def status(
    last_n: int = typer.Option(5, "--runs", "-n", min=1, max=10_000, help="How many runs to list."),
) -> None:
    """Last runs, open failures, what is stored and where, and how to query it."""
    with open_database() as (settings, engine):
        counts = queries.counts(engine)
        last = runs.last_runs(engine, last_n)
        missing = runs.not_found_of(engine, [r.id for r in last])
        failures = runs.open_failures(engine)
        revision = current_revision(engine)
        with engine.connect() as conn:
            example = conn.scalar(sa.text("SELECT min(symbol) FROM current_documents"))
        try:
            mark = discovery.get_watermark(engine, settings.source)
        except sa.exc.DBAPIError:  # a schema from before the discovery watermark
            mark = None
    files = Path(settings.file_store)
    typer.secho("Where the data is", bold=True)
    typer.echo(f"  database   {safe_url(settings.database_url)} (schema {revision})")
    typer.echo(f"  raw files  {files.resolve()}{'' if files.exists() else ' (nothing stored yet)'}")
    typer.secho("What is stored", bold=True)
    typer.echo(
        f"  {_n(counts['documents'], 'document')}, "
        f"{_n(counts['current versions'], 'current language version')} "
        f"({_n(counts['versions'], 'version')} in all), "
        f"{_n(counts['current paragraphs'], 'current paragraph')}, "
        f"{_n(counts['catalogue records'], 'catalogue record')}"
    )
    typer.secho("Discovery", bold=True)
    if mark is None:
        typer.echo("  no watermark yet: the next ingest searches everything by document date")
    else:
        typer.echo(f"  watermark  {_ts(mark.watermark)} on the library's clock, through the "
                   f"{mark.door or '?'} door (run #{mark.run_id}); the next ingest asks for "
                   f"what entered the library since, less UNMIG_DISCOVERY_OVERLAP_DAYS="
                   f"{settings.discovery_overlap_days}")
    typer.secho("Last runs", bold=True)
    if not last:
        typer.echo("  none yet")
    for r in last:
        typer.echo(run_line(r))
        if r.error:
            typer.echo(f"      error: {_first_line(r.error)}")
        warnings = r.warnings or []
        for w in warnings[:5]:
            typer.echo(f"      warning: {_first_line(w)[:160]}")
        if len(warnings) > 5:
            typer.echo(f"      ... and {len(warnings) - 5} more warnings (ingest_runs.warnings)")
        if r.id in missing:
            typer.echo(_wrap(f"not found in the library: {', '.join(missing[r.id])}", "      "))
    typer.secho(f"Open failures ({len(failures)})", bold=True)
    for f in failures[:20]:
        lang = f" [{f.language}]" if f.language else ""
        typer.echo(
            f"  {f.symbol}{lang} {f.stage}: {f.attempts} attempt(s), last {_ts(f.last_seen_at)}"
            f" — {_first_line(f.error)[:120]}"
        )
    if len(failures) > 20:
        typer.echo(f"  … and {len(failures) - 20} more: {unmig_command()} failures")
    typer.secho("Try", bold=True)
    # Name the database when it is not the default, so the commands can be pasted as they are.
    default_url = f"sqlite:///{(settings.data_dir / 'unmig.db').as_posix()}"
    env = "" if settings.database_url == default_url else (
        f"UNMIG_DATABASE_URL={shlex.quote(safe_url(settings.database_url))} "
    )
    unmig = unmig_command()
    typer.echo(f'  {env}{unmig} search "remittances"')
    typer.echo(f"  {env}{unmig} show {shlex.quote(example or 'A/61/515')}")
    if failures:
        typer.echo(f"  {env}{unmig} failures --full")
    typer.echo(f"  {_sample_sql_command(settings)}")


# --- db ---------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(
    revision: str = typer.Option("head", "--revision", help="Target schema revision."),
) -> None:
    """Create or update the database schema (safe to run again)."""
    settings = _settings()
    where = safe_url(settings.database_url)
    try:
        upgrade_database(settings.database_url, revision)
        engine = make_engine(settings.database_url)
        try:
            now = current_revision(engine)
        finally:
            engine.dispose()
    except sa.exc.DBAPIError as exc:
        raise fail(f"cannot upgrade the database at {where}: {_first_line(exc.orig)}") from None
    except Exception as exc:  # noqa: BLE001 - alembic's errors (bad revision, ...) as one line
        raise fail(f"cannot upgrade the database at {where}: {_first_line(exc)}") from None
    typer.echo(f"database {where} is at schema revision {now}")
