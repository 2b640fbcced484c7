from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import threading
import time
from pathlib import Path

import pytest

from storage.filestore import FileStore, FileStoreError


def test_put_get_exists_path(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "files")
    data = b"%PDF-1.7 fake"
    sha = store.put(data)
    assert sha == hashlib.sha256(data).hexdigest()
    assert store.exists(sha) and store.get(sha) == data
    assert store.path(sha) == tmp_path / "files" / sha[:2] / sha[2:4] / sha
    assert store.put(data) == sha  # idempotent
    assert [p.name for p in (tmp_path / "files").rglob("*") if p.is_file()] == [sha]
    assert store.put(b"") == hashlib.sha256(b"").hexdigest()


def test_missing_corrupt_and_bad_names(tmp_path: Path) -> None:
    store = FileStore(str(tmp_path))
    missing = "0" * 64
    assert not store.exists(missing)
    with pytest.raises(FileStoreError, match="no stored file"):
        store.get(missing)
    sha = store.put(b"original")
    store.path(sha).write_bytes(b"tampered")
    with pytest.raises(FileStoreError, match="corrupt"):
        store.get(sha)
    assert store.get(sha, verify=False) == b"tampered"
    for bad in ("../../etc/passwd", "ABC", "g" * 64):
        with pytest.raises(FileStoreError):
            store.path(bad)


def test_file_url_root(tmp_path: Path) -> None:
    store = FileStore(f"file://{tmp_path}/store")
    sha = store.put(b"x")
    assert (tmp_path / "store" / sha[:2] / sha[2:4] / sha).is_file()
    with pytest.raises(FileStoreError, match="unsupported"):
        FileStore("s3://bucket/files")


def test_concurrent_puts_and_no_temp_files_left(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    blob = b"y" * 3_000_000
    threads = [threading.Thread(target=store.put, args=(blob,)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 1 and store.get(files[0].name) == blob


def test_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FileStore(tmp_path)

    def boom(*a, **k):  # noqa: ANN002, ANN003, ANN202
        raise OSError("disk full")

    monkeypatch.setattr("storage.filestore.os.replace", boom)
    with pytest.raises(OSError, match="disk full"):
        store.put(b"data")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_stale_temporaries_of_killed_writers_are_removed(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    sha = store.put(b"kept")
    folder = store.path(sha).parent
    stale, live = folder / ".tmp-killed", folder / ".tmp-writing"
    stale.write_bytes(b"half a fi")
    live.write_bytes(b"being writ")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    assert store.remove_stale_temporaries() == 1
    assert not stale.exists() and live.exists() and store.get(sha) == b"kept"


def _put_all(root: str, blobs: list[bytes], start: object) -> None:
    start.wait()  # type: ignore[attr-defined] - a multiprocessing Barrier
    store = FileStore(root)
    for blob in blobs:
        store.put(blob)


def test_two_processes_sharing_one_store(tmp_path: Path) -> None:
    """Two workers on one shared store, writing the same files at the same moment: each file
    once, whole, and no temporary left behind (what several workers of a backfill do)."""
    ctx = mp.get_context("spawn")
    blobs = [bytes([i]) * (200_000 + i) for i in range(30)]
    start = ctx.Barrier(2)
    procs = [ctx.Process(target=_put_all, args=(str(tmp_path), order, start))
             for order in (blobs, blobs[::-1])]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    store = FileStore(tmp_path)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == len(blobs)
    assert sorted(store.get(f.name) for f in files) == sorted(blobs)
