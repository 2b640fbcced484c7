"""Date windows: where the next run starts, and how a backfill is cut into chunks. Pure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DOCUMENT = "document"  # a window of document dates (269)
LIBRARY = "library"  # a window of the library's own time stamps (catalogued or changed)


@dataclass(frozen=True)
class Window:
    since: dt.date | None  # None: from the beginning
    until: dt.date | None  # inclusive; None: open (a library-clock window up to now)
    clock: str = DOCUMENT

    def __str__(self) -> str:
        since = self.since.isoformat() if self.since else "…"
        until = self.until.isoformat() if self.until else "now"
        prefix = "new in the library " if self.clock == LIBRARY else ""
        return f"{prefix}{since} to {until}"


def resolve_window(
    *,
    since: dt.date | None,
    until: dt.date | None,
    watermark: dt.datetime | None,
    overlap_days: int,
    today: dt.date,
) -> Window:
    """The window a run searches.

    An explicit `since` wins. Otherwise the run starts `overlap_days` before the watermark the
    last run left, because the library catalogues records days or weeks after their date; the
    overlap costs a few search pages, and versioning makes the repeats harmless.
    """
    end = until or today
    if since is None and watermark is not None:
        since = watermark.date() - dt.timedelta(days=overlap_days)
    if since is not None and since > end:
        raise ValueError(f"window starts after it ends: {since} > {end}")
    return Window(since, end)


def month_chunks(start: dt.date, end: dt.date) -> list[Window]:
    """Cut [start, end] into calendar months (the first and last possibly partial)."""
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    chunks: list[Window] = []
    cursor = start
    while cursor <= end:
        next_month = (cursor.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        chunk_end = min(end, next_month - dt.timedelta(days=1))
        chunks.append(Window(cursor, chunk_end))
        cursor = chunk_end + dt.timedelta(days=1)
    return chunks


def library_window(*, watermark: dt.datetime, overlap_days: int) -> Window:
    """The window of a scheduled run on the library's clock: from the stored watermark less the
    overlap (it covers a search index lagging behind the datestamp, day-granular `from`, and
    005s written in the library's local time) to now, open-ended. Our own clock plays no part:
    what is selected is decided by the library's time stamps alone."""
    return Window(watermark.date() - dt.timedelta(days=overlap_days), None, LIBRARY)


def scope_label(windows: list[Window], symbols: list[str] | None = None) -> str:
    """What a run covered, for its summary: the symbols it was given, or its window(s)."""
    if symbols:
        shown = ", ".join(symbols[:5])
        more = f" and {len(symbols) - 5} more" if len(symbols) > 5 else ""
        return f"{len(symbols)} symbol{'s' if len(symbols) != 1 else ''}: {shown}{more}"
    if not windows:
        return "nothing"
    if len(windows) < 4:
        return ", ".join(map(str, windows))
    return f"{windows[0].since} to {windows[-1].until} in {len(windows)} chunks"
