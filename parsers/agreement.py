"""How far two parses of one document agree: its Word version and its PDF, the PDF being the
version of record. Pure: two `ParsedDocument`s in, figures out.

Compared paragraph by paragraph, the Word parse as the reference:

1. numbering: the sequence of numbered paragraphs is identical (the first differences listed);
2. paragraphs: each numbered Word paragraph has a PDF paragraph with the same number (and the
   same occurrence, where numbers repeat in annexes) whose text is identical after whitespace
   folding;
3. sections: the same pairs have identical section paths;
4. footnotes: each Word footnote's text (folded) is found whole among the PDF's footnote texts;

plus the masthead fields of the PDF parse compared with the Word file's. The loader stores the
figures per version (`storage.agreement`); `bench/fidelity.py` prints them for the real reports,
where hand-checked `Decision`s count a difference the printed page decides for the PDF as
agreeing.
"""

from __future__ import annotations

import difflib
import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from parsers.model import ParagraphKind, ParsedDocument

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
