"""How faithfully the PDF parse reads real reports, checked against their Word versions.

For every PDF in a directory (default ../shared/real-docs) with a .docx of the same name beside
it, both are parsed (`parse_pdf`, `parse_docx`) and compared paragraph by paragraph by
`parsers.agreement.compare` (numbering, paragraphs, sections, footnotes, masthead; see there).

The Word file is the reference, not an infallible one: where the printed page shows that the PDF
parse is right and the Word file differs, the case is recorded in the hand-checked decisions
(tests/parsers/fidelity_decisions.json, with the text or section as printed) and counted as
agreeing as long as the PDF parse still gives what was printed.

    .venv/bin/python -m bench.fidelity [DIR] [--diff DOC]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

# The comparison itself is the product's (the loader stores it per version); re-exported here
# for the fidelity tests and the decisions file.
from parsers.agreement import (
    MASTHEAD_FIELDS,
    Decision,
    DocFigures,
    compare,
    text_hash,
)
from parsers.model import ParsedDocument

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DIR = REPO.parent / "shared" / "real-docs"
DECISIONS_FILE = REPO / "tests" / "parsers" / "fidelity_decisions.json"


def load_decisions(path: Path = DECISIONS_FILE) -> list[Decision]:
    if not path.is_file():
        return []
    raw = json.loads(path.read_text(encoding="utf-8"))
    return [Decision(**d) for d in raw.get("decisions", [])]


def pairs(directory: Path) -> list[tuple[str, Path, Path]]:
    """(stem, pdf, docx) for every PDF with a Word version beside it, by name."""
    out = []
    for pdf in sorted(directory.glob("*.pdf")):
        docx = pdf.with_suffix(".docx")
        if docx.is_file():
            out.append((pdf.stem, pdf, docx))
    return out


def parse_file(path: Path) -> ParsedDocument:
    from parsers import parse_docx, parse_pdf

    reader = parse_docx if path.suffix == ".docx" else parse_pdf
    return reader(path.read_bytes(), filename=path.name)


def measure(
    directory: Path = DEFAULT_DIR,
    decisions: Iterable[Decision] | None = None,
    only: Iterable[str] | None = None,
    parse: Callable[[Path], ParsedDocument] = parse_file,
) -> list[DocFigures]:
    """Parse every PDF/Word pair in `directory` and return the figures per document
    (`parse` may be a cached one: the tests share their parses)."""
    decisions = list(load_decisions() if decisions is None else decisions)
    wanted = set(only) if only else None
    out = []
    for stem, pdf_path, docx_path in pairs(directory):
        if wanted is not None and stem not in wanted:
            continue
        word = parse(docx_path)
        pdf = parse(pdf_path)
        out.append(compare(stem, word, pdf, decisions))
    return out


def _frac(n: int, total: int) -> str:
    return f"{n}/{total}"


def table(figures: Sequence[DocFigures]) -> str:
    """One row per document and a total, as printed by `make fidelity`."""
    head = ("document", "numbering", "paragraphs", "sections", "footnotes", "masthead S D Se A T")
    rows = []
    for f in figures:
        rows.append((
            f.doc,
            "yes" if f.numbering_identical else f"no ({f.pdf_numbered} vs {f.word_numbered})",
            _frac(f.paragraphs_identical, f.word_numbered),
            _frac(f.sections_identical, f.word_numbered),
            _frac(f.footnotes_found, f.footnotes_total),
            " ".join(f.masthead[k] for k in MASTHEAD_FIELDS),
        ))
    n = sum(f.word_numbered for f in figures)
    rows.append((
        "total",
        f"{sum(f.numbering_identical for f in figures)}/{len(figures)} yes",
        _frac(sum(f.paragraphs_identical for f in figures), n),
        _frac(sum(f.sections_identical for f in figures), n),
        _frac(sum(f.footnotes_found for f in figures), sum(f.footnotes_total for f in figures)),
        f"{sum(v == '=' for f in figures for v in f.masthead.values())}/"
        f"{len(figures) * len(MASTHEAD_FIELDS)} =",
    ))
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    lines = [" | ".join(str(c).ljust(w) for c, w in zip(head, widths, strict=True))]
    lines.append("-|-".join("-" * w for w in widths))
    for r in rows:
        lines.append(" | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))
    lines.append("masthead: = as in the Word file, ~ read but different, - not read")
    return "\n".join(lines)


def _side_by_side(left: str, right: str, width: int) -> list[str]:
    col = max(30, (width - 3) // 2)
    a = textwrap.wrap(left, col) or [""]
    b = textwrap.wrap(right, col) or [""]
    a += [""] * (len(b) - len(a))
    b += [""] * (len(a) - len(b))
    return [f"{x.ljust(col)} | {y}" for x, y in zip(a, b, strict=True)]


def _first_difference(a: str, b: str) -> str:
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return f"first difference at character {i}: word {a[i:i + 30]!r} / pdf {b[i:i + 30]!r}"


def diff_report(f: DocFigures, width: int | None = None) -> str:
    """The differing paragraphs of one document, Word on the left, PDF on the right."""
    width = width or shutil.get_terminal_size((160, 40)).columns
    out = [f"{f.doc}: {len(f.diffs)} numbered paragraphs differ (Word left, PDF right)"]
    if not f.numbering_identical:
        out.append("numbering: " + "; ".join(f.numbering_diffs))
    for d in f.diffs:
        number, occ = d.key
        label = f"paragraph {number}" + (f" (occurrence {occ})" if occ > 1 else "")
        out.append("")
        if d.pdf_text is None:
            out.append(f"== {label}: not in the PDF parse")
            out.extend(_side_by_side(d.word_text, "(missing)", width))
            continue
        if not d.section_same:
            pdf_path = " / ".join(d.pdf_section or ())
            out.append(f"== {label}: section; pdf sha256 {text_hash(pdf_path)}")
            out.extend(_side_by_side(" / ".join(d.word_section), pdf_path, width))
        if not d.text_same:
            out.append(f"== {label}: text; {_first_difference(d.word_text, d.pdf_text)}; "
                       f"pdf sha256 {text_hash(d.pdf_text)}")
            out.extend(_side_by_side(d.word_text, d.pdf_text, width))
    for text in f.footnotes_missing:
        out.append("")
        out.append("== footnote not found in the PDF parse:")
        out.extend(textwrap.wrap(text, width))
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.fidelity", description=(__doc__ or "").split("\n")[0]
    )
    ap.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--diff", metavar="DOC", help="the differing paragraphs of DOC (file stem)")
    args = ap.parse_args(argv)
    if not args.directory.is_dir():
        print(f"no such directory: {args.directory}", file=sys.stderr)
        return 2
    if not pairs(args.directory):
        print(f"no PDF with a .docx beside it in {args.directory}", file=sys.stderr)
        return 2
    only = [args.diff] if args.diff else None
    figures = measure(args.directory, only=only)
    if args.diff and not figures:
        print(f"{args.diff}: no such PDF/Word pair in {args.directory}", file=sys.stderr)
        return 2
    print(table(figures))
    for f in figures if args.diff else ():
        print()
        print(diff_report(f))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
