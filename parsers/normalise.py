"""Text normalisation: characters, line joins, hyphens, split words, whitespace.

Every extractor hands over lines; every paragraph's text is made here, so the same input text
always normalises the same way whatever the source format was.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

from parsers.wordlist import PREFIXES, SUSPENDED_NEXT, WORDS

SOFT_HYPHEN = "\u00ad"

# Soft hyphens stay until lines are joined: one at a line end means "split word, join".
_CHAR_TABLE = str.maketrans(
    {
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb05": "st",
        "\ufb06": "st",
        "\u00a0": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\u2007": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\t": " ",
        "\u2028": " ",
        # Hyphen and non-breaking hyphen (common in UN files: "Secretary\u2011General") are
        # plain hyphens for search; en and em dashes and quotes are kept as printed.
        "\u2010": "-",
        "\u2011": "-",
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\ufeff": None,
    }
)

_WORD_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_SPLIT_PAIR_RE = re.compile(r"\S+[-\u00ad]\n\S+")
_TRAILING_WORD_RE = re.compile(r"([^\W\d_]+(?:-[^\W\d_]+)*)-$")
_LEADING_WORD_RE = re.compile(r"[^\W\d_]+")
_TERMINAL = frozenset(".:;!?")
_CLOSERS = "\"'\u201d\u2019)]*"


def clean_chars(text: str) -> str:
    """NFC, ligatures expanded, odd spaces to spaces, zero-width characters dropped."""
    text = text.translate(_CHAR_TABLE)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return text


def collapse(text: str) -> str:
    """Whitespace runs to one space, ends trimmed, leftover soft hyphens removed."""
    if SOFT_HYPHEN in text:
        text = text.replace(SOFT_HYPHEN, "")
    return " ".join(text.split())


class Vocabulary:
    """Word counts of one document, to decide hyphens and split words from its own usage."""

    __slots__ = ("counts", "hyphenates", "mend_tears")

    def __init__(self, lines: Iterable[str], *, mend_tears: bool = True) -> None:
        self.mend_tears = mend_tears  # mend "Amer ica" from the document's words
        text = "\n".join(lines)
        wraps = [m.group(0).lower() for m in _SPLIT_PAIR_RE.finditer(text)]
        # A word split over a line end is evidence of nothing: leave both halves out.
        text = _SPLIT_PAIR_RE.sub(" ", text).lower()
        tokens = _WORD_RE.findall(text)
        counts = Counter(tokens)
        parts: Counter[str] = Counter()
        for t, c in counts.items():
            if "-" in t:
                for p in t.split("-"):
                    parts[p] += c
        counts.update(parts)
        self.counts = counts
        # Does this document divide words at line ends at all? UN reports are set without word
        # division: on the real ones every hyphen at a line end is a compound's. Only a wrap
        # whose joined form the document (or the word list) uses elsewhere shows the habit.
        self.hyphenates = any(self._divided(w) for w in wraps)

    def _divided(self, wrap: str) -> bool:
        head, _, tail = wrap.partition("\n")
        h = _TRAILING_WORD_RE.search(head.rstrip("\u00ad-") + "-")
        t = _LEADING_WORD_RE.match(tail)
        if h is None or t is None:
            return False
        last, rest = h.group(1).rsplit("-", 1)[-1], t.group(0)
        if last in PREFIXES or f"{last}-{rest}" in self.counts:
            return False
        return last + rest in self.counts or last + rest in WORDS

    def seen(self, word: str) -> bool:
        return word in self.counts

    def is_word(self, word: str) -> bool:
        """A word in its own right: in the list, or used more than once and not a short shard."""
        if word in WORDS:
            return True
        if len(word) > 3 and self.counts.get(word, 0) >= 2:
            return True
        # Plain inflections of listed words ("levels", "migrated", "hosting").
        for suffix in ("s", "es", "ed", "d", "ing", "ly"):
            if word.endswith(suffix) and word[: -len(suffix)] in WORDS:
                return True
        return False

    def known(self, word: str) -> bool:
        return word in WORDS or word in self.counts


def keep_hyphen(head: str, tail: str, vocab: Vocabulary) -> bool:
    """Is "head-" at a line end + "tail" a compound (keep the hyphen) or one split word?"""
    if not tail or not tail[0].isalpha() or tail[0].isupper() or not head or head[-1].isdigit():
        return True
    h, t = head.lower(), tail.lower()
    if vocab.seen(f"{h}-{t}"):
        return True
    last = h.rsplit("-", 1)[-1]
    if vocab.seen(last + t) or (last + t) in WORDS:
        return False
    if last in PREFIXES:
        return True
    if vocab.is_word(last) and vocab.is_word(t):
        return True
    # Nothing in the document decides this wrap: go by its habit. Where it never divides
    # words, "road-" + "sweeping" and "manufacturer-" + "recommended" are compounds.
    return not vocab.hyphenates


def join_lines(lines: Sequence[str], vocab: Vocabulary) -> str:
    """Join wrapped lines into one string: hyphens decided, whitespace collapsed."""
    if not lines:
        return ""
    out: list[str] = []
    prev = lines[0].rstrip()
    for nxt in lines[1:]:
        nxt = nxt.strip()
        if not nxt:
            continue
        prev, glue = _join_point(prev, nxt, vocab)
        out.append(prev)
        out.append(glue)
        prev = nxt
    out.append(prev)
    return collapse("".join(out))


def _join_point(prev: str, nxt: str, vocab: Vocabulary) -> tuple[str, str]:
    """The end of `prev` as it stays, and what goes between it and `nxt`."""
    if prev.endswith(SOFT_HYPHEN):
        return prev[:-1], ""
    if prev.endswith("\u2013") and prev[-2:-1].isdigit() and nxt[:1].isdigit():
        return prev, ""  # a range broken after its dash: "2026\u2013" + "2030"
    if not prev.endswith("-"):
        return prev, " "
    if prev.endswith(" -") or prev.endswith("\u00a0-"):
        # pdfminer detached a printed hyphen from its word ("drug -" + "resistant").
        if nxt[0].isalpha() and prev[:-1].rstrip()[-1:].isalpha():
            t = _LEADING_WORD_RE.match(nxt)
            if t is not None and t.group(0).lower() in SUSPENDED_NEXT:
                return prev[:-1].rstrip() + "-", " "  # "troop -" + "and police-contributing"
            return prev[:-1].rstrip() + "-", ""
        return prev, " "
    m = _TRAILING_WORD_RE.search(prev)
    if m is None:
        return prev, ""  # "2011-" + "2012", "A/73/L.3-": a hyphen between non-words
    t = _LEADING_WORD_RE.match(nxt)
    tail = t.group(0) if t else ""
    if tail.lower() in SUSPENDED_NEXT:
        return prev, " "  # "low- and middle-income"
    if keep_hyphen(m.group(1), tail, vocab):
        return prev, ""
    return prev[:-1], ""


# Spaces pdfminer puts where the print has none: justified lines stretch the gap between
# characters, and a box edge falls inside a word or a number.
_DETACHED_HYPHEN_RE = re.compile(r"(?<=[^\W\d_]) -(?=[^\W\d_])")  # "Secretary -General"
_OPEN_BRACKET_RE = re.compile(r"([(\[]) +")  # "( A/80/633)"
_CLOSE_BRACKET_RE = re.compile(r" +([)\]])")
_DECIMAL_RE = re.compile(r"(?<![\d.,])(\d{1,3})\. (\d)(?!\d*\.)")  # "97. 9 per cent"
_RANGE_RE = re.compile(r"(?<=\d) ([\u2013-])(?=\d)")  # "paras. 17 \u201319", "2025 -2027"
_GRADE_RE = re.compile(r"\b([A-Z]{1,3}) -(?=\d)")  # "P -5", "D -1": posts by grade
_BEFORE_STOP_RE = re.compile(r"(?<=[^\W_]) +([.,;:])(?=\s|$)")  # "the objective ."


def mend_spacing(text: str) -> str:
    """Remove the spaces extraction put inside hyphenated words, brackets and decimals."""
    if " -" in text:
        text = _DETACHED_HYPHEN_RE.sub("-", text)
    if "( " in text or "[ " in text:
        text = _OPEN_BRACKET_RE.sub(r"\1", text)
    if " )" in text or " ]" in text:
        text = _CLOSE_BRACKET_RE.sub(r"\1", text)
    if ". " in text:
        text = _DECIMAL_RE.sub(r"\1.\2", text)
    if " \u2013" in text or " -" in text:
        text = _RANGE_RE.sub(r"\1", text)
        text = _GRADE_RE.sub(r"\1-", text)
    return _BEFORE_STOP_RE.sub(r"\1", text)


def rejoin_split_words(text: str, vocab: Vocabulary) -> str:
    """Mend words that justified spacing tore apart ("Amer ica" -> "America")."""
    tokens = text.split(" ")
    if len(tokens) < 2:
        return text
    out: list[str] = []
    i = 0
    n = len(tokens)
    changed = False
    while i < n:
        a = tokens[i]
        if i + 1 < n and a.isalpha():
            b = tokens[i + 1]
            core = b.rstrip(".,;:!?)\u201d\u2019'\"")
            if core.isalpha() and core[0].islower():
                joined = (a + core).lower()
                if vocab.known(joined) and not (
                    vocab.is_word(a.lower()) and vocab.is_word(core.lower())
                ):
                    out.append(a + b)
                    i += 2
                    changed = True
                    continue
        out.append(a)
        i += 1
    return " ".join(out) if changed else text


def ends_sentence(text: str) -> bool:
    """Does the text end as a sentence or a list entry ends (".", ";", ":"), closers allowed?"""
    t = text.rstrip().rstrip(_CLOSERS)
    return bool(t) and t[-1] in _TERMINAL
