"""Reading the Digital Library's MARCXML search answers into `CatalogRecord`s.

The library answers `/search?...&of=xm` with a `<collection>` of MARC 21 `<record>`s in UTF-8,
in the MARC namespace as the default namespace (or in none), headed by a comment
`<!-- Search-Engine-Total-Number-Of-Results: N -->`. Elements are matched by local name, so any
namespace form reads the same: default, none, or a prefix such as the `ns0:` that a client
re-serialising with ElementTree writes (the shared fixture was saved that way). XML is parsed
with defusedxml: entity declarations (billion laughs) and external entities or DTDs are refused,
never expanded.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from sources.errors import BadResponse
from sources.records import AgendaItem, CatalogRecord, FileLink

log = logging.getLogger(__name__)

MARC_NS = "http://www.loc.gov/MARC21/slim"
_TOTAL = re.compile(rb"<!--\s*Search-Engine-Total-Number-Of-Results:\s*(\d+)\s*-->")
# The language of a file is its name's suffix: "A_78_L.1-EN.pdf" -> "en". The 856 $y names the
# language in its own script ("Français", "中文"), a label to show rather than a code to match.
_LANG_SUFFIX = re.compile(r"-([A-Za-z]{2})\.[A-Za-z0-9]+$")
# ISBD punctuation the cataloguers leave at the end of 245 subfields (" :", " /", " ;", " =").
_ISBD_TAIL = re.compile(r"[\s:;/=,]+$")


@dataclass
class SearchPage:
    """One search answer: the total the library reports (None if absent) and its records."""

    total: int | None
    records: list[CatalogRecord]


def parse_search_response(xml: bytes, *, url: str = "") -> SearchPage:
    """Parse one MARCXML search answer; raise `BadResponse` if it is not safe, well-formed MARCXML.

    Records without a 001 control number are skipped (they cannot be keyed), with a warning.
    """
    if not xml.strip():
        raise BadResponse(url, "empty search answer")
    try:
        root = SafeET.fromstring(xml)
    except DefusedXmlException as exc:
        raise BadResponse(url, f"unsafe XML refused ({type(exc).__name__}: {exc})") from None
    except ParseError as exc:
        head = xml[:60].decode("utf-8", "replace")
        raise BadResponse(url, f"not well-formed XML ({exc}); starts {head!r}") from None
    if _local(root.tag) not in ("collection", "record"):
        raise BadResponse(url, f"not a MARCXML answer: root element <{_local(root.tag)}>")

    m = _TOTAL.search(xml[:4096])
    total = int(m.group(1)) if m else None
    records: list[CatalogRecord] = []
    for element in _records(root):
        record = parse_record(element)
        if record is None:
            log.warning("MARCXML record without a 001 control number skipped (%s)", url or "-")
            continue
        records.append(record)
    return SearchPage(total=total, records=records)


def parse_record(element: Element) -> CatalogRecord | None:
    """One `<record>` element as a `CatalogRecord`; None when it has no 001."""
    control: dict[str, str] = {}
    fields: dict[str, list[Element]] = {}
    for child in element:
        name = _local(child.tag)
        tag = child.get("tag", "")
        if name == "controlfield":
            control[tag] = (child.text or "").strip()
        elif name == "datafield":
            fields.setdefault(tag, []).append(child)

    record_id = control.get("001")
    if not record_id:
        return None

    def sub(tag: str, code: str) -> list[str]:
        return [v for f in fields.get(tag, ()) for v in _subfields(f, code)]

    title_parts = [
        _ISBD_TAIL.sub("", v) for f in fields.get("245", ())[:1] for v in _subfields(f, "ab")
    ]
    body = None
    for f in fields.get("981", ())[:1]:
        body = ", ".join(_subfields(f, "ab")) or None

    date_text = next(iter(sub("269", "a")), None)
    date = _marc_date(date_text)
    return CatalogRecord(
        record_id=record_id,
        symbols=_unique(sub("191", "a")),
        title=" : ".join(p for p in title_parts if p) or None,
        date=date,
        date_text=date_text if date is None else None,
        modified=_marc_timestamp(control.get("005")),
        body=body,
        subjects=_unique(sub("650", "a")),
        agenda_items=tuple(
            AgendaItem(
                symbol=_first(f, "a"),
                item=_first(f, "b"),
                title=_first(f, "c"),
                subject=_first(f, "d"),
            )
            for f in fields.get("991", ())
        ),
        related=tuple(
            (f.get("ind1", "").strip(), a)
            for f in fields.get("993", ())
            for a in _subfields(f, "a")
        ),
        files=tuple(link for f in fields.get("856", ()) if (link := _file_link(f)) is not None),
    )


def language_of(url: str) -> str | None:
    """The ISO 639-1 language of a file URL from its "-EN.pdf" suffix, lower case; None if none."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    m = _LANG_SUFFIX.search(path)
    return m.group(1).lower() if m else None


def _file_link(field: Element) -> FileLink | None:
    url = _first(field, "u")
    if not url:
        return None
    language = language_of(url)
    if language is None:  # not a language version of the document (a cover page, a web link)
        return None
    size = _first(field, "s")
    return FileLink(url=url, language=language, size=int(size) if size and size.isdigit() else None)


def _records(root: Element) -> Iterator[Element]:
    if _local(root.tag) == "record":
        yield root
        return
    for el in root.iter():
        if _local(el.tag) == "record":
            yield el


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _subfields(field: Element, codes: str) -> list[str]:
    out = []
    for s in field:
        if _local(s.tag) == "subfield" and s.get("code", "") in codes:
            text = " ".join((s.text or "").split())
            if text:
                out.append(text)
    return out


def _first(field: Element, code: str) -> str | None:
    values = _subfields(field, code)
    return values[0] if values else None


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _marc_date(value: str | None) -> dt.date | None:
    """269 $a: "2023-11-08" (also "20231108", "2023-11", "2023"; partial dates take day 1)."""
    if not value:
        return None
    digits = re.sub(r"\D", "", value)
    try:
        if len(digits) >= 8:
            return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
        if len(digits) == 6:
            return dt.date(int(digits[:4]), int(digits[4:6]), 1)
        if len(digits) == 4:
            return dt.date(int(digits), 1, 1)
    except ValueError:
        pass
    # Not dropped quietly: the record keeps the text (`date_text`) and the search that finds
    # it relevant notes it for the run's record.
    log.warning("unreadable 269 date %r", value)
    return None


def _marc_timestamp(value: str | None) -> dt.datetime | None:
    """005: "20250516162631.0" -> an aware datetime (taken as UTC)."""
    if not value:
        return None
    try:
        return dt.datetime.strptime(value[:14], "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
    except ValueError:
        log.warning("unreadable 005 timestamp %r", value)
        return None
