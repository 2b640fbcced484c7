"""Render the sample documents to PDF and lay out `samples/archive/` (development only).

    .venv/bin/python -m samples.build

Needs the dev extras (reportlab); the archive it writes is committed, so `make demo` does not.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from samples.documents import DOCUMENTS, SAMPLE_NOTE
from tests.archive_builder import ArchiveRecord, build_archive
from tests.pdfgen import AnnexSpec, DocSpec, ParaSpec, render_pdf

ARCHIVE = Path(__file__).parent / "archive"


def _paras(rows: list, footnotes: dict[str, str]) -> list[ParaSpec]:
    return [
        ParaSpec(number, text, tuple(items), tuple(footnotes[m] for m in marks))
        for number, text, items, marks in rows
    ]


def to_spec(doc: dict) -> DocSpec:
    notes = doc.get("footnotes", {})
    spec = DocSpec(
        symbol=doc["symbol"],
        title=doc["title"],
        date=doc["date"],
        doc_type=doc["doc_type"],
        session=doc["session"],
        agenda_item=doc["agenda_item"],
        agenda_title=doc["agenda_title"],
        subtitle=None if doc["doc_type"] == "resolution" else doc["subtitle"],
        sections=[(h, _paras(rows, notes)) for h, rows in doc.get("sections", [])],
        preambular=list(doc.get("preambular", [])),
        annexes=[
            AnnexSpec(label, title, tuple((h, tuple(_paras(rows, notes))) for h, rows in secs))
            for label, title, secs in doc.get("annexes", [])
        ],
        job_number=f"25-{doc['record_id'][-5:]}",
        quirks=False,
    )
    if doc["doc_type"] == "resolution":
        spec.sections = [("", _paras(doc["operative"], notes))]
        spec.meeting = doc["meeting"].split("\n")[0]
    return spec


def main() -> None:
    if ARCHIVE.exists():
        shutil.rmtree(ARCHIVE)
    records = [
        ArchiveRecord(
            record_id=doc["record_id"],
            symbol=doc["symbol"],
            title=doc["title"],
            date=dt.date.fromisoformat(doc["date"]),
            subjects=doc["subjects"],
            files={"en": render_pdf(to_spec(doc))},
            modified=dt.datetime.fromisoformat(doc["date"] + "T12:00:00+00:00"),
        )
        for doc in DOCUMENTS
    ]
    build_archive(ARCHIVE, records)
    (ARCHIVE / "README.md").write_text(
        f"# Sample archive\n\n{SAMPLE_NOTE}\n\nThe layout of a UN Digital Library bulk download "
        "(see docs/sources.md), rebuilt by `python -m samples.build`.\n"
    )
    print(f"wrote {len(records)} sample documents to {ARCHIVE}")


if __name__ == "__main__":
    main()
