"""The UN Digital Library over HTTP: search (paged MARCXML) and downloads, with the ODS fallback.

Base URL: UNMIG_SOURCE (https://digitallibrary.un.org, or a mirror / local stand-in).
Fallback: UNMIG_ODS_URL + `/api/symbol/access?s=SYMBOL&l=en&t=pdf`, which redirects to the file.

A shut door (a bot challenge, a 403, robots.txt) is a `BlockedError` naming the door. A file
the library will not give (shut door, gone, not a PDF) is asked of the ODS instead.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from types import TracebackType
from urllib.parse import urlencode, urljoin

import requests
from urllib3.exceptions import HTTPError, MaxRetryError, ProtocolError
from urllib3.util.retry import Retry

from config import Settings
from sources.content import (
    challenge_page,
    challenge_reason,
    check_pdf,
    ods_access_url,
    ods_access_urls,
    sha256_hex,
)
from sources.errors import (
    BadContent,
    BadResponse,
    BlockedError,
    Door,
    FetchError,
    HttpError,
    NoFileYet,
    ResponseTooSlow,
    RobotsDisallowed,
    TooLarge,
)
from sources.http import HostPolicy, make_session, response_deadline
from sources.marcxml import SearchPage, parse_search_response
from sources.paging import DiscoveryBudget, DiscoveryNote, PageGuard, PagingLimits
from sources.query import Scope, build_lookup_params, build_search_params
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
        self.response_seconds = settings.response_seconds
        self.max_bytes = settings.max_download_bytes
        # Doors a bot challenge shut during this instance's life (a run): door -> why. A shut
        # file door is not knocked on again for every document; the ODS is asked directly.
        self._shut: dict[Door, str] = {}
        self._shut_lock = threading.Lock()
        # Paging limits; the budget is shared by every search of this instance (one window).
        self.limits = PagingLimits.from_settings(settings)
        self.budget = DiscoveryBudget(self.limits.seconds)
        self._notes: list[DiscoveryNote] = []

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

        scope = Scope.from_settings(s)

        def params(jrec: int) -> dict[str, str]:
            return build_search_params(
                subjects=s.subjects, agenda=s.agenda, body=s.body_query, since=since,
                until=until, query_template=s.query, page_size=s.page_size, jrec=jrec,
            )

        self._notes.clear()  # a discovery tried again starts a fresh account
        kept = dropped = 0
        for record in self._all_pages(params):
            # The search is not trusted (wildcards and field queries are unreliable): re-check.
            if scope.admits(record, since=since, until=until):
                kept += 1
                yield record
                continue
            dropped += 1
            if record.date is None and record.date_text and scope.admits(
                record, since=None, until=None
            ):
                # Relevant but for a date nobody can read: not loaded, and said so.
                self._note(DiscoveryNote(
                    f"record {record.record_id} ({record.symbol}) not loaded: unreadable 269 "
                    f"date {record.date_text!r}"))
        log.info("search %s..%s: %d relevant, %d dropped by our check", since, until, kept, dropped)

    def lookup(self, symbols: Sequence[str]) -> Iterator[CatalogRecord]:
        wanted = list(dict.fromkeys(s.strip() for s in symbols if s.strip()))
        self._notes.clear()
        seen: set[str] = set()
        for i in range(0, len(wanted), LOOKUP_BATCH):
            batch = wanted[i : i + LOOKUP_BATCH]
            keys = {s.casefold() for s in batch}

            def params(jrec: int, batch: list[str] = batch) -> dict[str, str]:
                return build_lookup_params(batch, page_size=self.settings.page_size, jrec=jrec)

            for record in self._all_pages(params, label="lookup"):
                if record.record_id in seen:
                    continue
                # A phrase query can match more than the exact symbol; keep only exact hits.
                if any(sym.casefold() in keys for sym in record.symbols):
                    seen.add(record.record_id)
                    yield record

    def records(self, params_for: Callable[[int], dict[str, str]]) -> Iterator[CatalogRecord]:
        """Every record of a `/search` query (`params_for(jrec)`), page by page, each once."""
        return self._all_pages(params_for)

    def search_page(self, params: dict[str, str]) -> SearchPage:
        """One page of `/search` (MARCXML); BadResponse if it cannot be read, BlockedError if
        the search door is shut (a bot challenge, a 403, robots.txt)."""
        door = Door.SEARCH
        resp, body = self._get(
            f"{self.base}/search", params=params, accept="application/xml", door=door
        )
        self._refuse_shut_door(resp, door)
        if resp.status_code != 200:
            raise HttpError(resp.url, resp.status_code, resp.reason)
        try:
            return parse_search_response(body, url=resp.url)
        except BadResponse:
            if why := challenge_page(body):
                self._note_shut(door, why)
                raise BlockedError(resp.url, why, door=door) from None
            raise

    def fetch_xml(
        self,
        url: str,
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        door: Door,
    ) -> tuple[str, bytes]:
        """GET an XML answer through this client's transport (allowed hosts, robots.txt, rate
        limit, retries with Retry-After, size cap): (final URL, body). A shut door (challenge,
        403, robots.txt, a challenge page instead of XML) is `BlockedError` naming `door`; any
        other non-200 is `HttpError`. The other doors (OAI-PMH, the API) come in here."""
        resp, body = self._get(url, params=params, headers=headers,
                               accept="application/xml,text/xml;q=0.9,*/*;q=0.5", door=door)
        self._refuse_shut_door(resp, door)
        if resp.status_code != 200:
            raise HttpError(resp.url, resp.status_code, resp.reason)
        if not body.lstrip().startswith(b"<?xml") and (why := challenge_page(body)):
            self._note_shut(door, why)
            raise BlockedError(resp.url, why, door=door)
        return resp.url, body

    def note_shut(self, door: Door, why: str) -> None:
        """Remember that `door` was shut this run (for `blocked_doors`), e.g. by robots.txt."""
        self._note_shut(door, why)

    def blocked_doors(self) -> dict[str, str]:
        """The doors a bot challenge shut so far (door -> why), for the run's summary."""
        with self._shut_lock:
            return {str(k): v for k, v in self._shut.items()}

    def limit_discovery(self, seconds: float) -> None:
        """Page for at most `seconds` more (what is left of the run's discovery budget)."""
        self.budget = DiscoveryBudget(seconds)

    def page_guard(self, label: str, page_size: int) -> PageGuard:
        """A `PageGuard` for another door's paging loop (OAI-PMH, the API), under the same
        limits and the same discovery budget as the search's."""
        return PageGuard(self.limits, page_size=page_size, label=label, budget=self.budget)

    def start_discovery(self) -> None:
        """A new discovery (or one tried again) starts a fresh account of notes."""
        self._notes.clear()

    def add_notes(self, notes: Iterable[DiscoveryNote]) -> None:
        """Notes another door's paging left, for `discovery_notes`."""
        for note in notes:
            self._note(note)

    def discovery_notes(self) -> list[DiscoveryNote]:
        """What the last search or lookup met that the run must record: paging cut short,
        totals that did not match, relevant records that could not be read."""
        return list(self._notes)

    def _note(self, note: DiscoveryNote) -> None:
        log.warning("%s", note.message)
        self._notes.append(note)

    def _note_shut(self, door: Door, why: str) -> None:
        with self._shut_lock:
            if door not in self._shut:
                log.warning("%s door shut: %s", door, why)
            self._shut.setdefault(door, why)

    def _shut_reason(self, door: Door) -> str | None:
        with self._shut_lock:
            return self._shut.get(door)

    def _refuse_shut_door(self, resp: requests.Response, door: Door) -> None:
        """Raise BlockedError if the answer is a bot challenge or a 403 rather than a resource."""
        if why := challenge_reason(resp.status_code, resp.headers):
            self._note_shut(door, why)
            raise BlockedError(resp.url, why, door=door)
        if resp.status_code == 403:
            # Not remembered as shut: one forbidden file says nothing of the next.
            raise BlockedError(resp.url, f"HTTP 403 {resp.reason or 'Forbidden'}", door=door)

    def _all_pages(self, params_for: Callable[[int], dict[str, str]], *,
                   label: str = "search") -> Iterator[CatalogRecord]:
        """Every record of a search, page by page (jrec is 1-based), each record id once.

        New records catalogued while we page shift later pages down, so a record can come twice
        (de-duplicated here); the run's date-window overlap covers the rarer opposite case.
        Paging always ends (`sources.paging.PageGuard`): a cycling or endless server, a total
        that keeps changing or the discovery budget stop it, and what it saw is a note
        (`discovery_notes`). Pages keep being asked while they come back full, even past the
        total reported, since a total can lie.
        """
        guard = PageGuard(self.limits, page_size=self.settings.page_size, label=label,
                          budget=self.budget)
        yield from self._pages(params_for, guard)
        # Only a loop that ended is summed up: a failed page raises and the task tries again.
        for note in guard.finish():
            self._note(note)

    def _pages(
        self, params_for: Callable[[int], dict[str, str]], guard: PageGuard
    ) -> Iterator[CatalogRecord]:
        jrec = 1
        while guard.before_page():
            page = self.search_page(params_for(jrec))
            fresh, go_on = guard.take(page.records, page.total)
            yield from fresh
            if not go_on:
                return
            # Advance by what came back, not by rg: a server may cap the page size.
            jrec += len(page.records)
            if not guard.more(len(page.records), jrec):
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
        refused: FetchError | None = None  # why the library's own file was not taken
        tried: set[str] = set()
        if link is not None and link.is_pdf:
            shut = self._shut_reason(Door.FILES)
            if shut is not None:
                refused = BlockedError(link.url, f"not tried, shut earlier: {shut}",
                                       door=Door.FILES)
            else:
                tried.add(link.url)
                try:
                    return self.download(
                        link.url, etag=etag, last_modified=last_modified, door=Door.FILES
                    )
                except (BlockedError, BadContent) as exc:
                    # A challenge, a 403, or a page where the PDF should be: the ODS may have it.
                    refused = exc
                except HttpError as exc:
                    if exc.status not in _GONE:
                        raise
                    refused = exc
                log.info("%s: library file refused (%s), trying the ODS", record.symbol, refused)
            # The validators belong to the link, not to whatever the ODS serves.
            etag = last_modified = None
        return self._fetch_ods(
            record, language, etag=etag, last_modified=last_modified, refused=refused,
            tried=tried,
        )

    def ods_url(self, symbol: str, language: str) -> str:
        return ods_access_url(self.ods, symbol, language)

    def _fetch_ods(
        self,
        record: CatalogRecord,
        language: str,
        *,
        etag: str | None,
        last_modified: str | None,
        refused: FetchError | None = None,
        tried: set[str] | None = None,
    ) -> Download:
        """The file from the ODS, each symbol in both address forms; when it has none, the
        library's refusal decides what is raised (see docs/sources.md, Downloads)."""
        if not record.symbols:
            if refused is not None:
                raise refused
            raise NoFileYet(f"record:{record.record_id}", "no file link and no symbol for the ODS")
        reasons = [f"library file: {refused.reason}"] if refused is not None else []
        ods_blocked: BlockedError | None = None
        for symbol in record.symbols:
            for url in ods_access_urls(self.ods, symbol, language):
                try:
                    return self.download(
                        url, etag=etag, last_modified=last_modified, door=Door.ODS,
                        avoid=frozenset(tried or ()),
                    )
                except BlockedError as exc:
                    ods_blocked = exc
                    break
                except HttpError as exc:
                    if exc.status not in _GONE:
                        raise
                    reasons.append(f"{url}: HTTP {exc.status}")
                except BadContent as exc:
                    # The ODS answers a page (or an empty 200), not a file, for documents it
                    # does not hold (yet).
                    reasons.append(f"{url}: {exc.reason}")
                except _AlreadyTried as exc:
                    reasons.append(f"{url}: {exc.reason}")
            if ods_blocked is not None:
                break
        first = self.ods_url(record.symbols[0], language)
        summary = "; ".join(reasons)
        if ods_blocked is not None:
            raise BlockedError(
                ods_blocked.url, ods_blocked.why + (f" ({summary})" if summary else ""),
                door=Door.ODS,
            )
        if isinstance(refused, BlockedError):
            # The library may well hold the file behind its shut door: not "no file yet".
            raise BlockedError(refused.url, f"{refused.why}; the ODS has none either ({summary})",
                               door=refused.door)
        if isinstance(refused, BadContent):
            # The library serves something that is not the document, and nobody has a better
            # copy: that is the document's own failure, recorded as such.
            raise BadContent(refused.url, f"{refused.reason}; the ODS has none either ("
                             + "; ".join(reasons[1:]) + ")")
        raise NoFileYet(
            first,
            f"no {language} file link in record {record.record_id}, and the ODS has none yet "
            f"({summary})",
        )

    def download(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        door: Door = Door.FILES,
        avoid: frozenset[str] = frozenset(),
        check: Callable[[str, bytes, str | None], None] = check_pdf,
    ) -> Download:
        """GET a PDF (or what `check` accepts: a Word file) politely: allowed hosts and
        robots.txt on every hop, conditional, size-capped, checked. A redirect to a URL in
        `avoid` (one that already failed) is not followed. A bot challenge or a 403 is
        `BlockedError` naming `door`."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        resp, content = self._get(
            url, headers=headers, accept="application/pdf,*/*;q=0.5", door=door, avoid=avoid
        )
        final, ctype = resp.url, resp.headers.get("Content-Type")
        self._refuse_shut_door(resp, door)
        if resp.status_code == 304:
            return Download(
                url=final, content=b"", sha256="", content_type=ctype,
                etag=resp.headers.get("ETag") or etag,
                last_modified=resp.headers.get("Last-Modified") or last_modified,
                not_modified=True, headers=dict(resp.headers),
            )
        if resp.status_code != 200:
            raise HttpError(final, resp.status_code, resp.reason)
        try:
            check(final, content, ctype)
        except BadContent:
            if why := challenge_page(content):
                self._note_shut(door, why)
                raise BlockedError(final, why, door=door) from None
            raise
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
        door: Door = Door.FILES,
        avoid: frozenset[str] = frozenset(),
    ) -> tuple[requests.Response, bytes]:
        """GET and read a 200's body (capped); other statuses come back with no body.

        A body cut short is fetched again under the session's retry policy: urllib3 retries only
        until the headers have arrived.
        """
        self.hosts.check(url)  # before anything looks at the URL (a file: URL has no adapter)
        retry = self._retry_policy(url)
        while True:
            # Each attempt has the whole of UNMIG_RESPONSE_SECONDS: UNMIG_TIMEOUT bounds one
            # read only, and a server dripping a byte a second never trips it.
            with response_deadline(self.response_seconds) as watch:
                deadline = time.monotonic() + self.response_seconds
                try:
                    resp = self._open(
                        url, params=params, headers=headers, accept=accept, door=door,
                        avoid=avoid,
                    )
                except FetchError as exc:
                    if watch.fired and type(exc) is FetchError:
                        # urllib3 has already tried again, each attempt under its own deadline.
                        raise ResponseTooSlow(exc.url, f"no whole answer within "
                                              f"{self.response_seconds:g} s "
                                              f"(UNMIG_RESPONSE_SECONDS): {exc.reason}") from exc
                    raise
                try:
                    if resp.status_code != 200:
                        return resp, b""
                    try:
                        return resp, self._read_capped(resp, deadline=deadline)
                    except _BodyCutShort as exc:
                        cut = exc
                        if watch.fired and not exc.too_slow:
                            cut = _BodyCutShort(
                                f"response not whole after {self.response_seconds:g} s "
                                f"(UNMIG_RESPONSE_SECONDS), cut: {exc}", too_slow=True)
                finally:
                    resp.close()
            retry = self._next_attempt(retry, resp.url, cut)

    def _open(
        self,
        url: str,
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        accept: str | None = None,
        door: Door = Door.FILES,
        avoid: frozenset[str] = frozenset(),
    ) -> requests.Response:
        """GET with redirects followed by hand, each hop checked against the allowed hosts (and,
        in the session, against the host's robots.txt). Returns the final (streaming, unread)
        response; the caller closes it."""
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
            except RobotsDisallowed as exc:
                # The session knows the host's rules, not which door this request is.
                raise RobotsDisallowed(exc.url, exc.why, door=door) from None
            except requests.RequestException as exc:
                shown = f"{url}?{urlencode(params)}" if params else url
                raise FetchError(shown, _describe(exc)) from exc
            if not resp.is_redirect:
                return resp
            target = urljoin(resp.url, resp.headers["Location"])
            resp.close()
            self.hosts.check(target, redirected_from=resp.url)
            if target in avoid:
                raise _AlreadyTried(resp.url, f"redirects to {target}, which already failed")
            url, params = target, None
        raise FetchError(url, f"more than {MAX_REDIRECTS} redirects")

    def _read_capped(self, resp: requests.Response, *, deadline: float | None = None) -> bytes:
        """The body, refused past UNMIG_MAX_DOWNLOAD_MB: by Content-Length before reading,
        and while streaming (a missing or lying Content-Length, an endless body); cut short
        (`_BodyCutShort`, tried again) once `deadline` (time.monotonic()) has passed."""
        declared = resp.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise TooLarge(
                resp.url,
                f"Content-Length {int(declared)} exceeds the cap of {self.max_bytes} bytes",
            )
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                if deadline is not None and time.monotonic() > deadline:
                    raise _BodyCutShort(
                        f"response not complete after {self.response_seconds:g} s "
                        f"({size} bytes read; UNMIG_RESPONSE_SECONDS)", too_slow=True)
                # read1 returns what has arrived (at most _CHUNK), so a drip comes back here
                # between bytes; a plain read would wait for the whole chunk.
                chunk = resp.raw.read1(_CHUNK, decode_content=True)
                if not chunk:
                    break
                size += len(chunk)
                if size > self.max_bytes:
                    raise TooLarge(resp.url, f"body exceeds the cap of {self.max_bytes} bytes")
                chunks.append(chunk)
        except (requests.RequestException, HTTPError, OSError) as exc:
            raise _BodyCutShort(f"body cut short after {size} bytes: {_describe(exc)}") from exc
        return b"".join(chunks)

    def _retry_policy(self, url: str) -> Retry | None:
        retries = self.session.get_adapter(url).max_retries
        return retries if isinstance(retries, Retry) else None

    @staticmethod
    def _next_attempt(retry: Retry | None, url: str, exc: _BodyCutShort) -> Retry:
        kind = ResponseTooSlow if exc.too_slow else FetchError
        if retry is None:
            raise kind(url, str(exc))
        try:
            retry = retry.increment(method="GET", url=url, error=ProtocolError(str(exc)))
        except MaxRetryError:
            raise kind(url, f"{exc} (retries used up)") from None
        log.info("%s: %s; fetching again", url, exc)
        retry.sleep()
        return retry


class _BodyCutShort(Exception):
    def __init__(self, message: str, *, too_slow: bool = False) -> None:
        super().__init__(message)
        self.too_slow = too_slow


class _AlreadyTried(FetchError):
    """A redirect back to a URL that already failed in this fetch (a mirror's ODS pointing at
    the library's own broken file): not requested a second time."""


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
