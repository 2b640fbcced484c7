"""Parsers: bytes of a PDF, Word file, HTML page or text file -> ParsedDocument.

Pure functions, no file or network I/O. `parse_bytes` is the entry the pipeline calls; it
detects the format, extracts lines (`pdf_extract`, `html_extract`, `text_extract`), then
`assemble.build_document` reads the front matter, segments and normalises. A Word file states
its structure, so `docx_extract` builds the document from it directly. Bad input raises a
`parsers.errors.DocumentError` subclass naming the file and the reason, never anything else.
See docs/parsing.md.
"""

from __future__ import annotations

from parsers.assemble import build_document
from parsers.detect import Format, decode_text, sniff
from parsers.errors import DocumentError, EmptyDocument, NotAPdf, UnsupportedFormat
from parsers.model import ParsedDocument
from parsers.trace import Trace

# Bump whenever the output for some input changes (stored documents are re-parsed when their
# parser_version is older). Calendar style: YEAR.MONTH.N.
PARSER_VERSION = "2026.11.4"

__all__ = ["PARSER_VERSION", "parse_bytes", "parse_docx", "parse_html", "parse_pdf", "parse_text"]


def _name(filename: str) -> str:
    return filename or "<bytes>"


def parse_text(text: str, *, filename: str = "", language: str = "en") -> ParsedDocument:
    """Plain or Markdown-ish text (hard-wrapped or one paragraph per line)."""
    from parsers.text_extract import extract_text

    if not text.strip():
        raise EmptyDocument(_name(filename), "no text")
    return build_document(extract_text(text), language=language, parser_version=PARSER_VERSION)


def parse_html(html: str | bytes, *, filename: str = "", language: str = "en") -> ParsedDocument:
    """An HTML page (UN HTML versions of documents)."""
    from parsers.html_extract import extract_html

    ex = extract_html(html)
    if not ex.lines:
        raise EmptyDocument(_name(filename), "no text in the HTML page")
    return build_document(ex, language=language, parser_version=PARSER_VERSION)


def parse_pdf(data: bytes, *, filename: str = "", language: str = "en",
              trace: Trace | None = None) -> ParsedDocument:
    """A PDF with a text layer; with a `trace`, what became of each printed line goes in it
    (`parsers.picture` draws it)."""
    from parsers.pdf_extract import extract_pdf

    ex = extract_pdf(data, _name(filename), trace)
    return build_document(ex, language=language, parser_version=PARSER_VERSION, trace=trace)


def parse_docx(data: bytes, *, filename: str = "", language: str = "en") -> ParsedDocument:
    """A Word (.docx) file: styles, typed numbers, tables and footnote parts as stated."""
    from parsers.docx_extract import build_docx_document, open_docx

    name = _name(filename)
    try:
        document = open_docx(data)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds on a bad package
        raise UnsupportedFormat(name, f"not a readable Word file ({type(exc).__name__})") from exc
    doc = build_docx_document(document, language=language, parser_version=PARSER_VERSION)
    if not doc.paragraphs and not doc.front.title:
        raise EmptyDocument(name, "no text in the Word file")
    return doc


def parse_bytes(
    data: bytes,
    *,
    filename: str = "",
    content_type: str | None = None,
    language: str = "en",
    trace: Trace | None = None,
) -> ParsedDocument:
    """Detect the format of `data` and parse it; see the module doc for the errors raised.

    A `trace` (what became of each printed line) can only be taken of a PDF: other formats
    have no page positions, and raise `UnsupportedFormat` with one."""
    name = _name(filename)
    fmt = sniff(data, filename=filename, content_type=content_type)
    if fmt is Format.EMPTY:
        raise EmptyDocument(name, "0 bytes" if not data else "only whitespace")
    if fmt is Format.FAKE_PDF:
        raise NotAPdf(name, _describe(data))
    if fmt is Format.BINARY:
        raise UnsupportedFormat(name, f"binary data starting {data[:8]!r}")
    if trace is not None and fmt is not Format.PDF:
        raise UnsupportedFormat(name, f"a picture needs a PDF, this is {_FORMAT_NAMES[fmt]}")
    try:
        if fmt is Format.PDF:
            return parse_pdf(data, filename=name, language=language, trace=trace)
        if fmt is Format.DOCX:
            return parse_docx(data, filename=name, language=language)
        text = decode_text(data)
        if text is None:
            raise UnsupportedFormat(name, "neither UTF-8 nor cp1252 text")
        if fmt is Format.HTML:
            return parse_html(text, filename=name, language=language)
        return parse_text(text, filename=name, language=language)
    except DocumentError:
        raise
    except MemoryError:
        raise  # the sandbox reports it as over budget
    except Exception as exc:  # noqa: BLE001 - a parser bug on odd input must still be typed
        raise UnsupportedFormat(name, f"could not be parsed ({type(exc).__name__}: {exc})") from exc


_FORMAT_NAMES = {Format.DOCX: "a Word file", Format.HTML: "an HTML page", Format.TEXT: "text"}


def _describe(data: bytes) -> str:
    head = data[:200].decode("utf-8", "replace").strip()
    head = " ".join(head.split())[:60]
    return f"content starts {head!r}"
