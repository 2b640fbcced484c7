"""Records the UN clients hand to the rest of the pipeline (`flows/`, `storage/`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class FileLink:
    url: str
    language: str  # ISO 639-1, lower case ("en"), decoded from the "-EN.pdf" suffix
    size: int | None = None  # 856 $s, bytes, as catalogued

    @property
    def name(self) -> str:
        """The file name (last path segment, unquoted): "A_C.3_78_L.49_Rev.1-EN.pdf"."""
        return unquote(urlsplit(self.url).path.rsplit("/", 1)[-1])

    @property
    def is_pdf(self) -> bool:
        return self.name.lower().endswith(".pdf")


@dataclass(frozen=True)
class AgendaItem:
    symbol: str | None  # the agenda document (A/78/251)
    item: str | None  # "71b"
    title: str | None
    subject: str | None


@dataclass(frozen=True)
class CatalogRecord:
    """One bibliographic record of the UN Digital Library (MARC 21)."""

    record_id: str  # 001
    symbols: tuple[str, ...]  # 191 $a, first is the primary symbol
    title: str | None = None  # 245 $a $b joined
    date: dt.date | None = None  # 269 $a
    modified: dt.datetime | None = None  # 005
    body: str | None = None  # 981 $a ("General Assembly"), with $b when present
    subjects: tuple[str, ...] = ()  # 650 $a
    agenda_items: tuple[AgendaItem, ...] = ()  # 991
    related: tuple[tuple[str, str], ...] = ()  # 993: (relation indicator, symbol)
    files: tuple[FileLink, ...] = ()  # 856
    # 269 $a as written when it is not a date (2024-02-30, "yesterday"); `date` is then None.
    date_text: str | None = None

    @property
    def symbol(self) -> str:
        return self.symbols[0] if self.symbols else f"record:{self.record_id}"

    def file_for(self, language: str) -> FileLink | None:
        """The file link for a language, a PDF when there is one (the pipeline reads PDFs)."""
        links = [f for f in self.files if f.language == language]
        return next((f for f in links if f.is_pdf), links[0] if links else None)


@dataclass(frozen=True)
class Download:
    """A fetched file: the bytes, where they came from and what the server said of them."""

    url: str  # the URL finally served (after redirects)
    content: bytes
    sha256: str
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False  # 304: content is empty (b"") and sha256 is ""; use the stored copy
    headers: dict[str, str] = field(default_factory=dict)
    origin: str = ""  # the file the bytes were read from (a local archive); "" for a download
