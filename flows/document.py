"""One document in one language, from the catalogue record to a loaded version.

Plain functions over the edges (`sources/`, `parsers/`, `storage/`), no Prefect: the flows wrap
them in tasks. Every failure leaves as a `StageError` that says which stage failed and whether
trying again could help, so the flow can retry the transient ones and record the rest.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy.exc

from flows.pipeline import Pipeline
from parsers import PARSER_VERSION
from parsers.agreement import compare
from parsers.model import ParsedDocument
from sources.errors import FetchError, HttpError, NoFileYet, ResponseTooSlow
from sources.records import CatalogRecord
from storage import agreement, catalog, http_cache, limits, runs, versions
from storage.filestore import FileStoreError

log = logging.getLogger(__name__)


class Status(StrEnum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    PENDING = "pending"  # no file anywhere yet; retried on later runs
    FAILED = "failed"


class Stage(StrEnum):
    CATALOG = "catalog"
    DOWNLOAD = "download"
    PARSE = "parse"
    LOAD = "load"
    STORE = "store"  # the raw file could not be written to the file store (a full disk)


@dataclass(frozen=True)
class Outcome:
    symbol: str
    language: str
    status: Status
    version: int | None = None
    detail: str = ""
    link: str = ""  # where to read more (the failed task run in the Prefect UI)


class StageError(Exception):
    def __init__(self, stage: Stage, cause: BaseException, *, transient: bool) -> None:
        self.stage = stage
        self.cause = cause
        self.transient = transient
        super().__init__(f"{stage}: {cause}")


# A database that went away: connection cut or refused, server restarting, SQLite locked past
# its busy timeout. Whatever step the document was at, trying again later can help.
_DB_GONE = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)


@contextmanager
def _database(stage: Stage) -> Iterator[None]:
    try:
        yield
    except _DB_GONE as exc:
        raise StageError(stage, exc, transient=True) from exc
    except sqlalchemy.exc.DataError as exc:
        # A value the column refuses (limits.check_record should have caught it): this record
        # only, and at the stage it happened, not an untyped crash at stage `unknown`.
        raise StageError(stage, exc, transient=False) from exc


def _is_transient_fetch(exc: FetchError) -> bool:
    # Retries inside the HTTP client already covered 429/5xx; one more attempt a little later
    # is still worth it for those, never for a wrong body, a refused redirect or a 404.
    if isinstance(exc, HttpError):
        return exc.status >= 500 or exc.status == 429
    return type(exc) in (FetchError, ResponseTooSlow)


def record_failed(
    pipe: Pipeline, record: CatalogRecord, language: str, run_id: int | None,
    exc: BaseException, *, link: str = "",
) -> Outcome:
    """Put a document that failed for good on record (the next scheduled run retries it) and
    return its outcome; `link` points a reader at the details (the failed task run)."""
    file = record.file_for(language)
    return record_item_failed(pipe, record.symbol, language, file.url if file else None,
                              run_id, exc, link=link)


def record_item_failed(
    pipe: Pipeline, symbol: str, language: str, url: str | None, run_id: int | None,
    exc: BaseException, *, link: str = "",
) -> Outcome:
    """`record_failed` for an item known by symbol and URL only (reprocess has no fresh
    catalogue record in hand)."""
    stage = exc.stage if isinstance(exc, StageError) else "unknown"
    cause = exc.cause if isinstance(exc, StageError) else exc
    error = f"{type(cause).__name__}: {cause}"
    runs.record_failure(
        pipe.engine, run_id=run_id, symbol=symbol, language=language,
        url=url, stage=str(stage), error=error,
    )
    return Outcome(symbol, language, Status.FAILED, detail=f"{stage}: {error}", link=link)


def _stored(pipe: Pipeline, sha256: str) -> bytes:
    # A raw file missing from (or corrupt in) the store can only be had again by downloading
    # it: a failure at the download stage, which the next ingest run owes and re-fetches
    # (`ingest_document` drops validators whose stored copy is gone).
    try:
        return pipe.files.get(sha256)
    except FileStoreError as exc:
        raise StageError(Stage.DOWNLOAD, exc, transient=False) from exc


def one_record_per_symbol(records: Iterable[CatalogRecord]) -> list[CatalogRecord]:
    """`records` with, of several claiming one primary symbol, only the owner by
    `catalog.owner_key` (first-seen order kept), so one run never loads two files for one
    document; `ingest_document` applies the same rule against the records stored before."""
    best: dict[str, CatalogRecord] = {}
    for r in records:
        held = best.get(r.symbol)
        if held is None or catalog.owner_key(r.record_id, r.modified) > catalog.owner_key(
            held.record_id, held.modified
        ):
            if held is not None:
                log.warning("records %s and %s both claim %s; keeping %s (newer 005, then "
                            "greater id)", held.record_id, r.record_id, r.symbol, r.record_id)
            best[r.symbol] = r
        elif held.record_id != r.record_id:
            log.warning("records %s and %s both claim %s; keeping %s (newer 005, then "
                        "greater id)", held.record_id, r.record_id, r.symbol, held.record_id)
    return list(best.values())


def owed_records(pipe: Pipeline, found: list[CatalogRecord]) -> list[CatalogRecord]:
    """Records not in `found` whose documents failed or had no file on an earlier run: the
    search window alone would forget them, so they are tried again until they succeed."""
    seen = {r.symbol for r in found}
    owed: list[CatalogRecord] = []
    for failure in runs.open_failures(pipe.engine):
        if failure.symbol in seen:
            continue
        record = catalog.get_catalog_record(pipe.engine, failure.symbol)
        if record is not None:
            owed.append(record)
            seen.add(record.symbol)
    return owed


def ingest_document(
    pipe: Pipeline,
    record: CatalogRecord,
    language: str,
    *,
    run_id: int | None,
    force: bool = False,
) -> Outcome:
    """Fetch, store, parse and load one language version of one record."""
    symbol = record.symbol
    try:
        limits.check_record(record)
    except ValueError as exc:
        raise StageError(Stage.CATALOG, exc, transient=False) from exc
    with _database(Stage.CATALOG):
        catalog.upsert_catalog_record(pipe.engine, record)
        owner = catalog.symbol_owner(pipe.engine, symbol)
    if owner is not None and owner != record.record_id:
        # Another record claims this symbol and owns it (storage.catalog's identity rule):
        # loading this one's file too would make a new version on every run, alternately.
        detail = f"record {owner} owns {symbol}; duplicate record {record.record_id} not loaded"
        log.warning("%s", detail)
        with _database(Stage.LOAD):
            current = versions.current_version(pipe.engine, symbol, language)
        return Outcome(symbol, language, Status.UNCHANGED,
                       current.version if current else None, detail=detail)

    link = record.file_for(language)
    with _database(Stage.LOAD):
        current = versions.current_version(pipe.engine, symbol, language)
        cached = (
            None if force or link is None else http_cache.get_validators(pipe.engine, link.url)
        )
    # Send validators only while the stored copy is really there to fall back on.
    if cached is not None and not pipe.files.exists(cached.sha256):
        cached = None

    try:
        download = pipe.source.fetch(
            record,
            language,
            etag=cached.etag if cached else None,
            last_modified=cached.last_modified if cached else None,
        )
    except NoFileYet as exc:
        with _database(Stage.LOAD):
            runs.record_failure(
                pipe.engine, run_id=run_id, symbol=symbol, language=language,
                url=exc.url, stage=Stage.DOWNLOAD, error=str(exc),
            )
        return Outcome(symbol, language, Status.PENDING, detail=str(exc))
    except FetchError as exc:
        raise StageError(Stage.DOWNLOAD, exc, transient=_is_transient_fetch(exc)) from exc

    fetched_at = dt.datetime.now(dt.UTC)
    if download.not_modified and cached is not None:
        sha256, content = cached.sha256, None
    else:
        content = download.content
        try:
            sha256 = pipe.files.put(content)
        except OSError as exc:  # a full or read-only disk: the next run downloads it again
            raise StageError(Stage.STORE, exc, transient=False) from exc
        with _database(Stage.LOAD):
            http_cache.save_validators(
                pipe.engine, link.url if link else download.url,
                etag=download.etag, last_modified=download.last_modified, sha256=sha256,
            )

    # Same bytes, same parser: nothing can have changed, so do not parse again.
    if (
        not force
        and current is not None
        and current.source_sha256 == sha256
        and current.parser_version == PARSER_VERSION
    ):
        with _database(Stage.LOAD):
            versions.mark_seen(pipe.engine, symbol, language, seen_at=fetched_at)
            runs.resolve_failures(pipe.engine, symbol=symbol, language=language)
        return Outcome(symbol, language, Status.UNCHANGED, current.version)

    if content is None:
        content = _stored(pipe, sha256)
    return parse_and_load(
        pipe, record, language, content,
        source_url=download.url, source_sha256=sha256, fetched_at=fetched_at, run_id=run_id,
        origin=download.origin,
    )


def parse_and_load(
    pipe: Pipeline,
    record: CatalogRecord,
    language: str,
    content: bytes,
    *,
    source_url: str,
    source_sha256: str,
    fetched_at: dt.datetime,
    run_id: int | None,
    origin: str = "",
) -> Outcome:
    symbol = record.symbol
    try:
        # A parse error names the file a local archive read, else the URL downloaded.
        parsed = pipe.parser.parse(content, filename=origin or source_url, language=language)
    except Exception as exc:  # a DocumentError, or a parser bug: either way this file only
        raise StageError(Stage.PARSE, exc, transient=False) from exc

    with _database(Stage.LOAD):
        result = versions.load_version(
            pipe.engine,
            symbol=symbol,
            language=language,
            parsed=parsed,
            source_url=source_url,
            source_sha256=source_sha256,
            fetched_at=fetched_at,
            run_id=run_id,
            record_id=record.record_id,
        )
        runs.resolve_failures(pipe.engine, symbol=symbol, language=language)
    if content.startswith(b"%PDF") and {"pdf", "docx"} <= set(pipe.settings.formats):
        version_id = result.version_id
        if version_id is None:
            with _database(Stage.LOAD):
                current = versions.current_version(pipe.engine, symbol, language)
            version_id = current.version_id if current else None
        if version_id is not None:
            compare_with_word(pipe, record, language, parsed, version_id)
    return Outcome(symbol, language, Status(result.status), result.version)


def compare_with_word(
    pipe: Pipeline, record: CatalogRecord, language: str, pdf: ParsedDocument, version_id: int
) -> None:
    """Fetch the Word version beside the PDF just loaded, parse it, and store how far the two
    agree (`parsers.agreement`). The PDF stays the version of record: a Word file that cannot be
    had or read costs a log line, never the document."""
    fetch_word = getattr(pipe.source, "fetch_word", None)
    if fetch_word is None:
        return  # a source without Word versions (a local archive)
    try:
        word = fetch_word(record, language)
    except FetchError as exc:
        log.info("%s [%s]: no Word version to compare (%s)", record.symbol, language, exc)
        return
    try:
        parsed = pipe.parser.parse(word.content, filename=word.origin or word.url,
                                   language=language)
    except Exception as exc:  # noqa: BLE001 - a Word file we cannot read: this comparison only
        log.warning("%s [%s]: the Word version could not be read (%s: %s)", record.symbol,
                    language, type(exc).__name__, exc)
        return
    figures = compare(record.symbol, parsed, pdf)
    try:
        sha256 = pipe.files.put(word.content)
    except OSError as exc:
        raise StageError(Stage.STORE, exc, transient=False) from exc
    with _database(Stage.LOAD):
        agreement.save_agreement(pipe.engine, version_id, figures, word_url=word.url,
                                 word_sha256=sha256, parser_version=PARSER_VERSION)
    log.info("%s [%s]: Word and PDF agree on %d of %d numbered paragraphs", record.symbol,
             language, figures.paragraphs_identical, figures.word_numbered)


def reprocess_version(
    pipe: Pipeline, item: versions.StaleVersion, *, run_id: int | None
) -> Outcome:
    """Parse the stored raw file of a stale version again and load the result; no network."""
    with _database(Stage.CATALOG):
        record = catalog.get_catalog_record(pipe.engine, item.symbol)
    if record is None:
        raise StageError(
            Stage.CATALOG, LookupError(f"no catalogue record for {item.symbol}"), transient=False
        )
    return parse_and_load(
        pipe, record, item.language, _stored(pipe, item.source_sha256),
        source_url=item.source_url, source_sha256=item.source_sha256,
        fetched_at=dt.datetime.now(dt.UTC), run_id=run_id,
    )
