import datetime as dt

import pytest

from flows.windows import Window, month_chunks, resolve_window

D = dt.date


def test_explicit_since_wins_over_watermark() -> None:
    w = resolve_window(
        since=D(2011, 1, 1), until=D(2011, 12, 31),
        watermark=dt.datetime(2020, 5, 1, tzinfo=dt.UTC), overlap_days=7, today=D(2026, 1, 1),
    )
    assert w == Window(D(2011, 1, 1), D(2011, 12, 31))


def test_watermark_less_overlap_when_no_since() -> None:
    w = resolve_window(
        since=None, until=None, watermark=dt.datetime(2024, 3, 10, 12, tzinfo=dt.UTC),
        overlap_days=7, today=D(2024, 3, 20),
    )
    assert w == Window(D(2024, 3, 3), D(2024, 3, 20))


def test_first_run_searches_everything_up_to_today() -> None:
    w = resolve_window(since=None, until=None, watermark=None, overlap_days=7, today=D(2024, 1, 2))
    assert w == Window(None, D(2024, 1, 2))


def test_inverted_window_is_an_error() -> None:
    with pytest.raises(ValueError, match="starts after it ends"):
        resolve_window(since=D(2024, 2, 1), until=D(2024, 1, 1), watermark=None,
                       overlap_days=0, today=D(2024, 3, 1))


def test_month_chunks_cover_the_range_exactly_once() -> None:
    chunks = month_chunks(D(2011, 1, 15), D(2011, 4, 2))
    assert chunks == [
        Window(D(2011, 1, 15), D(2011, 1, 31)),
        Window(D(2011, 2, 1), D(2011, 2, 28)),
        Window(D(2011, 3, 1), D(2011, 3, 31)),
        Window(D(2011, 4, 1), D(2011, 4, 2)),
    ]


def test_month_chunks_leap_year_and_single_day() -> None:
    assert month_chunks(D(2024, 2, 1), D(2024, 2, 29)) == [Window(D(2024, 2, 1), D(2024, 2, 29))]
    assert month_chunks(D(2024, 12, 31), D(2025, 1, 1)) == [
        Window(D(2024, 12, 31), D(2024, 12, 31)),
        Window(D(2025, 1, 1), D(2025, 1, 1)),
    ]
    with pytest.raises(ValueError):
        month_chunks(D(2024, 2, 2), D(2024, 2, 1))


def test_library_window_starts_before_the_watermark_and_stays_open() -> None:
    from flows.windows import LIBRARY, library_window

    w = library_window(watermark=dt.datetime(2023, 11, 13, 8, tzinfo=dt.UTC), overlap_days=3)
    assert w == Window(D(2023, 11, 10), None, LIBRARY)
    assert str(w) == "new in the library 2023-11-10 to now"


def test_discovery_lines_name_the_door_the_shut_ones_and_the_overrides() -> None:
    from flows.summary import discovery_lines, summary_markdown

    lines = discovery_lines(
        [("new in the library 2023-11-10 to now",
          {"door": "api", "high_water": "2023-11-15T10:00:00+00:00",
           "blocked": {"oai": "bot challenge (HTTP 202)", "files": "bot challenge"}})],
        ["robots.txt ignored (UNMIG_IGNORE_ROBOTS)"],
    )
    assert lines == [
        "new in the library 2023-11-10 to now: found through the api door, newest library "
        "stamp 2023-11-15T10:00:00+00:00; shut: oai: bot challenge (HTTP 202); files: bot "
        "challenge",
        "override: robots.txt ignored (UNMIG_IGNORE_ROBOTS)",
    ]
    text = summary_markdown({"discovered": 1}, window="w", run_id=1, notes=lines)
    assert "### Doors" in text and "- override: robots.txt ignored" in text
