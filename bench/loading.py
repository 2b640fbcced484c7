"""3. Loading: paragraphs per second into SQLite and PostgreSQL, one transaction per version.

Documents are what a correct parse of the generated 10-page PDFs returns (no parsing here), so
paragraph sizes are those of the corpus (stated in the table). Each round loads every document
as a new version through `storage.versions.load_version`, the loader the pipeline uses (its
`prepare` step, content hash and JSON included), into a database that keeps the earlier rounds,
so indexes grow as they would. After every round one phrase of the last document is searched
for, to check the full-text index is current when the load returns.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import datetime as dt
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.measure import cpu_seconds
from bench.report import Report

LOAD_TARGET = 20_000.0
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def _load(engine, symbol: str, parsed) -> None:  # noqa: ANN001
    from storage import versions

    result = versions.load_version(
        engine,
        symbol=symbol,
        language="en",
        parsed=parsed,
        source_url="bench://",
        source_sha256="0" * 64,
        fetched_at=T0,
        run_id=None,
    )
    assert result.status == "new", result


def _check_search(engine, symbol: str, parsed) -> None:  # noqa: ANN001
    from storage.queries import search

    para = parsed.paragraphs[-1]
    phrase = " ".join(para.text.split()[:6]).strip(".,;:")
    hits = search(engine, f'"{phrase}"', limit=10_000)
    if not any(h.symbol == symbol and h.position == para.position for h in hits):
        raise AssertionError(f"search after load missed {symbol} paragraph {para.position}")


def _backend_pid(engine) -> int | None:  # noqa: ANN001
    if engine.dialect.name != "postgresql":
        return None
    engine.dispose()  # one pooled connection left, so the loads run on the backend measured here
    with engine.connect() as conn:
        return conn.exec_driver_sql("select pg_backend_pid()").scalar()


def _rounds(engine, docs: list, rounds: int, tag: str, loaders: int = 1) -> list[dict]:  # noqa: ANN001
    paragraphs = sum(len(d.paragraphs) for d in docs)
    pid = _backend_pid(engine) if loaders == 1 else None
    out = []
    for r in range(rounds):
        names = [f"B/{tag}/{r}/{i}" for i in range(len(docs))]
        server0 = cpu_seconds(pid) if pid else None
        c0, t0 = time.process_time(), time.perf_counter()
        if loaders == 1:
            for name, doc in zip(names, docs, strict=True):
                _load(engine, name, doc)
        else:
            with cf.ThreadPoolExecutor(max_workers=loaders) as pool:
                list(pool.map(lambda a: _load(engine, *a), zip(names, docs, strict=True)))
        wall = time.perf_counter() - t0
        cpu = time.process_time() - c0
        server = (cpu_seconds(pid) - server0) if pid and server0 is not None else None
        _check_search(engine, names[-1], docs[-1])
        out.append(
            {
                "wall": wall,
                "python_cpu": cpu,
                "server_cpu": server,
                "paragraphs": paragraphs,
                "rate": paragraphs / wall,
            }
        )
    return out


def _engine_bench(url: str, docs: list, big, rounds: int, loaders: tuple[int, ...]) -> dict:  # noqa: ANN001
    from storage.db import make_engine, upgrade_database

    upgrade_database(url)
    engine = make_engine(url)
    try:
        for i, doc in enumerate(docs[:5]):  # connections, statement caches
            _load(engine, f"W/{i}", doc)
        res = {}
        for n in loaders:
            res[f"{n} loader{'s' if n > 1 else ''}"] = _rounds(engine, docs, rounds, f"L{n}", n)
        res["one large version"] = _rounds(engine, [big], max(2, rounds // 2), "big")
        if engine.dialect.name == "postgresql":
            res["tsvector"] = _tsvector_floor(engine)
        return res
    finally:
        engine.dispose()


def _tsvector_floor(engine) -> dict:  # noqa: ANN001
    """What to_tsvector('english'), the expression of the full-text index, costs alone over the
    loaded paragraphs: the floor under any loader that keeps that index current."""
    with engine.connect() as conn:
        n = conn.exec_driver_sql("select count(*) from paragraphs").scalar()
        t0 = time.perf_counter()
        conn.exec_driver_sql(
            "select sum(length(to_tsvector('english'::regconfig, text))) from paragraphs"
        ).scalar()
        wall = time.perf_counter() - t0
    return {"paragraphs": n, "seconds": wall, "rate": n / wall}


def _summary(rounds: list[dict]) -> tuple[float, float, str]:
    best = max(rounds, key=lambda r: r["rate"])
    med = statistics.median(r["rate"] for r in rounds)
    per = best["paragraphs"]
    cpu = f"python {best['python_cpu'] / per * 1e6:.0f} µs/para"
    if best["server_cpu"] is not None:
        cpu += f" + server {best['server_cpu'] / per * 1e6:.0f} µs/para"
    return best["rate"], med, cpu


def bench_load(
    report: Report, parsed: list, rounds: int, pg_admin_url: str | None, pg_skip_reason: str | None
) -> None:
    from bench import pg

    paragraphs = [p for d in parsed for p in d.paragraphs]
    chars = statistics.mean(len(p.text) for p in paragraphs)
    per_doc = len(paragraphs) / len(parsed)
    big = dataclasses.replace(
        parsed[0],
        paragraphs=tuple(dataclasses.replace(p, position=i) for i, p in enumerate(paragraphs, 1)),
        footnotes=(),
        text="",
    )
    shape = (
        f"{len(parsed)} versions x {per_doc:.0f} paragraphs of {chars:.0f} chars avg; "
        f"best of {rounds} rounds"
    )
    engines: list[tuple[str, str | None, tuple[int, ...]]] = []
    tmp = tempfile.mkdtemp(prefix="unmig-bench-load-")
    engines.append(("SQLite", f"sqlite:///{Path(tmp) / 'load.db'}", (1,)))
    if pg_admin_url and not pg_skip_reason:
        engines.append(("PostgreSQL", None, (1, 2)))
    details: dict[str, object] = {"paragraph_chars_mean": chars, "paragraphs_per_version": per_doc}
    for name, url, loaders in engines:
        if url is None:
            with pg.scratch_database(pg_admin_url) as pg_url:
                res = _engine_bench(pg_url, parsed, big, rounds, loaders)
        else:
            res = _engine_bench(url, parsed, big, rounds, loaders)
        details[name] = res
        floor = res.pop("tsvector", None)
        for label, rs in res.items():
            best, med, cpu = _summary(rs)
            headline = label == "1 loader"
            note = f"median {med:,.0f}/s; {cpu}"
            if label == "1 loader":
                note = f"{shape}; " + note
            elif label == "one large version":
                note = f"{len(big.paragraphs)} paragraphs in one version; " + note
            else:
                note = f"{label} (threads) on the same versions; " + note
            report.add(
                "3 loading",
                f"{name}, {label}",
                f"{best:,.0f} paragraphs/s",
                f">= {LOAD_TARGET:,.0f}/s" if headline else "",
                (best >= LOAD_TARGET) if headline else None,
                note,
            )
        if floor is not None:
            report.add(
                "3 loading",
                f"{name}, to_tsvector alone",
                f"{floor['rate']:,.0f} paragraphs/s",
                note=f"{1e6 / floor['rate']:.0f} µs/para: the index "
                f"expression over {floor['paragraphs']:,} paragraphs, nothing stored",
            )
            details[f"{name} tsvector"] = floor
    if pg_skip_reason:
        report.add("3 loading", "PostgreSQL", "skipped", note=pg_skip_reason)
    report.details["load"] = details
    shutil.rmtree(tmp, ignore_errors=True)
