"""The UN Digital Library over HTTP: search (paged MARCXML) and downloads, with the ODS fallback.

Base URL: UNMIG_SOURCE (https://digitallibrary.un.org, or a mirror / local stand-in).
Fallback: UNMIG_ODS_URL + `/api/symbol/access?s=SYMBOL&l=en&t=pdf`, which redirects to the file.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from urllib.parse import urlencode, urljoin

import requests
from urllib3.exceptions import MaxRetryError, ProtocolError
from urllib3.util.retry import Retry

from config import Settings
from sources.content import check_pdf, ods_access_url, sha256_hex
from sources.errors import BadContent, FetchError, HttpError, NoFileYet, TooLarge
from sources.http import HostPolicy, make_session
from sources.marcxml import SearchPage, parse_search_response
from sources.query import build_lookup_params, build_search_params, is_relevant
from sources.records import CatalogRecord, Download

log = logging.getLogger(__name__)

MAX_REDIRECTS = 10
LOOKUP_BATCH = 20  # symbols per lookup query: short URLs, few requests
_CHUNK = 64 * 1024
_GONE = (404, 410)


class DigitalLibrary:
    """`sources.base.Source` over HTTP. Thread-safe as far as `requests.Session` is (the flows
    share one instance across worker threads; only GETs, no cookies relied on)."""

    def __init__(self, settings: Settings, session: requests.Session | None = None) -> None:
        self.settings = settings
        self.base = settings.source.rstrip("/")
        self.ods = settings.ods_url.rstrip("/")
        self.session = session if session is not None else make_session(settings)
        self._owns_session = session is None
        self.hosts = HostPolicy.from_settings(settings)
        self.timeout = settings.timeout
        self.max_bytes = settings.max_download_bytes

    def close(self) -> None:
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> DigitalLibrary:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- discovery -------------------------------------------------------------------------

    def search(
        self, *, since: dt.date | None = None, until: dt.date | None = None
    ) -> Iterator[CatalogRecord]:
        s = self.settings

        def params(jrec: int) -> dict[str, str]:
            return build_search_params(
                subjects=s.subjects, since=since, until=until, query_template=s.query,
                page_size=s.page_size, jrec=jrec,
            )

        kept = dropped = 0
        for record in self._all_pages(params):
            # The search is not trusted (wildcards and field queries are unreliable): re-check.
            if is_relevant(record, subjects=s.subjects, since=since, until=until):
                kept += 1
                yield record
            else:
                dropped += 1
        log.info("search %s..%s: %d relevant, %d dropped by our check", since, until, kept, dropped)

    def lookup(self, symbols: Sequence[str]) -> Iterator[CatalogRecord]:
        wanted = list(dict.fromkeys(s.strip() for s in symbols if s.strip()))
        seen: set[str] = set()
        for i in range(0, len(wanted), LOOKUP_BATCH):
            batch = wanted[i : i + LOOKUP_BATCH]
            keys = {s.casefold() for s in batch}

            def params(jrec: int, batch: list[str] = batch) -> dict[str, str]:
                return build_lookup_params(batch, page_size=self.settings.page_size, jrec=jrec)

            for record in self._all_pages(params):
                if record.record_id in seen:
                    continue
                # A phrase query can match more than the exact symbol; keep only exact hits.
                if any(sym.casefold() in keys for sym in record.symbols):
                    seen.add(record.record_id)
                    yield record

    def search_page(self, params: dict[str, str]) -> SearchPage:
        """One page of `/search` (MARCXML); BadResponse if it cannot be read."""
        resp, body = self._get(f"{self.base}/search", params=params, accept="application/xml")
        if resp.status_code != 200:
            raise HttpError(resp.url, resp.status_code, resp.reason)
        return parse_search_response(body, url=resp.url)

    def _all_pages(self, params_for: Callable[[int], dict[str, str]]) -> Iterator[CatalogRecord]:
        """Every record of a search, page by page (jrec is 1-based), each record id once.

        New records catalogued while we page shift later pages down, so a record can come twice
        (de-duplicated here); the run's date-window overlap covers the rarer opposite case.
        """
        seen: set[str] = set()
        previous: tuple[list[str], int | None] = ([], None)
        jrec = 1
        while True:
            page = self.search_page(params_for(jrec))
            ids = [r.record_id for r in page.records]
            # The same page with the same total again: a server ignoring jrec. (A shift by new
            # records can repeat a page too, but then the total has grown.)
            if not ids or (ids, page.total) == previous:
                return
            previous = (ids, page.total)
            for record in page.records:
                if record.record_id not in seen:
                    seen.add(record.record_id)
                    yield record
            # Advance by what came back, not by rg: a server may cap the page size.
            jrec += len(page.records)
            if page.total is not None and jrec > page.total:
                return
            if page.total is None and len(page.records) < self.settings.page_size:
                return

    # -- download --------------------------------------------------------------------------

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
            try:
                return self.download(link.url, etag=etag, last_modified=last_modified)
            except HttpError as exc:
                if exc.status not in _GONE:
                    raise
                log.info("%s: link gone (%s), trying the ODS", record.symbol, exc)
            # The validators belong to the link, not to whatever the ODS serves.
            etag = last_modified = None
        return self._fetch_ods(record, language, etag=etag, last_modified=last_modified)

    def ods_url(self, symbol: str, language: str) -> str:
        return ods_access_url(self.ods, symbol, language)

    def _fetch_ods(
        self,
        record: CatalogRecord,
        language: str,
        *,
        etag: str | None,
        last_modified: str | None,
    ) -> Download:
        if not record.symbols:
            raise NoFileYet(f"record:{record.record_id}", "no file link and no symbol for the ODS")
        reasons = []
        for symbol in record.symbols:
            url = self.ods_url(symbol, language)
            try:
                return self.download(url, etag=etag, last_modified=last_modified)
            except HttpError as exc:
                if exc.status not in _GONE:
                    raise
                reasons.append(f"{symbol}: HTTP {exc.status}")
            except BadContent as exc:
                # The ODS answers a page, not a file, for documents it does not hold (yet).
                reasons.append(f"{symbol}: {exc.reason}")
        raise NoFileYet(
            self.ods_url(record.symbols[0], language),
            f"no {language} file link in record {record.record_id}, and the ODS has none yet "
            f"({'; '.join(reasons)})",
        )

    def download(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> Download:
        """GET a PDF politely: allowed hosts on every hop, conditional, size-capped, checked."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        resp, content = self._get(url, headers=headers, accept="application/pdf,*/*;q=0.5")
        final, ctype = resp.url, resp.headers.get("Content-Type")
        if resp.status_code == 304:
            return Download(
                url=final, content=b"", sha256="", content_type=ctype,
                etag=resp.headers.get("ETag") or etag,
                last_modified=resp.headers.get("Last-Modified") or last_modified,
                not_modified=True, headers=dict(resp.headers),
            )
        if resp.status_code != 200:
            raise HttpError(final, resp.status_code, resp.reason)
        check_pdf(final, content, ctype)
        return Download(
            url=final, content=content, sha256=sha256_hex(content), content_type=ctype,
            etag=resp.headers.get("ETag"), last_modified=resp.headers.get("Last-Modified"),
            headers=dict(resp.headers),
        )

    # -- plumbing --------------------------------------------------------------------------

    def _get(
        self,
        url: str,
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        accept: str | None = None,
    ) -> tuple[requests.Response, bytes]:
        """GET and read a 200's body (capped); other statuses come back with no body.

        A body cut short is fetched again under the session's retry policy: urllib3 retries only
        until the headers have arrived.
        """
        retry = self._retry_policy(url)
        while True:
            resp = self._open(url, params=params, headers=headers, accept=accept)
            try:
                if resp.status_code != 200:
                    return resp, b""
                try:
                    return resp, self._read_capped(resp)
                except _BodyCutShort as exc:
                    retry = self._next_attempt(retry, resp.url, exc)
            finally:
                resp.close()

    def _open(
        self,
        url: str,
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        accept: str | None = None,
    ) -> requests.Response:
        """GET with redirects followed by hand, each hop checked against the allowed hosts.
        Returns the final (streaming, unread) response; the caller closes it."""
        headers = dict(headers or {})
        if accept:
            headers["Accept"] = accept
        self.hosts.check(url)
        for _ in range(MAX_REDIRECTS + 1):
            try:
                resp = self.session.get(
                    url, params=params, headers=headers, timeout=self.timeout,
                    stream=True, allow_redirects=False,
                )
            except requests.RequestException as exc:
                shown = f"{url}?{urlencode(params)}" if params else url
                raise FetchError(shown, _describe(exc)) from exc
            if not resp.is_redirect:
                return resp
            target = urljoin(resp.url, resp.headers["Location"])
            resp.close()
            self.hosts.check(target, redirected_from=resp.url)
            url, params = target, None
        raise FetchError(url, f"more than {MAX_REDIRECTS} redirects")

    def _read_capped(self, resp: requests.Response) -> bytes:
        """The body, refused past UNMIG_MAX_DOWNLOAD_MB: by Content-Length before reading,
        and while streaming (a missing or lying Content-Length, an endless body)."""
        declared = resp.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise TooLarge(
                resp.url,
                f"Content-Length {int(declared)} exceeds the cap of {self.max_bytes} bytes",
            )
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in resp.iter_content(_CHUNK):
                size += len(chunk)
                if size > self.max_bytes:
                    raise TooLarge(resp.url, f"body exceeds the cap of {self.max_bytes} bytes")
                chunks.append(chunk)
        except (requests.exceptions.ChunkedEncodingError, requests.ConnectionError,
                requests.Timeout) as exc:
            raise _BodyCutShort(f"body cut short after {size} bytes: {_describe(exc)}") from exc
        return b"".join(chunks)

    def _retry_policy(self, url: str) -> Retry | None:
        retries = self.session.get_adapter(url).max_retries
        return retries if isinstance(retries, Retry) else None

    @staticmethod
    def _next_attempt(retry: Retry | None, url: str, exc: _BodyCutShort) -> Retry:
        if retry is None:
            raise FetchError(url, str(exc))
        try:
            retry = retry.increment(method="GET", url=url, error=ProtocolError(str(exc)))
        except MaxRetryError:
            raise FetchError(url, f"{exc} (retries used up)") from None
        log.info("%s: %s; fetching again", url, exc)
        retry.sleep()
        return retry


class _BodyCutShort(Exception):
    pass


def _describe(exc: BaseException) -> str:
    """A one-line reason from a requests exception, down to its root cause."""
    inner: BaseException = exc
    seen = set()
    while id(inner) not in seen:
        seen.add(id(inner))
        nxt = getattr(inner, "reason", None)
        if not isinstance(nxt, BaseException):
            nxt = inner.args[0] if inner.args and isinstance(inner.args[0], BaseException) else None
        if nxt is None:
            break
        inner = nxt
    text = str(inner)
    # urllib3 prefixes "<urllib3.connection.HTTPConnection object at 0x...>: " to some reasons.
    if text.startswith("<") and ">: " in text:
        text = text.split(">: ", 1)[1]
    kind = type(exc).__name__
    if type(inner) is type(exc):
        return f"{kind}: {text}"
    return f"{kind} ({type(inner).__name__}): {text}"
