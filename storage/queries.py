"""The read side for the CLI and downstream code: show, history, diff, search, counts.

Pure reads of the tables and the views documented in docs/schema.md.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from storage.models import (
    FTS_CONFIG,
    CatalogEntry,
    DocumentVersion,
    FootnoteRow,
    IngestFailure,
    ParagraphRow,
)


@dataclass(frozen=True)
class VersionSummary:
    symbol: str
    language: str
    version: int
    title: str | None
    doc_date: dt.date | None
    source_url: str
    source_sha256: str
    parser_version: str
    text_sha256: str
    paragraph_count: int
    fetched_at: dt.datetime
    loaded_at: dt.datetime
    valid_from: dt.datetime
    valid_to: dt.datetime | None
    last_seen_at: dt.datetime
    run_id: int | None
    record_id: str | None

    @property
    def is_current(self) -> bool:
        return self.valid_to is None


@dataclass(frozen=True)
class StoredParagraph:
    position: int
    number: str | None
    section: str | None
    kind: str
    text: str
    text_sha256: str = ""
    footnote_markers: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoredFootnote:
    marker: str
    text: str
    paragraph_position: int | None


@dataclass(frozen=True)
class DocumentView:
    version: VersionSummary
    latest_version: int
    paragraphs: list[StoredParagraph]
    footnotes: list[StoredFootnote]


@dataclass(frozen=True)
class ParagraphChange:
    change: Literal["added", "removed", "changed"]
    number: str | None  # the label (new side when there is one)
    old_position: int | None
    new_position: int | None
    section: str | None
    old_text: str | None
    new_text: str | None

    @property
    def label(self) -> str:
        if self.number:
            return f"¶{self.number}"
        return f"#{self.new_position if self.new_position is not None else self.old_position}"


@dataclass(frozen=True)
class ChangeSummary:
    added: int
    removed: int
    changed: int

    def __str__(self) -> str:
        return f"+{self.added} -{self.removed} ~{self.changed}"


@dataclass(frozen=True)
class HistoryEntry:
    version: VersionSummary
    changes: ChangeSummary | None  # against the previous version; None for the first
    source_changed: bool
    parser_changed: bool


@dataclass(frozen=True)
class SearchHit:
    symbol: str
    language: str
    version: int
    position: int
    number: str | None
    section: str | None
    snippet: str
    rank: float


# --- versions ---------------------------------------------------------------------------------


def _summary_columns() -> list:
    v, c = DocumentVersion, CatalogEntry
    return [
        v.symbol,
        v.language,
        v.version,
        sa.func.coalesce(v.title, c.title).label("title"),
        sa.func.coalesce(v.doc_date, c.date).label("doc_date"),
        v.source_url,
        v.source_sha256,
        v.parser_version,
        v.text_sha256,
        v.paragraph_count,
        v.fetched_at,
        v.loaded_at,
        v.valid_from,
        v.valid_to,
        v.last_seen_at,
        v.run_id,
        v.record_id,
    ]


def _summaries(conn: Connection, *where: sa.ColumnElement) -> list[tuple[int, VersionSummary]]:
    v, c = DocumentVersion, CatalogEntry
    stmt = (
        sa.select(v.id, *_summary_columns())
        .outerjoin(c, c.record_id == v.record_id)
        .where(*where)
        .order_by(v.language, v.version)
    )
    out = []
    for row in conn.execute(stmt):
        doc_date = row.doc_date
        if isinstance(doc_date, str):  # SQLite's COALESCE of two DATE columns is untyped text
            doc_date = dt.date.fromisoformat(doc_date)
        out.append((row.id, VersionSummary(*row[1:5], doc_date, *row[6:])))
    return out


def languages(engine: Engine, symbol: str) -> list[str]:
    """The languages `symbol` has versions in ("en" first, then alphabetical)."""
    v = DocumentVersion
    with engine.connect() as conn:
        langs = conn.execute(sa.select(v.language).where(v.symbol == symbol).distinct()).scalars()
        return sorted(langs, key=lambda x: (x != "en", x))


def _paragraphs(conn: Connection, version_id: int, *, with_text: bool = True) -> list:
    p = ParagraphRow
    cols = [p.position, p.number, p.section, p.kind]
    cols += [p.text] if with_text else [sa.literal("").label("text")]
    cols += [p.text_sha256, p.footnote_markers]
    rows = conn.execute(sa.select(*cols).where(p.version_id == version_id).order_by(p.position))
    return [StoredParagraph(*r[:6], tuple(r[6] or ())) for r in rows]


# document_versions.version is a 32-bit integer; a larger number is no version at all (and on
# SQLite, past 64 bits, an OverflowError in the driver rather than an empty answer).
_MAX_VERSION = 2**31 - 1


def get_document(
    engine: Engine, symbol: str, *, language: str = "en", version: int | None = None
) -> DocumentView | None:
    """One version (default: the current one) with its paragraphs and footnotes."""
    if version is not None and not 1 <= version <= _MAX_VERSION:
        return None
    v = DocumentVersion
    where = [v.symbol == symbol, v.language == language]
    where.append(v.valid_to.is_(None) if version is None else v.version == version)
    with engine.connect() as conn:
        found = _summaries(conn, *where)
        if not found:
            return None
        version_id, summary = found[0]
        latest = conn.execute(
            sa.select(sa.func.max(v.version)).where(v.symbol == symbol, v.language == language)
        ).scalar_one()
        f = FootnoteRow
        notes = [
            StoredFootnote(*r)
            for r in conn.execute(
                sa.select(f.marker, f.text, f.paragraph_position)
                .where(f.version_id == version_id)
                .order_by(f.position)
            )
        ]
        return DocumentView(summary, latest, _paragraphs(conn, version_id), notes)


def history(engine: Engine, symbol: str, *, language: str | None = None) -> list[HistoryEntry]:
    """Every version of `symbol` (per language, oldest first) with what changed from the one
    before: paragraphs added, removed and changed, and whether the file or parser differed."""
    v = DocumentVersion
    where = [v.symbol == symbol] + ([v.language == language] if language else [])
    entries: list[HistoryEntry] = []
    with engine.connect() as conn:
        prev: tuple[VersionSummary, list] | None = None
        for version_id, summary in _summaries(conn, *where):
            paras = _paragraphs(conn, version_id)
            if prev is None or prev[0].language != summary.language:
                entries.append(HistoryEntry(summary, None, False, False))
            else:
                changes = diff_paragraphs(prev[1], paras)
                entries.append(
                    HistoryEntry(
                        summary,
                        ChangeSummary(
                            sum(c.change == "added" for c in changes),
                            sum(c.change == "removed" for c in changes),
                            sum(c.change == "changed" for c in changes),
                        ),
                        source_changed=summary.source_sha256 != prev[0].source_sha256,
                        parser_changed=summary.parser_version != prev[0].parser_version,
                    )
                )
            prev = (summary, paras)
    entries.sort(key=lambda e: (e.version.language != "en", e.version.language, e.version.version))
    return entries


def diff_versions(
    engine: Engine, symbol: str, v1: int, v2: int, *, language: str = "en"
) -> list[ParagraphChange]:
    """Paragraph-by-paragraph changes from version `v1` to `v2`. LookupError names a missing
    version."""
    v = DocumentVersion
    asked = [n for n in (v1, v2) if 1 <= n <= _MAX_VERSION]
    with engine.connect() as conn:
        ids = dict(
            conn.execute(
                sa.select(v.version, v.id).where(
                    v.symbol == symbol, v.language == language, v.version.in_(asked)
                )
            ).all()
        )
        missing = [n for n in (v1, v2) if n not in ids]
        if missing:
            raise LookupError(
                f"{symbol} [{language}] has no version {', '.join(map(str, missing))}"
            )
        return diff_paragraphs(_paragraphs(conn, ids[v1]), _paragraphs(conn, ids[v2]))


_SIMILAR = 0.5  # two paragraphs at least this alike (difflib ratio) are "the same, changed"
_MAX_BLOCK = 60  # beyond this many pairs to score, skip similarity matching (it is quadratic)


def diff_paragraphs(
    old: Sequence[StoredParagraph], new: Sequence[StoredParagraph]
) -> list[ParagraphChange]:
    """Align two paragraph lists and report what was added, removed and changed.

    Paragraphs with identical text are matched first (longest common runs), so an inserted
    paragraph that renumbers the rest shows as one addition, not a cascade of changes. Within
    each gap between matches, paragraphs are paired as "changed" when their texts are alike,
    then when they carry the same number label; what is left was added or removed.
    """

    def key(p: StoredParagraph) -> str:
        return p.text_sha256 or p.text

    out: list[ParagraphChange] = []
    matcher = difflib.SequenceMatcher(None, [key(p) for p in old], [key(p) for p in new], False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        olds, news = list(old[i1:i2]), list(new[j1:j2])
        rank = {id(p): i for i, p in enumerate(olds)} | {id(p): i for i, p in enumerate(news)}
        pairs = _pair_similar(olds, news) + _pair_by_number(olds, news)
        pairs += [(o, None) for o in olds] + [(None, n) for n in news]
        # Within the gap: in reading order, a removal before an addition at the same place.
        pairs.sort(key=lambda p: (rank[id(p[1] if p[1] is not None else p[0])], p[1] is not None))
        for o, n in pairs:
            if o is not None and n is not None:
                out.append(
                    ParagraphChange(
                        "changed",
                        n.number or o.number,
                        o.position,
                        n.position,
                        n.section,
                        o.text,
                        n.text,
                    )
                )
            elif n is not None:
                out.append(
                    ParagraphChange("added", n.number, None, n.position, n.section, None, n.text)
                )
            elif o is not None:
                out.append(
                    ParagraphChange("removed", o.number, o.position, None, o.section, o.text, None)
                )
    return out


Pair = tuple[StoredParagraph | None, StoredParagraph | None]


def _pair_similar(olds: list[StoredParagraph], news: list[StoredParagraph]) -> list[Pair]:
    """Greedily pair the most alike texts; removes what it pairs from both lists."""
    if not olds or not news or len(olds) * len(news) > _MAX_BLOCK**2 // 4:
        return []
    scored = []
    for o in olds:
        for n in news:
            m = difflib.SequenceMatcher(None, o.text, n.text, autojunk=False)
            if m.real_quick_ratio() >= _SIMILAR and m.quick_ratio() >= _SIMILAR:
                ratio = m.ratio()
                if ratio >= _SIMILAR:
                    scored.append((ratio, o.position, n.position, o, n))
    pairs: list[Pair] = []
    used_old: set[int] = set()
    used_new: set[int] = set()
    for _, op, np_, o, n in sorted(scored, key=lambda t: (-t[0], t[1], t[2])):
        if op not in used_old and np_ not in used_new:
            used_old.add(op)
            used_new.add(np_)
            pairs.append((o, n))
    olds[:] = [o for o in olds if o.position not in used_old]
    news[:] = [n for n in news if n.position not in used_new]
    return pairs


def _pair_by_number(olds: list[StoredParagraph], news: list[StoredParagraph]) -> list[Pair]:
    """Pair paragraphs with the same number label; removes what it pairs from both lists."""
    by_number = {o.number: o for o in olds if o.number}
    pairs: list[Pair] = []
    for n in list(news):
        o = by_number.pop(n.number, None) if n.number else None
        if o is not None:
            olds.remove(o)
            news.remove(n)
            pairs.append((o, n))
    return pairs


# --- full-text search -------------------------------------------------------------------------

_TOKEN = re.compile(r'-?"[^"]*"?|\S+')


@dataclass(frozen=True)
class _Term:  # hashable: repeated terms are merged
    text: str
    kind: Literal["word", "phrase", "prefix"]
    negate: bool


MAX_QUERY_CHARS = 1000
MAX_QUERY_TERMS = 32  # distinct terms in all; PostgreSQL's planning time grows with their square


class QueryTooLong(ValueError):
    """A search query over the caps above: refused whole rather than cut where it may change
    what it means."""


def parse_query(query: str) -> list[list[_Term]]:
    """Web-search-like syntax, the same on both engines: OR-groups of ANDed terms.

    Words and "quoted phrases" are ANDed; OR separates alternatives; -word excludes; a trailing
    * on a word is a prefix search. Punctuation is just text. A group with nothing but
    exclusions is dropped (FTS5 cannot express it). A term repeated within a group, and a group
    repeated, count once. QueryTooLong past MAX_QUERY_CHARS or MAX_QUERY_TERMS.
    """
    if len(query) > MAX_QUERY_CHARS:
        raise QueryTooLong(
            f"search query of {len(query)} characters (at most {MAX_QUERY_CHARS})"
        )
    groups: list[list[_Term]] = [[]]
    for tok in _TOKEN.findall(query):
        if tok == "OR":
            groups.append([])
            continue
        negate = tok.startswith("-") and len(tok) > 1
        if negate:
            tok = tok[1:]
        if tok.startswith('"'):
            kind, body = "phrase", tok.strip('"')
        elif tok.endswith("*"):
            kind, body = "prefix", tok.rstrip("*")
        else:
            kind, body = "word", tok
        term = _Term(body, kind, negate)
        if body.strip() and term not in groups[-1]:
            groups[-1].append(term)
    kept: list[list[_Term]] = []
    for g in groups:
        if any(not t.negate for t in g) and g not in kept:
            kept.append(g)
    terms = len({t for g in kept for t in g})
    if terms > MAX_QUERY_TERMS:
        raise QueryTooLong(f"search query of {terms} distinct terms (at most {MAX_QUERY_TERMS})")
    return kept


def fts5_query(query: str) -> str:
    """`query` as an FTS5 expression that cannot be a syntax error (every term is quoted)."""

    def quoted(t: _Term) -> str:
        return '"' + t.text.replace('"', '""') + '"' + ("*" if t.kind == "prefix" else "")

    groups = parse_query(query)
    parts = []
    for group in groups:
        pos = [quoted(t) for t in group if not t.negate]
        expr = " AND ".join(pos)
        if len(pos) > 1 and len(pos) < len(group):
            expr = f"({expr})"
        expr += "".join(f" NOT {quoted(t)}" for t in group if t.negate)
        parts.append(f"({expr})" if len(group) > 1 and len(groups) > 1 else expr)
    return " OR ".join(parts)


def _tsquery_sql(query: str) -> tuple[str, dict[str, str]]:
    """`query` as a PostgreSQL tsquery expression over bound parameters (no user text in SQL)."""
    params: dict[str, str] = {}

    def term(t: _Term) -> str:
        name = f"t{len(params)}"
        params[name] = t.text
        if t.kind == "phrase":
            return f"phraseto_tsquery('{FTS_CONFIG}'::regconfig, :{name})"
        if t.kind == "prefix":
            # One quoted tsquery lexeme, backslash and quote escaped the way tsquery input
            # reads them: whatever the text holds, it stays inside the quotes (quote_literal
            # made E'...' strings that tsquery does not know, so `x\)*` was a syntax error).
            params[name] = "'" + t.text.replace("\\", "\\\\").replace("'", "''") + "':*"
            return f"to_tsquery('{FTS_CONFIG}'::regconfig, :{name})"
        return f"plainto_tsquery('{FTS_CONFIG}'::regconfig, :{name})"

    groups = []
    for group in parse_query(query):
        ands = [term(t) for t in group if not t.negate]
        ands += [f"!!{term(t)}" for t in group if t.negate]
        groups.append("(" + " && ".join(ands) + ")")
    return " || ".join(groups), params


def search(
    engine: Engine, query: str, *, limit: int = 20, language: str | None = None
) -> list[SearchHit]:
    """Best-matching paragraphs of current versions, with a snippet ([match] marked).

    The query syntax is `parse_query`'s on both engines. SQLite uses FTS5 (porter stemming,
    bm25 rank); PostgreSQL an english tsvector with a GIN index (ts_rank). Both stem, so
    "remittance" finds "remittances".
    """
    if limit < 1:
        return []
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            return _search_sqlite(conn, query, limit, language)
        return _search_postgres(conn, query, limit, language)


# FTS5's snippet() takes time quadratic in the hits of one row: on a 10 MB paragraph that
# matches everywhere it runs for many minutes. Longer paragraphs get their opening instead.
_SNIPPET_MAX_CHARS = 100_000


def _search_sqlite(conn: Connection, query: str, limit: int, language: str | None) -> list:
    match = fts5_query(query)
    if not match:
        return []
    sql = """
        SELECT v.symbol, v.language, v.version, p.position, p.number, p.section,
               CASE WHEN length(p.text) <= :snippet_max
                    THEN snippet(paragraphs_fts, 0, '[', ']', '…', 24)
                    ELSE substr(p.text, 1, 160) || '…' END AS snippet,
               paragraphs_fts.rank AS rank
        FROM paragraphs_fts
        JOIN paragraphs p ON p.id = paragraphs_fts.rowid
        JOIN document_versions v ON v.id = p.version_id
        WHERE paragraphs_fts MATCH :q AND v.valid_to IS NULL
          AND (:lang IS NULL OR v.language = :lang)
        ORDER BY rank, v.symbol, p.position
        LIMIT :limit
    """
    params = {"q": match, "lang": language, "limit": limit, "snippet_max": _SNIPPET_MAX_CHARS}
    rows = conn.execute(sa.text(sql), params)
    return [SearchHit(*r[:6], r.snippet, -float(r.rank)) for r in rows]


_HEADLINE = (
    'StartSel=[, StopSel=], MaxWords=35, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "'
)


def _search_postgres(conn: Connection, query: str, limit: int, language: str | None) -> list:
    tsquery, params = _tsquery_sql(query)
    if not tsquery:
        return []
    # Rank and cut first, then build headlines for the few rows kept (ts_headline is costly).
    # The tsvector expression must match the GIN index's exactly for the index to be used.
    sql = f"""
        WITH q AS (SELECT {tsquery} AS query),
        hits AS (
            SELECT v.symbol, v.language, v.version, p.position, p.number, p.section, p.text,
                   ts_rank(to_tsvector('{FTS_CONFIG}'::regconfig, p.text), q.query) AS rank
            FROM paragraphs p
            JOIN document_versions v ON v.id = p.version_id
            CROSS JOIN q
            WHERE to_tsvector('{FTS_CONFIG}'::regconfig, p.text) @@ q.query
              AND v.valid_to IS NULL
              AND (CAST(:lang AS text) IS NULL OR v.language = :lang)
            ORDER BY rank DESC, v.symbol, p.position
            LIMIT :limit
        )
        SELECT h.symbol, h.language, h.version, h.position, h.number, h.section,
               ts_headline('{FTS_CONFIG}'::regconfig, h.text, q.query, '{_HEADLINE}') AS snippet,
               h.rank
        FROM hits h CROSS JOIN q
        ORDER BY h.rank DESC, h.symbol, h.position
    """
    rows = conn.execute(sa.text(sql), {**params, "lang": language, "limit": limit})
    return [SearchHit(*r[:6], r.snippet, float(r.rank)) for r in rows]


# --- counts for `unmig status` ----------------------------------------------------------------


def counts(engine: Engine) -> dict[str, int]:
    """Row counts an operator wants at a glance."""
    v = DocumentVersion
    stmts = {
        "documents": sa.select(sa.func.count(sa.distinct(v.symbol))),
        "current versions": sa.select(sa.func.count()).where(v.valid_to.is_(None)),
        "versions": sa.select(sa.func.count()).select_from(v),
        "current paragraphs": sa.select(sa.func.count())
        .select_from(ParagraphRow)
        .join(v, v.id == ParagraphRow.version_id)
        .where(v.valid_to.is_(None)),
        "paragraphs": sa.select(sa.func.count()).select_from(ParagraphRow),
        "catalogue records": sa.select(sa.func.count()).select_from(CatalogEntry),
        "open failures": sa.select(sa.func.count())
        .select_from(IngestFailure)
        .where(IngestFailure.resolved_at.is_(None)),
    }
    with engine.connect() as conn:
        return {name: conn.execute(stmt).scalar_one() for name, stmt in stmts.items()}
