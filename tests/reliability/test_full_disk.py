"""A full disk under the file store: each document is a failure at stage `store`, not `unknown`.

Issue 13, item 12. The driver runs as a separate process in a private mount namespace whose file
store is a 4 KiB tmpfs, so every raw file write ends in ENOSPC, as on a real full disk; the
database lives elsewhere, as it does when PostgreSQL has its own disk.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storage import runs
from storage.db import make_engine
from tests.archive_builder import ArchiveRecord, build_archive
from tests.pdfgen import make_corpus, render_pdf
from tests.reliability.conftest import ENGINES, REPO_ROOT, Figures


def _tiny_disk_prefix(folder: Path) -> list[str] | None:
    """A command prefix running the rest with a 4 KiB tmpfs mounted on `folder` (in a private
    mount namespace); None where this machine does not allow it."""
    if shutil.which("unshare") is None:
        return None
    user = ["-r"] if os.geteuid() != 0 else []
    mount = f"mount -t tmpfs -o size=4k tmpfs '{folder}' && exec \"$@\""
    prefix = ["unshare", *user, "-m", "sh", "-c", mount, "sh"]
    probe = subprocess.run([*prefix, "sh", "-c", f"! head -c 65536 /dev/zero > '{folder}/p'"],
                           capture_output=True, timeout=30)
    return prefix if probe.returncode == 0 else None


@pytest.mark.parametrize("kind", ENGINES)
def test_a_full_disk_is_recorded_at_the_store_stage(
    kind: str, new_db, tmp_path: Path, figures: Figures
) -> None:
    files = tmp_path / "files"
    files.mkdir()
    prefix = _tiny_disk_prefix(files)
    if prefix is None:
        pytest.skip("no private mount namespace here (unshare -m) to mount a tiny disk")
    pdfs = [render_pdf(s) for s in make_corpus(2, pages=1, seed=1312)]
    assert min(map(len, pdfs)) > 4096
    build_archive(tmp_path / "archive", [
        ArchiveRecord(f"95{i}", f"A/97/95{i}", files={"en": pdf}) for i, pdf in enumerate(pdfs)
    ])
    url = new_db(kind)
    t0 = time.monotonic()
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "tests.reliability.driver", "--db", url,
         "--source", str(tmp_path / "archive"), "--files", str(files)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )
    seconds = time.monotonic() - t0
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1].removeprefix("pass "))
    assert result["untyped"] == [] and result["crashed"] is None, result
    assert result["outcomes"] == {"failed": 2} and result["status"] == "partial"
    engine = make_engine(url)
    try:
        failures = runs.open_failures(engine)
    finally:
        engine.dispose()
    assert sorted((f.symbol, f.stage) for f in failures) == [("A/97/950", "store"),
                                                             ("A/97/951", "store")]
    assert all("No space left on device" in f.error for f in failures), failures
    assert list(files.iterdir()) == []  # nothing written outside the namespace's tmpfs
    figures.add(
        "file store on a full disk", kind, injected=2, survived=2, tried=2, seconds=seconds,
        notes=["a 4 KiB tmpfs as the file store: each document a `store` failure row "
               "(OSError: No space left on device), run `partial`, no untyped error"],
    )
