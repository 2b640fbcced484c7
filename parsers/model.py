"""Records the parsers hand to the rest of the pipeline.

These are the contract between `parsers/` and its callers (`storage/`, `flows/`, `cli/`):
plain frozen dataclasses, no I/O, JSON-friendly through `to_dict()`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum


class ParagraphKind(StrEnum):
    NUMBERED = "numbered"  # "12. ..." in reports, notes, summaries
    PREAMBULAR = "preambular"  # unnumbered "Recalling ...," of a resolution
    OPERATIVE = "operative"  # numbered paragraph of a resolution
    UNNUMBERED = "unnumbered"  # text that is not numbered (text before paragraph 1, say)
    FRAGMENT = "fragment"  # a paragraph whose start is missing from the source
    TABLE = "table"  # a table or boxed summary, its rows' cells joined; never paragraph text


class DocumentType(StrEnum):
    REPORT = "report"
    NOTE = "note"
    LETTER = "letter"
    RESOLUTION = "resolution"
    DRAFT_RESOLUTION = "draft resolution"
    SUMMARY = "summary"
    OTHER = "other"


@dataclass(frozen=True)
class SubItem:
    """(a), (b), (i) ... inside a paragraph; `label` is as printed without brackets."""

    label: str
    text: str


@dataclass(frozen=True)
class Paragraph:
    position: int  # 1-based order in the document, unique
    number: str | None  # the label as printed ("12"), None when unnumbered
    section: tuple[str, ...]  # heading path, outermost first ("Annex I", "III. Panel 1: ...")
    kind: ParagraphKind
    text: str  # whole paragraph text, sub-items included, normalised
    items: tuple[SubItem, ...] = ()
    footnote_markers: tuple[str, ...] = ()  # markers cited in this paragraph ("1", "2")


@dataclass(frozen=True)
class Footnote:
    marker: str  # as printed ("1", "*")
    text: str
    paragraph_position: int | None  # the paragraph whose text cites it


@dataclass(frozen=True)
class FrontMatter:
    symbol: str | None = None
    distribution: str | None = None  # "General", "Limited"
    date: str | None = None  # ISO 8601 when it could be read ("2011-06-14")
    original_language: str | None = None
    session: str | None = None  # "Sixty-first session"
    agenda_item: str | None = None  # "55 (b)"
    title: str | None = None
    subtitle: str | None = None
    doc_type: DocumentType | None = None


@dataclass(frozen=True)
class ParsedDocument:
    front: FrontMatter
    paragraphs: tuple[Paragraph, ...]
    footnotes: tuple[Footnote, ...] = ()
    warnings: tuple[str, ...] = ()
    language: str = "en"
    parser_version: str = ""
    page_count: int | None = None
    text: str = field(default="", repr=False)  # the normalised full text, for hashing

    def to_dict(self) -> dict:
        """The JSON shape `unmig parse --json` prints."""
        return {
            "symbol": self.front.symbol,
            "title": self.front.title,
            "date": self.front.date,
            "language": self.language,
            "front_matter": {
                k: (str(v) if v is not None else None) for k, v in asdict(self.front).items()
            },
            "paragraphs": [
                {
                    "position": p.position,
                    "number": p.number,
                    "section": " / ".join(p.section) if p.section else None,
                    "section_path": list(p.section),
                    "kind": str(p.kind),
                    "text": p.text,
                    "items": [asdict(i) for i in p.items],
                    "footnotes": list(p.footnote_markers),
                }
                for p in self.paragraphs
            ],
            "footnotes": [asdict(f) for f in self.footnotes],
            "warnings": list(self.warnings),
            "parser_version": self.parser_version,
        }
