"""The benchmark code runs (parsing and SQLite loading at the smallest sizes). Never about speed:
`make bench` measures; this only keeps `python -m bench` from rotting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("pyinstrument")


def test_quick_parsing_and_loading_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.__main__ import main

    monkeypatch.setenv("UNMIG_BENCH_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "bench.json"
    argv = [
        "--quick",
        "--only",
        "1,3",
        "--parse-sizes",
        "2",
        "--distinct",
        "2",
        "--pages",
        "2",
        "--load-docs",
        "2",
        "--load-rounds",
        "1",
        "--no-pg",
        "--json",
        str(out),
    ]
    assert main(argv) == 0

    rows = json.loads(out.read_text())["rows"]
    measures = {(r["item"], r["measure"]): r["value"] for r in rows}
    for key in [
        ("1 parsing", "bare pdfminer extract_text"),
        ("1 parsing", "full parse (parse_bytes)"),
        ("1 parsing", "parse / extract_text (wall)"),
        ("3 loading", "SQLite, 1 loader"),
        ("3 loading", "SQLite, one large version"),
    ]:
        assert key in measures, key
        number = float(measures[key].split()[0].rstrip("x").replace(",", ""))
        assert number > 0, (key, measures[key])
    assert out.with_suffix(".md").read_text().count("| 1 parsing |") >= 3
