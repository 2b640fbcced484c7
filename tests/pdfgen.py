"""Real PDFs in the layout of United Nations General Assembly documents, for tests and benchmarks.

`render_pdf(DocSpec)` draws, with reportlab, what real GA files show once pdfminer reads them
(see ../shared/UN-PDF-ANATOMY.md): the first-page masthead (symbol set large, "Distr.:
General", the date, "Original: English", session, agenda item and its title, the title), a
running header with the symbol on later pages (and the title on resolutions), footers "2/10"
and the job number, the first page's "11-37256 (E)    140611", barcode text and "Please
recycle"; paragraph numbers in their own boxes in a left column; justified text drawn with a
space character plus extra spacing (pdfminer reads double spaces); footnote markers as
superscripts and footnotes in small type under a "____" rule; paragraphs and sub-items running
across page breaks; resolutions with italic preambular participles, numbered operative
paragraphs, "The General Assembly," and the meeting line; annexes with their own numbering.
With `quirks` on, some words are drawn torn apart ("Amer ica"), a compound's hyphen is
detached at a line end ("drug -"), and long words that the document uses elsewhere are
hyphenated at line ends ("develop-" + "ment"), as in real files.

`expected_paragraphs(spec)` / `expected_footnotes(spec)` / `expected_front(spec)` say what a
correct parse returns; `count_pages(spec)` and `crossing_paragraphs(spec)` tell how it was laid
out. `sample_report()` is a short report using every feature. `make_corpus(n_docs, pages,
seed)` builds varied migration-themed documents of about `pages` pages each (2 to 200; for
benchmarks and demo archives; sessions 91-99, never real symbols). Broken inputs:
`scanned_pdf`, `encrypted_pdf`, `truncated_pdf`, `html_error_page`, `EMPTY`.

In a paragraph's text, "{fn}" marks where a footnote marker goes; the markers are numbered
1, 2, ... in document order, and a paragraph's `footnotes` are the texts, in the order of its
marks (footnotes without a mark are cited at the end of the paragraph's first text).
"""

from __future__ import annotations

import io
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date as _date

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

FN = "{fn}"

PAGE_W, PAGE_H = A4
LEFT = 72.0  # paragraph number column
TEXT = 108.0  # report text column
RIGHT = 523.0
BODY_TOP = 752.0  # first baseline on pages after the first
BOTTOM = 96.0  # lowest baseline of body text or footnotes
SIZE = 10.0
LEADING = 12.0
PARA_SPACE = 6.0
FN_SIZE = 8.0
FN_LEADING = 9.5
FN_RULE_SPACE = 14.0
SUP_SIZE = 6.5
SUP_RISE = 3.5
ROMAN = "Times-Roman"
ITALIC = "Times-Italic"
BOLD = "Times-Bold"
SANS = "Helvetica"
SANS_BOLD = "Helvetica-Bold"
EMPTY = b""

# Words torn apart by justified spacing when quirks are on: where the split falls, and the gap
# (0.11 of the type size: letter gaps pdfminer read as spaces on real reports measure 0.10-0.15).
_TORN_GAP = 0.11 * SIZE
_TORN = {"America": 4, "Conference": 7, "international": 7, "cooperation": 7, "Assembly": 5,
         "protection": 6, "development": 8, "remittances": 8}


@dataclass(frozen=True)
class ParaSpec:
    number: str | None
    text: str
    items: tuple[tuple[str, str], ...] = ()
    footnotes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnnexSpec:
    label: str = "Annex"  # "Annex", "Annex I", "Enclosure"
    title: str | None = None
    sections: tuple[tuple[str, tuple[ParaSpec, ...]], ...] = ()


@dataclass
class DocSpec:
    symbol: str
    title: str
    date: str  # ISO, "2011-06-14"
    doc_type: str = "report"  # report, note, summary, resolution, draft resolution
    session: str | None = None
    agenda_item: str | None = None
    agenda_title: str | None = None
    subtitle: str | None = None  # "Note by the Secretary-General"; resolutions: set for you
    sections: list[tuple[str, list[ParaSpec]]] = field(default_factory=list)  # "" = no heading
    preambular: list[str] = field(default_factory=list)  # resolutions
    annexes: list[AnnexSpec] = field(default_factory=list)
    job_number: str = "11-37256"
    meeting: str = "30th plenary meeting"  # resolutions
    adopted_on: str | None = None  # resolutions, ISO; defaults to `date`
    committee: str = "[without reference to a Main Committee]"  # resolutions
    sponsor: str = "Mexico"  # draft resolutions
    quirks: bool = True

    @property
    def is_resolution(self) -> bool:
        return self.doc_type in ("resolution", "draft resolution")


@dataclass(frozen=True)
class ExpectedParagraph:
    number: str | None
    section: tuple[str, ...]
    kind: str
    text: str
    items: tuple[tuple[str, str], ...]
    footnote_markers: tuple[str, ...]


# -- what a correct parse returns ------------------------------------------------------------


def _fold(text: str) -> str:
    return " ".join(text.replace(FN, " ").split())


def human_date(iso: str) -> str:
    d = _date.fromisoformat(iso)
    return f"{d.day} {d.strftime('%B')} {d.year}"


def _resolution_number(symbol: str) -> str:
    m = re.search(r"(\d+)/(\d+)$", symbol)
    return f"{m.group(1)}/{m.group(2)}" if m else "0/0"


def expected_front(spec: DocSpec) -> dict:
    """The FrontMatter fields a correct parse reads, as strings."""
    subtitle = spec.subtitle
    if spec.doc_type == "resolution":
        adopted = human_date(spec.adopted_on or spec.date)
        subtitle = f"Resolution adopted by the General Assembly on {adopted}"
    elif spec.doc_type == "draft resolution":
        subtitle = f"{spec.sponsor}: draft resolution"
    return {
        "symbol": spec.symbol,
        "distribution": "Limited" if spec.doc_type == "draft resolution" else "General",
        "date": spec.date,
        "original_language": None if spec.doc_type == "resolution" else "English",
        "session": spec.session,
        "agenda_item": spec.agenda_item,
        "title": spec.title,
        "subtitle": subtitle,
        "doc_type": spec.doc_type,
    }


def _markers_in(para: ParaSpec, counter: list[int]) -> tuple[str, ...]:
    n = max(len(para.footnotes), para.text.count(FN) + sum(t.count(FN) for _, t in para.items))
    out = tuple(str(counter[0] + i + 1) for i in range(n))
    counter[0] += n
    return out


def _walk(spec: DocSpec):
    """(section, kind, ParaSpec) in document order."""
    if spec.is_resolution:
        for text in spec.preambular:
            yield (), "preambular", ParaSpec(None, text)
        for _heading, paras in spec.sections:
            for p in paras:
                yield (), "operative", p
    else:
        for heading, paras in spec.sections:
            for p in paras:
                yield ((heading,) if heading else ()), "numbered", p
    for annex in spec.annexes:
        root = (annex.label, annex.title) if annex.title else (annex.label,)
        for heading, paras in annex.sections:
            for p in paras:
                yield root + ((heading,) if heading else ()), "numbered", p


def expected_paragraphs(spec: DocSpec) -> list[ExpectedParagraph]:
    out = []
    counter = [0]
    for section, kind, p in _walk(spec):
        markers = _markers_in(p, counter)
        parts = [_fold(p.text)] + [f"({label}) {_fold(t)}" for label, t in p.items]
        out.append(ExpectedParagraph(
            number=p.number, section=section, kind=kind, text=" ".join(x for x in parts if x),
            items=tuple((label, _fold(t)) for label, t in p.items), footnote_markers=markers,
        ))
    return out


def expected_footnotes(spec: DocSpec) -> list[tuple[str, str, int]]:
    """(marker, text, 1-based position of the citing paragraph)."""
    out = []
    counter = [0]
    for pos, (_, _, p) in enumerate(_walk(spec), start=1):
        markers = _markers_in(p, counter)
        for marker, text in zip(markers, p.footnotes, strict=False):
            out.append((marker, _fold(text), pos))
    return out


# -- layout ---------------------------------------------------------------------------------


@dataclass
class _Run:
    text: str
    font: str
    size: float = SIZE
    rise: float = 0.0
    dx: float = 0.0  # extra space before the run (a torn word)

    @property
    def width(self) -> float:
        return self.dx + stringWidth(self.text, self.font, self.size)


@dataclass
class _Token:
    runs: list[_Run]
    markers: tuple[str, ...] = ()

    @property
    def width(self) -> float:
        return sum(r.width for r in self.runs)

    @property
    def plain(self) -> str | None:
        """The word when it is one plain run (can be hyphenated), else None."""
        if len(self.runs) == 1 and not self.markers and self.runs[0].dx == 0:
            return self.runs[0].text
        return None


@dataclass
class _Page:
    ops: list[tuple[float, float, str, str, float]] = field(default_factory=list)
    notes: list[tuple[str, list[str]]] = field(default_factory=list)
    rules: list[tuple[float, float, float]] = field(default_factory=list)


class _Layout:
    """Places lines on pages, moving to a new page when body and footnotes would not fit."""

    def __init__(self, spec: DocSpec) -> None:
        self.spec = spec
        self.pages: list[_Page] = [_Page()]
        self.y = BODY_TOP
        self.at_top = True
        self.fn_counter = 0
        self.note_texts: dict[str, str] = {}
        words = Counter(w for w in re.findall(r"[A-Za-z]+", _all_text(spec)))
        self.hyphenatable = {w for w, n in words.items() if n >= 3 and len(w) >= 10 and w.islower()}
        self.torn_budget = dict.fromkeys(_TORN, 1) if spec.quirks else {}
        self.detach_next = spec.quirks
        self.para = 0  # 1-based position of the last paragraph started
        self.active = False  # placing that paragraph's lines now
        self.para_pages: dict[int, set[int]] = {}

    # pages and lines
    @property
    def page(self) -> _Page:
        return self.pages[-1]

    def new_page(self) -> None:
        self.pages.append(_Page())
        self.y = BODY_TOP
        self.at_top = True

    def _notes_height(self, notes: list[tuple[str, list[str]]]) -> float:
        n = sum(len(lines) for _, lines in self.page.notes) + sum(len(lines) for _, lines in notes)
        return FN_RULE_SPACE + n * FN_LEADING if n else 0.0

    def place(self, ops: list[tuple[float, float, str, str, float]], *, space_before: float = 0.0,
              markers: tuple[str, ...] = (), leading: float = LEADING) -> None:
        notes = [(m, _wrap_plain(self.note_texts.get(m, ""), RIGHT - TEXT - 12, ROMAN, FN_SIZE))
                 for m in markers]
        y = self.y - (0.0 if self.at_top else space_before)
        if y < BOTTOM + self._notes_height(notes):
            self.new_page()
            y = self.y
        for x, dy, text, font, size in ops:
            self.page.ops.append((x, y + dy, text, font, size))
        self.page.notes.extend(notes)
        if self.active:
            self.para_pages.setdefault(self.para, set()).add(len(self.pages))
        self.y = y - leading
        self.at_top = False

    # text to tokens
    def tokens(self, text: str, footnotes: list[str], italic_words: int = 0,
               font: str = ROMAN, tear: bool = True) -> list[_Token]:
        out: list[_Token] = []
        for i, word in enumerate(text.split()):
            f = ITALIC if i < italic_words else font
            parts = word.split(FN)
            runs = [_Run(parts[0], f)] if parts[0] else []
            markers: list[str] = []
            for rest in parts[1:]:
                markers.append(self._marker(footnotes))
                runs.append(_Run(markers[-1], f, SUP_SIZE, SUP_RISE))
                if rest:
                    runs.append(_Run(rest, f))
            if tear and len(runs) == 1 and not markers:
                runs = self._torn(runs[0])
            out.append(_Token(runs, tuple(markers)))
        return out

    def _marker(self, footnotes: list[str]) -> str:
        self.fn_counter += 1
        marker = str(self.fn_counter)
        self.note_texts[marker] = footnotes.pop(0) if footnotes else ""
        return marker

    def _torn(self, run: _Run) -> list[_Run]:
        core = run.text.rstrip(".,;:")
        if self.torn_budget.get(core, 0) <= 0:
            return [run]
        self.torn_budget[core] -= 1
        k = _TORN[core]
        return [_Run(run.text[:k], run.font), _Run(run.text[k:], run.font, dx=_TORN_GAP)]

    def add_markers(self, tokens: list[_Token], footnotes: list[str]) -> None:
        """Footnotes without a "{fn}" mark are cited after the last word."""
        while footnotes and tokens:
            m = self._marker(footnotes)
            last = tokens[-1]
            last.runs.append(_Run(m, last.runs[-1].font, SUP_SIZE, SUP_RISE))
            last.markers = (*last.markers, m)

    # line breaking
    def lines(self, tokens: list[_Token], first_width: float, width: float) -> list[list[_Token]]:
        space = stringWidth(" ", ROMAN, SIZE)
        out: list[list[_Token]] = []
        cur: list[_Token] = []
        used = 0.0
        limit = first_width
        queue = list(tokens)
        while queue:
            tok = queue.pop(0)
            need = tok.width + (space if cur else 0.0)
            if used + need <= limit or not cur:
                cur.append(tok)
                used += need
                continue
            room = limit - used - space
            split = self._split(tok, room)
            if split is not None:
                head, tail = split
                cur.append(head)
                queue.insert(0, tail)
            else:
                queue.insert(0, tok)
            out.append(cur)
            cur, used, limit = [], 0.0, width
        if cur:
            out.append(cur)
        return out

    def _split(self, tok: _Token, room: float) -> tuple[_Token, _Token] | None:
        word = tok.plain
        if word is None or room <= 0:
            return None
        font = tok.runs[0].font
        if "-" in word.strip("-"):
            i = word.index("-", 1)
            head, tail = word[: i + 1], word[i + 1:]
            if tail and stringWidth(head, font, SIZE) <= room:
                if self.detach_next and head[:-1].isalpha():
                    self.detach_next = False  # once per document: "drug -" + "resistant"
                    return _Token([_Run(head[:-1], font), _Run("-", font, dx=2.2)]), _Token(
                        [_Run(tail, font)])
                return _Token([_Run(head, font)]), _Token([_Run(tail, font)])
            return None
        core = word.rstrip(".,;:")
        if not self.spec.quirks or core not in self.hyphenatable:
            return None
        for cut in range(len(core) - 4, 4, -1):
            head = word[:cut] + "-"
            if stringWidth(head, font, SIZE) <= room:
                return _Token([_Run(head, font)]), _Token([_Run(word[cut:], font)])
        return None

    def block(self, tokens: list[_Token], *, first_x: float, cont_x: float,
              label: str | None = None, label_x: float = LEFT, space_before: float = PARA_SPACE,
              label_font: str = ROMAN, size: float = SIZE, leading: float = LEADING,
              justify: bool = True) -> None:
        """Lay out one paragraph or item: label in its own box, justified lines."""
        lines = self.lines(tokens, RIGHT - first_x, RIGHT - cont_x)
        space = stringWidth(" ", ROMAN, size)
        for n, line in enumerate(lines):
            x = first_x if n == 0 else cont_x
            ops: list[tuple[float, float, str, str, float]] = []
            if n == 0 and label:
                ops.append((label_x, 0.0, label, label_font, size))
            natural = sum(t.width for t in line) + space * (len(line) - 1)
            last = n == len(lines) - 1
            extra = 0.0
            if justify and not last and len(line) > 1:
                extra = max(0.0, (RIGHT - x - natural) / (len(line) - 1))
            markers: list[str] = []
            for k, tok in enumerate(line):
                for r in tok.runs:
                    x += r.dx
                    ops.append((x, r.rise, r.text, r.font, r.size))
                    x += stringWidth(r.text, r.font, r.size)
                markers.extend(tok.markers)
                if k < len(line) - 1:
                    if self.spec.quirks and extra > 1.0:
                        # A real space glyph plus justification: pdfminer reads two spaces.
                        ops.append((x, 0.0, " ", line[k].runs[-1].font, size))
                    x += space + extra
            self.place(ops, space_before=space_before if n == 0 else 0.0,
                       markers=tuple(markers), leading=leading)


def _all_text(spec: DocSpec) -> str:
    parts = list(spec.preambular)
    for _, _, p in _walk(spec):
        parts.append(p.text)
        parts.extend(t for _, t in p.items)
    return " ".join(parts).replace(FN, " ")


def _wrap_plain(text: str, width: float, font: str, size: float) -> list[str]:
    out: list[str] = []
    cur = ""
    for word in text.split():
        trial = f"{cur} {word}" if cur else word
        if stringWidth(trial, font, size) <= width or not cur:
            cur = trial
        else:
            out.append(cur)
            cur = word
    if cur:
        out.append(cur)
    return out or [""]


def _italic_lead(text: str) -> int:
    """How many leading words a resolution sets in italics ("Taking note", "Recalling also")."""
    words = text.split()
    n = 1
    while n < len(words) and words[n] in ("also", "further", "note", "with", "that"):
        n += 1
        if words[n - 1] in ("with", "that"):
            n -= 1
            break
    return n


# -- the document -------------------------------------------------------------------------------


def _masthead(lay: _Layout) -> None:
    spec = lay.spec
    page = lay.page
    limited = spec.doc_type == "draft resolution"
    page.ops += [
        (LEFT, 800.0, "United Nations", SANS, 10.0),
        (400.0, 800.0, spec.symbol, SANS_BOLD, 16.0),
        (LEFT, 772.0, "General Assembly", SANS_BOLD, 18.0),
        (400.0, 772.0, f"Distr.: {'Limited' if limited else 'General'}", ROMAN, SIZE),
        (400.0, 760.0, human_date(spec.date), ROMAN, SIZE),
    ]
    if spec.doc_type != "resolution":
        page.ops.append((400.0, 748.0, "Original: English", ROMAN, SIZE))
    page.rules.append((LEFT, RIGHT, 738.0))
    lay.y = 715.0
    lay.at_top = False
    if spec.session:
        lay.place([(LEFT, 0.0, spec.session, ROMAN, SIZE)])
    if spec.agenda_item:
        lay.place([(LEFT, 0.0, f"Agenda item {spec.agenda_item}", ROMAN, SIZE)])
    if spec.agenda_title:
        for line in _wrap_plain(spec.agenda_title, 260, BOLD, SIZE):
            lay.place([(LEFT, 0.0, line, BOLD, SIZE)])
    if spec.doc_type == "resolution":
        adopted = human_date(spec.adopted_on or spec.date)
        lay.place([(LEFT, 0.0, f"Resolution adopted by the General Assembly on {adopted}", BOLD,
                    12.0)], space_before=14.0, leading=16.0)
        lay.place([(LEFT, 0.0, spec.committee, ROMAN, SIZE)], space_before=2.0, leading=LEADING)
        number = f"{_resolution_number(spec.symbol)}."
        lines = _wrap_plain(spec.title, RIGHT - TEXT - 18, BOLD, 12.0)
        for n, line in enumerate(lines):
            ops = [(TEXT + 18, 0.0, line, BOLD, 12.0)]
            if n == 0:
                ops.insert(0, (LEFT, 0.0, number, BOLD, 12.0))
            lay.place(ops, space_before=14.0 if n == 0 else 0.0, leading=14.0)
        return
    if spec.doc_type == "draft resolution":
        lay.place([(TEXT, 0.0, f"{spec.sponsor}: draft resolution", ROMAN, SIZE)],
                  space_before=14.0)
        for n, line in enumerate(_wrap_plain(spec.title, RIGHT - TEXT, BOLD, 12.0)):
            lay.place([(TEXT, 0.0, line, BOLD, 12.0)], space_before=12.0 if n == 0 else 0.0,
                      leading=15.0)
        return
    for n, line in enumerate(_wrap_plain(spec.title, RIGHT - TEXT, BOLD, 14.0)):
        lay.place([(TEXT, 0.0, line, BOLD, 14.0)], space_before=22.0 if n == 0 else 0.0,
                  leading=17.0)
    if spec.subtitle:
        lay.place([(TEXT, 0.0, spec.subtitle, BOLD, 12.0)], space_before=8.0, leading=15.0)
    lay.y -= 10.0


def _heading(lay: _Layout, heading: str, *, x: float = TEXT) -> None:
    m = re.match(r"((?:[IVX]+|[A-Z])\.)\s+(.*)", heading)
    label, text = (m.group(1), m.group(2)) if m else (None, heading)
    tokens = lay.tokens(text, [], font=BOLD, tear=False)
    if lay.y - 14.0 - 4 * LEADING < BOTTOM:
        lay.new_page()  # keep a heading with the start of its text
    lay.block(tokens, first_x=x, cont_x=x, label=label, label_font=BOLD, space_before=14.0,
              justify=False)


def _numbered(lay: _Layout, p: ParaSpec, *, resolution: bool) -> None:
    lay.para += 1
    lay.active = True
    try:
        _numbered_lines(lay, p, resolution=resolution)
    finally:
        lay.active = False


def _numbered_lines(lay: _Layout, p: ParaSpec, *, resolution: bool) -> None:
    footnotes = list(p.footnotes)
    if resolution:
        num_x, first_x, cont_x = LEFT + 36, LEFT + 72, LEFT
        item_label_x, item_x = LEFT + 36, LEFT + 72
    else:
        num_x, first_x, cont_x = LEFT, TEXT, TEXT
        item_label_x, item_x = TEXT, TEXT + 36
    italic = _italic_lead(p.text) if resolution else 0
    tokens = lay.tokens(p.text, footnotes, italic_words=italic)
    item_tokens = [(label, lay.tokens(t, footnotes)) for label, t in p.items]
    lay.add_markers(tokens or (item_tokens[0][1] if item_tokens else []), footnotes)
    label = f"{p.number}." if p.number else None
    if tokens:
        lay.block(tokens, first_x=first_x, cont_x=cont_x, label=label, label_x=num_x)
    for n, (item_label, toks) in enumerate(item_tokens):
        lab = f"({item_label})"
        indent = 36.0 if item_label in ("i", "ii", "iii", "iv", "v", "vi") and n > 0 and \
            item_tokens[0][0] != "i" else 0.0
        lay.block(toks, first_x=item_x + indent, cont_x=item_x + indent, label=lab,
                  label_x=item_label_x + indent)


def _preambular(lay: _Layout, text: str) -> None:
    lay.para += 1
    lay.active = True
    tokens = lay.tokens(text, [], italic_words=_italic_lead(text))
    lay.block(tokens, first_x=LEFT + 36, cont_x=LEFT)
    lay.active = False


def _annex(lay: _Layout, annex: AnnexSpec) -> None:
    lay.new_page()
    lay.place([(LEFT, 0.0, annex.label, BOLD, 12.0)], leading=18.0)
    if annex.title:
        for line in _wrap_plain(annex.title, RIGHT - TEXT, BOLD, 12.0):
            lay.place([(TEXT, 0.0, line, BOLD, 12.0)], leading=15.0)
    lay.y -= 6.0
    for heading, paras in annex.sections:
        if heading:
            _heading(lay, heading)
        for p in paras:
            _numbered(lay, p, resolution=False)


def layout(spec: DocSpec) -> list[_Page]:
    return _run_layout(spec).pages


def crossing_paragraphs(spec: DocSpec) -> list[int]:
    """1-based positions of the paragraphs drawn across a page break."""
    lay = _run_layout(spec)
    return sorted(p for p, pages in lay.para_pages.items() if len(pages) > 1)


def _run_layout(spec: DocSpec) -> _Layout:
    lay = _Layout(spec)
    _masthead(lay)
    if spec.is_resolution:
        lay.place([(LEFT + 36, 0.0, "The General Assembly,", ROMAN, SIZE)], space_before=14.0)
        for text in spec.preambular:
            _preambular(lay, text)
        for _heading_text, paras in spec.sections:
            for p in paras:
                _numbered(lay, p, resolution=True)
        if spec.doc_type == "resolution":
            lay.place([(RIGHT - 130, 0.0, spec.meeting, ITALIC, SIZE)], space_before=18.0)
            lay.place([(RIGHT - 130, 0.0, human_date(spec.adopted_on or spec.date), ITALIC,
                        SIZE)])
    else:
        for heading, paras in spec.sections:
            if heading:
                _heading(lay, heading)
            for p in paras:
                _numbered(lay, p, resolution=False)
    for annex in spec.annexes:
        _annex(lay, annex)
    return lay


def count_pages(spec: DocSpec) -> int:
    return len(layout(spec))


# -- drawing ---------------------------------------------------------------------------------


def _job_digits(job: str) -> str:
    return job.replace("-", "")


def _draw_furniture(c: canvas.Canvas, spec: DocSpec, pageno: int, total: int) -> None:
    job = spec.job_number
    stamp = _date.fromisoformat(spec.date).strftime("%d%m%y")
    if pageno == 1:
        c.setFont(SANS, 8)
        c.drawString(LEFT, 52, f"{job} (E)    {stamp}")
        c.setFont(SANS, 12)
        c.drawString(LEFT, 34, f"*{_job_digits(job)}*")
        c.setFont(SANS, 7)
        c.drawString(RIGHT - 50, 40, "Please recycle")
        return
    left_side = pageno % 2 == 0
    c.setFont(SANS_BOLD, 9)
    c.drawString(LEFT if left_side else RIGHT - stringWidth(spec.symbol, SANS_BOLD, 9), 805,
                 spec.symbol)
    if spec.doc_type == "resolution":
        c.setFont(ROMAN, 9)
        for n, line in enumerate(_wrap_plain(spec.title, 300, ROMAN, 9)[:2]):
            c.drawString(LEFT if left_side else RIGHT - 300, 794 - n * 10.5, line)
    c.line(LEFT, 782, RIGHT, 782)
    c.setFont(SANS, 8)
    number = f"{pageno}/{total}"
    if left_side:
        c.drawString(LEFT, 40, number)
        c.drawRightString(RIGHT, 40, job)
    else:
        c.drawString(LEFT, 40, job)
        c.drawRightString(RIGHT, 40, number)


def _draw_notes(c: canvas.Canvas, notes: list[tuple[str, list[str]]]) -> None:
    n = sum(len(lines) for _, lines in notes)
    y = BOTTOM + (n - 1) * FN_LEADING
    c.setFont(ROMAN, SIZE)
    c.drawString(TEXT, y + FN_RULE_SPACE - 4, "__________________")
    for marker, lines in notes:
        c.setFont(ROMAN, SUP_SIZE)
        c.drawString(TEXT, y + 2.5, marker)
        c.setFont(ROMAN, FN_SIZE)
        for line in lines:
            c.drawString(TEXT + 12, y, line)
            y -= FN_LEADING


def render_pdf(spec: DocSpec, *, password: str | None = None) -> bytes:
    """The document as PDF bytes (the same bytes for the same spec)."""
    pages = layout(spec)
    buf = io.BytesIO()
    kwargs = {}
    if password:
        from reportlab.lib.pdfencrypt import StandardEncryption

        kwargs["encrypt"] = StandardEncryption(password, ownerPassword=password + "-owner")
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=1, invariant=1, **kwargs)
    c.setTitle(spec.title)
    total = len(pages)
    for pageno, page in enumerate(pages, start=1):
        _draw_furniture(c, spec, pageno, total)
        for x0, x1, y in page.rules:
            c.line(x0, y, x1, y)
        t = c.beginText()
        font = None
        for x, y, text, f, size in page.ops:
            if (f, size) != font:
                t.setFont(f, size)
                font = (f, size)
            t.setTextOrigin(x, y)
            t.textOut(text)
        c.drawText(t)
        if page.notes:
            _draw_notes(c, page.notes)
        c.showPage()
    c.save()
    return buf.getvalue()


# -- broken inputs ------------------------------------------------------------------------------


def scanned_pdf(pages: int = 2) -> bytes:
    """Image-only pages, as a scanner makes them: no text layer at all."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    for n in range(pages):
        img = Image.new("L", (240, 340), 255)
        draw = ImageDraw.Draw(img)
        for row in range(20, 320, 12):
            draw.rectangle([20, row, 220 - (row * 7 + n) % 60, row + 5], fill=40)
        c.drawImage(ImageReader(img), 40, 40, PAGE_W - 80, PAGE_H - 80)
        c.showPage()
    c.save()
    return buf.getvalue()


def encrypted_pdf(spec: DocSpec | None = None, password: str = "secret") -> bytes:
    return render_pdf(spec or sample_report(), password=password)


def truncated_pdf(data: bytes, keep: float = 0.6) -> bytes:
    return data[: int(len(data) * keep)]


def html_error_page(status: str = "404 Not Found") -> bytes:
    return (
        "<!DOCTYPE html>\n<html><head><title>" + status + "</title></head>"
        "<body><h1>" + status + "</h1><p>The requested document is not available.</p>"
        "</body></html>\n"
    ).encode()


# -- documents ------------------------------------------------------------------------------


def sample_report() -> DocSpec:
    """A short report with every feature of the layout (used by the round-trip tests)."""
    return DocSpec(
        symbol="A/99/515",
        title="International migration and development",
        date="2011-06-14",
        doc_type="report",
        session="Ninety-ninth session",
        agenda_item="21 (c)",
        agenda_title="Globalization and interdependence: international migration and development",
        subtitle="Report of the Secretary-General",
        sections=[
            ("I. Introduction", [
                ParaSpec("1", "The present report is submitted pursuant to General Assembly "
                              "resolution 97/210,{fn} in which the Assembly requested the "
                              "Secretary-General to report on the high-level dialogue.",
                         footnotes=("See A/97/PV.52.",)),
            ]),
            ("II. Trends in international migration and the contribution of migrants to "
             "sustainable development in countries of origin and destination", [
                ParaSpec("2", "Remittances to Latin America and the Caribbean grew in 2010. "
                              "The United Nations Conference on Trade and Development noted "
                              "that remittances exceeded official development assistance."),
                ParaSpec("3", "Member States reported measures in three areas:", items=(
                    ("a", "Lowering the cost of remittance transfers through digital "
                          "channels;"),
                    ("b", "Recognizing the skills and qualifications of migrant workers, "
                          "including health workers;{fn}"),
                    ("c", "Extending social protection to migrants and their families."),
                ), footnotes=("A/73/85.",)),
            ]),
        ],
    )


_SENTENCES = [
    "Participants recognized that international migration, development and human rights "
    "were intrinsically interconnected.",
    "Remittances to low- and middle-income countries remained resilient and exceeded the "
    "combined value of official development assistance in several regions.",
    "Several participants called for co-development programmes linking diaspora "
    "communities with local development plans.",
    "The High-level Dialogue was an opportunity to take stock of progress in the "
    "implementation of the Global Compact for Safe, Orderly and Regular Migration.",
    "Member States were encouraged to strengthen the collection of disaggregated data on "
    "migration, so that the well-being of migrants could be measured over time.",
    "The Secretary-General stressed the importance of international cooperation to address "
    "irregular migration and the smuggling of migrants.",
    "Participants noted that the relatively high participation of women in labour "
    "migration had prompted some countries to re-examine their labour migration policies.",
    "Bilateral agreements addressing labour migration, the portability of pensions and the "
    "recognition of qualifications have borne fruit.",
    "Informing the public about the contributions of international migrants was considered "
    "essential to counter discrimination, racism and xenophobia.",
    "The recruitment of health workers from developing countries facing serious shortages "
    "of those skills remained a matter of concern.",
    "Regional consultative processes on migration have promoted dialogue and cooperation "
    "among countries of origin, transit and destination.",
    "Governments remained responsible for achieving sustainable development and improving "
    "human well-being, including by reducing poverty.",
    "Domestic workers, most of whom are women, are particularly vulnerable to exploitation "
    "and abuse in countries of destination.",
    "The Global Forum on Migration and Development has fostered cooperation and the sharing "
    "of good practices among Member States.",
    "Migrant entrepreneurs face obstacles upon return, including the lack of access to "
    "affordable capital and the non-portability of credit histories.",
    "The Global Migration Group, an inter-agency group of entities of the United Nations "
    "system, has made major strides in supporting Member States.",
    "Climate-related displacement and drug-resistant infections were identified as emerging "
    "challenges for migrants in vulnerable situations.",
    "The international community was urged to protect the human rights of all migrants, "
    "regardless of their migration status.",
    "Several delegations from Latin America and the Caribbean highlighted the contribution "
    "of the United Nations Conference on Trade and Development.",
    "Countries of origin have strengthened ties with their nationals abroad and promoted "
    "their political participation.",
]
_FOOTNOTES = ["A/73/85.", "See General Assembly resolution 71/1.", "A/68/190, para. 12.",
              "Official Records of the General Assembly, Sixty-eighth Session, Supplement "
              "No. 49 (A/68/49), vol. I.", "See A/CONF.231/3, annex."]
_HEADINGS = ["Introduction", "Trends in international migration", "Remittances and financial "
             "inclusion", "Protection of the human rights of migrants", "Labour migration and "
             "skills mobility", "International cooperation and partnerships", "Data and "
             "evidence on international migration", "Conclusions and recommendations"]
_PREAMBLE = [
    "Recalling its resolutions on international migration and development,",
    "Reaffirming the Universal Declaration of Human Rights,",
    "Recognizing the contribution of migrants to inclusive growth and sustainable "
    "development in countries of origin, transit and destination,",
    "Concerned about the situation of migrants in vulnerable situations, including women "
    "and children,",
    "Taking note of the report of the Secretary-General,",
    "Recalling also the Global Compact for Safe, Orderly and Regular Migration,",
    "Stressing the importance of international cooperation on migration,",
]
_OPERATIVE = [
    "Takes note of the report of the Secretary-General;",
    "Encourages Member States to reduce the transaction costs of migrant remittances;",
    "Calls upon Member States to protect the human rights of all migrants;",
    "Requests the Secretary-General to submit a report on the implementation of the "
    "present resolution;",
    "Invites Member States to cooperate on safe, orderly and regular migration;",
]
_ROMANS = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]


def _paragraph_text(rng: random.Random, with_note: bool) -> tuple[str, tuple[str, ...]]:
    sents = rng.sample(_SENTENCES, rng.randint(2, 5))
    notes: tuple[str, ...] = ()
    if with_note:
        k = rng.randrange(len(sents))
        sents[k] = sents[k] + FN
        notes = (rng.choice(_FOOTNOTES),)
    return " ".join(sents), notes


def _items(rng: random.Random) -> tuple[tuple[str, str], ...]:
    n = rng.randint(2, 4)
    out = []
    for i in range(n):
        s = rng.choice(_SENTENCES).rstrip(".")
        out.append((chr(ord("a") + i), s + (";" if i < n - 1 else ".")))
    return tuple(out)


def _report(rng: random.Random, idx: int, n_paras: int, session: int) -> DocSpec:
    n_sections = max(1, min(len(_HEADINGS), n_paras // 6 or 1))
    per = [n_paras // n_sections + (1 if i < n_paras % n_sections else 0)
           for i in range(n_sections)]
    number = 1
    sections = []
    for s, count in enumerate(per):
        paras = []
        for _ in range(count):
            text, notes = _paragraph_text(rng, rng.random() < 0.15)
            items: tuple[tuple[str, str], ...] = ()
            if rng.random() < 0.12:
                text = text.rstrip(".") + ", in particular:"
                text = text.replace(FN, "")
                notes = ()
                items = _items(rng)
            paras.append(ParaSpec(str(number), text, items, notes))
            number += 1
        sections.append((f"{_ROMANS[s]}. {_HEADINGS[s % len(_HEADINGS)]}", paras))
    kind = rng.choice(["report", "note"])
    annexes = []
    if kind == "note" and n_paras > 6:
        text, _ = _paragraph_text(rng, False)
        annexes.append(AnnexSpec("Annex", "Summary of the dialogue", (
            ("I. Opening", (ParaSpec("1", text), ParaSpec("2", _paragraph_text(rng, False)[0]))),
        )))
    return DocSpec(
        symbol=f"A/{session}/{100 + idx}",
        title=f"International migration and development: generated document {idx + 1}",
        date=f"20{rng.randint(10, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        doc_type=kind,
        session=f"{_ordinal(session)} session",
        agenda_item=f"{rng.randint(10, 140)} ({rng.choice('abc')})",
        agenda_title="Globalization and interdependence: international migration and development",
        subtitle="Report of the Secretary-General" if kind == "report" else
        "Note by the Secretary-General",
        sections=sections,
        annexes=annexes,
        job_number=f"{rng.randint(10, 25)}-{rng.randint(10000, 99999)}",
    )


def _resolution(rng: random.Random, idx: int, n_paras: int, session: int) -> DocSpec:
    pre = rng.sample(_PREAMBLE, min(len(_PREAMBLE), max(2, n_paras // 3)))
    ops = []
    for i in range(max(2, n_paras - len(pre))):
        text = rng.choice(_OPERATIVE)
        items: tuple[tuple[str, str], ...] = ()
        if rng.random() < 0.2:
            text = text.rstrip(";") + ", in particular:"
            items = tuple((lab, t.rstrip(".;") + ";") for lab, t in _items(rng))
        ops.append(ParaSpec(str(i + 1), text, items))
    last = ops[-1]
    if last.items:
        items = last.items[:-1] + ((last.items[-1][0], last.items[-1][1].rstrip(";") + "."),)
        ops[-1] = ParaSpec(last.number, last.text, items)
    else:
        ops[-1] = ParaSpec(last.number, last.text.rstrip(";") + ".")
    return DocSpec(
        symbol=f"A/RES/{session}/{200 + idx}",
        title="International migration and development",
        date=f"20{rng.randint(10, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        doc_type="resolution",
        session=f"{_ordinal(session)} session",
        agenda_item=str(rng.randint(10, 140)),
        sections=[("", ops)],
        preambular=pre,
        job_number=f"{rng.randint(10, 25)}-{rng.randint(10000, 99999)}",
    )


_UNITS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"]


def _ordinal(n: int) -> str:
    """Sessions 90 to 99 only ("Ninety-first"): the corpus never uses real session numbers."""
    unit = n % 10
    return f"Ninety-{_UNITS[unit - 1]}" if unit else "Ninetieth"


def make_corpus(n_docs: int, pages: int = 4, seed: int = 0) -> list[DocSpec]:
    """`n_docs` varied documents (reports, notes with annexes, resolutions) of about `pages`
    pages each (within one page below 10 pages, else within 10 per cent). Render each with
    `render_pdf`. Symbols use sessions 91-99, so they are never real UN documents."""
    rng = random.Random(seed)
    out = []
    for idx in range(n_docs):
        session = 91 + rng.randrange(9)
        state = rng.getstate()
        resolution = pages <= 6 and rng.random() < 0.3
        paras = max(2, round(pages * 6.5))
        spec = None
        for _ in range(6):
            rng.setstate(state)
            spec = (_resolution if resolution else _report)(rng, idx, paras, session)
            got = count_pages(spec)
            if abs(got - pages) <= (1 if pages < 10 else pages * 0.1):
                break
            paras = max(2, round(paras * (pages - 0.5) / max(got - 0.5, 0.5)))
        out.append(spec)
    return out
