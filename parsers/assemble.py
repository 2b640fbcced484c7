"""Extracted lines -> ParsedDocument: front matter, segmentation, normalised texts, footnotes."""

from __future__ import annotations

from itertools import chain
from typing import TYPE_CHECKING

from parsers.front_matter import read_front_matter
from parsers.lines import Extracted, RawFootnote
from parsers.model import Footnote, Paragraph, ParagraphKind, ParsedDocument, SubItem
from parsers.normalise import (
    Vocabulary,
    collapse,
    join_lines,
    mend_spacing,
    rejoin_split_words,
)
from parsers.segment import Draft, flag, segment

if TYPE_CHECKING:
    from parsers.trace import LineFate, Trace


def _text(lines: list[str], vocab: Vocabulary) -> str:
    text = join_lines(lines, vocab)
    if vocab.mend_tears:
        text = rejoin_split_words(text, vocab)
    return mend_spacing(text)


def _paragraph(pos: int, d: Draft, vocab: Vocabulary) -> Paragraph:
    if d.kind is ParagraphKind.TABLE:
        # One line per row, cells joined by " | ": rows are not wrapped text to be joined.
        rows = "\n".join(collapse(row) for row in d.lines)
        return Paragraph(pos, None, d.section, d.kind, rows,
                         footnote_markers=tuple(dict.fromkeys(d.markers)))
    lead = _text(d.lines, vocab)
    items = tuple(SubItem(label, _text(lines, vocab)) for label, lines in d.items)
    parts = [lead] if lead else []
    parts.extend(f"({i.label}) {i.text}".rstrip() for i in items)
    return Paragraph(
        position=pos,
        number=d.number,
        section=d.section,
        kind=d.kind,
        text=" ".join(parts),
        items=items,
        footnote_markers=tuple(dict.fromkeys(d.markers)),
    )


def _footnotes(raw: list[RawFootnote], paragraphs: list[Paragraph], vocab: Vocabulary
               ) -> list[Footnote]:
    """Each footnote linked to the first paragraph citing its marker not yet linked to it."""
    citing: dict[str, list[int]] = {}
    for p in paragraphs:
        for m in p.footnote_markers:
            citing.setdefault(m, []).append(p.position)
    out = []
    for f in raw:
        positions = citing.get(f.marker)
        pos = positions.pop(0) if positions else None
        out.append(Footnote(marker=f.marker, text=_text(f.lines, vocab), paragraph_position=pos))
    return out


def build_document(ex: Extracted, *, language: str, parser_version: str,
                   trace: Trace | None = None) -> ParsedDocument:
    """The document; with a `trace`, what each of `ex.lines` became is recorded in it."""
    fr = read_front_matter(ex.lines)
    others: dict[int, LineFate] | None = {} if trace is not None else None
    drafts = segment(ex.lines[fr.body_start:], resolution=fr.resolution, styled=ex.styled,
                     trace=others)
    if trace is not None:
        from parsers.trace import record_parse

        record_parse(trace, body_start=fr.body_start, drafts=drafts, others=others,
                     kinds=[d.kind is ParagraphKind.TABLE for d in drafts])
    vocab = Vocabulary(
        chain.from_iterable(chain(d.lines, *(lines for _, lines in d.items)) for d in drafts),
        mend_tears=not ex.spaced,
    )
    paragraphs = [_paragraph(pos, d, vocab) for pos, d in enumerate(drafts, start=1)]
    warnings = flag(drafts, [p.text for p in paragraphs])
    if not paragraphs:
        warnings.append("no paragraphs found")
    footnotes = _footnotes(ex.footnotes, paragraphs, vocab)
    return ParsedDocument(
        front=fr.front,
        paragraphs=tuple(paragraphs),
        footnotes=tuple(footnotes),
        warnings=tuple(warnings),
        language=language,
        parser_version=parser_version,
        page_count=ex.page_count,
        text="\n\n".join(p.text for p in paragraphs),
    )
