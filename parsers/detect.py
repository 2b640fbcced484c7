"""What kind of bytes these are: PDF, HTML, text, or something we refuse, and text decoding."""

from __future__ import annotations

import io
import re
import zipfile
from enum import Enum


class Format(Enum):
    PDF = "pdf"
    HTML = "html"
    TEXT = "text"
    EMPTY = "empty"
    DOCX = "docx"  # a Word (OOXML) package: a ZIP holding word/document.xml
    FAKE_PDF = "fake pdf"  # named or served as a PDF but is not one (an HTML error page, say)
    BINARY = "binary"  # some other binary format (legacy .doc, other ZIPs, an image)


_HTML_RE = re.compile(
    rb"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b",
    re.IGNORECASE | re.DOTALL,
)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def sniff(data: bytes, *, filename: str = "", content_type: str | None = None) -> Format:
    """Decide from the content first; the name and content type only say what was expected."""
    if not data.strip() or not data.removeprefix(_BOMS[0]).strip():
        return Format.EMPTY
    # The PDF header may follow some junk; readers accept it within the first kilobyte.
    if b"%PDF-" in data[:1024]:
        return Format.PDF
    said_pdf = filename.lower().endswith(".pdf") or (
        content_type is not None and "pdf" in content_type.lower()
    )
    if said_pdf:
        return Format.FAKE_PDF
    if data.startswith(b"PK\x03\x04") and _is_docx(data):
        return Format.DOCX
    head = data[:4096]
    if head.startswith(_BOMS[0]):
        head = head[3:]
    if _HTML_RE.match(head):
        return Format.HTML
    ctype = (content_type or "").lower()
    if "html" in ctype or filename.lower().endswith((".html", ".htm")):
        return Format.HTML
    if b"\x00" in head and not head.startswith(_BOMS[1:]):
        return Format.BINARY
    return Format.TEXT


def _is_docx(data: bytes) -> bool:
    """A ZIP whose directory lists word/document.xml (only the directory is read)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return "word/document.xml" in zf.namelist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return False


def decode_text(data: bytes) -> str | None:
    """UTF-8 (BOM or not), UTF-16 with a BOM, else cp1252; None when none of them fits."""
    if data.startswith(_BOMS[0]):
        data = data[3:]
    elif data.startswith(_BOMS[1:]):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return None
