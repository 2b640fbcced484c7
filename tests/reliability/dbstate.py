"""What a database holds, in a canonical form two databases can be compared by, and the
invariants that must hold after any crash.

`dump` leaves out what legitimately differs between two runs that did the same work: surrogate
ids, timestamps, run ids, attempt counters and the error text of open failures (a failure seen
twice has attempts 2). Everything a reader of the database sees as content is in it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage.filestore import FileStore
from storage.models import (
    CatalogAgendaItem,
    CatalogEntry,
    CatalogFile,
    CatalogHistory,
    CatalogRelated,
    CatalogSubject,
    CatalogSymbol,
    Document,
    DocumentVersion,
    FootnoteRow,
    HttpValidator,
    IngestFailure,
    ParagraphRow,
    VersionSource,
)

_V = DocumentVersion.__table__
_P = ParagraphRow.__table__
_F = FootnoteRow.__table__
_S = VersionSource.__table__


def _canon(value: Any) -> Any:
    """JSON values compare equal whatever the engine returned (jsonb reorders keys)."""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return value


def _rows(engine: Engine, stmt: sa.Select) -> list[tuple]:
    with engine.connect() as conn:
        return sorted(
            (tuple(_canon(v) for v in row) for row in conn.execute(stmt)),
            key=lambda r: tuple("" if v is None else str(v) for v in r),
        )


def dump(engine: Engine) -> dict[str, list[tuple]]:
    """Every table's content rows, canonical and sorted; ids, times and run ids left out."""
    key = (_V.c.symbol, _V.c.language, _V.c.version)
    out: dict[str, list[tuple]] = {
        "documents": _rows(engine, sa.select(Document.symbol, Document.record_id)),
        "document_versions": _rows(
            engine,
            sa.select(
                *key,
                _V.c.record_id, _V.c.title, _V.c.doc_date, _V.c.doc_type, _V.c.page_count,
                _V.c.front_matter, _V.c.warnings, _V.c.paragraph_count, _V.c.footnote_count,
                _V.c.source_url, _V.c.source_sha256, _V.c.text_sha256, _V.c.content_sha256,
                _V.c.parser_version, _V.c.valid_to.is_(None),
            ),
        ),
        "version_sources": _rows(
            engine,
            sa.select(*key, _S.c.source_sha256, _S.c.source_url, _S.c.parser_version).join(
                _V, _V.c.id == _S.c.version_id
            ),
        ),
        "paragraphs": _rows(
            engine,
            sa.select(
                *key, _P.c.position, _P.c.number, _P.c.section, _P.c.section_path, _P.c.kind,
                _P.c.text, _P.c.text_sha256, _P.c["items"], _P.c.footnote_markers,
            ).join(_V, _V.c.id == _P.c.version_id),
        ),
        "footnotes": _rows(
            engine,
            sa.select(
                *key, _F.c.position, _F.c.marker, _F.c.text, _F.c.paragraph_position
            ).join(_V, _V.c.id == _F.c.version_id),
        ),
        "catalog_records": _rows(
            engine,
            sa.select(
                CatalogEntry.record_id, CatalogEntry.symbol, CatalogEntry.title,
                CatalogEntry.date, CatalogEntry.modified, CatalogEntry.body,
                CatalogEntry.content_sha256,
            ),
        ),
        "catalog_record_history": _rows(
            engine, sa.select(CatalogHistory.record_id, CatalogHistory.content_sha256)
        ),
        "http_validators": _rows(
            engine,
            sa.select(
                HttpValidator.url, HttpValidator.etag, HttpValidator.last_modified,
                HttpValidator.sha256,
            ),
        ),
        # What is still owed: open failures by item and stage (not their attempts or text).
        "open_failures": _rows(
            engine,
            sa.select(IngestFailure.symbol, IngestFailure.language, IngestFailure.stage).where(
                IngestFailure.resolved_at.is_(None)
            ),
        ),
    }
    for model in (CatalogSymbol, CatalogSubject, CatalogAgendaItem, CatalogRelated, CatalogFile):
        t = model.__table__
        out[t.name] = _rows(engine, sa.select(*(c for c in t.c)))
    return out


def diff(a: dict[str, list[tuple]], b: dict[str, list[tuple]], limit: int = 5) -> str:
    """A short, readable account of where two dumps differ ('' when they are equal)."""
    lines = []
    for table in sorted(set(a) | set(b)):
        ra, rb = Counter(a.get(table, [])), Counter(b.get(table, []))
        if ra == rb:
            continue
        only_a, only_b = list((ra - rb).elements()), list((rb - ra).elements())
        lines.append(
            f"{table}: {len(only_a)} rows only in the first, {len(only_b)} only in the second"
        )
        lines += [f"  - {_short(r)}" for r in only_a[:limit]]
        lines += [f"  + {_short(r)}" for r in only_b[:limit]]
    return "\n".join(lines)


def _short(row: tuple) -> str:
    text = repr(row)
    return text if len(text) < 300 else text[:297] + "..."


def fingerprint(state: dict[str, list[tuple]]) -> str:
    return hashlib.sha256(repr(sorted(state.items())).encode()).hexdigest()[:16]


def check_invariants(engine: Engine, files: FileStore | Path | None = None) -> list[str]:
    """Everything that must hold at any instant, even right after a SIGKILL; [] when it does.

    - every version is whole: its paragraphs, footnotes and source row are all there, numbered
      1..n with no hole (the counts stored on the version row were computed before the write);
    - at most one current version per (symbol, language); chains numbered 1..n without holes,
      exactly the newest one current, each closed one ending where the next begins;
    - every version's raw file is in the file store and hashes to its name (no torn file);
    - at most one open failure per (symbol, language, stage);
    - SQLite: the full-text index holds exactly the paragraphs, and the file passes its
      integrity check.
    """
    problems: list[str] = []
    with engine.connect() as conn:
        def per_version(table: sa.Table, agg: sa.ColumnElement) -> dict[int, int]:
            stmt = sa.select(table.c.version_id, agg).group_by(table.c.version_id)
            return dict(conn.execute(stmt).all())

        para = per_version(_P, sa.func.count())
        para_max = per_version(_P, sa.func.max(_P.c.position))
        notes = per_version(_F, sa.func.count())
        sources = per_version(_S, sa.func.count())
        versions = conn.execute(
            sa.select(
                _V.c.id, _V.c.symbol, _V.c.language, _V.c.version, _V.c.paragraph_count,
                _V.c.footnote_count, _V.c.valid_from, _V.c.valid_to, _V.c.source_sha256,
            ).order_by(_V.c.symbol, _V.c.language, _V.c.version)
        ).all()
        chains: dict[tuple[str, str], list] = {}
        for v in versions:
            label = f"{v.symbol} [{v.language}] v{v.version}"
            if para.get(v.id, 0) != v.paragraph_count:
                problems.append(f"{label}: {para.get(v.id, 0)} of {v.paragraph_count} paragraphs")
            elif v.paragraph_count and para_max.get(v.id) != v.paragraph_count:
                problems.append(f"{label}: paragraph positions are not 1..{v.paragraph_count}")
            if notes.get(v.id, 0) != v.footnote_count:
                problems.append(f"{label}: {notes.get(v.id, 0)} of {v.footnote_count} footnotes")
            if not sources.get(v.id):
                problems.append(f"{label}: no version_sources row")
            chains.setdefault((v.symbol, v.language), []).append(v)
        for (symbol, language), chain in chains.items():
            numbers = [v.version for v in chain]
            if numbers != list(range(1, len(chain) + 1)):
                problems.append(f"{symbol} [{language}]: versions {numbers}")
            current = [v.version for v in chain if v.valid_to is None]
            if current != [chain[-1].version]:
                problems.append(f"{symbol} [{language}]: current versions {current}")
            for older, newer in zip(chain, chain[1:], strict=False):
                if older.valid_to != newer.valid_from:
                    problems.append(f"{symbol} [{language}] v{older.version}: valid_to is not "
                                    f"v{newer.version}'s valid_from")
        dup_failures = conn.execute(
            sa.select(IngestFailure.symbol, IngestFailure.language, IngestFailure.stage)
            .where(IngestFailure.resolved_at.is_(None))
            .group_by(IngestFailure.symbol, IngestFailure.language, IngestFailure.stage)
            .having(sa.func.count() > 1)
        ).all()
        problems += [f"open failure {tuple(r)} recorded more than once" for r in dup_failures]
        if conn.dialect.name == "sqlite":
            ok = conn.exec_driver_sql("PRAGMA integrity_check").scalar()
            if ok != "ok":
                problems.append(f"SQLite integrity_check: {ok}")
            fts = conn.exec_driver_sql("SELECT count(*) FROM paragraphs_fts").scalar()
            total = conn.exec_driver_sql("SELECT count(*) FROM paragraphs").scalar()
            if fts != total:
                problems.append(f"full-text index has {fts} rows for {total} paragraphs")
            try:
                conn.exec_driver_sql(
                    "INSERT INTO paragraphs_fts(paragraphs_fts) VALUES ('integrity-check')"
                )
            except sa.exc.DatabaseError as exc:
                problems.append(f"full-text index integrity-check: {exc.orig}")
    if files is not None:
        store = files if isinstance(files, FileStore) else FileStore(files)
        for sha in {v.source_sha256 for v in versions}:
            path = store.path(sha)
            if not path.is_file():
                problems.append(f"raw file {sha[:12]} missing from the store")
            elif hashlib.sha256(path.read_bytes()).hexdigest() != sha:
                problems.append(f"raw file {sha[:12]} is torn (hash mismatch)")
        for path in store.root.glob("??/??/*"):
            if path.name.startswith(".tmp-"):
                continue  # a temporary left by a kill: never read, harmless
            if hashlib.sha256(path.read_bytes()).hexdigest() != path.name:
                problems.append(f"stored file {path.name[:12]} does not hash to its name")
    return problems


def temp_files(store_root: Path) -> int:
    """Temporary files a kill left in the store (written, never renamed into place)."""
    return sum(1 for _ in Path(store_root).glob("??/??/.tmp-*"))
