"""How faithfully the PDF parse reads real reports, checked against their Word versions.

For every PDF in a directory (default ../shared/real-docs) with a .docx of the same name beside
it, both are parsed (`parse_pdf`, `parse_docx`) and compared paragraph by paragraph:

1. numbering: the sequence of numbered paragraphs is identical (the first differences listed);
2. paragraphs: each numbered Word paragraph has a PDF paragraph with the same number (and the
   same occurrence, where numbers repeat in annexes) whose text is identical after whitespace
   folding;
3. sections: the same pairs have identical section paths;
4. footnotes: each Word footnote's text (folded) is found whole among the PDF's footnote texts;

plus the masthead fields of the PDF parse compared with the Word file's.

The Word file is the reference, not an infallible one: where the printed page shows that the PDF
parse is right and the Word file differs, the case is recorded in the hand-checked decisions
(tests/parsers/fidelity_decisions.json, with the text or section as printed) and counted as
agreeing as long as the PDF parse still gives what was printed.

    .venv/bin/python -m bench.fidelity [DIR] [--diff DOC]
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import shutil
import sys
import textwrap
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from parsers.model import ParagraphKind, ParsedDocument

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DIR = REPO.parent / "shared" / "real-docs"
DECISIONS_FILE = REPO / "tests" / "parsers" / "fidelity_decisions.json"
MASTHEAD_FIELDS = ("symbol", "date", "session", "agenda_item", "title")
_NUMBERED = (ParagraphKind.NUMBERED, ParagraphKind.OPERATIVE)


@dataclass(frozen=True)
class Decision:
    """A Word/PDF difference checked on the printed page.

    `right` is "pdf" (the page agrees with the PDF parse: counted as agreeing while the PDF
    parse still gives the checked text, identified by `pdf_sha256`, the hash `--diff` prints)
    or "word" (the PDF parse is wrong: recorded so nobody checks it again; still differs).
    `excerpt` is the words at issue as printed; no paragraph text is copied here.
    """

    doc: str  # file stem, "A_80_604_Add.2"
    number: str  # paragraph number as printed, "12"
    aspect: str  # "text" or "section"
    right: str  # "pdf" or "word"
    excerpt: str
    why: str
    page: int | None = None  # PDF page looked at
    pdf_sha256: str | None = None  # needed when right == "pdf"
    occurrence: int = 1  # which paragraph with this number (numbers repeat in annexes)


def text_hash(text: str) -> str:
    """sha256 of the whitespace-folded text (or section path joined by " / ")."""
    return hashlib.sha256(fold(text).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ParaDiff:
    key: tuple[str, int]  # (number, occurrence)
    word_text: str
    pdf_text: str | None  # None: no PDF paragraph with this number
    word_section: tuple[str, ...]
    pdf_section: tuple[str, ...] | None
    text_same: bool
    section_same: bool


@dataclass(frozen=True)
class DocFigures:
    doc: str
    numbering_identical: bool
    numbering_diffs: tuple[str, ...]
    word_numbered: int
    pdf_numbered: int
    paragraphs_identical: int
    sections_identical: int
    footnotes_found: int
    footnotes_total: int
    masthead: dict[str, str]  # field -> "=" same as Word, "~" present but differs, "-" missing
    diffs: tuple[ParaDiff, ...] = field(default=(), repr=False)
    footnotes_missing: tuple[str, ...] = field(default=(), repr=False)
    decided: int = 0  # differences counted as agreeing by a hand-checked decision

    def as_row(self) -> dict[str, object]:
        """The figures a test pins."""
        return {
            "numbering_identical": self.numbering_identical,
            "paragraphs": (self.paragraphs_identical, self.word_numbered),
            "sections": (self.sections_identical, self.word_numbered),
            "footnotes": (self.footnotes_found, self.footnotes_total),
            "masthead": sum(v == "=" for v in self.masthead.values()),
        }


def fold(text: str) -> str:
    return " ".join(text.split())


def load_decisions(path: Path = DECISIONS_FILE) -> list[Decision]:
    if not path.is_file():
        return []
    raw = json.loads(path.read_text(encoding="utf-8"))
    return [Decision(**d) for d in raw.get("decisions", [])]


def _keyed(doc: ParsedDocument) -> list[tuple[tuple[str, int], object]]:
    seen: Counter[str] = Counter()
    out = []
    for p in doc.paragraphs:
        if p.kind in _NUMBERED and p.number is not None:
            seen[p.number] += 1
            out.append(((p.number, seen[p.number]), p))
    return out


def _numbering_diffs(word: Sequence[str], pdf: Sequence[str], limit: int = 5) -> list[str]:
    out = []
    sm = difflib.SequenceMatcher(a=word, b=pdf, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        w = " ".join(word[i1:i2][:8]) or "-"
        p = " ".join(pdf[j1:j2][:8]) or "-"
        after = word[i1 - 1] if i1 else "start"
        out.append(f"after {after}: word [{w}] pdf [{p}]")
        if len(out) >= limit:
            break
    return out


def compare(
    name: str,
    word: ParsedDocument,
    pdf: ParsedDocument,
    decisions: Iterable[Decision] = (),
) -> DocFigures:
    """The figures for one document (see the module doc)."""
    decided_for = {
        (d.number, d.occurrence, d.aspect): d for d in decisions if d.doc == name
    }
    w_items = _keyed(word)
    p_map = dict(_keyed(pdf))
    w_nums = [k[0] for k, _ in w_items]
    p_nums = [k[0] for k in p_map]
    same_text = same_section = decided = 0
    diffs = []
    for key, wp in w_items:
        pp = p_map.get(key)
        w_text, w_sec = fold(wp.text), tuple(fold(s) for s in wp.section)
        p_text = fold(pp.text) if pp is not None else None
        p_sec = tuple(fold(s) for s in pp.section) if pp is not None else None
        text_ok = p_text == w_text
        sec_ok = p_sec == w_sec
        d = decided_for.get((key[0], key[1], "text"))
        if (not text_ok and d and d.right == "pdf" and p_text is not None
                and text_hash(p_text) == d.pdf_sha256):
            text_ok = True
            decided += 1
        d = decided_for.get((key[0], key[1], "section"))
        if (not sec_ok and d and d.right == "pdf" and p_sec is not None
                and text_hash(" / ".join(p_sec)) == d.pdf_sha256):
            sec_ok = True
            decided += 1
        same_text += text_ok
        same_section += sec_ok
        if not (text_ok and sec_ok):
            diffs.append(ParaDiff(key, w_text, p_text, w_sec, p_sec, text_ok, sec_ok))
    pdf_notes = {fold(f.text) for f in pdf.footnotes}
    missing = tuple(fold(f.text) for f in word.footnotes if fold(f.text) not in pdf_notes)
    masthead = {}
    for f in MASTHEAD_FIELDS:
        wv, pv = getattr(word.front, f), getattr(pdf.front, f)
        masthead[f] = "-" if not pv else ("=" if wv and fold(wv) == fold(pv) else "~")
    return DocFigures(
        doc=name,
        numbering_identical=w_nums == p_nums,
        numbering_diffs=tuple(_numbering_diffs(w_nums, p_nums)),
        word_numbered=len(w_nums),
        pdf_numbered=len(p_nums),
        paragraphs_identical=same_text,
        sections_identical=same_section,
        footnotes_found=len(word.footnotes) - len(missing),
        footnotes_total=len(word.footnotes),
        masthead=masthead,
        diffs=tuple(diffs),
        footnotes_missing=missing,
        decided=decided,
    )


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
