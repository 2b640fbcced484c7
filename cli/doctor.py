"""`unmig doctor`: from this machine, knock once on each door of the UN servers, politely, and
say which are open, what answered and what to set. Operators run it on the first day.

One line per check: robots.txt, the search page, OAI-PMH, the API (without a token, and with
one when UNMIG_UNDL_API_TOKEN is set), the ODS, the database; then the verdict: which door
`UNMIG_DISCOVERY` would use. Every request goes through the pipeline's own transport
(robots.txt, Crawl-delay, the rate limit, the allowed hosts), so the doctor sees the library
as a run would.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import typer
from protego import Protego

from cli.app import app, fail
from config import ConfigError, Settings, load_settings
from sources.api import API_PATH
from sources.content import ods_access_url
from sources.errors import BlockedError, Door, FetchError, HttpError, RobotsDisallowed
from sources.oai import OAI_PATH
from sources.query import build_lookup_params
from sources.undl import DigitalLibrary
from storage.db import current_revision, head_revision, make_engine, safe_url

OPEN, SHUT, TROUBLE, INFO = "open", "SHUT", "TROUBLE", "info"
# A symbol the library and the ODS both hold: the Global Compact for Safe, Orderly and Regular
# Migration (A/RES/73/195).
PROBE_SYMBOL = "A/RES/73/195"


@dataclass(frozen=True)
class Check:
    name: str
    verdict: str  # open, SHUT, TROUBLE, info
    detail: str

    def line(self) -> str:
        return f"{self.name:<12} {self.verdict:<8} {self.detail}"


def _why(exc: FetchError) -> str:
    return exc.why if isinstance(exc, BlockedError) else exc.reason


def check_robots(lib: DigitalLibrary) -> Check:
    url = f"{lib.base}/robots.txt"
    if lib.settings.ignore_robots:
        return Check("robots.txt", INFO, "not read (UNMIG_IGNORE_ROBOTS=true)")
    try:
        resp = lib.session.get(url, timeout=lib.timeout, allow_redirects=False)
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        return Check("robots.txt", TROUBLE, f"{url}: {type(exc).__name__}: {exc}")
    with resp:
        if resp.status_code >= 400:
            return Check("robots.txt", INFO, f"none (HTTP {resp.status_code}): no rules")
        rules = Protego.parse(resp.text)
    paths = {"search": "/search", "oai": OAI_PATH, "api": API_PATH, "files": "/record/1/files/x"}
    refused = [p for p in paths.values() if not rules.can_fetch(f"{lib.base}{p}", "unmig")]
    delay = rules.crawl_delay("unmig")
    detail = (f"disallows {', '.join(refused)}" if refused else "allows every door") + (
        f"; Crawl-delay {delay:g} s (every request to the library waits that long)"
        if delay else "")
    if lib.settings.crawl_delay is not None:
        detail += f"; overridden: UNMIG_CRAWL_DELAY={lib.settings.crawl_delay:g}"
    return Check("robots.txt", INFO, detail)


def check_search(lib: DigitalLibrary) -> Check:
    try:
        page = lib.search_page(build_lookup_params([PROBE_SYMBOL], page_size=1, jrec=1))
    except RobotsDisallowed as exc:
        return Check("search", SHUT, f"{_why(exc)} (UNMIG_IGNORE_ROBOTS=true only with the "
                                     "library's permission)")
    except BlockedError as exc:
        return Check("search", SHUT, _why(exc))
    except FetchError as exc:
        return Check("search", TROUBLE, str(exc))
    return Check("search", OPEN, f"MARCXML answered ({page.total} hits for {PROBE_SYMBOL})")


def check_oai(lib: DigitalLibrary) -> Check:
    try:
        _, body = lib.fetch_xml(f"{lib.base}{OAI_PATH}", params={"verb": "Identify"},
                                door=Door.OAI)
    except BlockedError as exc:
        return Check("oai", SHUT, _why(exc))
    except FetchError as exc:
        return Check("oai", TROUBLE, str(exc))
    if b"Identify" not in body:
        return Check("oai", TROUBLE, "answered, but not with an OAI-PMH Identify")
    return Check("oai", OPEN, "OAI-PMH Identify answered")


def check_api(lib: DigitalLibrary, token: str | None) -> list[Check]:
    params = {"p": f"191__a:[{PROBE_SYMBOL}]", "format": "xml", "search_id": ""}
    url = f"{lib.base}{API_PATH}"
    checks = []
    try:
        lib.fetch_xml(url, params=params, door=Door.API)
        checks.append(Check("api", OPEN, "answers without a token"))
    except HttpError as exc:
        if exc.status in (401, 403):
            checks.append(Check("api", INFO, f"HTTP {exc.status} without a token: it is there"
                                             + ("" if token else "; set UNMIG_UNDL_API_TOKEN "
                                                "(a token from the library) to use it")))
        else:
            checks.append(Check("api", TROUBLE, str(exc)))
    except BlockedError as exc:
        checks.append(Check("api", SHUT, _why(exc)))
    except FetchError as exc:
        checks.append(Check("api", TROUBLE, str(exc)))
    if token:
        try:
            lib.fetch_xml(url, params=params, headers={"Authorization": f"Token {token}"},
                          door=Door.API)
            checks.append(Check("api+token", OPEN, "answers with UNMIG_UNDL_API_TOKEN"))
        except HttpError as exc:
            verdict = SHUT if exc.status in (401, 403) else TROUBLE
            checks.append(Check("api+token", verdict, f"HTTP {exc.status}: the token is "
                                "refused" if verdict == SHUT else str(exc)))
        except BlockedError as exc:
            checks.append(Check("api+token", SHUT, _why(exc)))
        except FetchError as exc:
            checks.append(Check("api+token", TROUBLE, str(exc)))
    return checks


def check_ods(lib: DigitalLibrary) -> Check:
    url = ods_access_url(lib.ods, PROBE_SYMBOL, "en")
    try:
        got = lib.download(url, door=Door.ODS)
    except BlockedError as exc:
        return Check("ods", SHUT, _why(exc))
    except HttpError as exc:
        if exc.status in (404, 410):
            return Check("ods", OPEN, f"answers (no file for {PROBE_SYMBOL}: HTTP {exc.status})")
        return Check("ods", TROUBLE, str(exc))
    except FetchError as exc:
        return Check("ods", TROUBLE, str(exc))
    return Check("ods", OPEN, f"{PROBE_SYMBOL} in English: a PDF of {len(got.content)} bytes")


def check_database(settings: Settings) -> Check:
    where = safe_url(settings.database_url)
    try:
        engine = make_engine(settings.database_url)
    except (ValueError, sa.exc.ArgumentError) as exc:
        return Check("database", TROUBLE, f"bad URL {where}: {exc}")
    try:
        revision, head = current_revision(engine), head_revision()
    except sa.exc.DBAPIError as exc:
        return Check("database", TROUBLE, f"cannot open {where}: {exc.orig}")
    finally:
        engine.dispose()
    if revision != head:
        return Check("database", TROUBLE, f"{where} at revision {revision or 'none'}, the code "
                                          f"needs {head}: run `unmig db upgrade`")
    return Check("database", OPEN, f"{where} at revision {revision} (the code's)")


def verdict(settings: Settings, checks: list[Check]) -> Check:
    """Which door discovery would take, as `sources.discovery` orders them."""
    state = {c.name: c.verdict for c in checks}
    token = settings.undl_api_token is not None
    usable = {
        "oai": state.get("oai") == OPEN,
        "api": token and state.get("api+token") == OPEN,
        "search": state.get("search") == OPEN,
    }
    mode = settings.discovery
    order = ["oai", "api", "search"] if mode == "auto" else [mode]
    door = next((d for d in order if usable[d]), None)
    if door is None:
        hint = ("no door open: ask the library for an API token (UNMIG_UNDL_API_TOKEN), or run "
                "from another network" if mode == "auto" else
                f"the {mode} door is not open: try UNMIG_DISCOVERY=auto")
        return Check("verdict", SHUT, f"UNMIG_DISCOVERY={mode}: {hint}")
    files = ("files through the ODS" if state.get("ods") == OPEN
             else "no file source answered (ODS)")
    return Check("verdict", OPEN, f"UNMIG_DISCOVERY={mode} finds records through the {door} "
                                  f"door; {files}")


def run_checks(settings: Settings) -> list[Check]:
    token = settings.undl_api_token.get_secret_value() if settings.undl_api_token else None
    if not settings.source_is_remote:
        checks = [Check("source", INFO, f"a local archive ({settings.source}): no doors")]
    else:
        with DigitalLibrary(settings) as lib:
            checks = [check_robots(lib), check_search(lib), check_oai(lib),
                      *check_api(lib, token), check_ods(lib)]
    checks.append(check_database(settings))
    if settings.source_is_remote:
        checks.append(verdict(settings, checks))
    return checks


@app.command()
def doctor() -> None:
    """Try each door of the UN servers once, politely, and the database; say what to set."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        raise fail(str(exc), code=2) from None
    checks = run_checks(settings)
    for check in checks:
        typer.echo(check.line())
    if any(c.verdict in (SHUT, TROUBLE) for c in checks if c.name in ("verdict", "database")):
        raise typer.Exit(1)
