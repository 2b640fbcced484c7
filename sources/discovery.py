"""Discovery through whichever door of the Digital Library is open.

Three doors find records (docs/sources.md, "Doors"):

| door | path | "new in the library" | by document date (269) |
| --- | --- | --- | --- |
| `oai` | `/oai2d` ListRecords | OAI datestamp `from`/`until` | stamped since `since`, 269 here |
| `api` | `/api/v1/search` (token) | `creation_date:FROM->TO` | `269__a:FROM->TO` |
| `search` | `/search?of=xm` | `creation_date:FROM->TO` | `269__a:FROM->TO` |

`UNMIG_DISCOVERY=auto` tries them in a stated order and moves to the next when one is shut (a
bot challenge, a 403, robots.txt, a refused token) or fails; `oai`, `api` or `search` uses that
door alone. Order for what is new in the library: OAI-PMH first (made for "what changed since",
on the library's own clock, and not disallowed by the library's robots.txt), then the API
(sanctioned, but it needs a token and allows 100 requests per 5 minutes), then the search page
(the library's robots.txt disallows `/search`). For a document-date window (backfills), the API
and the search come first, since they filter on 269 in the library; OAI-PMH can only take
everything stamped since the window's start and filter here, so `auto` uses it for the first
run's unbounded window alone, not for every month of a backfill.

Every record found is checked against the scope here (`sources.query.Scope`), whatever the door.
Each harvest reports the door that answered, the doors found shut and the newest library time
stamp seen (the watermark's clock), as a `Harvest`.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import TracebackType
from typing import Protocol

from config import Settings
from config.settings import ConfigError
from sources.api import ApiDoor
from sources.content import as_word_request, check_docx, ods_access_urls
from sources.errors import BadContent, BlockedError, Door, FetchError, HttpError, NoFileYet
from sources.http import RateLimiter
from sources.oai import OaiDoor, ResumePoint, Stamped
from sources.paging import DiscoveryNote
from sources.query import CREATED_FIELD, DATE_TAG, Scope, build_query, build_search_params
from sources.records import CatalogRecord, Download
from sources.undl import DigitalLibrary

log = logging.getLogger(__name__)


class Clock(StrEnum):
    """What a discovery window is a window of."""

    LIBRARY = "library"  # when the record entered or changed in the library
    DOCUMENT = "document"  # the document's own date (269)


AUTO_ORDER: dict[Clock, tuple[Door, ...]] = {
    Clock.LIBRARY: (Door.OAI, Door.API, Door.SEARCH),
    Clock.DOCUMENT: (Door.API, Door.SEARCH, Door.OAI),
}


@dataclass
class Harvest:
    """What one discovery found, and how."""

    records: list[CatalogRecord] = field(default_factory=list)
    door: str | None = None  # the door that answered
    blocked: dict[str, str] = field(default_factory=dict)  # door -> why it was not used
    high_water: dt.datetime | None = None  # newest library time stamp seen (any record)
    seen: int = 0  # records the door gave before our scope check

    def summary(self) -> dict[str, object]:
        return {
            "door": self.door,
            "blocked": dict(self.blocked),
            "high_water": self.high_water.isoformat() if self.high_water else None,
            "seen": self.seen,
            "kept": len(self.records),
        }


@dataclass
class Resumed:
    """A harvest's stored resumption point: where the door can take up again, and what the
    harvest had gathered before it (the relevant records, the newest stamp, records seen)."""

    door: str
    point: ResumePoint
    records: list[CatalogRecord] = field(default_factory=list)
    high_water: dt.datetime | None = None
    seen: int = 0


class Checkpoint(Protocol):
    """Where a harvest of one window keeps its resumption point, so that a killed run's next
    run takes it up where it stopped (storage.discovery.StoredResumption keeps it in the
    database, beside the watermark)."""

    def load(self) -> Resumed | None:
        """The point stored for this very window, if any."""

    def save(self, door: str, point: ResumePoint, new_records: list[CatalogRecord],
             high_water: dt.datetime | None, seen: int) -> None:
        """Every record before `point` has been handed on; `new_records` are the relevant ones
        found since the last save."""


@dataclass
class _Gathered:
    """What one door's harvest has gathered so far, and what of it no checkpoint holds yet."""

    records: dict[str, CatalogRecord] = field(default_factory=dict)
    high: dt.datetime | None = None
    seen: int = 0
    unsaved: list[CatalogRecord] = field(default_factory=list)

    def add(self, record: CatalogRecord) -> None:
        if record.record_id not in self.records:
            self.records[record.record_id] = record
            self.unsaved.append(record)

    def save(self, checkpoint: Checkpoint, door: str, point: ResumePoint) -> None:
        checkpoint.save(door, point, list(self.unsaved), self.high, self.seen)
        self.unsaved.clear()


class LibrarySource:
    """`sources.base.Source` over the Digital Library's doors; downloads by `DigitalLibrary`.

    `search` (a document-date window) and `new_in_library` (a window on the library's clock)
    go through the doors; the last harvest is kept in `last_harvest` for the run's summary.
    """

    def __init__(self, settings: Settings, library: DigitalLibrary | None = None) -> None:
        self.settings = settings
        self.library = library if library is not None else DigitalLibrary(settings)
        self.scope = Scope.from_settings(settings)
        self.mode = settings.discovery
        token = settings.undl_api_token.get_secret_value() if settings.undl_api_token else ""
        if self.mode == "api" and not token:
            raise ConfigError("invalid UNMIG_DISCOVERY: 'api' needs UNMIG_UNDL_API_TOKEN")
        self.oai = OaiDoor(self.library)
        self.api = ApiDoor(self.library, token,
                           pacer=RateLimiter(settings.api_rate_limit)) if token else None
        self.last_harvest: Harvest | None = None

    # -- Source -----------------------------------------------------------------------------

    def search(self, *, since: dt.date | None = None,
               until: dt.date | None = None) -> Iterator[CatalogRecord]:
        yield from self.harvest(Clock.DOCUMENT, since, until).records

    def new_in_library(self, since: dt.date | None, until: dt.date | None = None,
                       checkpoint: Checkpoint | None = None) -> Harvest:
        """Relevant records that entered or changed in the library in [since, until] (days on
        the library's clock, inclusive; None is open). With a `checkpoint`, an OAI-PMH harvest
        stores where it can take up again after each page, and takes up a stored one."""
        return self.harvest(Clock.LIBRARY, since, until, checkpoint)

    def lookup(self, symbols: Sequence[str]) -> Iterator[CatalogRecord]:
        self.library.start_discovery()
        if self.api is not None and self.mode in ("auto", "api"):
            try:
                yield from list(self.api.lookup(symbols))
                return
            except FetchError as exc:
                if self.mode == "api":
                    raise
                log.warning("lookup through the API failed (%s); trying the search", exc)
        yield from self.library.lookup(symbols)

    def fetch(self, record: CatalogRecord, language: str, *, etag: str | None = None,
              last_modified: str | None = None) -> Download:
        """The file in the first of UNMIG_FORMATS that can be had: with `pdf,docx`, the Word
        version when there is no PDF anywhere (or only a page where the PDF should be). When
        none can, the first format's error is raised (a pending or failed PDF stays that)."""
        first: FetchError | None = None
        for fmt in self.settings.formats:
            try:
                if fmt == "pdf":
                    return self.library.fetch(record, language, etag=etag,
                                              last_modified=last_modified)
                return self.fetch_word(record, language)
            except (NoFileYet, BadContent) as exc:
                first = first or exc
                log.info("%s [%s]: no %s (%s)", record.symbol, language, fmt, exc.reason)
        assert first is not None
        raise first

    def fetch_word(self, record: CatalogRecord, language: str) -> Download:
        """The Word (.docx) version: the record's own .docx link, else the ODS (`t=doc`). With
        UNMIG_FORMATS listing pdf and docx, the loader also asks for it beside a PDF, to store
        how far the two agree."""
        lib = self.library
        link = next((f for f in record.files if f.language == language.lower()
                     and f.name.lower().endswith(".docx")), None)
        if link is not None and str(Door.FILES) not in lib.blocked_doors():
            try:
                return lib.download(link.url, door=Door.FILES, check=check_docx)
            except (BlockedError, BadContent, HttpError) as exc:
                if isinstance(exc, HttpError) and exc.status not in (404, 410):
                    raise
        reasons = []
        for symbol in record.symbols:
            for url in map(as_word_request, ods_access_urls(lib.ods, symbol, language)):
                try:
                    return lib.download(url, door=Door.ODS, check=check_docx)
                except HttpError as exc:
                    if exc.status not in (404, 410):
                        raise
                    reasons.append(f"{url}: HTTP {exc.status}")
                except BadContent as exc:
                    reasons.append(f"{url}: {exc.reason}")
        where = record.symbols[0] if record.symbols else f"record:{record.record_id}"
        raise NoFileYet(where, f"no {language} Word version ({'; '.join(reasons) or 'no symbol'})")

    def blocked_doors(self) -> dict[str, str]:
        """Every door found shut this run: by discovery and by downloads."""
        out = dict(self.last_harvest.blocked) if self.last_harvest else {}
        out.update(self.library.blocked_doors())
        return out

    def limit_discovery(self, seconds: float) -> None:
        """Every door pages for at most `seconds` more (what is left of the run's budget)."""
        self.library.limit_discovery(seconds)

    def discovery_notes(self) -> list[DiscoveryNote]:
        """What the last discovery's paging met, whatever the door (`sources.paging`)."""
        return self.library.discovery_notes()

    def close(self) -> None:
        self.library.close()

    def __enter__(self) -> LibrarySource:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- the doors --------------------------------------------------------------------------

    def doors(self, clock: Clock) -> list[Door]:
        if self.mode != "auto":
            return [Door(self.mode)]
        return list(AUTO_ORDER[clock])

    def harvest(self, clock: Clock, since: dt.date | None, until: dt.date | None,
                checkpoint: Checkpoint | None = None) -> Harvest:
        """Try the doors in order until one answers the whole window."""
        self.library.start_discovery()
        result = Harvest()
        resumed = checkpoint.load() if checkpoint is not None else None
        for door in self.doors(clock):
            if door is Door.API and self.api is None:
                result.blocked[str(door)] = "not tried: no UNMIG_UNDL_API_TOKEN"
                continue
            if (door is Door.OAI and clock is Clock.DOCUMENT and since is not None
                    and self.mode == "auto"):
                # OAI-PMH cannot select by document date: it would take everything stamped
                # since `since` (with bulk edits, most of the library), once per backfill month.
                result.blocked[str(door)] = (
                    f"not tried for a document-date window: it would harvest everything the "
                    f"library stamped since {since} (UNMIG_DISCOVERY=oai does so)")
                continue
            got = _Gathered()
            resume: ResumePoint | None = None
            if resumed is not None and resumed.door == str(door):
                # Gathered before the kill: still to be processed, whatever the door gives now.
                resume, got.high, got.seen = resumed.point, resumed.high_water, resumed.seen
                got.records = {r.record_id: r for r in resumed.records}
                log.info("taking up the %s harvest of %s..%s where it stopped (%d records "
                         "gathered before)", door, since, until, len(got.records))
            on_page = None
            if checkpoint is not None:
                on_page = functools.partial(got.save, checkpoint, str(door))
            try:
                for item in self._stamped(door, clock, since, until, resume, on_page):
                    got.seen += 1
                    if item.stamp is not None and (got.high is None or item.stamp > got.high):
                        got.high = item.stamp
                    if self._admits(item.record, clock, since, until):
                        got.add(item.record)
            except FetchError as exc:
                why = exc.why if isinstance(exc, BlockedError) else exc.reason
                if isinstance(exc, BlockedError):
                    self.library.note_shut(door, why)
                result.blocked[str(door)] = why if isinstance(exc, BlockedError) else (
                    f"failed: {why}")
                if self.mode != "auto":
                    self.last_harvest = result
                    raise
                log.warning("%s door: %s; trying the next door", door, exc)
                continue
            records, high, seen = got.records, got.high, got.seen
            result.door, result.high_water, result.seen = str(door), high, seen
            result.records = sorted(records.values(), key=_newest_first, reverse=True)
            self.last_harvest = result
            log.info("discovery (%s clock, %s..%s) through the %s door: %d records seen, "
                     "%d relevant; shut: %s", clock, since, until, door, seen,
                     len(result.records), result.blocked or "none")
            return result
        self.last_harvest = result
        tried = "; ".join(f"{d}: {w}" for d, w in result.blocked.items())
        raise BlockedError(self.library.base, f"no door open for discovery ({tried})",
                           door="discovery")

    def _stamped(self, door: Door, clock: Clock, since: dt.date | None, until: dt.date | None,
                 resume: ResumePoint | None = None,
                 on_page: Callable[[ResumePoint], None] | None = None) -> Iterator[Stamped]:
        if door is Door.OAI:
            if clock is Clock.LIBRARY:
                # Only this harvest stores resumption points: the API's search_id and the
                # search's positions describe a result list the library may have reordered.
                return self.oai.stamped(since, until, resume=resume, on_page=on_page)
            # A document is catalogued on or after its date: everything stamped since the
            # window's start holds the window's documents (269 is checked in `_admits`).
            return self.oai.stamped(since, None)
        date_field = CREATED_FIELD if clock is Clock.LIBRARY else DATE_TAG
        if door is Door.API:
            assert self.api is not None
            return self.api.query(self._expression(since, until, date_field))
        return self._search(since, until, date_field)

    def _expression(self, since: dt.date | None, until: dt.date | None, date_field: str) -> str:
        s = self.settings
        return build_query(subjects=s.subjects, agenda=s.agenda, body=s.body_query, since=since,
                           until=until, query_template=s.query, date_field=date_field)

    def _search(self, since: dt.date | None, until: dt.date | None,
                date_field: str) -> Iterator[Stamped]:
        s = self.settings

        def params(jrec: int) -> dict[str, str]:
            return build_search_params(
                subjects=s.subjects, agenda=s.agenda, body=s.body_query, since=since,
                until=until, query_template=s.query, page_size=s.page_size, jrec=jrec,
                date_field=date_field,
            )

        for record in self.library.records(params):
            yield Stamped(record, record.modified)

    def _admits(self, record: CatalogRecord, clock: Clock, since: dt.date | None,
                until: dt.date | None) -> bool:
        if clock is Clock.LIBRARY:
            return self.scope.admits(record, since=None, until=None)
        return self.scope.admits(record, since=since, until=until)


def _newest_first(record: CatalogRecord) -> tuple[dt.date, str]:
    return (record.date or dt.date.min, record.record_id)


def new_in_library(source: object, since: dt.date | None, until: dt.date | None = None,
                   checkpoint: Checkpoint | None = None) -> Harvest:
    """`LibrarySource.new_in_library`, or for a source without doors (a local archive) its
    relevant records whose 005 falls in the window."""
    method: Callable[..., Harvest] | None = getattr(source, "new_in_library", None)
    if method is not None:
        return method(since, until, checkpoint) if checkpoint is not None else method(
            since, until)
    search: Callable[..., Iterator[CatalogRecord]] = source.search  # type: ignore[attr-defined]
    result = Harvest(door="archive")
    for record in search(since=None, until=None):
        stamp = record.modified
        day = stamp.date() if stamp else None
        if day is not None and ((since and day < since) or (until and day > until)):
            continue
        result.seen += 1
        if stamp is not None and (result.high_water is None or stamp > result.high_water):
            result.high_water = stamp
        result.records.append(record)
    return result
