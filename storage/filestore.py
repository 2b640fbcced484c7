"""Content-addressed store for raw downloaded files, so any version can be re-parsed offline.

Layout: `{root}/{sha[0:2]}/{sha[2:4]}/{sha}`. A file appears whole or not at all: it is written
to a temporary file in the same folder, flushed to disk and renamed into place. Putting the same
bytes twice (even from two processes at once) leaves one file.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class FileStoreError(Exception):
    """A missing or corrupt stored file, or a bad store location."""


def _root_path(root: str | Path) -> Path:
    if isinstance(root, Path):
        return root
    parts = urlsplit(root)
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    if parts.scheme and len(parts.scheme) > 1:  # "C:" is a drive, not a scheme
        raise FileStoreError(f"unsupported file store location {root!r} (a folder or file:// URL)")
    return Path(root)


class FileStore:
    def __init__(self, root: str | Path) -> None:
        self.root = _root_path(root).expanduser()

    def __repr__(self) -> str:
        return f"FileStore({str(self.root)!r})"

    def path(self, sha256: str) -> Path:
        """Where the file with this SHA-256 lives (whether or not it is there)."""
        if not _SHA256.match(sha256):
            raise FileStoreError(f"not a lower-case hex SHA-256: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put(self, data: bytes) -> str:
        """Store `data`; return its SHA-256 (hex). Idempotent."""
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if target.is_file() and target.stat().st_size == len(data):
            return sha
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)  # mkstemp makes it 0600
            os.replace(tmp, target)  # atomic; a concurrent writer of the same bytes is harmless
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha

    def remove_stale_temporaries(self, older_than: float = 3600.0) -> int:
        """Delete the temporary files of writers killed before their rename; return how many.

        They are never read, only take disk. The age spares a file another process is writing.
        """
        cutoff = time.time() - older_than
        removed = 0
        for tmp in self.root.glob("*/*/.tmp-*"):
            try:
                if tmp.stat().st_mtime < cutoff:
                    tmp.unlink()
                    removed += 1
            except FileNotFoundError:  # its writer renamed or another sweep removed it
                continue
        return removed

    def get(self, sha256: str, *, verify: bool = True) -> bytes:
        """The stored bytes; with `verify`, checked against their SHA-256."""
        try:
            data = self.path(sha256).read_bytes()
        except FileNotFoundError:
            raise FileStoreError(f"no stored file {sha256} under {self.root}") from None
        if verify and hashlib.sha256(data).hexdigest() != sha256:
            raise FileStoreError(f"stored file {sha256} is corrupt (hash mismatch)")
        return data
