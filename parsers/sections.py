"""The section path: which headings a paragraph stands under, and how headings nest.

One rule for every reader, so a Word file and its PDF file their paragraphs alike. A heading's
level comes from its style (Word's house styles `HCh`, `H1`, `H23`, `H4`; in a PDF the type
size and weight those styles print in) or, failing that, from its label ("II." 1, "B." 2,
"3." 3). Then:
- a labelled heading closes the previous heading of its kind and everything under it ("B."
  closes "A.", "Subprogramme 2" closes "Subprogramme 1");
- nothing between two headings of one rank puts the second under the first ("A. Proposed
  programme plan" + "Overall orientation"; "Result 1: ..." + "Programme performance in 2025
  and target for 2027"); a bare label's title ("Subprogramme 1" + "Documentation services")
  stays with the label, above the label's other subheadings;
- otherwise a heading closes every open heading of its rank or below.
"""

from __future__ import annotations

import re

KIND_LEVELS = {"roman": 1, "letter": 2, "digit": 3}

_HEADING_LABEL_RE = re.compile(r"(?:[IVXL]{1,6}|[A-Z]|\d{1,2}[A-Z]?(?:\.\d{1,2})*)\.\s")
BARE_LABEL_RE = re.compile(
    r"(?:Annex|Appendix|Enclosure|Attachment|Part|Section|Chapter|Programme|Subprogramme"
    r"|Component)"
    r"(?:\s+[\dIVXLA-Z][\w.]*)?\*?",
)
_ANNEX_RE = re.compile(r"(?:Annex|Annexes|Appendix|Enclosure)(?:\s+[\dIVXLA-Z]+)?\*?")


def label_kind(text: str, last_letter: str) -> str | None:
    """ "roman", "letter", "digit" for "II. ...", "B. ...", "2. ..." ("I." right after "H." is
    a letter); the word for a bare label ("Subprogramme 2" -> "subprogramme"); else None."""
    if m := _HEADING_LABEL_RE.match(text):
        label = m.group(0).strip(" .")
        if label[0].isdigit():
            return "digit"
        if len(label) == 1 and last_letter and ord(label) == ord(last_letter) + 1:
            return "letter"
        if re.fullmatch(r"[IVXL]+", label) and (len(label) > 1 or label in "IVX"):
            return "roman"
        return "letter"
    if BARE_LABEL_RE.fullmatch(text) and " " in text:
        return text.split()[0].lower()
    return None


def is_bare_label(text: str) -> bool:
    """A heading line that is only a label ("Subprogramme 1", "Part I"): its title follows."""
    kind = label_kind(text, "")
    return kind is not None and kind not in KIND_LEVELS


class SectionPath:
    """Open headings, outermost first: (level, text, label kind); levels strictly increase."""

    __slots__ = ("stack", "heading_run", "last_letter")

    def __init__(self) -> None:
        self.stack: list[tuple[float, str, str | None]] = []
        self.heading_run = False  # the last block was a heading: the next one may nest
        self.last_letter = ""  # the last "A."-style label, to read "I." after "H."

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(t for _, t, _ in self.stack)

    def top(self) -> tuple[float, str, str | None] | None:
        return self.stack[-1] if self.stack else None

    def clear(self) -> None:
        self.stack.clear()

    def body(self) -> None:
        """A paragraph or table came: the next heading no longer nests under the last."""
        self.heading_run = False

    def extend(self, text: str) -> None:
        """The open heading's text goes on (a heading wrapped over lines)."""
        level, top, kind = self.stack[-1]
        self.stack[-1] = (level, " ".join(f"{top} {text}".split()), kind)

    def heading(self, level: float | None, text: str, *, label_first: bool = False) -> None:
        """Open a heading at `level`; None (or `label_first` where it has a label) takes the
        level its label gives, 3 without one."""
        text = " ".join(text.split())  # "A.  Mandate": the label's gap is one space
        kind = label_kind(text, self.last_letter)
        if kind == "letter":
            self.last_letter = text[0]
        if level is None or (label_first and kind in KIND_LEVELS):
            level = KIND_LEVELS.get(kind or "", 3 if level is None else level)
        if _ANNEX_RE.fullmatch(text):
            # "Annex", "Annex II", "Appendix": outside every section of the body.
            self.stack.clear()
            level = 0
        elif kind is not None:
            for idx in range(len(self.stack) - 1, -1, -1):
                if self.stack[idx][2] == kind:
                    del self.stack[idx:]
                    break
        if kind is not None and kind not in KIND_LEVELS:
            # A bare label ranks above the headings of its own style that follow its title
            # ("Objective", "Strategy" are under "Subprogramme 1").
            level -= 0.5
        top_bare = bool(self.stack) and self.stack[-1][2] not in (None, *KIND_LEVELS)
        if self.heading_run and self.stack and (self.stack[-1][0] >= level or top_bare):
            top_level, top_text, top_kind = self.stack[-1]
            if top_kind in KIND_LEVELS and kind is None:
                # A labelled heading heads the unlabelled ones of its style that follow it.
                floor = self.stack[-2][0] if len(self.stack) > 1 else level - 1
                self.stack[-1] = ((floor + level) / 2, top_text, top_kind)
            else:
                level = top_level + (0.25 if top_kind and top_kind not in KIND_LEVELS else 0.5)
        else:
            while self.stack and self.stack[-1][0] >= level:
                self.stack.pop()
        self.stack.append((level, text, kind))
        self.heading_run = True
