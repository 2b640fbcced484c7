"""THE place where a document is versioned.

A version is identified by what the pipeline extracted: its content hash covers the front matter,
every paragraph (position, number, section path, kind, text, sub-items, footnote markers), the
footnotes and the full text. Loading a parse whose content hash equals the current version's is
"unchanged": the version's `last_seen_at` moves, and the (source file, parser version) pair is
recorded in `version_sources` if it is new — nothing else. Any other parse becomes the next
version, which closes the current one (`valid_to`), all in one transaction.

Writers of one (symbol, language) are serialised (SQLite: BEGIN IMMEDIATE; PostgreSQL: a
transaction-scoped advisory lock) and the unique constraints on (symbol, language, version) and
on "one current version" back that up: a writer that loses a race anyway rolls back and retries,
and then finds the winner's version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import time
from dataclasses import asdict, dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from parsers.model import ParsedDocument
from storage._sql import (
    aware,
    bulk_insert,
    clean,
    dumps_json,
    insert_ignore,
    sha256_text,
    utcnow,
)
from storage.db import advisory_lock, write_transaction
from storage.models import (
    Document,
    DocumentVersion,
    FootnoteRow,
    ParagraphRow,
    VersionSource,
)

_MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class LoadResult:
    status: Literal["new", "updated", "unchanged"]
    version: int
    version_id: int | None = None


@dataclass(frozen=True)
class VersionInfo:
    """The current version of one document language. `source_*` and `parser_version` are the
    most recent file and parser seen to produce this exact content (see version_sources)."""

    version: int
    source_sha256: str
    source_url: str
    text_sha256: str
    parser_version: str
    content_sha256: str
    version_id: int
    fetched_at: dt.datetime
    last_seen_at: dt.datetime


@dataclass(frozen=True)
class StaleVersion:
    symbol: str
    language: str
    version: int
    source_sha256: str
    source_url: str
    parser_version: str


class VersionConflict(Exception):
    """Another writer changed the same document language at the same moment; retried."""


# --- turning a parse into rows (pure, done before the transaction opens) ---------------------


PARAGRAPH_COLUMNS = (
    "version_id",
    "position",
    "number",
    "section",
    "section_path",
    "kind",
    "text",
    "text_sha256",
    "items",
    "footnote_markers",
)
FOOTNOTE_COLUMNS = ("version_id", "position", "marker", "text", "paragraph_position")
# Part of every content hash: bump it only together with a plan for the re-versioning it causes.
CONTENT_HASH_SCHEME = b"unmig-content-v1"


@dataclass(frozen=True)
class Prepared:
    """A parse as driver-ready rows (without version_id; JSON columns already serialised)."""

    paragraphs: list[tuple]
    footnotes: list[tuple]
    front_matter: dict[str, Any]
    title: str | None
    doc_date: dt.date | None
    doc_type: str | None
    text_sha256: str
    content_sha256: str


def _iso_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None  # front matter dates are best effort; the raw string stays in front_matter


def prepare(parsed: ParsedDocument) -> Prepared:
    """The rows a parse becomes, and its hashes, computed from exactly what is stored.

    The content hash covers the front matter, the full text and, per paragraph, its position,
    number, section path, kind, text (by hash), sub-items and footnote markers, then the
    footnotes. Warnings, page count and parser version are not content.
    """
    h = hashlib.sha256(CONTENT_HASH_SCHEME)
    front = {k: (clean(str(v)) if v is not None else None) for k, v in asdict(parsed.front).items()}
    h.update(b"\n" + dumps_json(dict(sorted(front.items()))).encode())

    sections: dict[tuple[str, ...], tuple[str | None, str]] = {}  # sections repeat: serialise once
    paragraphs: list[tuple] = []
    texts: list[str] = []
    for p in parsed.paragraphs:
        sec = sections.get(p.section)
        if sec is None:
            path = [clean(x) for x in p.section]
            sec = sections[p.section] = (" / ".join(path) if path else None, dumps_json(path))
        text = clean(p.text)
        text_sha = sha256_text(text) if text is not None else None  # NULL fails the insert
        items = (
            dumps_json([{"label": clean(i.label), "text": clean(i.text)} for i in p.items])
            if p.items
            else "[]"
        )
        markers = dumps_json([clean(m) for m in p.footnote_markers]) if p.footnote_markers else "[]"
        number = clean(p.number)
        kind = str(p.kind)
        paragraphs.append(
            (p.position, number, sec[0], sec[1], kind, text, text_sha, items, markers)
        )
        texts.append(text or "")
        h.update(
            b"\n"
            + dumps_json([p.position, number, sec[1], kind, text_sha, items, markers]).encode()
        )

    footnotes: list[tuple] = []
    for i, f in enumerate(parsed.footnotes, start=1):
        row = (i, clean(f.marker), clean(f.text), f.paragraph_position)
        footnotes.append(row)
        h.update(b"\nF" + dumps_json(row[1:]).encode())

    full_text = clean(parsed.text) or "\n\n".join(texts)
    text_sha256 = sha256_text(full_text)
    h.update(b"\nT" + text_sha256.encode())
    return Prepared(
        paragraphs=paragraphs,
        footnotes=footnotes,
        front_matter=front,
        title=front.get("title"),
        doc_date=_iso_date(front.get("date")),
        doc_type=front.get("doc_type"),
        text_sha256=text_sha256,
        content_sha256=h.hexdigest(),
    )


# --- writing ----------------------------------------------------------------------------------


def load_version(
    engine: Engine,
    *,
    symbol: str,
    language: str,
    parsed: ParsedDocument,
    source_url: str,
    source_sha256: str,
    fetched_at: dt.datetime,
    run_id: int | None,
    record_id: str | None = None,
) -> LoadResult:
    """Store `parsed` as the next version of (symbol, language) unless its content is the
    current version's. The version row, its paragraphs, footnotes and source row commit in one
    transaction: a crash leaves all of it or none."""
    prepared = prepare(parsed)
    fetched_at = aware(fetched_at)
    for attempt in range(1, _MAX_ATTEMPTS + 1):
        try:
            return _load_once(
                engine,
                symbol=symbol,
                language=language,
                parsed=parsed,
                prepared=prepared,
                source_url=source_url,
                source_sha256=source_sha256,
                fetched_at=fetched_at,
                run_id=run_id,
                record_id=record_id,
            )
        except VersionConflict:
            if attempt == _MAX_ATTEMPTS:
                raise
            time.sleep(random.uniform(0.01, 0.05) * attempt)  # let the winner commit
    raise AssertionError("unreachable")


def _lock_key(symbol: str, language: str) -> str:
    return f"version:{symbol}\x00{language}"


# Statements built once: the hot path passes parameters only, which keeps SQLAlchemy's
# per-statement work (construction, cache keys) off each load; it outweighed the database's.
_V = DocumentVersion.__table__
_S = VersionSource.__table__
_D = Document.__table__
_CURRENT = sa.select(
    _V.c.id, _V.c.version, _V.c.content_sha256, _V.c.valid_from, _V.c.last_seen_at
).where(
    _V.c.symbol == sa.bindparam("b_symbol"),
    _V.c.language == sa.bindparam("b_language"),
    _V.c.valid_to.is_(None),
)
_LATEST_NUMBER = sa.select(sa.func.max(_V.c.version)).where(
    _V.c.symbol == sa.bindparam("b_symbol"), _V.c.language == sa.bindparam("b_language")
)
_CLOSE = (
    sa.update(_V)
    .where(_V.c.id == sa.bindparam("b_id"), _V.c.valid_to.is_(None))
    .values(valid_to=sa.bindparam("b_valid_to"))
)
_SEEN = (
    sa.update(_V)
    .where(_V.c.id == sa.bindparam("b_id"), _V.c.last_seen_at < sa.bindparam("b_seen"))
    .values(last_seen_at=sa.bindparam("b_seen"))
)
_INSERT_VERSION = sa.insert(_V).returning(_V.c.id)
_INSERT_SOURCE = sa.insert(_S)
_FIND_SOURCE = sa.select(_S.c.id).where(
    _S.c.version_id == sa.bindparam("b_version_id"),
    _S.c.source_sha256 == sa.bindparam("b_sha"),
    _S.c.parser_version == sa.bindparam("b_parser"),
)
_SOURCE_SEEN = (
    sa.update(_S)
    .where(_S.c.id == sa.bindparam("b_id"), _S.c.last_seen_at < sa.bindparam("b_seen"))
    .values(last_seen_at=sa.bindparam("b_seen"))
)
_SET_RECORD = (
    sa.update(_D)
    .where(
        _D.c.symbol == sa.bindparam("b_symbol"),
        _D.c.record_id.is_distinct_from(sa.bindparam("b_record_id")),
    )
    .values(record_id=sa.bindparam("b_record_id"))
)
# One set-based FTS5 insert per version is ~4x faster than a trigger firing per row.
_FTS_INDEX_SQLITE = sa.text(
    "INSERT INTO paragraphs_fts(rowid, text) SELECT id, text FROM paragraphs WHERE version_id = :v"
)


def _current(conn: Connection, symbol: str, language: str) -> sa.Row | None:
    return conn.execute(_CURRENT, {"b_symbol": symbol, "b_language": language}).first()


def _load_once(
    engine: Engine,
    *,
    symbol: str,
    language: str,
    parsed: ParsedDocument,
    prepared: Prepared,
    source_url: str,
    source_sha256: str,
    fetched_at: dt.datetime,
    run_id: int | None,
    record_id: str | None,
) -> LoadResult:
    with write_transaction(engine) as conn:
        advisory_lock(conn, _lock_key(symbol, language))
        cur = _current(conn, symbol, language)
        if cur is not None and cur.content_sha256 == prepared.content_sha256:
            _touch_source(
                conn,
                cur.id,
                source_sha256=source_sha256,
                source_url=source_url,
                parser_version=parsed.parser_version,
                seen_at=fetched_at,
                run_id=run_id,
            )
            conn.execute(_SEEN, {"b_id": cur.id, "b_seen": fetched_at})
            return LoadResult("unchanged", cur.version, cur.id)

        now = utcnow()
        created = _ensure_document(conn, symbol, record_id, now)
        if cur is not None:
            number = cur.version + 1  # the current version is always the newest
        elif created:
            number = 1
        else:  # a known document, new in this language
            latest = conn.execute(
                _LATEST_NUMBER, {"b_symbol": symbol, "b_language": language}
            ).scalar()
            number = (latest or 0) + 1
        # Never let a chain run backwards in time, even if an older fetch loads last.
        valid_from = max(fetched_at, cur.valid_from) if cur is not None else fetched_at
        try:
            if cur is not None:
                closed = conn.execute(_CLOSE, {"b_id": cur.id, "b_valid_to": valid_from})
                if closed.rowcount != 1:
                    raise VersionConflict(f"{symbol} [{language}]: current version moved")
            version_id = conn.execute(
                _INSERT_VERSION,
                {
                    "symbol": symbol,
                    "language": language,
                    "version": number,
                    "record_id": record_id,
                    "title": prepared.title,
                    "doc_date": prepared.doc_date,
                    "doc_type": prepared.doc_type,
                    "page_count": parsed.page_count,
                    "front_matter": prepared.front_matter,
                    "warnings": [clean(w) for w in parsed.warnings],
                    "paragraph_count": len(prepared.paragraphs),
                    "footnote_count": len(prepared.footnotes),
                    "source_url": source_url,
                    "source_sha256": source_sha256,
                    "text_sha256": prepared.text_sha256,
                    "content_sha256": prepared.content_sha256,
                    "parser_version": parsed.parser_version,
                    "fetched_at": fetched_at,
                    "loaded_at": now,
                    "valid_from": valid_from,
                    "valid_to": None,
                    "last_seen_at": fetched_at,
                    "run_id": run_id,
                },
            ).scalar_one()
        except sa.exc.IntegrityError as exc:
            # Only the version row's unique constraints can clash with another writer.
            raise VersionConflict(f"{symbol} [{language}] v{number}: {exc.orig}") from exc

        bulk_insert(
            conn,
            ParagraphRow.__table__,
            PARAGRAPH_COLUMNS,
            [(version_id, *row) for row in prepared.paragraphs],
        )
        if conn.dialect.name == "sqlite":
            conn.execute(_FTS_INDEX_SQLITE, {"v": version_id})
        bulk_insert(
            conn,
            FootnoteRow.__table__,
            FOOTNOTE_COLUMNS,
            [(version_id, *row) for row in prepared.footnotes],
        )
        conn.execute(
            _INSERT_SOURCE,
            {
                "version_id": version_id,
                "source_sha256": source_sha256,
                "source_url": source_url,
                "parser_version": parsed.parser_version,
                "first_seen_at": fetched_at,
                "last_seen_at": fetched_at,
                "run_id": run_id,
            },
        )
        return LoadResult("new" if cur is None else "updated", number, version_id)


def _ensure_document(
    conn: Connection, symbol: str, record_id: str | None, now: dt.datetime
) -> bool:
    """Create the documents row if missing (True when this call created it)."""
    inserted = insert_ignore(
        conn, _D, {"symbol": symbol, "record_id": record_id, "first_seen_at": now}, ["symbol"]
    )
    if not inserted and record_id is not None:
        conn.execute(_SET_RECORD, {"b_symbol": symbol, "b_record_id": record_id})
    return bool(inserted)


def _touch_source(
    conn: Connection,
    version_id: int,
    *,
    source_sha256: str,
    source_url: str,
    parser_version: str,
    seen_at: dt.datetime,
    run_id: int | None,
) -> None:
    source_id = conn.execute(
        _FIND_SOURCE,
        {"b_version_id": version_id, "b_sha": source_sha256, "b_parser": parser_version},
    ).scalar()
    if source_id is None:
        conn.execute(
            _INSERT_SOURCE,
            {
                "version_id": version_id,
                "source_sha256": source_sha256,
                "source_url": source_url,
                "parser_version": parser_version,
                "first_seen_at": seen_at,
                "last_seen_at": seen_at,
                "run_id": run_id,
            },
        )
    else:
        conn.execute(_SOURCE_SEEN, {"b_id": source_id, "b_seen": seen_at})


# --- reading what the flows need ---------------------------------------------------------------


def _latest_sources() -> sa.Subquery:
    """Per version, its most recently seen (source file, parser) pair."""
    s = VersionSource
    ranked = sa.select(
        s.version_id,
        s.source_sha256,
        s.source_url,
        s.parser_version,
        sa.func.row_number()
        .over(partition_by=s.version_id, order_by=(s.last_seen_at.desc(), s.id.desc()))
        .label("rn"),
    ).subquery()
    return sa.select(ranked).where(ranked.c.rn == 1).subquery("latest_source")


def current_version(engine: Engine, symbol: str, language: str) -> VersionInfo | None:
    v = DocumentVersion
    ls = _latest_sources()
    stmt = (
        sa.select(
            v.version,
            ls.c.source_sha256,
            ls.c.source_url,
            v.text_sha256,
            ls.c.parser_version,
            v.content_sha256,
            v.id,
            v.fetched_at,
            v.last_seen_at,
        )
        .join(ls, ls.c.version_id == v.id)
        .where(v.symbol == symbol, v.language == language, v.valid_to.is_(None))
    )
    with engine.connect() as conn:
        row = conn.execute(stmt).first()
    return VersionInfo(*row) if row else None


def stale_versions(engine: Engine, parser_version: str) -> list[StaleVersion]:
    """Current versions no parse by `parser_version` has confirmed yet, with the file to
    re-parse (the most recently seen source of each)."""
    v, s = DocumentVersion, VersionSource
    ls = _latest_sources()
    confirmed = sa.exists().where(s.version_id == v.id, s.parser_version == parser_version)
    stmt = (
        sa.select(
            v.symbol,
            v.language,
            v.version,
            ls.c.source_sha256,
            ls.c.source_url,
            ls.c.parser_version,
        )
        .join(ls, ls.c.version_id == v.id)
        .where(v.valid_to.is_(None), ~confirmed)
        .order_by(v.symbol, v.language)
    )
    with engine.connect() as conn:
        return [StaleVersion(*row) for row in conn.execute(stmt)]


def mark_seen(
    engine: Engine,
    symbol: str,
    language: str,
    *,
    seen_at: dt.datetime,
    source_sha256: str | None = None,
    parser_version: str | None = None,
) -> bool:
    """Record that the current version was fetched again unchanged (without re-parsing).

    Moves the version's `last_seen_at` and that of its source row (the given one, else the most
    recently seen). False when there is no current version.
    """
    seen_at = aware(seen_at)
    v, s = DocumentVersion, VersionSource
    with write_transaction(engine) as conn:
        advisory_lock(conn, _lock_key(symbol, language))
        cur = _current(conn, symbol, language)
        if cur is None:
            return False
        if seen_at > cur.last_seen_at:
            conn.execute(sa.update(v).where(v.id == cur.id).values(last_seen_at=seen_at))
        pick = sa.select(s.id).where(s.version_id == cur.id)
        if source_sha256 is not None:
            pick = pick.where(s.source_sha256 == source_sha256)
        if parser_version is not None:
            pick = pick.where(s.parser_version == parser_version)
        source_id = conn.execute(
            pick.order_by(s.last_seen_at.desc(), s.id.desc()).limit(1)
        ).scalar()
        if source_id is not None:
            conn.execute(
                sa.update(s)
                .where(s.id == source_id, s.last_seen_at < seen_at)
                .values(last_seen_at=seen_at)
            )
        return True


__all__ = [
    "LoadResult",
    "StaleVersion",
    "VersionConflict",
    "VersionInfo",
    "current_version",
    "load_version",
    "mark_seen",
    "prepare",
    "stale_versions",
]
