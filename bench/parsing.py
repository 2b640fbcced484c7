"""1. Parsing against bare extraction; 2. parsing with 1 and 2 worker processes."""

from __future__ import annotations

import concurrent.futures as cf
import io
import time
from dataclasses import dataclass
from pathlib import Path

from bench.corpus import Doc
from bench.measure import Timing, timed
from bench.report import Report

PARSE_TARGET = 1.15
PARALLEL_TARGET = 1.7


def _extract_text(data: bytes) -> None:
    from pdfminer.high_level import extract_text

    extract_text(io.BytesIO(data))


def _parse(data: bytes) -> None:
    from parsers import parse_bytes

    parse_bytes(data, filename="bench.pdf")


@dataclass
class PerDoc:
    pages: int
    extract: Timing
    parse: Timing


def bench_parse(report: Report, docs: list[Doc], repeat: int) -> None:
    """Each document parsed and bare-extracted `repeat` times, interleaved (the order flips
    every round); the best round of each counts, so a neighbour's burst of CPU use on a shared
    machine is not charged to either side."""
    datas = [d.read() for d in docs]
    _parse(datas[0])  # imports and first-call set-up out of the way
    _extract_text(datas[0])
    best: list[PerDoc] = []
    for doc, data in zip(docs, datas, strict=True):
        ex: list[Timing] = []
        pa: list[Timing] = []
        for r in range(repeat):
            order = ((_extract_text, ex), (_parse, pa))
            for fn, out in order if r % 2 == 0 else order[::-1]:
                out.append(timed(lambda fn=fn, data=data: fn(data)))
        best.append(PerDoc(doc.pages, min(ex, key=lambda t: t.wall), min(pa, key=lambda t: t.wall)))

    pages = sum(b.pages for b in best)
    ex_wall = sum(b.extract.wall for b in best)
    pa_wall = sum(b.parse.wall for b in best)
    ex_cpu = sum(b.extract.cpu for b in best)
    pa_cpu = sum(b.parse.cpu for b in best)
    ratio = pa_wall / ex_wall
    sizes = ", ".join(str(d.pages) for d in docs)
    report.details["parse"] = {
        "documents": [
            {
                "pages": b.pages,
                "extract_text_s": b.extract.wall,
                "parse_s": b.parse.wall,
                "extract_text_cpu_s": b.extract.cpu,
                "parse_cpu_s": b.parse.cpu,
            }
            for b in best
        ],
        "repeat": repeat,
    }
    report.add(
        "1 parsing",
        "bare pdfminer extract_text",
        f"{pages / ex_wall:.1f} pages/s",
        note=f"{len(docs)} docs of {sizes} pages ({pages} pages), best of {repeat}",
    )
    report.add("1 parsing", "full parse (parse_bytes)", f"{pages / pa_wall:.1f} pages/s")
    report.add(
        "1 parsing",
        "parse / extract_text (wall)",
        f"{ratio:.2f}x",
        f"<= {PARSE_TARGET}x",
        ratio <= PARSE_TARGET,
        note=f"CPU-time ratio {pa_cpu / ex_cpu:.2f}x",
    )


def _sandbox_run(workers: int, datas: list[bytes], threads: int) -> float:
    from flows.sandbox import ParseSandbox

    sandbox = ParseSandbox(workers=workers, timeout=600, memory_mb=4096)
    try:
        # Start the workers (and their imports) before the clock starts.
        with cf.ThreadPoolExecutor(max_workers=workers) as pool:
            list(
                pool.map(
                    lambda d: sandbox.parse(d, filename="warm.pdf", language="en"), datas[:workers]
                )
            )
        t0 = time.perf_counter()
        with cf.ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(lambda d: sandbox.parse(d, filename="bench.pdf", language="en"), datas))
        return time.perf_counter() - t0
    finally:
        sandbox.close()


def bench_parallel(report: Report, docs: list[Doc], repeat: int, threads: int = 4) -> float:
    """Documents per second through `flows.sandbox.ParseSandbox` with 1 and 2 worker
    processes, fed by `threads` threads as the flow's task runner does. Returns the best
    2-worker rate (documents/s), the parse-only figure the backfill is compared with."""
    datas = [d.read() for d in docs]
    runs: dict[int, list[float]] = {1: [], 2: []}
    for r in range(repeat):
        for w in (1, 2) if r % 2 == 0 else (2, 1):
            runs[w].append(_sandbox_run(w, datas, threads))
    one = len(datas) / min(runs[1])
    two = len(datas) / min(runs[2])
    pages = sum(d.pages for d in docs)
    report.details["parallel"] = {"seconds": runs, "documents": len(datas), "pages": pages}
    report.add(
        "2 parallelism",
        "1 worker process",
        f"{one:.2f} docs/s ({one * 60:.0f}/min)",
        note=f"{len(datas)} docs, {pages} pages, {threads} feeding threads, best of {repeat}",
    )
    report.add("2 parallelism", "2 worker processes", f"{two:.2f} docs/s ({two * 60:.0f}/min)")
    report.add(
        "2 parallelism",
        "speed-up 2 vs 1",
        f"{two / one:.2f}x",
        f">= {PARALLEL_TARGET}x",
        two / one >= PARALLEL_TARGET,
    )
    return two


def _self_times(frame, out: dict[str, float], inherited: str = "other") -> None:  # noqa: ANN001
    # Built-ins and the standard library (isinstance, logging...) count for their caller.
    path = frame.file_path or ""
    key = inherited
    if "/pdfminer/" in path:
        key = "pdfminer"
    elif "/parsers/" in path:
        key = "parsers"
    elif "site-packages" in path:
        key = "other"
    out[key] = out.get(key, 0.0) + frame.total_self_time
    for child in frame.children:
        _self_times(child, out, key)


def profile_parse(report: Report, doc: Doc, out_dir: Path | None) -> None:
    """One parse of `doc` under pyinstrument: where the time goes (pdfminer, our parsers/,
    the rest), with the text profile written next to the JSON for reading the hot spots."""
    from pyinstrument import Profiler

    data = doc.read()
    _parse(data)
    profiler = Profiler(interval=0.001)
    profiler.start()
    _parse(data)
    session = profiler.stop()
    shares: dict[str, float] = {}
    root = session.root_frame()
    if root is not None:
        _self_times(root, shares)
    total = sum(shares.values()) or 1.0
    pct = {k: 100 * v / total for k, v in shares.items()}
    path = None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / "parse-profile.txt"
        path.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
    report.details["parse_profile"] = {
        "pages": doc.pages,
        "seconds": session.duration,
        "share_percent": pct,
        "text": str(path) if path else None,
    }
    report.add(
        "1 parsing",
        "profile: time in parsers/ code",
        f"{pct.get('parsers', 0):.1f} %",
        note=f"{doc.pages}-page doc: pdfminer {pct.get('pdfminer', 0):.1f} %, "
        f"other {pct.get('other', 0):.1f} %" + (f"; {path}" if path else ""),
    )
