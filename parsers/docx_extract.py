"""Word (.docx) -> ParsedDocument, read from the structure the file states.

A UN Word file says what each block is: house paragraph styles (`_ H _Ch`, `_ H_1`, `_ H_2/3`,
`_ H_4`, `_ H_5/6` headings; `Session`, `Agenda_Item_Normal`, `Title_H_CH`, `Title_H1` on the
title page), paragraph numbers typed before a tab ("12.\\t", "2.1\\t", "29A.3\\t"), sub-items typed
the same way ("(a)\\t"), tables as `w:tbl`, footnotes as a footnotes part cited by
`w:footnoteReference`, and the masthead (symbol, "Distr.: General", date) in the first page's
header. So the document is built directly from that structure, not by guessing it from lines:
the Word file is the reference the PDF parse is checked against (bench/fidelity.py).

python-docx opens the package and resolves styles and headers; what it does not expose (the
footnotes part, runs inside hyperlinks and insertions, footnote references, frames, outline
levels) is read from its lxml tree. Texts go through `normalise.clean_chars` and `collapse`, the
same character rules every other format uses. See docs/parsing.md, "The Word reader".
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from parsers.model import (
    DocumentType,
    Footnote,
    FrontMatter,
    Paragraph,
    ParagraphKind,
    ParsedDocument,
    SubItem,
)
from parsers.normalise import clean_chars, collapse
from parsers.sections import SectionPath, label_kind

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


_P, _R, _T, _TBL, _TR, _TC = _w("p"), _w("r"), _w("t"), _w("tbl"), _w("tr"), _w("tc")
_PPR, _RPR, _SDT, _SDT_CONTENT = _w("pPr"), _w("rPr"), _w("sdt"), _w("sdtContent")
_VAL = _w("val")
# Containers whose runs are printed; deletions (w:del, w:moveFrom) are not.
_RUN_CONTAINERS = frozenset(
    _w(t) for t in ("hyperlink", "ins", "moveTo", "smartTag", "customXml", "fldSimple", "dir",
                    "bdo")
)

# House heading styles by style id, then by name with spaces and underscores removed.
_HOUSE_LEVELS = {"HCh": 1, "HM": 1, "H1": 2, "H23": 3, "H4": 4, "H45": 4, "H56": 5}
_HOUSE_NAME_LEVELS = {"HCh": 1, "HM": 1, "H1": 2, "H2/3": 3, "H4": 4, "H4/5": 4, "H5/6": 5}
_HEADING_NAME_RE = re.compile(r"heading ([1-9])", re.IGNORECASE)
# Added to a level read from a paragraph's own outline level, so the builder knows to prefer the
# heading's label ("II." level 1, "A." level 2, "1." level 3) over it.
_DIRECT = 100

# Typed labels: "12.\t", "2.1\t", "29A.3\t", an annex's "A.1\t" (a number is followed by a tab,
# so a year or an amount that opens a sentence is never read as one); "(a)\t", "(iv)\t".
_NUMBER_RE = re.compile(r"(\d{1,3}[A-Z]?(?:\.\d{1,3})?|[A-Z]\.\d{1,3})\.?\t+")
_ITEM_RE = re.compile(r"\(([a-z]{1,2}|[ivxl]{1,6})\)\t+")
_CAPTION_LABEL_RE = re.compile(r"(?:Table|Figure|Chart|Map|Box)\s+[\w.\-]+")
_UNIT_LINE_RE = re.compile(r"\(.*\)")
_FRAME_NOTE_RE = re.compile(r"(\*+)\t+(.*)", re.DOTALL)
_TABLE_NOTE_RE = re.compile(r"(?:[a-z]{1,2}\t|\*+\t|(?:Abbreviations?|Notes?|Sources?)\s*:)")

_SYMBOL_RE = re.compile(r"(?:A|E|S|ST|UNEP|TD)/\S.*")
_DATE_RE = re.compile(
    r"(\d{1,2}) (January|February|March|April|May|June|July|August|September|October|"
    r"November|December),? (\d{4})"
)
_MONTHS = {m: i for i, m in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"], start=1)}
_DISTR_RE = re.compile(r"Distr\.?:?\s*([A-Z][a-z]+)")
_ORIGINAL_RE = re.compile(r"Original:\s*(.+)")
_AGENDA_RE = re.compile(
    r"(?:Agenda items?|Items?) (\d+(?: ?\([a-z]{1,4}\))?(?:(?:,| and) \d+(?: ?\([a-z]{1,4}\))?)*)"
)


@dataclass(slots=True)
class _Block:
    """One Word paragraph, read: raw text (tabs kept: they carry the typed labels)."""

    raw: str
    markers: tuple[str, ...]
    style_id: str
    style_name: str
    level: int | None  # heading level, None for text
    framed: bool = False

    @property
    def text(self) -> str:
        return collapse(clean_chars(self.raw))


@dataclass(slots=True)
class _Table:
    rows: list[str]
    markers: tuple[str, ...]


@dataclass(slots=True)
class _Record:
    kind: ParagraphKind
    number: str | None
    section: tuple[str, ...]
    lead: list[str] = field(default_factory=list)
    items: list[tuple[str, list[str]]] = field(default_factory=list)
    markers: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Reading the package


class _Reader:
    def __init__(self, document) -> None:  # a python-docx Document
        self.doc = document
        self.styles: dict[str, tuple[str, str | None]] = {}  # id -> (name, basedOn)
        default = "Normal"
        for st in document.styles.element.findall(_w("style")):
            sid = st.get(_w("styleId")) or ""
            name_el = st.find(_w("name"))
            based = st.find(_w("basedOn"))
            self.styles[sid] = (
                name_el.get(_VAL) if name_el is not None else sid,
                based.get(_VAL) if based is not None else None,
            )
            if st.get(_w("type")) == "paragraph" and st.get(_w("default")) in ("1", "true"):
                default = sid
        self.default_style = default
        # Word numbers footnotes by the order of their references; the ids are arbitrary.
        self.marker_of: dict[str, str] = {}
        for ref in document.element.body.iter(_w("footnoteReference")):
            fid = ref.get(_w("id")) or ""
            if fid not in self.marker_of and ref.get(_w("customMarkFollows")) not in ("1", "true"):
                self.marker_of[fid] = str(len(self.marker_of) + 1)

    # -- runs and text ---------------------------------------------------------------------

    def _runs(self, parent) -> Iterator:
        for child in parent:
            if child.tag == _R:
                yield child
            elif child.tag in _RUN_CONTAINERS:
                yield from self._runs(child)
            elif child.tag == _SDT:
                content = child.find(_SDT_CONTENT)
                if content is not None:
                    yield from self._runs(content)

    @staticmethod
    def _hidden(run) -> bool:
        rpr = run.find(_RPR)
        if rpr is None:
            return False
        for tag in ("vanish", "webHidden"):
            el = rpr.find(_w(tag))
            if el is not None and el.get(_VAL) not in ("0", "false"):
                return True
        return False

    def run_text(self, p) -> tuple[str, tuple[str, ...]]:
        """The printed text of a paragraph (tabs kept) and the footnote markers it cites."""
        out: list[str] = []
        markers: list[str] = []
        custom_mark = False
        for run in self._runs(p):
            if self._hidden(run):
                continue
            for el in run:
                tag = el.tag
                if tag == _T:
                    text = el.text or ""
                    if custom_mark:
                        # The typed mark right after a custom-mark reference is the marker.
                        markers.append(text.strip())
                        custom_mark = False
                        continue
                    out.append(text)
                elif tag in (_w("tab"), _w("ptab")):
                    out.append("\t")
                elif tag in (_w("br"), _w("cr")):
                    out.append(" ")
                elif tag == _w("noBreakHyphen"):
                    out.append("-")
                elif tag == _w("footnoteReference"):
                    if el.get(_w("customMarkFollows")) in ("1", "true"):
                        custom_mark = True
                    else:
                        markers.append(self.marker_of.get(el.get(_w("id")) or "", "?"))
        return "".join(out), tuple(markers)

    # -- styles ----------------------------------------------------------------------------

    def style_of(self, p) -> tuple[str, str]:
        ppr = p.find(_PPR)
        sid = self.default_style
        if ppr is not None:
            ps = ppr.find(_w("pStyle"))
            if ps is not None:
                sid = ps.get(_VAL) or sid
        return sid, self.styles.get(sid, (sid, None))[0]

    @staticmethod
    def heading_level(p, sid: str, name: str) -> int | None:
        if sid in _HOUSE_LEVELS:
            return _HOUSE_LEVELS[sid]
        compact = name.replace(" ", "").replace("_", "")
        if compact in _HOUSE_NAME_LEVELS:
            return _HOUSE_NAME_LEVELS[compact]
        if m := _HEADING_NAME_RE.fullmatch(name):
            return int(m.group(1))
        # A heading formatted by hand carries its outline level on the paragraph itself (levels
        # inherited from a style are not used: list and table styles carry them too). Such
        # files put "II." and "A." both at outline level 0, so the label decides the level
        # where there is one (see _Builder.heading); an unlabelled one ranks as the house style
        # with the same outline level would (`_ H_1` is outline 0, `_ H_2/3` 1, `_ H_4` 3).
        ppr = p.find(_PPR)
        if ppr is not None:
            ol = ppr.find(_w("outlineLvl"))
            if ol is not None:
                try:
                    lvl = int(ol.get(_VAL) or "9")
                except ValueError:
                    return None
                if lvl < 9:
                    return _DIRECT + lvl + 2
        return None

    def block(self, p) -> _Block:
        raw, markers = self.run_text(p)
        sid, name = self.style_of(p)
        ppr = p.find(_PPR)
        framed = ppr is not None and ppr.find(_w("framePr")) is not None
        level = self.heading_level(p, sid, name) if raw.strip() else None
        return _Block(raw, markers, sid, name, level, framed)

    def table(self, tbl) -> _Table:
        rows: list[str] = []
        markers: list[str] = []
        for tr in tbl.iter(_TR):
            if _nearest_table(tr) is not tbl:
                continue  # a nested table's rows are read with the cell that holds it
            cells: list[str] = []
            for tc in tr.findall(_TC):
                parts: list[str] = []
                for p in tc.iter(_P):
                    raw, ms = self.run_text(p)
                    markers.extend(ms)
                    t = collapse(clean_chars(raw))
                    if t:
                        parts.append(t)
                if parts:
                    cells.append(" ".join(parts))
            if cells:
                rows.append(" | ".join(cells))
        return _Table(rows, tuple(markers))

    def body_blocks(self) -> list[_Block | _Table]:
        out: list[_Block | _Table] = []

        def walk(parent) -> None:
            for child in parent:
                if child.tag == _P:
                    out.append(self.block(child))
                elif child.tag == _TBL:
                    out.append(self.table(child))
                elif child.tag == _SDT:
                    content = child.find(_SDT_CONTENT)
                    if content is not None and not _is_toc_sdt(child):
                        walk(content)

        walk(self.doc.element.body)
        return out

    def footnotes(self) -> list[tuple[str, str]]:
        """(marker, text) of each footnote in the footnotes part, in reference order."""
        part = None
        for rel in self.doc.part.rels.values():
            if rel.reltype.endswith("/footnotes") and not rel.is_external:
                part = rel.target_part
                break
        if part is None:
            return []
        from lxml import etree

        root = etree.fromstring(part.blob)
        texts: dict[str, str] = {}
        for fn in root.findall(_w("footnote")):
            if fn.get(_w("type")) in ("separator", "continuationSeparator", "continuationNotice"):
                continue
            paras = [collapse(clean_chars(self.run_text(p)[0])) for p in fn.iter(_P)]
            texts[fn.get(_w("id")) or ""] = " ".join(t for t in paras if t)
        order = sorted(self.marker_of.items(), key=lambda kv: int(kv[1]))
        return [(marker, texts[fid]) for fid, marker in order if fid in texts]

    def first_page_header_lines(self) -> list[str]:
        sections = self.doc.sections
        if not sections:
            return []
        sec = sections[0]
        headers = [sec.first_page_header] if sec.different_first_page_header_footer else []
        headers.append(sec.header)
        for hdr in headers:
            lines = []
            for p in hdr._element.iter(_P):
                t = collapse(clean_chars(self.run_text(p)[0]))
                if t:
                    lines.append(t)
            if lines:
                return lines
        return []


def _nearest_table(el):
    for anc in el.iterancestors(_TBL):
        return anc
    return None


def _is_toc_sdt(sdt) -> bool:
    gallery = sdt.find(f"{_w('sdtPr')}/{_w('docPartObj')}/{_w('docPartGallery')}")
    return gallery is not None and "Contents" in (gallery.get(_VAL) or "")


# ---------------------------------------------------------------------------------------------
# Front matter


def _iso(text: str) -> str | None:
    m = _DATE_RE.search(text)
    if not m:
        return None
    return f"{int(m.group(3)):04d}-{_MONTHS[m.group(2)]:02d}-{int(m.group(1)):02d}"


def _strip_stars(text: str) -> str:
    # "A/81/6 (Sect. 2)/Part A*", "... of the preliminary list**": marks of the title page's
    # own footnotes, not part of the field.
    return text.rstrip("*").rstrip()


def _doc_type(symbol: str | None, title: str | None, subtitle: str | None) -> DocumentType | None:
    if symbol and "/RES/" in symbol:
        return DocumentType.RESOLUTION
    for text in (subtitle, title):
        if not text:
            continue
        for prefix, kind in (("Note by", DocumentType.NOTE), ("Report of", DocumentType.REPORT),
                             ("Letter dated", DocumentType.LETTER)):
            if text.startswith(prefix):
                return kind
    if title and title.startswith("Summary"):
        return DocumentType.SUMMARY
    if symbol and "/L." in symbol:
        return DocumentType.DRAFT_RESOLUTION
    return DocumentType.OTHER if (symbol or title) else None


def _is_masthead_style(name: str) -> bool:
    return name.startswith(("Title", "Agenda", "Session"))


def _front(header: list[str], blocks: list[_Block | _Table]) -> FrontMatter:
    f: dict[str, str] = {}
    for line in header:
        if m := _DISTR_RE.fullmatch(line):
            f.setdefault("distribution", m.group(1))
        elif m := _ORIGINAL_RE.fullmatch(line):
            f.setdefault("original_language", m.group(1).strip())
        elif _DATE_RE.fullmatch(line):
            f.setdefault("date", _iso(line) or "")
        elif _SYMBOL_RE.fullmatch(line):
            f.setdefault("symbol", _strip_stars(line))
    for b in blocks:
        if not isinstance(b, _Block) or not _is_masthead_style(b.style_name) or not b.text:
            continue
        t = _strip_stars(b.text)
        if b.style_name == "Session":
            f.setdefault("session", t)
        elif b.style_name.startswith("Agenda_Item"):
            if m := _AGENDA_RE.match(t):
                f.setdefault("agenda_item", re.sub(r"(\d)\s*\(", r"\1 (", m.group(1)))
        elif b.style_name.replace(" ", "") in ("Title_H_CH", "TitleHCH"):
            f.setdefault("title", t)
        elif b.style_name.replace(" ", "") in ("Title_H1", "TitleH1"):
            f.setdefault("subtitle", t)
    return FrontMatter(
        symbol=f.get("symbol"),
        distribution=f.get("distribution"),
        date=f.get("date") or None,
        original_language=f.get("original_language"),
        session=f.get("session"),
        agenda_item=f.get("agenda_item"),
        title=f.get("title"),
        subtitle=f.get("subtitle"),
        doc_type=_doc_type(f.get("symbol"), f.get("title"), f.get("subtitle")),
    )


# ---------------------------------------------------------------------------------------------
# Body


def _is_contents_heading(b: _Block | _Table) -> bool:
    return isinstance(b, _Block) and (
        b.text.rstrip("*") in ("Contents", "Table of contents") or b.style_name == "TOC Heading"
    )


def _body_start(blocks: list[_Block | _Table]) -> tuple[int, set[int]]:
    """Index where the body begins and the indices of table-of-contents blocks.

    The title page (masthead, the fascicle's "Part I / Section 2 / Programme 1" titles) comes
    before the table of contents; the contents list itself repeats the headings with page
    numbers and must not become body text. Without a contents list the body begins after the
    masthead-styled paragraphs.
    """
    toc: set[int] = set()
    for i, b in enumerate(blocks):
        if _is_contents_heading(b):
            toc.add(i)
            j = i + 1
            # The list: tables and "toc N" paragraphs up to the first other non-empty block.
            while j < len(blocks):
                nb = blocks[j]
                if isinstance(nb, _Table) or (
                    isinstance(nb, _Block)
                    and (not nb.text or nb.style_name.lower().startswith("toc"))
                ):
                    toc.add(j)
                    j += 1
                    continue
                break
            return j, toc
    start = 0
    for i, b in enumerate(blocks):
        if isinstance(b, _Block) and (not b.text or _is_masthead_style(b.style_name)):
            continue
        if isinstance(b, _Table) and not b.rows:
            continue
        start = i
        break
    return start, toc


def _captions(blocks: list[_Block | _Table], start: int) -> dict[int, list[int]]:
    """For each table, the heading-styled lines just above it that are its caption.

    "Trend of the unencumbered balance" + "(Thousands of United States dollars)", or
    "Table 2.1" + its title, are styled as headings but title the table below them; as
    sections they would be filed over the paragraphs that follow the table. Walking up from the
    table: unit lines "(...)", then at most one unlabelled title (`_may_title_table`), then a
    "Table N" label.
    """
    out: dict[int, list[int]] = {}
    for k in range(start, len(blocks)):
        if not isinstance(blocks[k], _Table) or not blocks[k].rows:
            continue
        got: list[int] = []
        stage = 0  # 0: units, 1: after the title (only a label may follow), 2: done
        j = k - 1
        while j >= start and stage < 2:
            b = blocks[j]
            if isinstance(b, _Table):
                break
            t = b.text
            if not t:
                j -= 1
                continue
            if stage == 0 and _UNIT_LINE_RE.fullmatch(t):
                got.append(j)
            elif _CAPTION_LABEL_RE.fullmatch(t):
                got.append(j)
                stage = 2
            elif stage == 0 and _may_title_table(b):
                got.append(j)
                stage = 1
            else:
                break
            j -= 1
        if got:
            out[k] = sorted(got)
    return out


def _may_title_table(b: _Block) -> bool:
    """An unlabelled heading of level 3 or above (bold, over the table). The italic `_ H_4`
    and deeper styles are subsection headings even right above a table: in A/80/604/Add.12
    "Vacancy rates" heads the table and the two paragraphs after it that discuss it."""
    if b.level is None or label_kind(b.text, "") is not None:
        return False
    level = b.level - _DIRECT if b.level >= _DIRECT else b.level
    return level <= 3


class _Builder:
    def __init__(self) -> None:
        self.records: list[_Record] = []
        self.sections = SectionPath()
        self.cur: _Record | None = None  # the paragraph sub-items attach to

    @property
    def section(self) -> tuple[str, ...]:
        return self.sections.path

    def heading(self, level: float, text: str) -> None:
        self.cur = None
        if level >= _DIRECT:
            # A level set on the paragraph by hand: the label decides where there is one.
            self.sections.heading(level - _DIRECT, text, label_first=True)
        else:
            self.sections.heading(level, text)

    def record(self, kind: ParagraphKind, number: str | None, text: str,
               markers: tuple[str, ...]) -> _Record:
        rec = _Record(kind, number, self.section, [text] if text else [], [], list(markers))
        self.records.append(rec)
        self.sections.body()
        return rec

    def paragraph(self, b: _Block) -> None:
        raw = b.raw.lstrip()
        if m := _NUMBER_RE.match(raw):
            self.cur = self.record(ParagraphKind.NUMBERED, m.group(1), _norm(raw[m.end():]),
                                   b.markers)
            return
        if (m := _ITEM_RE.match(raw)) and self.cur is not None:
            self.cur.items.append((m.group(1), [_norm(raw[m.end():])]))
            self.cur.markers.extend(b.markers)
            return
        self.cur = self.record(ParagraphKind.UNNUMBERED, None, b.text, b.markers)

    def table(self, caption: list[str], tbl: _Table) -> _Record:
        rec = self.record(ParagraphKind.TABLE, None, "", tbl.markers)
        rec.lead = caption + tbl.rows
        self.cur = None
        return rec


def _norm(text: str) -> str:
    return collapse(clean_chars(text))




def _build_body(blocks: list[_Block | _Table]) -> tuple[list[_Record], list[tuple[str, str]]]:
    start, toc = _body_start(blocks)
    captions = _captions(blocks, start)
    caption_of = {j: k for k, js in captions.items() for j in js}
    frame_notes: list[tuple[str, str]] = []
    bld = _Builder()
    last_table: _Record | None = None
    pending_caption: list[str] = []  # a "Figure N" label and its title, no table below
    for i, b in enumerate(blocks):
        if isinstance(b, _Block) and b.framed and (m := _FRAME_NOTE_RE.match(b.raw.lstrip())):
            # The title page's "*" notes sit in frames at the foot of page 1.
            frame_notes.append((m.group(1), _norm(m.group(2))))
            continue
        if i < start or i in toc:
            continue
        if isinstance(b, _Table):
            if not b.rows:
                continue
            cap = [blocks[j].text for j in captions.get(i, [])]
            last_table = bld.table(pending_caption + cap, b)
            pending_caption = []
            continue
        t = b.text
        if not t or i in caption_of:
            continue
        if b.style_name.lower().startswith("toc") or _is_masthead_style(b.style_name):
            continue
        if last_table is not None and _is_table_note(b):
            # "a Funded under ...", "Abbreviation: ...": notes printed under the table.
            last_table.lead.append(t)
            last_table.markers.extend(b.markers)
            continue
        last_table = None
        if b.level is not None and _CAPTION_LABEL_RE.fullmatch(t):
            pending_caption = [t]
            continue
        if pending_caption:
            if b.level is not None:
                # A figure (an image, no table): its label and title are one record.
                bld.record(ParagraphKind.UNNUMBERED, None, " ".join([*pending_caption, t]),
                           b.markers)
                pending_caption = []
                continue
            bld.record(ParagraphKind.UNNUMBERED, None, " ".join(pending_caption), ())
            pending_caption = []
        if b.level is not None:
            bld.heading(b.level, t)
            if b.markers:
                # A footnote cited in a heading is linked to the heading's first paragraph.
                bld.records.append(_Record(ParagraphKind.UNNUMBERED, None, bld.section,
                                           [], [], list(b.markers)))
            continue
        bld.paragraph(b)
    if pending_caption:
        bld.record(ParagraphKind.UNNUMBERED, None, " ".join(pending_caption), ())
    return _merge_heading_markers(bld.records), frame_notes


def _merge_heading_markers(records: list[_Record]) -> list[_Record]:
    """Move a heading's footnote markers (held in an empty record) onto the next record."""
    out: list[_Record] = []
    carry: list[str] = []
    for rec in records:
        if not rec.lead and not rec.items and rec.kind is ParagraphKind.UNNUMBERED:
            carry.extend(rec.markers)
            continue
        if carry:
            rec.markers[:0] = carry
            carry = []
        out.append(rec)
    return out


def _is_table_note(b: _Block) -> bool:
    if b.style_name.lower() == "footnote text":
        return True
    return bool(_TABLE_NOTE_RE.match(b.raw.lstrip()))


# ---------------------------------------------------------------------------------------------
# Entry


def build_docx_document(document, *, language: str, parser_version: str) -> ParsedDocument:
    """A python-docx Document -> ParsedDocument (see the module doc)."""
    reader = _Reader(document)
    blocks = reader.body_blocks()
    front = _front(reader.first_page_header_lines(), blocks)
    records, frame_notes = _build_body(blocks)
    paragraphs: list[Paragraph] = []
    for pos, rec in enumerate(records, start=1):
        items = tuple(SubItem(label, " ".join(lines)) for label, lines in rec.items)
        if rec.kind is ParagraphKind.TABLE:
            # One row per line, cells joined by " | ": the table stays readable as text.
            text = "\n".join(rec.lead)
        else:
            parts = [" ".join(rec.lead)] if rec.lead else []
            parts.extend(f"({i.label}) {i.text}".rstrip() for i in items)
            text = collapse(" ".join(parts))
        paragraphs.append(Paragraph(
            position=pos,
            number=rec.number,
            section=rec.section,
            kind=rec.kind,
            text=text,
            items=items,
            footnote_markers=tuple(dict.fromkeys(rec.markers)),
        ))
    citing: dict[str, int] = {}
    for p in paragraphs:
        for m in p.footnote_markers:
            citing.setdefault(m, p.position)
    footnotes = [Footnote(marker=m, text=t, paragraph_position=None) for m, t in frame_notes]
    footnotes += [
        Footnote(marker=m, text=t, paragraph_position=citing.get(m))
        for m, t in reader.footnotes()
    ]
    warnings = [] if paragraphs else ["no paragraphs found"]
    return ParsedDocument(
        front=front,
        paragraphs=tuple(paragraphs),
        footnotes=tuple(footnotes),
        warnings=tuple(warnings),
        language=language,
        parser_version=parser_version,
        page_count=None,  # a Word file has no fixed pages
        text="\n\n".join(p.text for p in paragraphs),
    )


def open_docx(data: bytes):
    """python-docx's Document for these bytes (raises what python-docx raises)."""
    import docx

    return docx.Document(io.BytesIO(data))
