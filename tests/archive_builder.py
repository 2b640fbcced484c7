"""Synthetic UN Digital Library material for tests and benchmarks.

Writes MARCXML search answers in the real shape (UTF-8, a `<collection>` with the MARC namespace
as its default namespace, headed by the `Search-Engine-Total-Number-Of-Results` comment, 856
links in the library's file naming, 856 $y the language's own name) and lays out an archive
folder the way `sources.archive.LocalArchive` and `tests.replay_server.ReplayServer` read it::

    <archive>/search/page-0001.xml ...          the records, `page_size` per page
    <archive>/record/<id>/files/<SYM>-EN.pdf    each record's files (path of the 856 link)
    <archive>/ods/<SYM>-EN.pdf                  files only the ODS has (ArchiveRecord.ods_files)

Example::

    records = [
        ArchiveRecord("1001", "A/78/200", date=dt.date(2023, 8, 1),
                      subjects=["INTERNATIONAL MIGRATION"], files={"en": fake_pdf("A/78/200")}),
    ]
    build_archive(tmp_path / "archive", records, page_size=50)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

MARC_NS = "http://www.loc.gov/MARC21/slim"
LIBRARY = "https://digitallibrary.un.org"
# 856 $y: each language's name in its own script, as the library catalogues it.
_LANGUAGE_NAMES = {"ar": "العربية", "zh": "中文", "en": "English", "fr": "Français",
                   "ru": "Русский", "es": "Español"}


def fake_pdf(label: str = "", size: int = 0) -> bytes:
    """A small PDF-shaped body (right magic and trailer, not a renderable document), padded to
    at least `size` bytes. For parsable PDFs use reportlab in the test that needs them."""
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n% " + label.encode("utf-8") + b"\n"
    tail = b"\n%%EOF\n"
    pad = max(0, size - len(head) - len(tail))
    return head + b"0" * pad + tail


def file_name(symbol: str, language: str) -> str:
    """The library's naming: `A/C.3/78/L.49/Rev.1` in English -> `A_C.3_78_L.49_Rev.1-EN.pdf`."""
    return f"{symbol.replace('/', '_')}-{language.upper()}.pdf"


@dataclass
class ArchiveRecord:
    """One synthetic catalogue record and its files.

    files:       language -> bytes, linked in 856 and written under record/<id>/files/.
    links_only:  languages linked in 856 whose file is *not* written (a broken link).
    ods_files:   language -> bytes written only under ods/ (no 856 link: the ODS fallback).
    """

    record_id: str
    symbol: str
    title: str = "Synthetic document on international migration and development"
    date: dt.date | None = dt.date(2024, 1, 15)
    subjects: Sequence[str] = ("INTERNATIONAL MIGRATION",)
    files: Mapping[str, bytes] = field(default_factory=dict)
    modified: dt.datetime | None = None
    body: str = "General Assembly"
    body_unit: str | None = None  # 981 $b, e.g. "2nd Committee"
    extra_symbols: Sequence[str] = ()
    agenda_items: Sequence[tuple[str, str, str, str]] = ()  # 991 $a $b $c $d
    related: Sequence[tuple[str, str]] = ()  # 993 (ind1, $a)
    links_only: Sequence[str] = ()
    ods_files: Mapping[str, bytes] = field(default_factory=dict)
    # When the library catalogued the record (999 $b, its earliest cataloguing event): days or
    # weeks after the document's date. Also its 005 when `modified` is not given.
    catalogued: dt.datetime | None = None

    @property
    def symbols(self) -> tuple[str, ...]:
        return (self.symbol, *self.extra_symbols)

    def file_url(self, language: str, base_url: str = LIBRARY) -> str:
        return f"{base_url}/record/{self.record_id}/files/{file_name(self.symbol, language)}"

    def linked_languages(self) -> list[str]:
        return list(dict.fromkeys([*self.files, *self.links_only]))

    def to_marcxml(self, base_url: str = LIBRARY) -> str:
        """The `<record>` element, as the library writes it (MARC as the default namespace)."""
        modified = self.modified or self.catalogued or dt.datetime(2025, 1, 1, 12, 0, 0)
        out = [f'<record xmlns="{MARC_NS}">']
        out.append('  <controlfield tag="000">00000nam a2200025#a ||||</controlfield>')
        out.append(_control("001", self.record_id))
        out.append(_control("005", modified.strftime("%Y%m%d%H%M%S") + ".0"))
        for sym in self.symbols:
            out.append(_data("191", [("a", sym), ("b", sym.split("/", 1)[0] + "/")]))
        title = [("a", self.title + " :"), ("b", "report of the Secretary-General")]
        out.append(_data("245", title, ind1="1", ind2="0"))
        if self.date is not None:
            out.append(_data("269", [("a", self.date.isoformat())]))
        for subject in self.subjects:
            out.append(_data("650", [("a", subject)]))
        body = [("a", self.body)] + ([("b", self.body_unit)] if self.body_unit else [])
        out.append(_data("981", body))
        for a, b, c, d in self.agenda_items:
            out.append(_data("991", [("a", a), ("b", b), ("c", c), ("d", d)], ind1="1"))
        for ind1, sym in self.related:
            out.append(_data("993", [("a", sym)], ind1=ind1))
        for lang in self.linked_languages():
            size = len(self.files.get(lang, b""))
            out.append(_data("856", [("y", _LANGUAGE_NAMES.get(lang, lang)), ("s", str(size)),
                                     ("u", self.file_url(lang, base_url))], ind1="4"))
        if self.catalogued is not None:
            day = self.catalogued.strftime("%Y%m%d")
            out.append(_data("999", [("a", f"xyz{day}"), ("b", day), ("c", "c")]))
        out.append("</record>")
        return "\n".join(out)


def _control(tag: str, value: str) -> str:
    return f"  <controlfield tag={quoteattr(tag)}>{escape(value)}</controlfield>"


def _data(tag: str, subfields: Iterable[tuple[str, str]], ind1: str = " ", ind2: str = " ") -> str:
    subs = "".join(
        f"\n    <subfield code={quoteattr(code)}>{escape(value)}</subfield>"
        for code, value in subfields
    )
    return (
        f"  <datafield tag={quoteattr(tag)} ind1={quoteattr(ind1)} ind2={quoteattr(ind2)}>"
        f"{subs}\n  </datafield>"
    )


def marcxml_page(
    records: Sequence[ArchiveRecord] | Sequence[str],
    *,
    total: int | None = None,
    base_url: str = LIBRARY,
) -> bytes:
    """One search answer holding `records` (ArchiveRecords, or ready `<record>` XML strings),
    headed by the total comment (`total`, default: the number of records given)."""
    parts = [r if isinstance(r, str) else r.to_marcxml(base_url) for r in records]
    count = len(parts) if total is None else total
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<!-- Search-Engine-Total-Number-Of-Results: {count} -->\n"
        f'<collection xmlns="{MARC_NS}">\n' + "\n".join(parts) + "\n</collection>\n"
    ).encode("utf-8")


def build_archive(
    folder: Path,
    records: Sequence[ArchiveRecord],
    *,
    page_size: int = 100,
    base_url: str = LIBRARY,
) -> Path:
    """Lay out an archive folder for `records` (search pages, files, ODS files); return it.

    Pages hold `page_size` records each, in the given order, each with the overall total, as
    a bulk download of successive search pages would.
    """
    folder = Path(folder)
    (folder / "search").mkdir(parents=True, exist_ok=True)
    for n, start in enumerate(range(0, max(len(records), 1), page_size), 1):
        page = records[start : start + page_size]
        (folder / "search" / f"page-{n:04d}.xml").write_bytes(
            marcxml_page(page, total=len(records), base_url=base_url)
        )
    for record in records:
        for lang, content in record.files.items():
            path = folder / "record" / record.record_id / "files" / file_name(record.symbol, lang)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        for lang, content in record.ods_files.items():
            path = folder / "ods" / file_name(record.symbol, lang)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
    return folder


def migration_records(
    count: int,
    *,
    start: dt.date = dt.date(2024, 1, 1),
    languages: Sequence[str] = ("en",),
    first_id: int = 5000,
) -> list[ArchiveRecord]:
    """`count` relevant records, one a day from `start`, each with a fake PDF per language
    (handy for paging tests and benchmarks)."""
    out = []
    for i in range(count):
        symbol = f"A/79/{100 + i}"
        out.append(
            ArchiveRecord(
                record_id=str(first_id + i),
                symbol=symbol,
                date=start + dt.timedelta(days=i),
                subjects=("INTERNATIONAL MIGRATION", "REMITTANCES"),
                files={lang: fake_pdf(f"{symbol} {lang}") for lang in languages},
            )
        )
    return out
