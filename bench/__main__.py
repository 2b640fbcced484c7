"""`python -m bench` (`make bench`): the six measurements of docs/benchmarks.md, one table.

    python -m bench                 # full sizes: 15-16 min measured on 2 cores, one of them busy
    python -m bench --quick         # small sizes, about 2-3 min (checks the machinery)
    python -m bench --only 1,3      # some items only
    python -m bench --docs 300 --baseline-docs 50 --json /tmp/b.json
    python -m bench --update-doc    # and put the table into docs/benchmarks.md

Generated PDFs are cached (see bench.corpus); the first run renders them. The table is printed
at the end, and written with the raw figures as JSON (default data/bench/latest.json) and as
Markdown next to it (latest.md), ready for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

from bench.measure import cores_available, load_average
from bench.report import Report, machine

ALL_ITEMS = (1, 2, 3, 4, 5, 6)


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(",") if x.strip())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    p.add_argument(
        "--quick",
        action="store_true",
        help="small sizes everywhere (any size given explicitly still wins)",
    )
    p.add_argument("--only", type=_ints, default=ALL_ITEMS, help="items to run, e.g. 1,2,3")
    p.add_argument("--parse-sizes", type=_ints, help="pages of the item 1 PDFs (2..200)")
    p.add_argument("--repeat", type=int, help="rounds of items 1 and 2 (best counts)")
    p.add_argument("--pages", type=int, default=10, help="pages of the backfill documents")
    p.add_argument("--docs", type=int, help="documents in the backfill (item 5)")
    p.add_argument(
        "--distinct",
        type=int,
        help="distinct PDFs rendered for the backfill; the rest are copies with their own SHA-256",
    )
    p.add_argument("--parallel-docs", type=int, help="documents parsed in item 2")
    p.add_argument("--load-docs", type=int, help="versions per loading round (item 3)")
    p.add_argument("--load-rounds", type=int, help="loading rounds (best counts)")
    p.add_argument("--baseline-docs", type=int, help="documents in the naive baseline (item 6)")
    p.add_argument("--empty-repeat", type=int, help="runs of the empty flow and of the ingest")
    p.add_argument("--per-month", type=int, default=50, help="backfill records per month")
    p.add_argument("--seed", type=int, default=6)
    p.add_argument(
        "--pg-url",
        default=None,
        help="PostgreSQL admin URL for scratch databases (default: local postgres)",
    )
    p.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    p.add_argument("--json", type=Path, default=Path("data/bench/latest.json"))
    p.add_argument("--no-profile", action="store_true", help="skip the parse profile")
    p.add_argument(
        "--update-doc",
        type=Path,
        nargs="?",
        const=Path("docs/benchmarks.md"),
        help="put this run's table into the doc (between its bench markers)",
    )
    a = p.parse_args(argv)
    full = {
        "parse_sizes": (2, 5, 20, 50, 200),
        "repeat": 2,
        "docs": 1000,
        "distinct": 100,
        "parallel_docs": 12,
        "load_docs": 50,
        "load_rounds": 3,
        "baseline_docs": 100,
        "empty_repeat": 3,
    }
    quick = {
        "parse_sizes": (2, 10, 30),
        "repeat": 1,
        "docs": 110,
        "distinct": 12,
        "parallel_docs": 6,
        "load_docs": 12,
        "load_rounds": 2,
        "baseline_docs": 12,
        "empty_repeat": 1,
    }
    for key, value in (quick if a.quick else full).items():
        if getattr(a, key) is None:
            setattr(a, key, value)
    return a


def run(args: argparse.Namespace, report: Report) -> None:
    from bench import corpus as corpora
    from bench import pg

    def say(msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    only = set(args.only)
    report.details["settings"] = {k: v for k, v in vars(args).items() if k != "json"}
    report.details["load_average_start"] = load_average()
    cores = os.cpu_count() or 1

    def probe(when: str) -> None:
        # A shared machine: what the next figures could use, so they can be read fairly.
        got = cores_available(cores)
        report.details.setdefault("cores_available", {})[when] = got
        report.add(
            "0 machine",
            f"cores available {when}",
            f"{got:.2f} of {cores}",
            note=f"{cores} busy processes for 1.5 s; load average {load_average()}",
        )

    probe("at start")
    docs: list = []
    if only & {2, 3, 5, 6}:
        say(f"corpus: {args.distinct} distinct {args.pages}-page PDFs (cached after the first run)")
        docs = corpora.corpus(args.distinct, args.pages, args.seed)
    parse_only_rate = None
    if 1 in only:
        from bench.parsing import bench_parse, profile_parse

        say(f"1 parsing: PDFs of {args.parse_sizes} pages, {args.repeat} rounds")
        mixed = corpora.mixed_corpus(args.parse_sizes, args.seed)
        bench_parse(report, mixed, args.repeat)
        if not args.no_profile:
            profile_parse(report, mixed[-1], args.json.parent)
    if 2 in only:
        from bench.parsing import bench_parallel

        sample = docs[: args.parallel_docs]
        say(f"2 parallelism: {len(sample)} documents with 1 and 2 workers")
        parse_only_rate = bench_parallel(report, sample, args.repeat)
    if 3 in only:
        from bench.loading import bench_load

        admin = None if args.no_pg else (args.pg_url or pg.DEFAULT_ADMIN_URL)
        skip = "--no-pg" if args.no_pg else pg.available(admin)
        parsed = [corpora.parsed_from_spec(d.spec) for d in docs[: args.load_docs]]
        say(f"3 loading: {len(parsed)} versions a round, {args.load_rounds} rounds")
        bench_load(report, parsed, args.load_rounds, admin, skip)
    if only & {4, 5, 6}:
        import tempfile

        from bench.backfill import bench_pipeline, build
        from bench.prefect_server import PrefectServer

        folder = Path(tempfile.mkdtemp(prefix="unmig-bench-archive-"))
        archive = build(folder / "archive", docs, args.docs, args.per_month)
        say("starting a Prefect server for the flows")
        with PrefectServer() as server:
            report.details["prefect_server_start_s"] = server.started_in
            probe("before the flows")
            bench_pipeline(
                report,
                archive,
                server.env(),
                parse_only_rate=parse_only_rate,
                baseline_docs=args.baseline_docs,
                empty_repeat=args.empty_repeat,
                prefect_pid=server.proc.pid if server.proc else None,
                progress=say,
            )
        shutil.rmtree(folder, ignore_errors=True)
    probe("at the end")
    report.details["load_average_end"] = load_average()


BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def update_doc(path: Path, table: str) -> None:
    """Replace what lies between the markers in `path` with `table`."""
    text = path.read_text()
    head, _, rest = text.partition(BEGIN)
    _, found, tail = rest.partition(END)
    if not found:
        raise SystemExit(f"{path}: no {BEGIN} ... {END} section to update")
    path.write_text(f"{head}{BEGIN}\n{table}{END}{tail}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report = Report()
    t0 = time.perf_counter()
    try:
        run(args, report)
    finally:
        elapsed = time.perf_counter() - t0
        report.details["elapsed_s"] = elapsed
        m = machine()
        args.json.parent.mkdir(parents=True, exist_ok=True)
        report.write_json(args.json)
        header = (
            f"{m['cpus']} CPUs ({m['cpu']}), {m['memory']}, Python {m['python']}, "
            f"SQLite {m['sqlite']}; load average {report.details.get('load_average_start')}"
            f" at start, {load_average()} at end; {elapsed / 60:.1f} min"
        )
        table = f"{header}\n\n{report.markdown()}\n"
        args.json.with_suffix(".md").write_text(table)
        if args.update_doc is not None:
            update_doc(args.update_doc, table)
        print(header)
        print(report.table())
        print(f"raw figures: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
