"""What the benchmark runs in a fresh process: `python -m bench.child MODE [args]`.

Settings come from the environment (`UNMIG_*`, `PREFECT_*`) the parent sets. The last line
printed is a JSON object with the timings; the parent reads it.

Modes:
  empty                  an empty Prefect flow (the floor of items 4 and 5)
  ingest                 `flows.ingest.ingest()` with its defaults (the nightly run)
  backfill START END     `flows.ingest.backfill(start, end)`
  baseline START END     no orchestration: search, then fetch, parse and load one document
                         after another in this process
"""

from __future__ import annotations

import time

_T_START = time.perf_counter()

import datetime as dt  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402


def _rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _empty() -> dict:
    from prefect import flow

    @flow(name="bench-empty")
    def empty() -> None:
        return None

    ready = time.perf_counter()
    empty()
    return {"ready_s": ready - _T_START, "flow_s": time.perf_counter() - ready}


def _ingest() -> dict:
    from flows.ingest import ingest

    ready = time.perf_counter()
    counts = ingest()
    return {"ready_s": ready - _T_START, "flow_s": time.perf_counter() - ready, "counts": counts}


def _backfill(start: str, end: str) -> dict:
    from flows.ingest import backfill

    ready = time.perf_counter()
    counts = backfill(start=dt.date.fromisoformat(start), end=dt.date.fromisoformat(end))
    return {"ready_s": ready - _T_START, "flow_s": time.perf_counter() - ready, "counts": counts}


def _baseline(start: str, end: str) -> dict:
    """What a user would write without the pipeline: one loop, one process, no retries beyond
    the HTTP client's, no catalogue, file store, validators or run records."""
    from config import load_settings
    from parsers import parse_bytes
    from sources import open_source
    from storage import versions
    from storage.db import make_engine

    settings = load_settings()
    engine = make_engine(settings.database_url)
    source = open_source(settings)
    ready = time.perf_counter()
    loaded = 0
    for record in source.search(
        since=dt.date.fromisoformat(start), until=dt.date.fromisoformat(end)
    ):
        download = source.fetch(record, "en")
        parsed = parse_bytes(download.content, filename=download.url, language="en")
        versions.load_version(
            engine,
            symbol=record.symbol,
            language="en",
            parsed=parsed,
            source_url=download.url,
            source_sha256=download.sha256,
            fetched_at=dt.datetime.now(dt.UTC),
            run_id=None,
            record_id=record.record_id,
        )
        loaded += 1
    flow_s = time.perf_counter() - ready
    engine.dispose()
    return {"ready_s": ready - _T_START, "flow_s": flow_s, "counts": {"new": loaded}}


def main(argv: list[str]) -> None:
    mode, args = argv[0], argv[1:]
    fn = {"empty": _empty, "ingest": _ingest, "backfill": _backfill, "baseline": _baseline}[mode]
    out = fn(*args)
    out["maxrss_kb"] = _rss_kb()
    out["cpu_s"] = time.process_time()
    print(json.dumps(out, default=str), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
