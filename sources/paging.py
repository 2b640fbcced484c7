"""Paging that always ends: the limits every door's paging loop runs under (search pages by
`jrec`, and any door paging by token), and the notes it leaves for the run's record.

A server may page for ever: serve two full pages in turn, the same page under a total that
grows by one per request, or new records without end; it may report a total that does not match
what it serves. `PageGuard` watches the pages a loop receives and says when to stop:

- an empty page ends paging;
- a page seen before (the same record ids in the same order under the same total), or
  `max_barren_pages` pages in a row with no record not already seen, ends it: the server
  ignores the position or cycles;
- a total that changes more than `max_total_changes` times ends it;
- more records than the ceiling (`max_records`, raised to the first total reported plus one
  page, so an honest large total is followed, but to ten times `max_records` at most), more
  pages than that ceiling needs, or more wall-clock seconds than `seconds` ends it.

Each stop other than a plain end, and a final count that does not match the total, is a
`DiscoveryNote`; an `incomplete` note means records may be missing, and the run that carries
it ends `partial` rather than `completed`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sources.records import CatalogRecord

TOTAL_RAISES_CEILING_AT_MOST = 10


@dataclass(frozen=True)
class DiscoveryNote:
    """Something a run's discovery met that an operator must see in the run's record."""

    message: str
    incomplete: bool = False  # records may be missing: the run cannot say "completed"


@dataclass(frozen=True)
class PagingLimits:
    max_records: int = 20_000  # per search, unless the first total reported is larger
    seconds: float = 3600.0  # wall clock, from the first page to the last
    max_total_changes: int = 3
    max_barren_pages: int = 3

    @classmethod
    def from_settings(cls, settings: object) -> PagingLimits:
        return cls(
            max_records=int(getattr(settings, "discovery_max_records", cls.max_records)),
            seconds=float(getattr(settings, "discovery_seconds", cls.seconds)),
        )


class DiscoveryBudget:
    """A wall-clock budget shared by every search of one source instance, started by the
    first page asked for. The flows hand each window what is left of the run's budget
    (`DigitalLibrary.limit_discovery`), so a backfill of many windows shares one budget."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._deadline: float | None = None

    def start(self) -> None:
        if self._deadline is None:
            self._deadline = self.clock() + self.seconds

    def spent(self) -> bool:
        return self._deadline is not None and self.clock() >= self._deadline


@dataclass
class PageGuard:
    """Watches one paging loop. Call `before_page()` before asking for a page (False: stop),
    `new_records(ids)` to learn which ids of a page are new, `after_page(ids, total)` once the
    page is read (False: stop), or `take(records, total)` for both at once, and `finish()` when
    the loop ends; `notes` holds what it saw."""

    limits: PagingLimits
    page_size: int
    label: str = "search"
    budget: DiscoveryBudget | None = None
    notes: list[DiscoveryNote] = field(default_factory=list)
    pages: int = 0
    seen: set[str] = field(default_factory=set)
    first_total: int | None = None
    last_total: int | None = None
    largest_page: int = 0
    served_before: int = 0  # records of this list served before a resumed harvest took it up
    _fingerprints: dict[int, int] = field(default_factory=dict)  # hash of a page -> its number
    _total_changes: int = 0
    _barren: int = 0
    _earlier_largest: int = 0
    _stopped: bool = False

    def __post_init__(self) -> None:
        if self.budget is None:
            self.budget = DiscoveryBudget(self.limits.seconds)

    @property
    def ceiling(self) -> int:
        """Records this loop may collect: the configured ceiling, or the first total reported
        plus one page when that is larger (never a later, grown total), up to ten times the
        configured one (a total of a billion is not a licence to page for ever)."""
        reported = self.first_total + self.page_size if self.first_total is not None else 0
        return max(self.limits.max_records,
                   min(reported, TOTAL_RAISES_CEILING_AT_MOST * self.limits.max_records))

    @property
    def max_pages(self) -> int:
        per_page = max(1, min(self.page_size, self.largest_page or self.page_size))
        return math.ceil(self.ceiling / per_page) + self.limits.max_barren_pages + 1

    def before_page(self) -> bool:
        assert self.budget is not None
        self.budget.start()
        if self.budget.spent():
            return self._stop("the run's discovery budget is spent (UNMIG_DISCOVERY_SECONDS="
                              f"{self.limits.seconds:g})")
        if self.pages >= self.max_pages:
            return self._stop(f"{self.pages} pages asked, the most {self.ceiling} records need")
        return True

    def new_records(self, ids: Sequence[str]) -> list[str]:
        """The ids of a page not seen before in this loop, in order, each once; remembered."""
        fresh = []
        for i in ids:
            if i not in self.seen:
                self.seen.add(i)
                fresh.append(i)
        return fresh

    def take(self, records: Sequence[CatalogRecord], total: int | None
             ) -> tuple[list[CatalogRecord], bool]:
        """A page read: its records not seen before in this loop (in order, each once) and
        whether paging goes on (`after_page`)."""
        ids = [r.record_id for r in records]
        fresh = set(self.new_records(ids))
        new = []
        for record in records:
            if record.record_id in fresh:
                fresh.discard(record.record_id)
                new.append(record)
        return new, self.after_page(ids, total, fresh=len(new))

    def more(self, served: int, position: int) -> bool:
        """Whether to ask for the page at `position` (1-based) after a page of `served`
        records: while the total reported says there is more, and past it while pages come
        back full (as long as asked, or as long as an earlier page when the server caps the
        page size), since a total can lie."""
        if self.last_total is not None and position <= self.last_total:
            return True
        return served > 0 and served >= min(self.page_size, self._earlier_largest or served + 1)

    def after_page(self, ids: Sequence[str], total: int | None, *, fresh: int) -> bool:
        """Account for a page of `ids` of which `fresh` were new; False when paging must stop."""
        self.pages += 1
        self._earlier_largest = self.largest_page
        self.largest_page = max(self.largest_page, len(ids))
        if total is not None:
            if self.first_total is None:
                self.first_total = total
            elif total != self.last_total:
                self._total_changes += 1
                if self._total_changes > self.limits.max_total_changes:
                    return self._stop(f"the total changed {self._total_changes} times "
                                      f"(first {self.first_total}, now {total})")
                self.notes.append(DiscoveryNote(
                    f"{self.label}: the reported total changed from {self.last_total} to "
                    f"{total} while paging"))
            self.last_total = total
        if not ids:
            return False
        # A page may come again when new records push the list down, but then under a new
        # total; the same page under the same total is a server ignoring the position.
        key = hash((*ids, f"total={total}"))
        if key in self._fingerprints:
            return self._stop(f"page {self.pages} repeats page {self._fingerprints[key]} "
                              "(the server ignores the position or cycles)")
        self._fingerprints[key] = self.pages
        self._barren = 0 if fresh else self._barren + 1
        if self._barren >= self.limits.max_barren_pages:
            return self._stop(f"{self._barren} pages in a row brought no new record")
        if len(self.seen) >= self.ceiling:
            return self._stop(f"{len(self.seen)} records reached the ceiling of {self.ceiling} "
                              "(UNMIG_DISCOVERY_MAX_RECORDS)")
        return True

    def finish(self) -> list[DiscoveryNote]:
        """Compare what was served with the total reported; returns every note of the loop."""
        served, total = self.served_before + len(self.seen), self.last_total
        if total is not None and served != total and not self._stopped:
            if served < total:
                self.notes.append(DiscoveryNote(
                    f"{self.label}: the server reported {total} records but served {served}",
                    incomplete=True))
            else:
                self.notes.append(DiscoveryNote(
                    f"{self.label}: the server served {served} records but reported {total}"))
        return self.notes

    def _stop(self, why: str) -> bool:
        self._stopped = True
        self.notes.append(DiscoveryNote(
            f"{self.label}: paging stopped after {self.pages} pages and {len(self.seen)} "
            f"records: {why}", incomplete=True))
        return False
