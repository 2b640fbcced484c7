"""A small library for the door tests: relevant and irrelevant records catalogued on known days."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.archive_builder import ArchiveRecord, build_archive, fake_pdf

MIGRANTS = ("MIGRANTS",)
DAY0 = dt.datetime(2023, 11, 1, 9, 0)


def catalogued(day: int) -> dt.datetime:
    """The library's time on day `day` of the stand-in's calendar (2023-11-01 is day 0)."""
    return DAY0 + dt.timedelta(days=day)


def door_records() -> list[ArchiveRecord]:
    """Five relevant General Assembly records catalogued on days 0, 2, 4, 6, 8 (each a week
    after its document date), one Security Council record and one on fisheries (irrelevant)."""
    records = [
        ArchiveRecord(str(3000 + i), f"A/78/{500 + i}", subjects=MIGRANTS,
                      date=(catalogued(2 * i) - dt.timedelta(days=7)).date(),
                      catalogued=catalogued(2 * i),
                      files={"en": fake_pdf(f"A/78/{500 + i}")})
        for i in range(5)
    ]
    records += [
        ArchiveRecord("3900", "S/2023/900", subjects=MIGRANTS, body="Security Council",
                      date=dt.date(2023, 10, 30), catalogued=catalogued(3)),
        ArchiveRecord("3901", "A/78/901", subjects=("FISHERIES",), date=dt.date(2023, 10, 30),
                      catalogued=catalogued(5)),
    ]
    return records


def door_archive(folder: Path) -> Path:
    return build_archive(folder, door_records())
