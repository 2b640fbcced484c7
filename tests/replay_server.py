"""A local stand-in for the UN Digital Library and the ODS, serving an archive folder, that can
misbehave on demand. Only ever binds 127.0.0.1 (a free port); no real network is involved.

Serves, from an archive laid out as in docs/sources.md (see tests/archive_builder.py):

- `GET /search?p=&of=xm&rg=&jrec=`: the archive's records as paged MARCXML with the
  `Search-Engine-Total-Number-Of-Results` comment, newest first (269 date). A `269__a:A->B` range
  in `p` filters by date, `191__a:"SYM"` clauses by symbol; subject clauses are ignored on
  purpose (the real search is not trusted either, so the client's own check is exercised).
  856 links are rewritten to point at this server.
- `GET /record/<id>/files/<name>` and `GET /ods/<name>`: the files, with ETag and
  Last-Modified, answering 304 to a matching If-None-Match / If-Modified-Since.
- `GET /api/symbol/access?s=SYM&l=en&t=pdf`: the ODS, redirecting (302) to the file, 404 if none;
  `t=doc` to its Word copy (`ods/<SYM>-EN.docx`) when the archive has one.
  `ods_style` says which address form it understands: "plain" (literal slashes, `l=en`),
  "encoded" (`%2F` in the symbol, the ODS letter `l=E`) or "both" (the default).
- `GET /robots.txt`: `robots_txt` (default `PERMISSIVE_ROBOTS`; `LIBRARY_ROBOTS` is the one a
  public client quotes for the real library; None answers 404). `server.set_robots(...)`.

- `GET /oai2d?verb=ListRecords&metadataPrefix=marcxml&from=&until=` (and `resumptionToken`),
  `verb=Identify`: OAI-PMH over the same records, by datestamp (the record's 005), in pages of
  `oai_page_size` with resumption tokens; `noRecordsMatch`, `badResumptionToken`,
  `cannotDisseminateFormat` as OAI errors; records `server.delete(...)`d come as deleted headers;
  `server.expire_oai_tokens()` makes every token issued so far a badResumptionToken.
- `GET /api/v1/search?p=&format=xml&search_id=`: the token API (`Authorization: Token
  <api_token>`, else 401 JSON), in pages of `api_page_size` through `search_id`, until an empty
  collection; `<total>`, `<search_id>`, the MARC `<collection>`.

The library's clock: `server.set_clock(t)` hides every record catalogued after `t` (999 $b, or
its 005) from the search, the API and OAI-PMH, as if not catalogued yet: a document dated before
a run but catalogued after it. `server.restamp(t, ids)` moves the 005 (and the OAI datestamp)
of those records (all by default), as the library's bulk edits do, changing nothing else.
`/search` and the API understand `creation_date:A->B` (when the record was catalogued).

Moods: `server.challenge(search=True, files=True)` answers as the library's firewall does to
non-browser clients (HTTP 202, `x-amzn-waf-action: challenge`, a script page), on the search,
on the files, or both; `page=True` serves the challenge page with a 200 and no header instead.

Hostile moods: `server.hostile_search(Paging.ALTERNATE)` (two full pages in turn, no total),
`GROWING_TOTAL` (one page, its total one larger at every request), `INVENTING` (new records at
every request) and `LYING_TOTAL` (`records=300, total=10`, or `records=0, total=1000`) answer
the search with invented records; `server.set_date(record_id, "2024-02-30")` writes an
impossible 269 date; `Fault.DRIP` sends a body a byte every `hang` seconds
(`Fault.DRIP_HEADERS` the status line and headers too), and
`Fault.REDIRECT` points anywhere (`location=`: another port, `file:///etc/passwd`).

Faults, per path (fnmatch pattern on the path, optionally only the first `times` requests) or at
random with a seed::

    with ReplayServer(archive) as server:
        server.fail("/record/*/files/*-EN.pdf", Fault.TOO_MANY, times=2, retry_after=1)
        server.chaos(0.2, seed=7, faults=[Fault.ERROR_500, Fault.RESET])
        settings = server.settings(retries=3)
        ...
        assert len(server.hits("/record/*", status=200)) == 1

Every request is logged (`server.log`, `server.hits(...)`) with the time it arrived (`at`,
`time.monotonic()`), so tests can measure the spacing of requests to this host.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import fnmatch
import hashlib
import random
import re
import socket
import struct
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import defusedxml.ElementTree as SafeET

MARC_NS = "http://www.loc.gov/MARC21/slim"
_M = f"{{{MARC_NS}}}"
FOREIGN_HOST = "evil.example.org"
_WINDOW = re.compile(r'269__a:"?(\d{4}-\d{2}-\d{2})"?->"?(\d{4}-\d{2}-\d{2})"?')
_SYMBOL = re.compile(r'191__a:(?:"([^"]+)"|\[([^\]]+)\])')
_CREATED = re.compile(r'creation_date:"?(\d{4}-\d{2}-\d{2})"?->"?(\d{4}-\d{2}-\d{2})"?')
# What the stand-in's robots.txt says unless told otherwise: nothing the tests use is refused.
PERMISSIVE_ROBOTS = "User-agent: *\nDisallow: /rss\n"
# The real library's robots.txt as one public client quotes it.
LIBRARY_ROBOTS = "User-agent: *\nDisallow: /search\nDisallow: /rss\nCrawl-delay: 5\n"
# The ODS's one-letter language codes, for the "encoded" address form.
_ODS_LETTERS = {"A": "ar", "C": "zh", "E": "en", "F": "fr", "R": "ru", "S": "es"}
# What AWS WAF serves with its 202: a page that loads its challenge script (shortened).
CHALLENGE_HTML = (
    b"<!DOCTYPE html><html><head><meta charset='utf-8'>"
    b"<script>window.gokuProps = {\"key\":\"AQIDAHj\",\"iv\":\"A6wC\"};</script>"
    b"<script src='https://0a1b2c3d.edge.sdk.awswaf.com/0a1b2c3d/challenge.js'></script>"
    b"</head><body><div id='challenge-container'></div><script>"
    b"AwsWafIntegration.checkForceRefresh().then((r) => { if (r) window.location.reload(); });"
    b"</script></body></html>"
)


class Fault(StrEnum):
    TOO_MANY = "429"  # 429 with Retry-After
    ERROR_500 = "500"
    ERROR_503 = "503"
    RESET = "reset"  # the connection is reset, no response at all
    HANG = "hang"  # nothing is answered for `hang` seconds, then the connection closes
    TRUNCATE = "truncate"  # full Content-Length, half the body, then the connection closes
    HTML = "html"  # 200 text/html error page instead of the resource
    FOREIGN_REDIRECT = "foreign-redirect"  # 302 to http://evil.example.org/<same path>
    ENDLESS = "endless"  # 200 application/pdf, no Content-Length, bytes until the client stops
    HUGE_LENGTH = "huge-length"  # 200 claiming Content-Length: 10**12
    CHALLENGE = "challenge"  # 202, x-amzn-waf-action: challenge, the challenge script page
    CHALLENGE_PAGE = "challenge-page"  # 200 text/html challenge page, no header
    FORBIDDEN = "403"  # 403 text/html
    DRIP = "drip"  # the normal answer, its body one byte every `hang` seconds
    DRIP_HEADERS = "drip-headers"  # the same from the status line on: headers dripped too
    REDIRECT = "redirect"  # 302 to the rule's `location` (another port, file:///, ...)
    BUSY = "503-retry-after"  # 503 with Retry-After (OAI-PMH repositories under load)
    API_LIMIT = "429-json"  # 429, Retry-After, {"error": "Max 100 requests per 5 minutes"}


class Paging(StrEnum):
    """Search answers that page without end or lie (`server.hostile_search(...)`); the records
    are invented, relevant (General Assembly, a migration subject, dated in any window)."""

    ALTERNATE = "alternate"  # two full pages in turn, whatever jrec says, no total
    GROWING_TOTAL = "growing-total"  # the same full page, the total one larger each request
    INVENTING = "inventing"  # a full page of new records at every request, no total
    LYING_TOTAL = "lying-total"  # `records` records paged honestly under a total of `total`


@dataclass
class Rule:
    pattern: str
    fault: Fault
    times: int | None = None  # None: every matching request
    retry_after: int | str = 1
    hang: float = 5.0
    used: int = 0
    location: str = ""
    after: int = 0  # matching requests let through untouched before the rule applies
    passed: int = 0


@dataclass(frozen=True)
class Logged:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int | None  # None: no response (reset, hang)
    fault: str | None
    body_bytes: int  # bytes of body sent (or meant to be); -1 for an endless body
    at: float = 0.0  # time.monotonic() when the request arrived


@dataclass
class _Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class _Entry:
    record_id: str
    date: str
    symbols: tuple[str, ...]
    element: ET.Element
    files: dict[str, str]  # language -> URL path
    stamp: dt.datetime | None = None  # 005: last change, the OAI datestamp
    created: dt.date | None = None  # earliest 999 $b (catalogued), else the 005's day
    deleted: bool = False


class ReplayServer:
    """Threaded HTTP server on 127.0.0.1 over an archive folder; a context manager."""

    def __init__(
        self,
        archive: Path,
        *,
        max_page_size: int = 200,
        hang_seconds: float = 5.0,
        robots_txt: str | None = PERMISSIVE_ROBOTS,
        ods_style: str = "both",
        oai_page_size: int = 50,
        api_page_size: int = 50,
        api_token: str = "test-api-token",
    ) -> None:
        if ods_style not in ("plain", "encoded", "both"):
            raise ValueError(f"ods_style must be plain, encoded or both, got {ods_style!r}")
        self.archive = Path(archive).resolve()
        self.max_page_size = max_page_size
        self.hang_seconds = hang_seconds
        self.robots_txt = robots_txt
        self.ods_style = ods_style
        self.oai_page_size = oai_page_size
        # True: every resumption token points at the page it came with, so an OAI-PMH client
        # that trusts the tokens harvests for ever.
        self.oai_stuck_token = False
        # Resumption tokens carry the epoch they were issued in; `expire_oai_tokens()` starts a
        # new one, and older tokens are refused as badResumptionToken (a repository restarted,
        # or its tokens' lifetime past).
        self._oai_epoch = 0
        self.api_page_size = api_page_size
        self.api_token = api_token
        self.clock: dt.datetime | None = None  # None: every record is catalogued already
        self._searches: dict[str, tuple[list[str], int]] = {}  # search_id -> (ids, next offset)
        self.rules: list[Rule] = []
        self.log: list[Logged] = []
        self._chaos: tuple[float, random.Random, tuple[Fault, ...], str, int | str] | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._entries: list[_Entry] = []
        self._paging: tuple[Paging, int, int | None] | None = None
        self._paging_requests = 0

    # -- lifecycle ----------------------------------------------------------------------

    def __enter__(self) -> ReplayServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        handler = type("Handler", (_Handler,), {"replay": self})
        self._httpd = _QuietServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._entries = self._load()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self, **overrides: Any) -> Any:
        """`config.Settings` pointing at this server (source and ODS), fast and polite enough
        for tests: rate 1000/s (the API's too), timeout 2 s, 3 retries, backoff factor 0.01."""
        from config import load_settings

        values: dict[str, Any] = {
            "source": self.url,
            "ods_url": self.url,
            "rate_limit": 1000.0,
            "api_rate_limit": 1000.0,
            "timeout": 2.0,
            "retries": 3,
            "http_backoff": 0.01,
            "contact": "tests@example.org",
        }
        values.update(overrides)
        return load_settings(**values)

    # -- faults and the log -------------------------------------------------------------

    def fail(
        self,
        pattern: str,
        fault: Fault,
        *,
        times: int | None = None,
        retry_after: int | str = 1,
        hang: float | None = None,
        location: str = "",
        after: int = 0,
    ) -> Rule:
        """Answer requests whose path matches `pattern` (fnmatch) with `fault`; only the first
        `times` of them if given, and only once `after` of them have been answered normally
        (a harvest that dies at page `after + 1`). Rules are tried in the order added. `hang`:
        seconds of a HANG, or between two bytes of a DRIP; `location`: where a REDIRECT
        points."""
        rule = Rule(pattern, Fault(fault), times, retry_after, hang or self.hang_seconds,
                    location=location, after=after)
        with self._lock:
            self.rules.append(rule)
        return rule

    def chaos(
        self,
        rate: float,
        *,
        seed: int = 0,
        faults: tuple[Fault, ...] | list[Fault] = (Fault.ERROR_500, Fault.ERROR_503, Fault.RESET),
        pattern: str = "*",
        retry_after: int | str = 1,
    ) -> None:
        """Inject a random fault from `faults` into a `rate` share of matching requests
        (reproducible for a given seed and request order)."""
        with self._lock:
            self._chaos = (rate, random.Random(seed), tuple(faults), pattern, retry_after)

    def challenge(self, *, search: bool = True, files: bool = True, page: bool = False,
                  times: int | None = None) -> None:
        """The library's firewall mood: challenge the search, the files (`/record/...`), or
        both; the ODS stays open, as reports say it does. `page=True`: a 200 challenge page
        with no WAF header instead of the 202."""
        fault = Fault.CHALLENGE_PAGE if page else Fault.CHALLENGE
        if search:
            self.fail("/search", fault, times=times)
        if files:
            self.fail("/record/*", fault, times=times)

    def hostile_search(self, mode: Paging, *, records: int = 300,
                       total: int | None = None) -> None:
        """Answer `/search` with invented records the `mode` way from now on (see `Paging`);
        `records` and `total` are the served and the claimed counts of LYING_TOTAL."""
        with self._lock:
            self._paging = (Paging(mode), records, total)
            self._paging_requests = 0

    def set_date(self, record_id: str, text: str) -> None:
        """Write `text` as the record's 269 $a (an impossible date); the server still finds
        the record by the date it had."""
        for e in self._entries:
            if e.record_id == record_id:
                for df in e.element.iter(f"{_M}datafield"):
                    if df.get("tag") == "269":
                        for sf in df.iter(f"{_M}subfield"):
                            if sf.get("code") == "a":
                                sf.text = text
                return
        raise KeyError(record_id)

    def set_clock(self, now: dt.datetime | None) -> None:
        """The library's "now": records catalogued after it are not visible yet."""
        with self._lock:
            self.clock = now

    def restamp(self, at: dt.datetime, ids: list[str] | None = None) -> int:
        """A bulk edit: the 005 of these records (all by default) becomes `at`; nothing else
        changes. Returns how many records were touched."""
        value = at.strftime("%Y%m%d%H%M%S") + ".0"
        touched = 0
        with self._lock:
            for e in self._entries:
                if ids is not None and e.record_id not in ids:
                    continue
                for c in e.element.iter(f"{_M}controlfield"):
                    if c.get("tag") == "005":
                        c.text = value
                e.stamp = at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at
                touched += 1
        return touched

    def delete(self, record_id: str, at: dt.datetime) -> None:
        """The record is withdrawn: OAI-PMH reports it deleted, the searches no longer find it."""
        with self._lock:
            for e in self._entries:
                if e.record_id == record_id:
                    e.deleted = True
                    e.stamp = at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at

    def _visible(self, *, deleted: bool = False) -> list[_Entry]:
        with self._lock:
            now = self.clock.date() if self.clock is not None else None
            return [e for e in self._entries
                    if (deleted or not e.deleted)
                    and (now is None or e.created is None or e.created <= now)]

    def set_robots(self, text: str | None) -> None:
        """Serve `text` as /robots.txt from now on (None: 404)."""
        with self._lock:
            self.robots_txt = text

    def clear_faults(self) -> None:
        with self._lock:
            self.rules.clear()
            self._chaos = None

    def hits(self, pattern: str = "*", *, status: int | None = None) -> list[Logged]:
        """Logged requests whose path matches `pattern`, optionally only those answered `status`."""
        with self._lock:
            return [
                e for e in self.log
                if fnmatch.fnmatchcase(e.path, pattern) and (status is None or e.status == status)
            ]

    def expire_oai_tokens(self) -> None:
        """Every resumption token issued so far is refused from now on (badResumptionToken)."""
        with self._lock:
            self._oai_epoch += 1

    def reset_log(self) -> None:
        with self._lock:
            self.log.clear()

    def _pick_fault(self, path: str) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if fnmatch.fnmatchcase(path, rule.pattern) and (
                    rule.times is None or rule.used < rule.times
                ):
                    if rule.passed < rule.after:
                        rule.passed += 1
                        continue
                    rule.used += 1
                    return rule
            # Random faults are for the documents and the search; robots.txt faults are tested
            # on their own (a `fail` rule on /robots.txt), as the answer changes every request.
            if self._chaos is not None and path != "/robots.txt":
                rate, rng, faults, pattern, retry_after = self._chaos
                if fnmatch.fnmatchcase(path, pattern) and rng.random() < rate:
                    return Rule(pattern, rng.choice(faults), retry_after=retry_after,
                                hang=self.hang_seconds)
        return None

    def _record(self, entry: Logged) -> None:
        with self._lock:
            self.log.append(entry)

    # -- content --------------------------------------------------------------------------

    def _load(self) -> list[_Entry]:
        entries: dict[str, _Entry] = {}
        for page in sorted((self.archive / "search").glob("*.xml")):
            root = SafeET.fromstring(page.read_bytes())
            records = [root] if root.tag == f"{_M}record" else root.iter(f"{_M}record")
            for el in records:
                entry = self._entry(el)
                if entry is not None:
                    entries[entry.record_id] = entry
        return sorted(entries.values(), key=lambda e: (e.date, e.record_id), reverse=True)

    def _entry(self, el: ET.Element) -> _Entry | None:
        record_id = next((c.text or "" for c in el.iter(f"{_M}controlfield")
                          if c.get("tag") == "001"), "").strip()
        if not record_id:
            return None
        date, symbols, files, catalogued = "", [], {}, []
        stamp = next((_stamp(c.text) for c in el.iter(f"{_M}controlfield")
                      if c.get("tag") == "005"), None)
        for df in el.iter(f"{_M}datafield"):
            tag = df.get("tag")
            for sf in df.iter(f"{_M}subfield"):
                code, text = sf.get("code"), (sf.text or "").strip()
                if tag == "269" and code == "a" and not date:
                    date = text
                elif tag == "999" and code == "b" and re.fullmatch(r"\d{8}", text):
                    catalogued.append(dt.datetime.strptime(text, "%Y%m%d").date())
                elif tag == "191" and code == "a":
                    symbols.append(text)
                elif tag == "856" and code == "u":
                    # Point the link at this server, as a mirror would.
                    path = urlsplit(text).path
                    sf.text = self.url + path
                    m = re.search(r"-([A-Za-z]{2})\.pdf$", path)
                    if m:
                        files.setdefault(m.group(1).lower(), path)
        created = min(catalogued) if catalogued else (stamp.date() if stamp else None)
        return _Entry(record_id, date, tuple(symbols), el, files, stamp, created)

    def _file(self, url_path: str) -> Path | None:
        path = (self.archive / unquote(url_path).lstrip("/")).resolve()
        return path if path.is_relative_to(self.archive) and path.is_file() else None

    def render(self, path: str, query: dict[str, str], headers: dict[str, str],
               raw_query: str = "") -> _Response:
        """The normal (well-behaved) answer to a GET."""
        if path == "/robots.txt":
            if self.robots_txt is None:
                return _Response(404, {"Content-Type": "text/plain"}, b"not found")
            return _Response(200, {"Content-Type": "text/plain; charset=utf-8"},
                             self.robots_txt.encode("utf-8"))
        if path == "/search":
            return self._search(query)
        if path == "/oai2d":
            return self._oai(query)
        if path == "/api/v1/search":
            return self._api(query, headers)
        if path.startswith("/record/") or path.startswith("/ods/"):
            return self._serve_file(path, headers)
        if path == "/api/symbol/access":
            return self._ods(query, raw_query)
        return _Response(404, {"Content-Type": "text/plain"}, b"not found")

    def _search(self, query: dict[str, str]) -> _Response:
        if query.get("of", "hb") != "xm":
            return _Response(200, {"Content-Type": "text/html"}, b"<html>search page</html>")
        if self._paging is not None:
            return self._hostile_page(query)
        results = self._matching(query.get("p", ""))
        rg = min(max(int(query.get("rg", "10") or 10), 1), self.max_page_size)
        jrec = max(int(query.get("jrec", "1") or 1), 1)
        page = results[jrec - 1 : jrec - 1 + rg]
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<!-- Search-Engine-Total-Number-Of-Results: {len(results)} -->\n"
            f'<collection xmlns="{MARC_NS}">\n'
            + "\n".join(_as_library_writes(e.element) for e in page)
            + "\n</collection>\n"
        ).encode("utf-8")
        return _Response(200, {"Content-Type": "application/xml; charset=utf-8"}, body)

    def _hostile_page(self, query: dict[str, str]) -> _Response:
        assert self._paging is not None
        mode, served, claimed = self._paging
        with self._lock:
            self._paging_requests += 1
            n = self._paging_requests
        rg = min(max(int(query.get("rg", "10") or 10), 1), self.max_page_size)
        jrec = max(int(query.get("jrec", "1") or 1), 1)
        total: int | None = None
        if mode is Paging.ALTERNATE:
            first = 0 if n % 2 else rg
        elif mode is Paging.GROWING_TOTAL:
            first, total = 0, rg + n
        elif mode is Paging.INVENTING:
            first = (n - 1) * rg
        else:
            first, total = jrec - 1, claimed
        ids = range(first, min(first + rg, served) if mode is Paging.LYING_TOTAL else first + rg)
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            + (f"<!-- Search-Engine-Total-Number-Of-Results: {total} -->\n"
               if total is not None else "")
            + f'<collection xmlns="{MARC_NS}">\n'
            + "\n".join(_invented(i) for i in ids)
            + "\n</collection>\n"
        ).encode("utf-8")
        return _Response(200, {"Content-Type": "application/xml; charset=utf-8"}, body)

    def _matching(self, p: str) -> list[_Entry]:
        """The visible records a search expression selects: its 269 window, its
        `creation_date` window, its symbols (subject clauses are ignored on purpose)."""
        results = self._visible()
        if m := _WINDOW.search(p):
            since, until = m.groups()
            results = [e for e in results if e.date and since <= e.date[:10] <= until]
        if m := _CREATED.search(p):
            since, until = (dt.date.fromisoformat(v) for v in m.groups())
            results = [e for e in results if e.created and since <= e.created <= until]
        if wanted := {(a or b).casefold() for a, b in _SYMBOL.findall(p)}:
            results = [e for e in results if any(s.casefold() in wanted for s in e.symbols)]
        return results

    # -- OAI-PMH ----------------------------------------------------------------------------

    def _oai(self, query: dict[str, str]) -> _Response:
        verb = query.get("verb", "")
        if verb == "Identify":
            return _oai_answer(query, "<Identify><repositoryName>UN Digital Library stand-in"
                               "</repositoryName><baseURL>" + self.url + "/oai2d</baseURL>"
                               "<protocolVersion>2.0</protocolVersion>"
                               "<earliestDatestamp>1945-01-01T00:00:00Z</earliestDatestamp>"
                               "<deletedRecord>persistent</deletedRecord>"
                               "<granularity>YYYY-MM-DDThh:mm:ssZ</granularity></Identify>")
        if verb != "ListRecords":
            return _oai_error(query, "badVerb", f"verb {verb!r} not supported here")
        if token := query.get("resumptionToken"):
            m = re.fullmatch(r"rt(\d+)\|([\d-]*)\|([\d-]*)\|e(\d+)", token)
            if m is None or int(m.group(4)) != self._oai_epoch:
                return _oai_error(query, "badResumptionToken", "unknown or expired token")
            offset, since, until = int(m.group(1)), m.group(2), m.group(3)
        else:
            if query.get("metadataPrefix") != "marcxml":
                return _oai_error(query, "cannotDisseminateFormat",
                                  f"{query.get('metadataPrefix')!r} is not offered")
            offset, since, until = 0, query.get("from", "")[:10], query.get("until", "")[:10]
        chosen = [
            e for e in self._visible(deleted=True)
            if e.stamp is not None
            and (not since or e.stamp.date().isoformat() >= since)
            and (not until or e.stamp.date().isoformat() <= until)
        ]
        chosen.sort(key=lambda e: (e.stamp, e.record_id))
        if not chosen:
            return _oai_error(query, "noRecordsMatch", "no records in this range")
        page = chosen[offset : offset + self.oai_page_size]
        parts = ["<ListRecords>"]
        for e in page:
            assert e.stamp is not None
            stamp = e.stamp.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            status = ' status="deleted"' if e.deleted else ""
            parts.append(f"<record><header{status}><identifier>oai:digitallibrary.un.org:"
                         f"{e.record_id}</identifier><datestamp>{stamp}</datestamp></header>")
            if not e.deleted:
                parts.append(f"<metadata>{_as_library_writes(e.element)}</metadata>")
            parts.append("</record>")
        nxt = offset + len(page)
        epoch = f"e{self._oai_epoch}"
        token = f"rt{nxt}|{since}|{until}|{epoch}" if nxt < len(chosen) else ""
        if self.oai_stuck_token:
            token = f"rt{offset}|{since}|{until}|{epoch}"
        parts.append(f'<resumptionToken completeListSize="{len(chosen)}" cursor="{offset}">'
                     f"{token}</resumptionToken></ListRecords>")
        return _oai_answer(query, "".join(parts))

    # -- the token API ----------------------------------------------------------------------

    def _api(self, query: dict[str, str], headers: dict[str, str]) -> _Response:
        if headers.get("authorization", "") != f"Token {self.api_token}":
            return _Response(401, {"Content-Type": "application/json"},
                             b'{"error": "Invalid or missing API token"}')
        search_id = query.get("search_id", "")
        with self._lock:
            known = self._searches.get(search_id) if search_id else None
        if search_id and known is None:
            return _Response(400, {"Content-Type": "application/json"},
                             b'{"error": "Unknown search_id"}')
        if known is None:
            ids = [e.record_id for e in self._matching(query.get("p", ""))]
            search_id = hashlib.sha256(f"{len(self._searches)}{ids}".encode()).hexdigest()[:16]
            known = (ids, 0)
        ids, offset = known
        page_ids = ids[offset : offset + self.api_page_size]
        with self._lock:
            self._searches[search_id] = (ids, offset + len(page_ids))
            by_id = {e.record_id: e for e in self._entries}
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<response>'
            f"<total>{len(ids)}</total><search_id>{search_id}</search_id>"
            f'<collection xmlns="{MARC_NS}">'
            + "".join(_as_library_writes(by_id[i].element) for i in page_ids)
            + "</collection></response>"
        ).encode("utf-8")
        return _Response(200, {"Content-Type": "application/xml; charset=utf-8"}, body)

    def _serve_file(self, path: str, headers: dict[str, str]) -> _Response:
        file = self._file(path)
        if file is None:
            return _Response(404, {"Content-Type": "text/html"}, b"<html>Not Found</html>")
        content = file.read_bytes()
        mtime = int(file.stat().st_mtime)
        etag = '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
        validators = {"ETag": etag, "Last-Modified": email.utils.formatdate(mtime, usegmt=True)}
        inm = headers.get("if-none-match")
        if inm is not None:
            tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
            if etag in tags or "*" in tags:
                return _Response(304, validators)
        elif (ims := headers.get("if-modified-since")) is not None:
            with contextlib.suppress(TypeError, ValueError):
                if email.utils.parsedate_to_datetime(ims).timestamp() >= mtime:
                    return _Response(304, validators)
        kind = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                if path.endswith(".docx") else "application/pdf")
        return _Response(200, {"Content-Type": kind, **validators}, content)

    def _ods(self, query: dict[str, str], raw_query: str = "") -> _Response:
        encoded = "%2f" in raw_query.lower()
        letter = query.get("l", "") in _ODS_LETTERS
        form_ok = {"plain": not encoded and not letter, "encoded": encoded and letter,
                   "both": True}[self.ods_style]
        if not form_ok:
            return _Response(404, {"Content-Type": "application/json"}, b'{"error":"not found"}')
        symbol = query.get("s", "").casefold()
        lang = _ODS_LETTERS.get(query.get("l", "en"), query.get("l", "en").lower())
        # t=doc asks for the Word version: the ODS's own .docx copy, if it has one.
        ext = "docx" if query.get("t") == "doc" else "pdf"
        name = f"{query.get('s', '').replace('/', '_')}-{lang.upper()}.{ext}"
        # The ODS's own copy first (the real ODS serves its files, not the library's); a record
        # with no such copy is served from its link, as a mirror pointing home would.
        if self._file(f"/ods/{name}") is not None:
            return _Response(302, {"Location": f"/ods/{name}"})
        if ext != "pdf":
            return _Response(404, {"Content-Type": "application/json"}, b'{"error":"not found"}')
        for e in self._entries:
            if symbol in (s.casefold() for s in e.symbols):
                link = e.files.get(lang)
                if link and self._file(link) is not None:
                    return _Response(302, {"Location": self.url + link})
        return _Response(404, {"Content-Type": "application/json"}, b'{"error":"not found"}')


_NS0 = re.compile(r"(</?)ns0:")
_OAI_NS = "http://www.openarchives.org/OAI/2.0/"


def _stamp(text: str | None) -> dt.datetime | None:
    try:
        return dt.datetime.strptime((text or "")[:14], "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def _oai_answer(query: dict[str, str], inner: str) -> _Response:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    attrs = "".join(f' {k}="{v}"' for k, v in query.items() if k.isalpha())
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<OAI-PMH xmlns="{_OAI_NS}"><responseDate>{now}</responseDate>'
        f"<request{attrs}>/oai2d</request>{inner}</OAI-PMH>"
    ).encode()
    return _Response(200, {"Content-Type": "text/xml; charset=utf-8"}, body)


def _oai_error(query: dict[str, str], code: str, text: str) -> _Response:
    return _oai_answer(query, f'<error code="{code}">{text}</error>')


def _invented(i: int) -> str:
    """A relevant record nobody catalogued: General Assembly, migration, dated 2024-01-15."""
    return (
        f'<record><controlfield tag="001">9{i:07d}</controlfield>'
        f'<datafield tag="191" ind1=" " ind2=" "><subfield code="a">A/99/{i}</subfield>'
        '</datafield><datafield tag="269" ind1=" " ind2=" "><subfield code="a">2024-01-15'
        '</subfield></datafield><datafield tag="650" ind1=" " ind2="7"><subfield code="a">'
        'INTERNATIONAL MIGRATION</subfield></datafield><datafield tag="981" ind1=" " ind2=" ">'
        '<subfield code="a">General Assembly</subfield></datafield></record>'
    )


def _as_library_writes(element: ET.Element) -> str:
    """A record with the MARC namespace as its default namespace, as the library writes it.
    ElementTree alone would invent "ns0:" prefixes (and refuses a default namespace next to
    unqualified attributes), so its prefix is taken off again."""
    text = ET.tostring(element, encoding="unicode")
    return _NS0.sub(r"\1", text).replace(f'xmlns:ns0="{MARC_NS}"', f'xmlns="{MARC_NS}"')


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client dropping a kept-alive connection (it closed a response it did not read, as
        # it does for a challenge) is normal; anything else is printed as usual.
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 5  # idle keep-alive connections end, so the server can stop
    replay: ReplayServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._arrived = time.monotonic()
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        rule = self.replay._pick_fault(parts.path)
        if rule is None:
            resp = self.replay.render(parts.path, query, headers, parts.query)
            # Logged before answering, so a test sees the entry once the client has its answer.
            self._log(parts.path, query, headers, resp.status, None,
                      0 if resp.status == 304 else len(resp.body))
            self._send(resp)
        else:
            self._misbehave(rule, parts.path, query, headers)

    def _log(self, path: str, query: dict[str, str], headers: dict[str, str],
             status: int | None, fault: str | None, body_bytes: int) -> None:
        self.replay._record(Logged("GET", path, query, headers, status, fault, body_bytes,
                                   self._arrived))

    def _send(self, resp: _Response, *, body: bytes | None = None, length: int | None = None,
              close: bool = False) -> None:
        data = resp.body if body is None else body
        self.send_response(resp.status)
        for k, v in resp.headers.items():
            self.send_header(k, v)
        if resp.status != 304:
            self.send_header("Content-Length", str(len(resp.body) if length is None else length))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if resp.status != 304 and data:
            self.wfile.write(data)

    def _misbehave(self, rule: Rule, path: str, query: dict[str, str],
                   headers: dict[str, str]) -> None:
        fault = rule.fault

        def log(status: int | None, body_bytes: int = 0) -> None:
            self._log(path, query, headers, status, fault.value, body_bytes)

        html = b"<!DOCTYPE html><html><body><h1>Service error</h1></body></html>"
        if fault is Fault.TOO_MANY:
            log(429, len(html))
            self._send(_Response(429, {"Retry-After": str(rule.retry_after),
                                       "Content-Type": "text/html"}, html))
        elif fault is Fault.BUSY:
            log(503, len(html))
            self._send(_Response(503, {"Retry-After": str(rule.retry_after),
                                       "Content-Type": "text/html"}, html))
        elif fault is Fault.API_LIMIT:
            body = b'{"error": "Max 100 requests per 5 minutes"}'
            log(429, len(body))
            self._send(_Response(429, {"Retry-After": str(rule.retry_after),
                                       "Content-Type": "application/json"}, body))
        elif fault in (Fault.ERROR_500, Fault.ERROR_503):
            code = int(fault.value)
            log(code, len(html))
            self._send(_Response(code, {"Content-Type": "text/html"}, html))
        elif fault is Fault.CHALLENGE:
            log(202, len(CHALLENGE_HTML))
            self._send(_Response(202, {"x-amzn-waf-action": "challenge",
                                       "Content-Type": "text/html; charset=UTF-8",
                                       "Cache-Control": "no-store, max-age=0"}, CHALLENGE_HTML))
        elif fault is Fault.CHALLENGE_PAGE:
            log(200, len(CHALLENGE_HTML))
            self._send(_Response(200, {"Content-Type": "text/html; charset=UTF-8"},
                                 CHALLENGE_HTML))
        elif fault is Fault.FORBIDDEN:
            log(403, len(html))
            self._send(_Response(403, {"Content-Type": "text/html"}, html))
        elif fault is Fault.HTML:
            log(200, len(html))
            self._send(_Response(200, {"Content-Type": "text/html"}, html))
        elif fault is Fault.FOREIGN_REDIRECT:
            log(302)
            self._send(_Response(302, {"Location": f"http://{FOREIGN_HOST}{self.path}"}))
        elif fault is Fault.REDIRECT:
            log(302)
            self._send(_Response(302, {"Location": rule.location}))
        elif fault is Fault.DRIP:
            normal = self.replay.render(path, query, headers)
            log(normal.status, len(normal.body))
            self._send(normal, body=b"", close=True)
            try:
                for i in range(len(normal.body)):
                    if self.replay._stop.wait(rule.hang):
                        break
                    self.wfile.write(normal.body[i : i + 1])
                    self.wfile.flush()
            except OSError:
                pass  # the client gave up: that is the point
        elif fault is Fault.DRIP_HEADERS:
            normal = self.replay.render(path, query, headers)
            log(normal.status, len(normal.body))
            head = "".join(f"{k}: {v}\r\n" for k, v in normal.headers.items())
            raw = (f"HTTP/1.1 {normal.status} OK\r\n{head}Content-Length: {len(normal.body)}"
                   "\r\nConnection: close\r\n\r\n").encode("latin-1") + normal.body
            self.close_connection = True
            try:
                for i in range(len(raw)):
                    if self.replay._stop.wait(rule.hang):
                        break
                    self.wfile.write(raw[i : i + 1])
                    self.wfile.flush()
            except OSError:
                pass
        elif fault is Fault.RESET:
            log(None)
            # SO_LINGER 0: closing sends a TCP RST instead of an orderly FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
        elif fault is Fault.HANG:
            log(None)
            self.replay._stop.wait(rule.hang)
            self.close_connection = True
        elif fault is Fault.TRUNCATE:
            normal = self.replay.render(path, query, headers)
            half = normal.body[: max(1, len(normal.body) // 2)]
            log(normal.status, len(half))
            self._send(normal, body=half, close=True)
        elif fault is Fault.HUGE_LENGTH:
            normal = self.replay.render(path, query, headers)
            log(200, min(1024, len(normal.body)))
            self._send(normal, body=normal.body[:1024], length=10**12, close=True)
        elif fault is Fault.ENDLESS:
            log(200, -1)  # -1: unbounded
            self._endless()
        else:
            raise AssertionError(f"unknown fault {fault}")

    def _endless(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        self.send_header("Connection", "close")  # the body ends only when the connection does
        self.end_headers()
        self.close_connection = True
        sent = 0
        chunk = b"%PDF-1.4\n" + b"0" * (64 * 1024 - 9)
        limit = 1 << 30  # a safety stop, far past any cap a test sets
        try:
            while sent < limit and not self.replay._stop.is_set():
                self.wfile.write(chunk)
                sent += len(chunk)
                chunk = b"0" * len(chunk)
        except OSError:
            pass  # the client hung up: that is the point
