"""Benchmark results and the table printed at the end."""

from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


@dataclass
class Row:
    item: str  # "1 parsing", ...
    measure: str
    value: str
    target: str = ""
    met: bool | None = None  # None: no target on this row
    note: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    details: dict[str, object] = field(default_factory=dict)  # raw figures, for the JSON

    def add(self, *args: object, **kwargs: object) -> Row:
        row = Row(*args, **kwargs)  # type: ignore[arg-type]
        self.rows.append(row)
        return row

    def table(self) -> str:
        head = ("item", "measure", "value", "target", "met", "note")
        cells = [
            (
                r.item,
                r.measure,
                r.value,
                r.target,
                "" if r.met is None else ("yes" if r.met else "NO"),
                r.note,
            )
            for r in self.rows
        ]
        widths = [
            max(len(h), *(len(c[i]) for c in cells)) if cells else len(h)
            for i, h in enumerate(head)
        ]
        widths[-1] = len(head[-1])  # the note runs on

        def line(values: tuple[str, ...]) -> str:
            return " | ".join(
                v.ljust(w) if i < len(values) - 1 else v
                for i, (v, w) in enumerate(zip(values, widths, strict=True))
            ).rstrip()

        out = [line(head), "-+-".join("-" * w for w in widths)]
        out += [line(c) for c in cells]
        return "\n".join(out)

    def markdown(self) -> str:
        out = [
            "| item | measure | value | target | met | note |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for r in self.rows:
            met = "" if r.met is None else ("yes" if r.met else "**no**")
            out.append(f"| {r.item} | {r.measure} | {r.value} | {r.target} | {met} | {r.note} |")
        return "\n".join(out)

    def write_json(self, path: Path) -> None:
        path.write_text(
            json.dumps(
                {
                    "machine": machine(),
                    "rows": [asdict(r) for r in self.rows],
                    "details": self.details,
                },
                indent=2,
                default=str,
            )
        )


def _pkg(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "-"


def machine() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    import sqlite3

    return {
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "memory": mem,
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "prefect": _pkg("prefect"),
        "pdfminer.six": _pkg("pdfminer.six"),
        "sqlalchemy": _pkg("sqlalchemy"),
        "psycopg": _pkg("psycopg"),
    }
