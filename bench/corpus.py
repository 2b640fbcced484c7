"""Generated UN-layout corpora for the benchmarks, cached on disk.

Rendering PDFs with reportlab costs about as much as parsing them, so every corpus is written
once under the cache folder (`UNMIG_BENCH_CACHE`, default `<tmp>/unmig-bench-cache`), keyed by
its size and seed, and read back on later runs. Documents come from `tests.pdfgen.make_corpus`
and are rendered in worker processes.

`parsed_from_spec` builds the `ParsedDocument` a correct parse of a generated PDF returns
(`tests.pdfgen.expected_*`), so the loading benchmark needs no parsing at all.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path

from parsers import PARSER_VERSION
from parsers.model import (
    DocumentType,
    Footnote,
    FrontMatter,
    Paragraph,
    ParagraphKind,
    ParsedDocument,
    SubItem,
)
from tests.pdfgen import (
    DocSpec,
    expected_footnotes,
    expected_front,
    expected_paragraphs,
    make_corpus,
    render_pdf,
)


def cache_dir() -> Path:
    default = Path(tempfile.gettempdir()) / "unmig-bench-cache"
    path = Path(os.environ.get("UNMIG_BENCH_CACHE", default))
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class Doc:
    spec: DocSpec
    path: Path  # the rendered PDF
    pages: int  # pages in the PDF (counted by the layout, the same number pdfminer sees)

    def read(self) -> bytes:
        return self.path.read_bytes()


def _one(args: tuple[int, int, int]) -> DocSpec:
    n, pages, seed = args
    return make_corpus(n, pages=pages, seed=seed)[-1]


def _render(args: tuple[DocSpec, str]) -> int:
    from tests.pdfgen import count_pages

    spec, path = args
    data = render_pdf(spec)
    tmp = Path(path + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)
    return count_pages(spec)


def corpus(n_docs: int, pages: int, seed: int, *, workers: int = 2) -> list[Doc]:
    """`make_corpus(n_docs, pages, seed)` rendered to PDFs, from the cache when it is there."""
    folder = cache_dir() / f"corpus-n{n_docs}-p{pages}-s{seed}"
    index = folder / "index.pickle"
    if index.exists():
        with index.open("rb") as f:
            specs, counts = pickle.load(f)
        docs = [
            Doc(s, folder / f"{i:05d}.pdf", c)
            for i, (s, c) in enumerate(zip(specs, counts, strict=True))
        ]
        if all(d.path.exists() for d in docs):
            return docs
    folder.mkdir(parents=True, exist_ok=True)
    specs = make_corpus(n_docs, pages=pages, seed=seed)
    jobs = [(s, str(folder / f"{i:05d}.pdf")) for i, s in enumerate(specs)]
    with cf.ProcessPoolExecutor(max_workers=workers) as pool:
        counts = list(pool.map(_render, jobs, chunksize=4))
    with index.open("wb") as f:
        pickle.dump((specs, counts), f)
    return [Doc(s, Path(p), c) for (s, p), c in zip(jobs, counts, strict=True)]


def mixed_corpus(sizes: tuple[int, ...], seed: int, *, workers: int = 2) -> list[Doc]:
    """One document of about each size in `sizes` (pages), each from its own `make_corpus`."""
    out: list[Doc] = []
    todo = []
    for size in sizes:
        folder = cache_dir() / f"single-p{size}-s{seed}"
        index = folder / "index.pickle"
        if index.exists() and (folder / "00000.pdf").exists():
            with index.open("rb") as f:
                spec, count = pickle.load(f)
            out.append(Doc(spec, folder / "00000.pdf", count))
        else:
            todo.append((size, folder))
    if todo:
        with cf.ProcessPoolExecutor(max_workers=workers) as pool:
            specs = list(pool.map(_one, [(1, size, seed) for size, _ in todo]))
            paths = [str(folder / "00000.pdf") for _, folder in todo]
            for _, folder in todo:
                folder.mkdir(parents=True, exist_ok=True)
            counts = list(pool.map(_render, list(zip(specs, paths, strict=True))))
        for (_, folder), spec, count in zip(todo, specs, counts, strict=True):
            with (folder / "index.pickle").open("wb") as f:
                pickle.dump((spec, count), f)
            out.append(Doc(spec, folder / "00000.pdf", count))
    return sorted(out, key=lambda d: d.pages)


def distinct_copy(data: bytes, copy: int) -> bytes:
    """The same PDF with a comment after its end, so each copy has its own SHA-256 (a reused
    file is then stored, fetched and parsed like any other). pdfminer reads the cross-reference
    table from the last `startxref`, which the comment leaves alone."""
    if copy == 0:
        return data
    return data + f"% unmig-bench copy {copy}\n%%EOF\n".encode()


def parsed_from_spec(spec: DocSpec, *, symbol: str | None = None) -> ParsedDocument:
    """What a correct parse of `render_pdf(spec)` returns (front matter, paragraphs,
    footnotes), straight from the spec."""
    front = expected_front(spec)
    if symbol is not None:
        front["symbol"] = symbol
    front["doc_type"] = DocumentType(front["doc_type"])
    paragraphs = tuple(
        Paragraph(
            position=i,
            number=p.number,
            section=p.section,
            kind=ParagraphKind(p.kind),
            text=p.text,
            items=tuple(SubItem(label, text) for label, text in p.items),
            footnote_markers=p.footnote_markers,
        )
        for i, p in enumerate(expected_paragraphs(spec), start=1)
    )
    footnotes = tuple(Footnote(m, t, pos) for m, t, pos in expected_footnotes(spec))
    return ParsedDocument(
        front=FrontMatter(**front),
        paragraphs=paragraphs,
        footnotes=footnotes,
        parser_version=PARSER_VERSION,
        text="\n\n".join(p.text for p in paragraphs),
    )


def bench_date(i: int, per_month: int, start: dt.date = dt.date(2019, 1, 1)) -> dt.date:
    """The catalogue date of the i-th generated record: `per_month` records a month."""
    month, k = divmod(i, per_month)
    year, month = divmod(start.month - 1 + month, 12)
    first = dt.date(start.year + year, month + 1, 1)
    return first + dt.timedelta(days=(k * 28) // per_month)


def digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:12]
