"""`unmig parse`: what the pipeline would store for one local file."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import typer

from cli.app import app, fail
from config import ConfigError, load_settings
from flows.sandbox import ParseSandbox
from parsers.detect import Format, sniff
from parsers.errors import DocumentError
from parsers.model import ParsedDocument

_NO_PAGES = {Format.DOCX: "a Word file", Format.HTML: "an HTML page", Format.TEXT: "text"}


def _print_human(doc: ParsedDocument) -> None:
    front = doc.front
    for label, value in (
        ("symbol", front.symbol), ("type", front.doc_type), ("date", front.date),
        ("session", front.session), ("agenda item", front.agenda_item),
        ("title", front.title), ("subtitle", front.subtitle),
    ):
        if value:
            typer.echo(f"{label + ':':13}{value}")
    typer.echo(f"{'paragraphs:':13}{len(doc.paragraphs)}   parser {doc.parser_version}")
    section: tuple[str, ...] | None = None
    for p in doc.paragraphs:
        if p.section != section:
            section = p.section
            typer.secho("\n" + (" / ".join(section) or "(no section)"), bold=True)
        label = f"{p.number}." if p.number else f"[{p.kind}]"
        typer.echo(textwrap.fill(p.text, width=100, initial_indent=f"{label:>6} ",
                                 subsequent_indent=" " * 7))
    for f in doc.footnotes:
        typer.echo(f"  footnote {f.marker} (paragraph {f.paragraph_position}): {f.text}")
    for w in doc.warnings:
        typer.secho(f"warning: {w}", fg=typer.colors.YELLOW)


@app.command()
def parse(
    path: Path = typer.Argument(..., help="A PDF, HTML or text file."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    language: str = typer.Option("en", help="Language of the document."),
    html: Path | None = typer.Option(
        None, "--html", metavar="OUT.html",
        help="Also write a picture of the parse: each PDF page with its lines coloured by what "
             "they became (PDF only).",
    ),
) -> None:
    """Parse one local file and print its front matter and numbered paragraphs.

    With --html, also write one HTML file drawing each page of the PDF with every line
    coloured by what it became (paragraph and its number, heading, table, footnote,
    furniture, front matter, contents, dropped); Word, HTML and text files have no pages to
    draw. The parser runs in a worker process under the ingest's budget (UNMIG_PARSE_TIMEOUT,
    UNMIG_PARSE_MEMORY_MB), so a file that would hang or flood an ingest stops here too."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        raise fail(str(exc), code=2) from None
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise fail(f"{path}: no such file") from None
    except IsADirectoryError:
        raise fail(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise fail(f"{path}: cannot read: {exc.strerror or exc}") from None
    if html is not None and (fmt := sniff(data, filename=str(path))) in _NO_PAGES:
        raise fail(f"{path}: --html needs a PDF (this is {_NO_PAGES[fmt]}, without page "
                   "positions)")
    sandbox = ParseSandbox(
        workers=1, timeout=settings.parse_timeout, memory_mb=settings.parse_memory_mb
    )
    picture = None
    try:
        if html is None:
            doc = sandbox.parse(data, filename=str(path), language=language)
        else:
            doc, picture = sandbox.picture(data, filename=str(path), language=language)
    except DocumentError as exc:
        raise fail(str(exc)) from None
    finally:
        sandbox.close()
    if html is not None and picture is not None:
        try:
            html.write_text(picture, encoding="utf-8")
        except OSError as exc:
            raise fail(f"{html}: cannot write: {exc.strerror or exc}") from None
    if as_json:
        typer.echo(json.dumps(doc.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_human(doc)
