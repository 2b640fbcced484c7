"""Body lines -> paragraphs with their section path, kind and warnings.

One pass over the lines opens a new record at each paragraph number ("12."), preambular
participle, heading or annex, and appends every other line to the open record. Blocks that
start without a number after a gap ("loose" blocks) are decided in a second pass, once the
numbering around them is known: the continuation of the paragraph before them across a page
break (joined), a fragment whose start is missing, or unnumbered text (both kept and flagged).
Nothing is dropped and nothing is glued onto a neighbour it does not continue.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

from parsers.lines import Line
from parsers.model import ParagraphKind
from parsers.normalise import ends_sentence
from parsers.sections import SectionPath, is_bare_label
from parsers.trace import Fate, LineFate

# "12. Text" and, in programme budget fascicles, section-prefixed "2.13 Text" or "29A.4 Text"
# (an annex's "A.1 Text" too).
_NUM_RE = re.compile(r"(\d{1,4})\.(?:\s+(\S.*))?$")
_PREFIXED_RE = re.compile(r"(\d{1,2}[A-Z]?|[A-Z])\.(\d{1,3})\.?(?:\s+(\S.*))?$")
_ROMAN = r"(?=[IVX])X{0,3}(?:IX|IV|V?I{0,3})"
_HEADING_RE = re.compile(rf"({_ROMAN}|[A-Z])\.\s+(\S.*)$")
_ITEM_RE = re.compile(r"\(([a-z]|[ivx]{1,6})\)(?:\s+(\S.*))?$")
_ANNEX_RE = re.compile(r"(Annex|Enclosure|Appendix)(?:\s+([IVX]+|\d+|[A-Z]))?\*?$")
_MEETING_RE = re.compile(r"\d{1,3}(?:st|nd|rd|th) plenary meeting$")
_GA_RE = re.compile(r"The General Assembly,?$")
_DATE_ONLY_RE = re.compile(r"\d{1,2} [A-Z][a-z]+ \d{4}$")
_ROMANS = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii",
           "xiv", "xv", "xvi", "xvii", "xviii", "xix", "xx"]
_ROMAN_NEXT = {a: b for a, b in zip(_ROMANS, _ROMANS[1:], strict=False)}
_CONNECTORS = frozenset([
    "on", "of", "and", "the", "for", "in", "to", "with", "by", "from", "at", "a", "an", "or",
])
_PARTICIPLE_WORDS = frozenset(
    [
        "Mindful", "Aware", "Conscious", "Deeply", "Gravely", "Seriously", "Bearing", "Further",
        "Also", "Cognizant", "Convinced", "Determined", "Alarmed", "Concerned",
    ]
)
_NUMBERED = (ParagraphKind.NUMBERED, ParagraphKind.OPERATIVE)
_OPENERS = "\u201c\"'"
_MAX_HEADING_LINES = 4  # lines one heading may wrap over
_MAX_BLOCK_LINES = 6  # lines of one bold block over a gap: a bare label, its title, a heading


@dataclass(slots=True)
class Draft:
    """A paragraph being collected; `kind` None marks a loose block decided later."""

    kind: ParagraphKind | None
    number: str | None
    section: tuple[str, ...]
    series: int
    lines: list[str] = field(default_factory=list)
    items: list[tuple[str, list[str]]] = field(default_factory=list)
    markers: list[str] = field(default_factory=list)
    after_heading: bool = False
    starts_lower: bool = False
    note: str = ""  # why it was flagged: "before_first", "fragment", "unnumbered", "restart"
    note_after: str | None = None  # the paragraph number it came after
    letter: str | None = None  # last "(a)"-style item label seen
    roman: str | None = None  # last "(i)"-style item label seen
    rows: list[int] = field(default_factory=list)  # indices of its lines, in a traced parse

    def add(self, text: str) -> None:
        if self.items:
            self.items[-1][1].append(text)
        else:
            self.lines.append(text)

    def last_text(self) -> str:
        if self.items:
            return self.items[-1][1][-1] if self.items[-1][1] else ""
        return self.lines[-1] if self.lines else ""

    def empty(self) -> bool:
        return not self.lines and not self.items

    def absorb(self, other: Draft) -> None:
        for t in other.lines:
            self.add(t)
        self.items.extend(other.items)
        self.markers.extend(other.markers)
        self.rows.extend(other.rows)


@dataclass(slots=True)
class Segmented:
    drafts: list[Draft]
    warnings: list[str]


def _is_participle(text: str) -> bool:
    word = text.split(" ", 1)[0].rstrip(",")
    if not word or not word[0].isupper():
        return False
    return word.endswith(("ing", "ed")) or word in _PARTICIPLE_WORDS


def _letter_next(label: str) -> str:
    return chr(ord(label) + 1)


def seq(number: str) -> int:
    """The running count of a paragraph number: 12 of "12", 13 of "2.13"."""
    return int(number.rsplit(".", 1)[-1])


def _prefix(number: str) -> str:
    """The section prefix of a paragraph number: "2" of "2.13", "" of "12"."""
    return number.rsplit(".", 1)[0] if "." in number else ""


def _label(prefix: str, n: int) -> str:
    return f"{prefix}.{n}" if prefix else str(n)


class _Segmenter:
    def __init__(self, lines: list[Line], *, resolution: bool, styled: bool,
                 trace: dict[int, LineFate] | None = None) -> None:
        self.lines = lines
        self.trace = trace
        self.resolution = resolution
        self.styled = styled
        self.drafts: list[Draft] = []
        self.cur: Draft | None = None
        self.root: tuple[str, ...] = ()  # an annex and its title, above every heading in it
        self.sections = SectionPath()
        self.body_size = _body_size(lines) if styled else 0.0
        self.heading_line: Line | None = None  # the open heading's first line (its style)
        self.series = 0
        self.last: str | None = None  # the last paragraph number seen ("12", "2.13")
        self.pending: deque[str] = deque()
        self.tables: list[Draft] = []  # tables met inside the open paragraph, kept after it
        self.table: Draft | None = None  # the table being collected
        self.index = 0  # of the line being fed, for looking ahead
        self.preamble = False
        self.heading_open = 0  # lines the open heading may still take
        self.annex_title: list[str] | None = None
        self.after_heading = False
        self.skip_date = False
        self.prev_text = ""
        self.waiting: list[tuple[int, str]] = []  # traced: number-only lines, by their number

    # -- structure -------------------------------------------------------------------------
    def section(self) -> tuple[str, ...]:
        return self.root + self.sections.path

    def style_level(self, line: Line) -> int:
        """A printed heading's level from its type, as the house styles print them: `HCh`
        (body size + 4, bold) 1, `H1` (+2, bold) 2, `H23` (body size, bold) 3, `H4` (italic) 4."""
        over = line.size - self.body_size
        if over >= 3.0:
            return 1
        if over >= 1.5:
            return 2
        return 3 if line.bold else 4

    def close(self) -> None:
        if self.cur is not None and not self.cur.empty():
            self.drafts.append(self.cur)
        self.cur = None
        self.drafts.extend(self.tables)
        self.tables = []

    def on_table_row(self, line: Line, t: str) -> None:
        """A table row: collected into a table record that never breaks the open paragraph.

        The paragraph the table interrupts stays open (its text may go on after the table);
        the table is recorded right after that paragraph.
        """
        if self.table is None:
            self.sections.body()
            self.table = Draft(ParagraphKind.TABLE, None, self.section(), self.series)
            if self.cur is None:
                self.drafts.append(self.table)
            else:
                self.tables.append(self.table)
        self.table.lines.append(t)
        self.table.markers.extend(line.markers)

    def start(self, kind: ParagraphKind | None, number: str | None, line: Line, text: str) -> None:
        self.close()
        self.sections.body()
        d = Draft(kind, number, self.section(), self.series, after_heading=self.after_heading)
        d.starts_lower = text[:1].islower()
        if text:
            d.lines.append(text)
        d.markers.extend(line.markers)
        self.cur = d
        self.after_heading = False

    def last_seen(self) -> str | None:
        return self.pending[-1] if self.pending else self.last

    # -- line tests --------------------------------------------------------------------------
    def strong_start(self, line: Line) -> bool:
        """Could a new paragraph start on this line (not mid-sentence in a wrapped text)?"""
        return (
            line.gap
            or line.label_box
            or line.heading
            or self.after_heading
            or self.cur is None
            or ends_sentence(self.prev_text)
            # Preambular paragraphs end with a comma: the next line may open anything.
            or (self.preamble and self.prev_text.endswith(","))
        )

    def heading_of(self, line: Line, t: str) -> tuple[int, str, str] | None:
        """(level, label, full text) when the line is a section heading."""
        m = _HEADING_RE.match(t)
        if m:
            label, rest = m.group(1), m.group(2)
            if len(t) > 200 or not (rest[0].isupper() or rest[0].isdigit() or rest[0] in _OPENERS):
                return None
            if t.endswith((".", ",", ";")) and not (line.heading or line.bold):
                return None
            if self.styled and not (line.bold or line.heading):
                return None
            if not (line.bold or line.heading or self.strong_start(line)):
                return None
            level = 1 if re.fullmatch(_ROMAN, label) else 2
            # "I." after "H." is a letter, not a Roman one.
            last = self.sections.last_letter
            if level == 1 and len(label) == 1 and last and _letter_next(last) == label:
                level = 2
            return (self.style_level(line) if self.styled else level), label, t
        if line.heading and len(t) <= 200 and not t.endswith("."):
            return 3, "", t
        if self.styled and self.is_heading_line(line) and (
            line.bold or (not self.resolution and (line.italic or line.indent < -3)
                          and not _ITEM_RE.match(t) and not t.endswith(","))
        ):
            # Bold, or (in a report) italic or hanging left of the text: a minor heading.
            return self.style_level(line), "", t
        return None

    def item_of(self, line: Line, t: str) -> tuple[str, str] | None:
        m = _ITEM_RE.match(t)
        if not m or self.cur is None:
            return None
        label, rest = m.group(1), m.group(2) or ""
        prev = self.prev_text.rstrip()
        if not (
            line.gap or line.label_box or prev.endswith((":", ";", ",", ".")) or prev.endswith(
                (" and", " or")) or line.page_break
        ):
            return None
        d = self.cur
        if len(label) == 1 and (
            (label == "a" and d.letter is None)
            or (d.letter is not None and label == _letter_next(d.letter))
        ):
            d.letter, d.roman = label, None  # "(i)" after "(h)" is a letter
            return label, rest
        if (label == "i" and d.roman is None) or (
            d.roman is not None and _ROMAN_NEXT.get(d.roman) == label
        ):
            d.roman = label
            return label, rest
        return None

    def number_of(self, line: Line, t: str) -> tuple[str, str] | None:
        """(number as printed without its dot, the text after it) where a paragraph starts."""
        m = _NUM_RE.match(t)
        if m:
            prefix, n, rest = "", int(m.group(1)), m.group(2)
        elif (m := _PREFIXED_RE.match(t)) is not None:
            prefix, n, rest = m.group(1), int(m.group(2)), m.group(3)
        else:
            return None
        if not self.strong_start(line):
            return None
        last = self.last_seen()
        # A restart at 1 keeps the numbering's kind: "7.1 million" inside plainly numbered
        # paragraphs is text, and so is "1." inside section-prefixed ones.
        if n == 1 and (last is None or (bool(prefix) == bool(_prefix(last))
                                        and (not prefix or _prefix(last) != prefix
                                             or seq(last) > 1))):
            return _label(prefix, n), rest or ""
        if last is None:
            return _label(prefix, n), rest or ""
        if _prefix(last) == prefix and seq(last) < n <= seq(last) + 60:
            return _label(prefix, n), rest or ""
        return None

    def heading_block(self, line: Line) -> tuple[str, bool] | None:
        """A bold line and the bold lines under it: (their text, followed by a new block?)."""
        i = self.index
        parts = [line.text.strip()]
        j = i + 1
        while j < len(self.lines) and j - i < _MAX_BLOCK_LINES:
            ln = self.lines[j]
            if ln.gap or ln.page_break or ln.bold != line.bold or ln.table:
                break
            parts.append(ln.text.strip())
            j += 1
        after = self.lines[j] if j < len(self.lines) else None
        ends_block = after is None or after.gap or after.page_break or after.table
        return " ".join(parts), ends_block

    def is_heading_line(self, line: Line) -> bool:
        """Styled input: is this bold line a heading rather than emphasis inside a paragraph?

        A heading stands apart: space above it (or a page top, or nothing open), space below
        its last line, and it does not end as a sentence. A bold sentence inside a paragraph
        (the Advisory Committee's recommendations) fails each test.
        """
        if not (line.gap or line.page_break or self.cur is None or self.after_heading):
            return False
        block, ends_block = self.heading_block(line)
        return ends_block and not ends_sentence(block) and len(block) <= 250

    # -- the pass ----------------------------------------------------------------------------
    def run(self) -> list[Draft]:
        for i, line in enumerate(self.lines):
            self.index = i
            t = line.text.strip()
            if not t:
                continue
            if line.table:
                self.heading_open = 0
                self.on_table_row(line, t)
                if self.trace is not None:
                    self.table.rows.append(i)
                continue
            self.table = None
            if self.trace is None:
                self.feed(line, t)
            else:
                self.traced_feed(i, line, t)
            self.prev_text = t
        self.close_annex_title()
        self.close()
        return self.drafts

    def traced_feed(self, i: int, line: Line, t: str) -> None:
        """`feed`, noting where the line went: the record that grew, a heading, or nowhere."""
        def size(d: Draft | None) -> int:
            return -1 if d is None else len(d.lines) + sum(1 + len(x) for _, x in d.items)

        cur, grown, stack = self.cur, size(self.cur), list(self.sections.stack)
        root, annex, pending = self.root, list(self.annex_title or ()), list(self.pending)
        table = self.table
        self.feed(line, t)
        if self.table is not None and self.table is not table:
            self.table.rows.append(i)  # a table's title
        elif self.cur is not None and (self.cur is not cur or size(self.cur) > grown):
            # A number printed on a line of its own belongs to the paragraph it opens.
            self.cur.rows.extend(j for j, n in self.waiting if n == self.cur.number)
            self.waiting = [(j, n) for j, n in self.waiting if n != self.cur.number]
            self.cur.rows.append(i)
        elif (self.sections.stack != stack or self.root != root
              or list(self.annex_title or ()) != annex):
            self.trace[i] = LineFate(Fate.HEADING, section=self.section())
        elif list(self.pending) != pending and self.pending:
            self.waiting.append((i, self.pending[-1]))
        else:
            self.trace[i] = LineFate(Fate.DROPPED)

    def feed(self, line: Line, t: str) -> None:
        if self.skip_date:
            self.skip_date = False
            if _DATE_ONLY_RE.match(t):
                return
        if _GA_RE.match(t) and (self.cur is None or ends_sentence(self.prev_text) or line.gap):
            self.close()
            self.preamble = self.resolution = True
            return
        if _MEETING_RE.match(t):
            self.close()
            self.preamble = False
            self.skip_date = True
            return
        if _ANNEX_RE.match(t) and (line.gap or line.bold or line.heading or line.page_break
                                   or self.cur is None or ends_sentence(self.prev_text)):
            self.open_annex(t)
            return
        if self.heading_open and self.heading_continues(line, t):
            self.sections.extend(t)
            self.heading_open -= 1
            return
        self.heading_open = 0
        if (self.styled and line.bold and not self.preamble
                and (_NUM_RE.match(t) or _PREFIXED_RE.match(t)) and self.is_heading_line(line)):
            # A numbered heading ("1. Other revenue and adjustments") is not a paragraph.
            self.close_annex_title()
            self.on_heading(self.style_level(line), t.split(" ", 1)[0], t, line)
            return
        num = self.number_of(line, t)
        if num is not None:
            self.close_annex_title()
            self.on_number(line, *num)
            return
        if self.titles_table(line, t):
            self.close_annex_title()
            self.on_table_row(line, t)
            return
        heading = None if self.preamble else self.heading_of(line, t)
        if (heading is not None and self.annex_title is not None and not heading[1]
                and not (self.annex_title and is_bare_label(t))):
            # An annex's title, up to a bare label ("Subprogramme 1") that heads its first part.
            self.annex_title.append(t)
            return
        if heading is not None:
            self.close_annex_title()
            self.on_heading(*heading, line)
            return
        if self.annex_title is not None:
            if not self.annex_title and not self.styled and not t.endswith(".") and len(t) < 150:
                self.annex_title.append(t)
                return
            self.close_annex_title()
        item = self.item_of(line, t)
        if item is not None:
            label, rest = item
            self.cur.items.append((label, [rest] if rest else []))
            self.cur.markers.extend(line.markers)
            return
        if self.pending and (self.cur is None or line.gap or self.cur.empty()):
            self.start(self.numbered_kind(), self.pending.popleft(), line, t)
            return
        if self.preamble:
            self.on_preamble_line(line, t)
            return
        if self.cur is None or line.gap:
            self.start(None, None, line, t)
            return
        self.cur.add(t)
        self.cur.markers.extend(line.markers)

    def titles_table(self, line: Line, t: str) -> bool:
        """A bold unlabelled line right over a table is the table's title, not a section: the
        paragraphs after the table belong to the heading above it ("Delayed deployment
        factors" over its table in A/80/604/Add.9). Italic minor headings over a table stay
        headings: they head the paragraphs that discuss it too."""
        nxt = self.lines[self.index + 1] if self.index + 1 < len(self.lines) else None
        return (self.styled and line.bold and not line.italic and nxt is not None and nxt.table
                and not _HEADING_RE.match(t) and not is_bare_label(t) and not ends_sentence(t)
                and self.style_level(line) >= 3)

    def heading_continues(self, line: Line, t: str) -> bool:
        top = self.sections.top()
        if (top is None or line.gap or _NUM_RE.match(t) or _HEADING_RE.match(t)
                or _ITEM_RE.match(t) or is_bare_label(top[1])):
            return False  # a bare label's title is a heading of its own, under it
        if self.styled:
            first = self.heading_line
            return (first is not None and line.bold == first.bold and line.italic == first.italic
                    and (line.bold or line.italic) and abs(line.size - first.size) < 0.5)
        if line.heading:
            return True
        last_word = top[1].rsplit(" ", 1)[-1].lower()
        return len(t) < 120 and (t[0].islower() or last_word in _CONNECTORS)

    def numbered_kind(self) -> ParagraphKind:
        if self.resolution and self.series == 0:
            return ParagraphKind.OPERATIVE
        return ParagraphKind.NUMBERED

    def on_number(self, line: Line, n: str, rest: str) -> None:
        last = self.last_seen()
        restart = last is not None and seq(n) == 1
        if restart:
            self.close()
            self.series += 1
            self.pending.clear()
            top = self.sections.top()
            if self.after_heading and top is not None and top[2] is None:
                # A declaration adopted in the text: its (unlabelled) title heads its numbering.
                self.root = self.section()
                self.sections.clear()
        self.preamble = False
        self.sections.body()
        if not rest:
            self.close()
            self.pending.append(n)
            self.last = n
            return
        note = "restart" if restart and not self.after_heading else ""
        self.start(self.numbered_kind(), n, line, rest)
        self.cur.note = note
        self.cur.note_after = last if restart else None
        self.last = n

    def on_heading(self, level: int, label: str, text: str, line: Line) -> None:
        self.close()
        self.sections.heading(level, text)
        self.heading_line = line
        self.heading_open = _MAX_HEADING_LINES - 1
        self.after_heading = True
        self.preamble = False

    def open_annex(self, t: str) -> None:
        self.close()
        self.close_annex_title()
        self.series += 1
        self.last = None
        self.pending.clear()
        self.preamble = False
        self.sections.clear()
        self.root = (t.rstrip("*"),)
        self.annex_title = []
        self.after_heading = True

    def close_annex_title(self) -> None:
        if self.annex_title:
            self.root = (self.root[0], " ".join(self.annex_title))
        self.annex_title = None

    def on_preamble_line(self, line: Line, t: str) -> None:
        cur = self.cur
        new = (
            cur is None
            or (line.gap and not t[0].islower())
            or (line.italic and (line.indent > 3 or self.prev_text.endswith((",", ";"))))
            or (self.prev_text.endswith(",") and _is_participle(t) and not self.styled)
        )
        if new:
            self.start(ParagraphKind.PREAMBULAR, None, line, t)
            return
        cur.add(t)
        cur.markers.extend(line.markers)


def _body_size(lines: list[Line]) -> float:
    """The type size most of the text is set in (tables aside)."""
    sizes: dict[float, int] = {}
    for ln in lines:
        if ln.size and not ln.table:
            sizes[ln.size] = sizes.get(ln.size, 0) + len(ln.text)
    return max(sizes, key=sizes.__getitem__) if sizes else 0.0


def _next_numbers(drafts: list[Draft]) -> list[int | None]:
    """For each draft, the number of the next numbered draft in the same series."""
    out: list[int | None] = [None] * len(drafts)
    nxt: dict[int, int] = {}
    for i in range(len(drafts) - 1, -1, -1):
        d = drafts[i]
        out[i] = nxt.get(d.series)
        if d.kind in _NUMBERED and d.number is not None:
            nxt[d.series] = seq(d.number)
    return out


def _resolve(drafts: list[Draft]) -> list[Draft]:
    """Decide each loose block: continuation (joined), fragment or unnumbered text."""
    nexts = _next_numbers(drafts)
    out: list[Draft] = []
    seen_number: dict[int, str] = {}
    for d, nxt in zip(drafts, nexts, strict=True):
        if d.kind is not None:
            out.append(d)
            if d.kind in _NUMBERED:
                seen_number[d.series] = d.number
            continue
        # The paragraph before, looking past tables met inside it.
        before = next((o for o in reversed(out) if o.kind is not ParagraphKind.TABLE), None)
        prev = before if before and not d.after_heading and before.series == d.series else None
        last = seen_number.get(d.series)
        d.note_after = last
        if prev is not None and (d.starts_lower or not ends_sentence(prev.last_text())):
            if prev.kind in _NUMBERED:
                p = seq(prev.number)
                if nxt is None or nxt == p + 1:
                    prev.absorb(d)
                    continue
                d.kind, d.note = ParagraphKind.FRAGMENT, "fragment"
            else:
                prev.absorb(d)
                continue
        elif last is None:
            d.kind = ParagraphKind.FRAGMENT if d.starts_lower else ParagraphKind.UNNUMBERED
            d.note = "fragment" if d.starts_lower else "before_first"
        elif nxt is not None and nxt > seq(last) + 1:
            d.kind, d.note = ParagraphKind.FRAGMENT, "fragment"
        else:
            d.kind, d.note = ParagraphKind.UNNUMBERED, "unnumbered"
        out.append(d)
    return out


def segment(lines: list[Line], *, resolution: bool = False, styled: bool = False,
            trace: dict[int, LineFate] | None = None) -> list[Draft]:
    """The body's paragraphs in order, loose blocks decided (see module doc).

    With a `trace`, each draft's `rows` lists the lines it took, and `trace` gets the fate
    of every other line (a heading, or dropped)."""
    seg = _Segmenter(lines, resolution=resolution, styled=styled, trace=trace)
    drafts = seg.run()
    if trace is not None:
        for j, _ in seg.waiting:
            trace[j] = LineFate(Fate.DROPPED)
    return _resolve(drafts)


def flag(drafts: list[Draft], texts: list[str]) -> list[str]:
    """The segmentation warnings in document order; `texts` are the drafts' final texts."""
    warnings: list[str] = []
    last: dict[int, int] = {}
    for pos, (d, text) in enumerate(zip(drafts, texts, strict=True), start=1):
        if d.kind is ParagraphKind.TABLE:
            continue
        if d.kind in _NUMBERED and d.number is not None:
            n, pre = seq(d.number), _prefix(d.number)
            prev = last.get(d.series, 0)
            if d.note == "restart":
                warnings.append(f"numbering restarts at 1 after paragraph {d.note_after}")
            elif n > prev + 1:
                where = f" ({d.section[0]})" if d.series > 0 and d.section else ""
                first, last_missing = _label(pre, prev + 1), _label(pre, n - 1)
                span = (f"paragraph {first}" if first == last_missing
                        else f"paragraphs {first}-{last_missing}")
                warnings.append(f"gap: {span} missing{where}")
            last[d.series] = n
            if not ends_sentence(text):
                warnings.append(f"paragraph {d.number} cut off: ends mid-sentence")
            continue
        after = f"after paragraph {d.note_after}" if d.note_after else "before paragraph 1"
        if d.note == "fragment":
            warnings.append(f"fragment at position {pos} ({after}): its start is missing")
        elif d.note in ("before_first", "unnumbered"):
            warnings.append(f"unnumbered text at position {pos} ({after})")
        if pos == len(drafts) and not ends_sentence(text) and not text.endswith(","):
            warnings.append(f"text at position {pos} cut off: ends mid-sentence")
    return warnings
