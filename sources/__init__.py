"""Where documents come from: the UN Digital Library (or a stand-in) or a local archive folder."""

from __future__ import annotations

from pathlib import Path

from config import Settings
from config.settings import ConfigError
from sources.base import Source


def open_source(settings: Settings) -> Source:
    """The source UNMIG_SOURCE names: an http(s) URL opens the Digital Library through its
    doors (`sources.discovery.LibrarySource`, UNMIG_DISCOVERY), a folder opens `LocalArchive`.
    A folder that does not exist (or has no `search/` inside) is a ConfigError."""
    if settings.source_is_remote:
        from sources.discovery import LibrarySource

        return LibrarySource(settings)
    from sources.archive import LocalArchive

    folder = Path(settings.source).expanduser()
    if not folder.is_dir():
        raise ConfigError(
            f"invalid UNMIG_SOURCE: {settings.source!r} is not an http(s) URL "
            "and no such folder exists"
        )
    if not (folder / "search").is_dir():
        raise ConfigError(
            f"invalid UNMIG_SOURCE: archive folder {str(folder)!r} has no search/ folder "
            "of MARCXML search pages (see docs/sources.md)"
        )
    return LocalArchive(folder, settings)


__all__ = ["Source", "open_source"]
