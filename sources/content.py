"""Checks shared by the HTTP client and the local archive: is this body what it claims to be?"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from urllib.parse import quote, urlencode

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


DOCX_MAGIC = b"PK\x03\x04"  # a .docx is a ZIP package
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the Word 97-2003 .doc (no reader for it here)


def check_docx(url: str, content: bytes, content_type: str | None = None) -> None:
    """Raise BadContent unless `content` is a Word (.docx) package."""
    if not content:
        raise BadContent(url, "empty body where a Word document was expected")
    if content.startswith(DOCX_MAGIC):
        return
    if content.startswith(OLE_MAGIC):
        raise BadContent(url, "a Word 97-2003 .doc, not a .docx: no reader for it")
    head = content[:40].decode("latin-1").strip()
    kind = f"Content-Type {content_type}" if content_type else "no Content-Type"
    raise BadContent(url, f"not a Word document ({kind}; body starts {head!r})")


def as_word_request(ods_url: str) -> str:
    """The same ODS address asking for the Word version (`t=doc`) instead of the PDF."""
    return ods_url.replace("&t=pdf", "&t=doc")


# Headers a web application firewall sets on the answer it gives instead of the resource:
# AWS WAF (what the Digital Library answers non-browser clients with) and Cloudflare.
_WAF_HEADERS = ("x-amzn-waf-action", "cf-mitigated")
# Strings of the interstitial pages those firewalls serve (their script names and globals); none
# can appear in a PDF's first bytes or in MARCXML, so a match means "a challenge, not the answer".
_CHALLENGE_MARKERS = re.compile(
    rb"awswaf|AwsWafIntegration|gokuProps|challenge\.js|captcha\.js|cf-chl|challenge-platform",
    re.IGNORECASE,
)
_SCAN = 64 * 1024


def challenge_reason(status: int, headers: Mapping[str, str]) -> str | None:
    """Why an answer's status and headers say "a bot challenge", or None.

    A 202 to a GET for a document or a search page is never the resource: the library's firewall
    answers 202 with an empty body or a script page. A WAF action header says so on any status.
    """
    for name in _WAF_HEADERS:
        value = headers.get(name)
        if value:
            return f"bot {value.strip().lower()} (HTTP {status}, {name}: {value.strip()})"
    if status == 202:
        return "HTTP 202 Accepted instead of the resource (a bot challenge)"
    return None


def challenge_page(content: bytes) -> str | None:
    """Why a body is a firewall's challenge page rather than the resource, or None."""
    m = _CHALLENGE_MARKERS.search(content[:_SCAN])
    if m is None:
        return None
    return f"a bot challenge page (it mentions {m.group(0).decode('latin-1')!r})"


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def ods_file_name(symbol: str, language: str) -> str:
    """`A/78/L.1` in English -> `A_78_L.1-EN.pdf`, the library's own file naming."""
    return f"{symbol.replace('/', '_')}-{language.upper()}.pdf"


# The ODS's one-letter language codes (A, C, E, F, R, S: the suffix of its own file names).
ODS_LANGUAGE_LETTERS = {"ar": "A", "zh": "C", "en": "E", "fr": "F", "ru": "R", "es": "S"}


def ods_access_url(ods_base: str, symbol: str, language: str) -> str:
    """The ODS address that redirects to `symbol`'s file in `language` (the records' fallback):
    the symbol with literal slashes and the ISO language, as most public clients send it."""
    query = urlencode({"s": symbol, "l": language.lower(), "t": "pdf"}, safe="/")
    return f"{ods_base.rstrip('/')}/api/symbol/access?{query}"


def ods_access_urls(ods_base: str, symbol: str, language: str) -> list[str]:
    """Both forms of the ODS address, in the order to try them.

    Public clients disagree: most send literal slashes and `l=en`, one reports that the ODS
    wants the slashes percent-encoded and the ODS's own letter (`l=E`). The first form is tried
    first; the second only when the first has no file.
    """
    plain = ods_access_url(ods_base, symbol, language)
    letter = ODS_LANGUAGE_LETTERS.get(language.lower(), language.upper())
    encoded = (
        f"{ods_base.rstrip('/')}/api/symbol/access?s={quote(symbol, safe='')}"
        f"&l={quote(letter, safe='')}&t=pdf"
    )
    return [plain] if encoded == plain else [plain, encoded]
