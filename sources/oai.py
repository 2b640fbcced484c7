"""The library's OAI-PMH door: `GET /oai2d?verb=ListRecords&metadataPrefix=marcxml&from=&until=`.

OAI-PMH selects by the record's datestamp in the library (when it was catalogued or last
changed), which is what "new in the library" means; the document's date (269) plays no part.
The protocol itself (the verbs, resumption tokens, OAI error codes, deleted records) is left to
oaipmh-scythe, a maintained OAI-PMH client. Its own HTTP client is not used: every request goes
through `DigitalLibrary.fetch_xml`, so the allowed hosts, robots.txt (Disallow and Crawl-delay),
the per-host rate limit, the retries (a 503 with `Retry-After` is waited out by urllib3's
`Retry`, as every other 5xx is) and the bot-challenge checks of `sources/http.py` and
`sources/undl.py` apply to OAI-PMH exactly as to the search and the files. The library's
records are read with `sources.marcxml`, as the search answers are.

Clients report that only a `sanctions` set is exposed, so no set is asked for: the harvest
takes every record stamped in the window and the scope (`sources.query.Scope`) is applied here.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx2
from lxml import etree
from oaipmh_scythe import Scythe
from oaipmh_scythe.config import HTTPConfig, RetryConfig
from oaipmh_scythe.exceptions import BadResumptionToken, NoRecordsMatch, OAIPMHException

from sources.errors import BadResponse, Door
from sources.marcxml import MARC_NS, parse_search_response
from sources.paging import PageGuard
from sources.records import CatalogRecord
from sources.undl import DigitalLibrary

log = logging.getLogger(__name__)

OAI_PATH = "/oai2d"
METADATA_PREFIX = "marcxml"
# One harvest request covers at most this many days: clients report 503s on large ranges and
# harvest month by month.
WINDOW_DAYS = 31
# A stored resumption token older than this is not tried (the protocol lets a repository expire
# tokens whenever it likes; one that gives no `expirationDate` is trusted for this long).
TOKEN_MAX_AGE = dt.timedelta(hours=1)
_OAI = "http://www.openarchives.org/OAI/2.0/"
_SAFE = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


@dataclass(frozen=True)
class Stamped:
    """A record as a door found it, with the library's own time stamp for it (its OAI
    datestamp, or its 005), the clock discovery's watermark runs on."""

    record: CatalogRecord
    stamp: dt.datetime | None


@dataclass(frozen=True)
class ResumePoint:
    """Where a harvest can take up again: the harvest piece (`from`/`until`) whose pages before
    `token` have all been handed on, `served` records of it so far, and the resumption token
    that asks for the next page, with when it was received and when the repository said it
    expires. No token: the piece starts from its beginning."""

    piece_from: dt.date | None
    piece_until: dt.date | None
    token: str | None = None
    token_at: dt.datetime | None = None
    expires: dt.datetime | None = None
    served: int = 0

    def fresh(self, now: dt.datetime) -> bool:
        """Whether the token is worth trying (a stale one would only earn badResumptionToken)."""
        if not self.token or self.token_at is None:
            return False
        if self.expires is not None and now >= self.expires:
            return False
        return now - self.token_at < TOKEN_MAX_AGE


class _PagingStopped(Exception):
    """The harvest's `PageGuard` said stop before the next resumption token was asked for."""


class _LibraryTransport(httpx2.BaseTransport):
    """An httpx2 transport (the extension point httpx2 offers for exactly this) that hands each
    request to `DigitalLibrary.fetch_xml`, so OAI-PMH shares the project's one HTTP transport.
    Each request is one page of a harvest: `guard` (sources/paging.py) sees every page, so a
    resumption token that cycles, a list that never ends or a spent discovery budget stops
    the harvest as it stops the search."""

    def __init__(self, library: DigitalLibrary) -> None:
        self.library = library
        self.calls = 0
        self.guard: PageGuard | None = None
        self._halt = False
        # Told of every page boundary: the token about to be asked for, all records of the
        # pages before it having been handed on (the OAI-PMH client reads lazily).
        self.on_token: Callable[[str, dt.datetime | None], None] | None = None
        self.expires: dt.datetime | None = None  # the last page's token's expirationDate

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        # Shut doors and HTTP errors leave as the project's own errors (BlockedError naming the
        # OAI door, HttpError): httpx2 lets a transport's exceptions through unchanged.
        if self.guard is not None and (self._halt or not self.guard.before_page()):
            raise _PagingStopped
        token = parse_qs(urlsplit(str(request.url)).query).get("resumptionToken")
        if token and self.on_token is not None:
            self.on_token(token[0], self.expires)
        self.calls += 1
        url, body = self.library.fetch_xml(str(request.url), door=Door.OAI)
        self.expires = _expiry(body)
        if self.guard is not None and not _account(self.guard, body):
            self._halt = True
        return httpx2.Response(200, headers={"Content-Type": "text/xml; charset=utf-8"},
                               content=body, request=request)


class _Scythe(Scythe):
    """oaipmh-scythe with its HTTP client built on `_LibraryTransport`."""

    def __init__(self, endpoint: str, library: DigitalLibrary) -> None:
        # No retries of its own: the transport retries (and honours Retry-After) already.
        super().__init__(endpoint, http_config=HTTPConfig(timeout=library.timeout),
                         retry_config=RetryConfig(max_retries=0))
        self._transport = _LibraryTransport(library)

    @property
    def client(self) -> httpx2.Client:
        if self._client is None or self._client.is_closed:
            self._client = httpx2.Client(transport=self._transport, timeout=self.timeout)
        return self._client


def _account(guard: PageGuard, body: bytes) -> bool:
    """Show `guard` one ListRecords page (its record identifiers, and the list size the
    resumption token claims); False when paging must stop. An unreadable page is left to the
    OAI-PMH client to reject."""
    try:
        root = etree.fromstring(body, parser=_SAFE)
    except etree.XMLSyntaxError:
        return True
    ids = [el.text or "" for el in root.iterfind(f".//{{{_OAI}}}header/{{{_OAI}}}identifier")]
    token = root.find(f".//{{{_OAI}}}resumptionToken")
    size = token.get("completeListSize") if token is not None else None
    total = int(size) if size and size.isdigit() else None
    return guard.after_page(ids, total, fresh=len(guard.new_records(ids)))


def _expiry(body: bytes) -> dt.datetime | None:
    """The `expirationDate` a ListRecords page gives its resumption token, if any."""
    try:
        token = etree.fromstring(body, parser=_SAFE).find(f".//{{{_OAI}}}resumptionToken")
    except etree.XMLSyntaxError:
        return None
    return parse_datestamp(token.get("expirationDate")) if token is not None else None


def oai_date(day: dt.date) -> str:
    """The day granularity every OAI-PMH repository must accept (`YYYY-MM-DD`)."""
    return day.isoformat()


def parse_datestamp(value: str | None) -> dt.datetime | None:
    """An OAI datestamp (`2026-11-20` or `2026-11-20T10:00:00Z`, UTC by the protocol)."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        stamp = dt.datetime.fromisoformat(text)
    except ValueError:
        log.warning("unreadable OAI datestamp %r", value)
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def windows(since: dt.date | None, until: dt.date | None,
            days: int = WINDOW_DAYS) -> list[tuple[dt.date | None, dt.date | None]]:
    """[since, until] cut into harvests of at most `days` days (an open end stays one piece:
    there is nothing to cut it by)."""
    if since is None or until is None:
        return [(since, until)]
    out: list[tuple[dt.date | None, dt.date | None]] = []
    start = since
    while start <= until:
        end = min(until, start + dt.timedelta(days=days - 1))
        out.append((start, end))
        start = end + dt.timedelta(days=1)
    return out


class OaiDoor:
    """Records stamped in a window, through `/oai2d` (ListRecords, marcxml)."""

    door = Door.OAI

    def __init__(self, library: DigitalLibrary) -> None:
        self.library = library
        self.endpoint = f"{library.base}{OAI_PATH}"
        self.requests = 0  # harvest pages asked for (resumption tokens included), for the log

    def stamped(self, since: dt.date | None, until: dt.date | None, *,
                resume: ResumePoint | None = None,
                on_page: Callable[[ResumePoint], None] | None = None) -> Iterator[Stamped]:
        """Every live record whose datestamp lies in [since, until] (days, inclusive; None is
        open), each record id once, month by month. Deleted records are skipped.

        `on_page` is told where the harvest can take up again each time every record before
        that point has been handed on (before each page after the first, and before each
        piece); `resume` (such a point, of the same window) takes the harvest up there: its
        piece through its stored token when that is still fresh, else from the piece's start
        (a token the repository refuses as badResumptionToken also falls back to the start:
        records come twice rather than never)."""
        seen: set[str] = set()
        scythe = _Scythe(self.endpoint, self.library)
        pieces = windows(since, until)
        if resume is not None and (resume.piece_from, resume.piece_until) in pieces:
            pieces = pieces[pieces.index((resume.piece_from, resume.piece_until)):]
        else:
            resume = None
        try:
            for number, (start, end) in enumerate(pieces):
                if on_page is not None and number:
                    on_page(ResumePoint(start, end))
                for item in self._list_records(scythe, start, end, resume, on_page):
                    if item.record.record_id not in seen:
                        seen.add(item.record.record_id)
                        yield item
                resume = None
        finally:
            self.requests += scythe._transport.calls
            scythe.close()

    def _list_records(self, scythe: _Scythe, start: dt.date | None, end: dt.date | None,
                      resume: ResumePoint | None,
                      on_page: Callable[[ResumePoint], None] | None) -> Iterator[Stamped]:
        transport = scythe._transport
        token = None
        if resume is not None and resume.fresh(dt.datetime.now(dt.UTC)):
            token = resume.token
        elif resume is not None and resume.token:
            log.info("OAI harvest %s..%s: the stored resumption token (%s) is stale; "
                     "starting the piece again", start, end, resume.token_at)
        guard = self.library.page_guard(f"oai {start}..{end}", self.library.settings.page_size)
        guard.served_before = resume.served if token else 0
        transport.guard, transport._halt = guard, False
        if on_page is not None:
            def at_token(t: str, expires: dt.datetime | None) -> None:
                if t != token:  # the stored token asked again is no new point
                    on_page(ResumePoint(start, end, t, dt.datetime.now(dt.UTC), expires,
                                        guard.served_before + len(guard.seen)))
            transport.on_token = at_token
        try:
            if token is not None:
                try:
                    yield from self._records(scythe, start, end, token)
                except _StaleToken:
                    log.warning("OAI harvest %s..%s: the repository refused the stored "
                                "resumption token; starting the piece again", start, end)
                    guard = self.library.page_guard(f"oai {start}..{end}",
                                                    self.library.settings.page_size)
                    transport.guard, transport._halt = guard, False
                    yield from self._records(scythe, start, end)
            else:
                yield from self._records(scythe, start, end)
        except _PagingStopped:
            pass  # the guard's note says why
        finally:
            transport.guard = transport.on_token = None
        self.library.add_notes(guard.finish())

    def _records(self, scythe: _Scythe, start: dt.date | None, end: dt.date | None,
                 token: str | None = None) -> Iterator[Stamped]:
        yielded = False
        try:
            if token is not None:
                # The token alone, as the protocol asks (the token carries the prefix).
                items = scythe.list_records(resumption_token=token,
                                            metadata_prefix=None,  # type: ignore[arg-type]
                                            ignore_deleted=True)
            else:
                items = scythe.list_records(
                    from_=oai_date(start) if start else None,
                    until=oai_date(end) if end else None,
                    metadata_prefix=METADATA_PREFIX, ignore_deleted=True,
                )
            for item in items:
                record = _marc_record(item.xml, self.endpoint)
                if record is not None:
                    yielded = True
                    yield Stamped(record, parse_datestamp(item.header.datestamp))
        except NoRecordsMatch:
            return  # an empty window is an OAI error code, not a failure
        except BadResumptionToken as exc:
            if token is not None and not yielded:
                raise _StaleToken from None
            raise BadResponse(self.endpoint, f"OAI-PMH error {type(exc).__name__}: {exc}") from None
        except OAIPMHException as exc:
            # badResumptionToken, cannotDisseminateFormat, badArgument...: the door answers,
            # but not with records.
            raise BadResponse(self.endpoint, f"OAI-PMH error {type(exc).__name__}: {exc}") from None
        except (etree.XMLSyntaxError, ValueError, AttributeError) as exc:
            raise BadResponse(self.endpoint, f"not an OAI-PMH answer ({exc})") from None


class _StaleToken(Exception):
    """A stored resumption token the repository no longer knows (badResumptionToken before
    any record came of it)."""


def _marc_record(oai_record: etree._Element, url: str) -> CatalogRecord | None:
    """The MARC record inside an OAI `<record>`, read by `sources.marcxml` (defusedxml)."""
    marc = oai_record.find(f".//{{{MARC_NS}}}record")
    if marc is None:
        # A record without MARC metadata (another prefix's payload): nothing to read.
        log.warning("OAI record without MARCXML metadata skipped (%s)", url)
        return None
    try:
        page = parse_search_response(etree.tostring(marc), url=url)
    except BadResponse:
        log.warning("unreadable MARCXML in an OAI record skipped (%s)", url)
        return None
    return page.records[0] if page.records else None
