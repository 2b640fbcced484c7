"""What one run needs at hand: settings, the database engine, the source and the file store."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from config import Settings
from flows import politeness
from flows.sandbox import ParseSandbox, shared_sandbox
from sources import open_source
from sources.base import Source
from storage.db import make_engine, require_schema
from storage.filestore import FileStore


@dataclass
class Pipeline:
    settings: Settings
    engine: Engine
    source: Source
    files: FileStore
    parser: ParseSandbox

    def close(self) -> None:
        # The parser pool is shared by the process (see flows.sandbox.shared_sandbox).
        close_source = getattr(self.source, "close", None)
        if close_source is not None:
            close_source()
        self.engine.dispose()


def open_pipeline(settings: Settings) -> Pipeline:
    engine = make_engine(settings.database_url)
    try:
        require_schema(engine)
    except Exception:
        engine.dispose()
        raise
    # On a worker, each host's rate is shared with the other workers (flows.politeness).
    politeness.install(settings)
    return Pipeline(
        settings=settings,
        engine=engine,
        source=open_source(settings),
        files=FileStore(settings.file_store),
        parser=shared_sandbox(
            workers=settings.parse_workers,
            timeout=settings.parse_timeout,
            memory_mb=settings.parse_memory_mb,
        ),
    )
