"""Checks shared by the HTTP client and the local archive: is this body what it claims to be?"""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from sources.errors import BadContent

PDF_MAGIC = b"%PDF-"
# PDF readers accept the header anywhere in the first 1024 bytes (junk before it happens).
_MAGIC_WINDOW = 1024


def check_pdf(url: str, content: bytes, content_type: str | None = None) -> None:
    """Raise BadContent unless `content` is a PDF (an HTML error page is a failure)."""
    if not content:
        raise BadContent(url, "empty body where a PDF was expected")
    if PDF_MAGIC in content[:_MAGIC_WINDOW]:
        return
    head = content[:40].decode("latin-1").strip()
    kind = f"Content-Type {content_type}" if content_type else "no Content-Type"
    raise BadContent(url, f"not a PDF ({kind}; body starts {head!r})")


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def ods_file_name(symbol: str, language: str) -> str:
    """`A/78/L.1` in English -> `A_78_L.1-EN.pdf`, the library's own file naming."""
    return f"{symbol.replace('/', '_')}-{language.upper()}.pdf"


def ods_access_url(ods_base: str, symbol: str, language: str) -> str:
    """The ODS address that redirects to `symbol`'s file in `language` (the records' fallback)."""
    query = urlencode({"s": symbol, "l": language.lower(), "t": "pdf"}, safe="/")
    return f"{ods_base.rstrip('/')}/api/symbol/access?{query}"
