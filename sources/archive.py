"""A local archive folder in the library's own shape, so a bulk download is ingested offline.

Layout (see docs/sources.md)::

    <archive>/search/*.xml                      MARCXML search answers, any number; all read
    <archive>/record/<id>/files/<name>          the files, at the URL path of their 856 $u link
    <archive>/ods/<symbol, / as _>-<LANG>.pdf   optional: the ODS fallback (A_78_L.1-EN.pdf)

`https://digitallibrary.un.org/record/4026910/files/X-EN.pdf` is read from
`<archive>/record/4026910/files/X-EN.pdf`, whatever the link's host.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

from config import Settings
from sources.content import check_pdf, ods_access_url, ods_file_name, sha256_hex
from sources.errors import BadResponse, FetchError, NoFileYet, TooLarge
from sources.marcxml import parse_search_response
from sources.query import Scope
from sources.records import CatalogRecord, Download

log = logging.getLogger(__name__)

_EPOCH = dt.datetime.min.replace(tzinfo=dt.UTC)


class LocalArchive:
    """`sources.base.Source` over an archive folder: same relevance check, no network.

    Downloads carry the link's URL (or the ODS URL) as `url`, so provenance reads the same as
    from the library, and the local path in `headers["X-Archive-Path"]`. Validators are
    derived from the file: ETag = its SHA-256, Last-Modified = its mtime.
    """

    def __init__(self, folder: Path, settings: Settings) -> None:
        self.folder = Path(folder).expanduser().resolve()
        self.settings = settings
        self.ods = settings.ods_url.rstrip("/")
        self._records: list[CatalogRecord] | None = None
        self._lock = threading.Lock()

    def records(self) -> list[CatalogRecord]:
        """All records of all search pages, one per record id (the latest 005 wins), newest first
        by 269 date. Read once, on first use."""
        with self._lock:
            if self._records is None:
                self._records = self._load()
            return self._records

    def _load(self) -> list[CatalogRecord]:
        search = self.folder / "search"
        pages = sorted(search.glob("*.xml")) if search.is_dir() else []
        if not pages:
            log.warning("archive %s has no search/*.xml pages", self.folder)
        by_id: dict[str, CatalogRecord] = {}
        for page in pages:
            try:
                xml = page.read_bytes()
            except OSError as exc:
                raise BadResponse(page.as_uri(), f"cannot read: {exc}") from exc
            parsed = parse_search_response(xml, url=page.as_uri())
            for record in parsed.records:
                old = by_id.get(record.record_id)
                if old is None or (record.modified or _EPOCH) >= (old.modified or _EPOCH):
                    by_id[record.record_id] = record
        return sorted(
            by_id.values(),
            key=lambda r: (r.date or dt.date.min, r.record_id),
            reverse=True,
        )

    def search(
        self, *, since: dt.date | None = None, until: dt.date | None = None
    ) -> Iterator[CatalogRecord]:
        scope = Scope.from_settings(self.settings)
        for record in self.records():
            if scope.admits(record, since=since, until=until):
                yield record

    def lookup(self, symbols: Sequence[str]) -> Iterator[CatalogRecord]:
        wanted = {s.strip().casefold() for s in symbols if s.strip()}
        for record in self.records():
            if any(sym.casefold() in wanted for sym in record.symbols):
                yield record

    def fetch(
        self,
        record: CatalogRecord,
        language: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Download:
        language = language.lower()
        link = record.file_for(language)
        if link is not None and link.is_pdf:
            path = self._path_for(urlsplit(link.url).path)
            if path is not None and path.is_file():
                return self._read(path, link.url, etag=etag, last_modified=last_modified)
        for symbol in record.symbols:
            path = self._path_for(f"ods/{ods_file_name(symbol, language)}")
            if path is not None and path.is_file():
                return self._read(path, ods_access_url(self.ods, symbol, language))
        where = link.url if link is not None else ods_access_url(self.ods, record.symbol, language)
        raise NoFileYet(
            where,
            f"no {language} file for record {record.record_id} in archive {self.folder} "
            "(neither the link's file nor ods/)",
        )

    def _path_for(self, url_path: str) -> Path | None:
        """The archive file for a URL path, None if the path would leave the archive."""
        relative = unquote(url_path).lstrip("/")
        if not relative:
            return None
        path = (self.folder / relative).resolve()
        return path if path.is_relative_to(self.folder) else None

    def _read(
        self,
        path: Path,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Download:
        size = path.stat().st_size
        cap = self.settings.max_download_bytes
        if size > cap:
            raise TooLarge(str(path), f"{size} bytes, over the cap of {cap} bytes")
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise FetchError(str(path), f"cannot read: {exc}") from exc
        digest = sha256_hex(content)
        tag = f'"{digest}"'
        modified = email.utils.formatdate(path.stat().st_mtime, usegmt=True)
        headers = {"X-Archive-Path": str(path), "ETag": tag, "Last-Modified": modified}
        # The ETag is the content's hash, so it decides; the date only when no ETag was kept.
        if (etag and etag == tag) or (not etag and last_modified and last_modified == modified):
            return Download(
                url=url, content=b"", sha256="", content_type="application/pdf", etag=tag,
                last_modified=modified, not_modified=True, headers=headers, origin=str(path),
            )
        check_pdf(str(path), content)  # an error names the archive's file, not the URL it mimics
        return Download(
            url=url, content=content, sha256=digest, content_type="application/pdf", etag=tag,
            last_modified=modified, headers=headers, origin=str(path),
        )
