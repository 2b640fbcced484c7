"""Bad input raises the typed error that names the file and the reason, and nothing else."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers import parse_bytes
from parsers.errors import (
    DocumentError,
    EmptyDocument,
    EncryptedPdf,
    NotAPdf,
    NoTextLayer,
    TruncatedPdf,
    UnsupportedFormat,
)
from tests import pdfgen


@pytest.fixture(scope="module")
def good_pdf() -> bytes:
    return pdfgen.render_pdf(pdfgen.sample_report())


def raises(exc: type[DocumentError], data: bytes, filename: str, **kw) -> DocumentError:
    with pytest.raises(exc) as info:
        parse_bytes(data, filename=filename, **kw)
    err = info.value
    assert err.source == filename
    assert filename in str(err) and exc.reason in str(err)
    return err


@pytest.mark.parametrize("data", [pdfgen.EMPTY, b"   \n\t\r\n", b"\xef\xbb\xbf \n"])
def test_empty(data: bytes) -> None:
    raises(EmptyDocument, data, "A_61_515.pdf")


def test_html_error_page_named_pdf() -> None:
    err = raises(NotAPdf, pdfgen.html_error_page(), "A_61_515-EN.pdf")
    assert "404 Not Found" in err.detail


def test_html_error_page_served_as_pdf() -> None:
    raises(NotAPdf, pdfgen.html_error_page("503 Service Unavailable"), "download",
           content_type="application/pdf")


def test_html_page_without_pdf_claim_is_parsed_as_html() -> None:
    doc = parse_bytes(pdfgen.html_error_page(), filename="page.html")
    assert "not available" in doc.text


def test_truncated(good_pdf: bytes) -> None:
    raises(TruncatedPdf, pdfgen.truncated_pdf(good_pdf), "cut.pdf")


def test_corrupt_body_with_an_end_marker() -> None:
    raises(TruncatedPdf, b"%PDF-1.4\n1 0 obj <</Type /Catalog>> garbage\n%%EOF\n", "bad.pdf")


def test_encrypted() -> None:
    err = raises(EncryptedPdf, pdfgen.encrypted_pdf(), "locked.pdf")
    assert "password" in err.detail


def test_scanned_without_text_layer() -> None:
    err = raises(NoTextLayer, pdfgen.scanned_pdf(pages=2), "scan.pdf")
    assert "2 pages" in err.detail


@pytest.mark.parametrize("data", [b"PK\x03\x04\x14\x00\x06\x00" + bytes(100),
                                  b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(50)])
def test_other_binary_formats(data: bytes) -> None:
    raises(UnsupportedFormat, data, "file.docx")


def test_errors_name_a_placeholder_without_filename() -> None:
    with pytest.raises(EmptyDocument, match="<bytes>"):
        parse_bytes(b"")


def test_cp1252_text_is_decoded() -> None:
    doc = parse_bytes("1. Caf\u00e9 \u201cquoted\u201d text.\n".encode("cp1252"), filename="a.txt")
    assert doc.paragraphs[0].text == "Caf\u00e9 \u201cquoted\u201d text."


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_never_raise_untyped(data: bytes) -> None:
    for name in ("x.pdf", "x.txt"):
        with contextlib.suppress(DocumentError):
            parse_bytes(data, filename=name)


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.data())
def test_damaged_pdfs_never_raise_untyped(good_pdf: bytes, data) -> None:
    """Bytes flipped or cut anywhere in a real PDF: a result or a typed error."""
    blob = bytearray(good_pdf)
    for _ in range(data.draw(st.integers(1, 8))):
        i = data.draw(st.integers(0, len(blob) - 1))
        blob[i] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        blob = blob[: data.draw(st.integers(0, len(blob)))]
    with contextlib.suppress(DocumentError):
        parse_bytes(bytes(blob), filename="damaged.pdf")
