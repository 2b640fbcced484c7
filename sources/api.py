"""The library's token API: `GET /api/v1/search?p=QUERY&format=xml&search_id=ID`.

What public clients show (the library's own sync tool among them; docs/sources.md): a token the
library issues, sent as `Authorization: Token KEY`; the first answer carries a `search_id`, and
asking again with it gives the next page, until a page comes back with an empty collection; the
answer is XML with `<total>`, `<search_id>` and a MARC `<collection>`; at most 100 requests per
5 minutes, past which the API answers 429 with the JSON error "Max 100 requests per 5 minutes".

The requests go through `DigitalLibrary.fetch_xml` (allowed hosts, robots.txt, the host's rate
limit, retries honouring `Retry-After` on 429), and are spaced here to the API's own budget on
top of that. The token (UNMIG_UNDL_API_TOKEN) travels in a header only, never in a URL, so no
log line or error message carries it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from sources.errors import BadResponse, BlockedError, Door, HttpError
from sources.http import RateLimiter
from sources.marcxml import parse_record
from sources.oai import Stamped
from sources.query import symbols_clause
from sources.records import CatalogRecord
from sources.undl import LOOKUP_BATCH, DigitalLibrary

log = logging.getLogger(__name__)

API_PATH = "/api/v1/search"
# 100 requests per 5 minutes: one every 3 s keeps a long harvest inside the budget.
API_REQUESTS_PER_SECOND = 100 / 300


class ApiPage:
    """One API answer: the total it reports, the search id for the next page, the records."""

    def __init__(self, total: int | None, search_id: str | None,
                 records: list[CatalogRecord]) -> None:
        self.total = total
        self.search_id = search_id
        self.records = records


def parse_api_response(xml: bytes, *, url: str = "") -> ApiPage:
    """Read one API answer (defusedxml; elements matched by local name)."""
    if not xml.strip():
        raise BadResponse(url, "empty API answer")
    try:
        root = SafeET.fromstring(xml)
    except DefusedXmlException as exc:
        raise BadResponse(url, f"unsafe XML refused ({type(exc).__name__}: {exc})") from None
    except ParseError as exc:
        raise BadResponse(url, f"not well-formed XML ({exc})") from None
    total = search_id = None
    records: list[CatalogRecord] = []
    for el in root.iter():
        name = _local(el.tag)
        if name == "total" and total is None and (el.text or "").strip().isdigit():
            total = int((el.text or "").strip())
        elif name == "search_id" and search_id is None:
            search_id = (el.text or "").strip() or None
        elif name == "record" and _has_controlfields(el):
            record = parse_record(el)
            if record is not None:
                records.append(record)
    if total is None and search_id is None and not records and _local(root.tag) != "collection":
        raise BadResponse(url, f"not an API search answer: root element <{_local(root.tag)}>")
    return ApiPage(total, search_id, records)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _has_controlfields(el: Element) -> bool:
    return any(_local(c.tag) == "controlfield" for c in el)


class ApiDoor:
    """Records matching a search expression, through the token API."""

    door = Door.API

    def __init__(self, library: DigitalLibrary, token: str,
                 *, pacer: RateLimiter | None = None) -> None:
        if not token:
            raise ValueError("the API needs a token (UNMIG_UNDL_API_TOKEN)")
        self.library = library
        self.endpoint = f"{library.base}{API_PATH}"
        self._headers = {"Authorization": f"Token {token}"}
        self._pacer = pacer or RateLimiter(API_REQUESTS_PER_SECOND)
        self.requests = 0

    def query(self, p: str) -> Iterator[Stamped]:
        """Every record the expression `p` finds, page by page through `search_id`, each once;
        stamped with its 005 (the API carries no other library time). Paging runs under the
        search's limits and the run's discovery budget (`sources.paging.PageGuard`); where it
        stopped short is a note in `DigitalLibrary.discovery_notes`."""
        guard = self.library.page_guard("api", self.library.settings.page_size)
        search_id = ""
        while guard.before_page():
            page = self._page(p, search_id)
            fresh, go_on = guard.take(page.records, page.total)
            for record in fresh:
                yield Stamped(record, record.modified)
            if not go_on:
                break
            if not page.search_id or not fresh:
                break  # no next page, or the same page again: a search_id that does not advance
            if page.total is not None and len(guard.seen) >= page.total:
                break
            search_id = page.search_id
        self.library.add_notes(guard.finish())

    def lookup(self, symbols: Sequence[str]) -> Iterator[CatalogRecord]:
        """Records carrying any of these exact symbols, each once (20 symbols a query, as the
        search's lookups, so no URL grows without bound)."""
        wanted = list(dict.fromkeys(s.strip() for s in symbols if s.strip()))
        seen: set[str] = set()
        for i in range(0, len(wanted), LOOKUP_BATCH):
            batch = wanted[i : i + LOOKUP_BATCH]
            keys = {s.casefold() for s in batch}
            for item in self.query(symbols_clause(batch)):
                record = item.record
                if record.record_id not in seen and any(
                    sym.casefold() in keys for sym in record.symbols
                ):
                    seen.add(record.record_id)
                    yield record

    def _page(self, p: str, search_id: str) -> ApiPage:
        self._pacer.wait(self.endpoint)
        self.requests += 1
        params = {"p": p, "format": "xml", "search_id": search_id}
        try:
            url, body = self.library.fetch_xml(self.endpoint, params=params,
                                               headers=self._headers, door=Door.API)
        except HttpError as exc:
            if exc.status == 401:
                # A refused token shuts this door; the others may still be open.
                raise BlockedError(exc.url, "HTTP 401: the API refused the token",
                                   door=Door.API) from None
            raise
        finally:
            # The budget counts from the answer, so the API sees the spacing whatever the
            # network time of each request.
            self._pacer.answered(self.endpoint)
        return parse_api_response(body, url=url)
