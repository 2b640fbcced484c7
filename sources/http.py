"""A polite, resilient HTTP session for the UN servers.

- every request names the project and a contact in its User-Agent (UNMIG_CONTACT);
- each host's robots.txt is read once (`RobotsPolicy`, with protego): a disallowed path is
  refused before any request (`RobotsDisallowed`), and its Crawl-delay (or Request-rate) spaces
  the requests to that host; UNMIG_IGNORE_ROBOTS and UNMIG_CRAWL_DELAY override it;
- requests to one host are spaced by UNMIG_RATE_LIMIT (per second), or the crawl delay if
  longer, across threads, retries included;
- connection errors, read timeouts, 429 and 5xx are retried by urllib3's `Retry`, UNMIG_RETRIES
  times, with exponential backoff (UNMIG_HTTP_BACKOFF) and jitter, honouring `Retry-After`;
- `response_deadline(seconds)` cuts every response awaited inside it once it has taken
  `seconds` (UNMIG_RESPONSE_SECONDS), however slowly and steadily the server sends it;
- redirects are *not* followed here: the clients follow them by hand and check every hop against
  the allowed hosts (`HostPolicy`).
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from protego import Protego
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.retry import Retry

from config import Settings
from sources.errors import ForbiddenHost, ForbiddenRedirect, RobotsDisallowed

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
DEFAULT_RETRY_AFTER_MAX = 300.0  # seconds; a longer Retry-After is waited this long at most
_RETRY_HAS_AFTER_MAX = "retry_after_max" in inspect.signature(Retry.__init__).parameters


class RateLimiter:
    """At most `rate` requests per second to each host, shared by all threads.

    Each caller reserves the next free slot for its host under a lock, then sleeps outside the
    lock until that slot; concurrent callers therefore queue up one interval apart. A caller may
    ask for a longer interval (a host's Crawl-delay); it is measured from the previous slot, so
    it holds even when the delay became known after that request (the robots.txt request).

    `answered(host)` moves the mark to the moment an answer arrived: the next request then
    leaves at least one interval after it, so the host sees the spacing whatever the network
    time of each request (the slot alone is taken before the request travels).
    """

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.interval = 1.0 / rate
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str, min_interval: float = 0.0) -> float:
        """Block until a request to `host` may go; return the seconds waited."""
        interval = max(self.interval, min_interval)
        with self._lock:
            now = time.monotonic()
            last = self._last.get(host)
            slot = now if last is None else max(now, last + interval)
            self._last[host] = slot
        delay = slot - now
        if delay > 0:
            time.sleep(delay)
        return delay

    def answered(self, host: str) -> None:
        """An answer from `host` has just arrived (or the request failed)."""
        with self._lock:
            now = time.monotonic()
            self._last[host] = max(now, self._last.get(host, now))


# Waits for a host's slot shared by every process of a cluster, (host, min_interval) -> None;
# installed by flows.politeness on a Prefect worker. The in-process limiter applies as well.
ClusterPacer = Callable[[str, float], None]
_cluster_pacer: ClusterPacer | None = None


def set_cluster_pacer(pacer: ClusterPacer | None) -> None:
    """Make every PoliteAdapter of this process also wait for `pacer` before each request."""
    global _cluster_pacer
    _cluster_pacer = pacer


ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309 §2.5: parse at least the first 500 KiB
ROBOTS_TTL = 24 * 3600.0  # RFC 9309 §2.4: a cached robots.txt is not used past 24 hours
ROBOTS_ERROR_TTL = 300.0  # an unreachable robots.txt is asked again after this long
ROBOTS_MAX_REDIRECTS = 5  # RFC 9309 §2.3.1.2


@dataclass(frozen=True)
class HostRules:
    """What one origin's robots.txt allows us, and how it was learnt."""

    origin: str  # "https://digitallibrary.un.org"
    parser: Protego | None  # None: no rules to apply (see `disallow_all`)
    disallow_all: bool  # robots.txt unreachable: RFC 9309 §2.3.1.4 says assume complete disallow
    source: str  # "robots.txt", "no robots.txt (HTTP 404)", "robots.txt unreachable (...)"
    fetched_at: float  # time.monotonic()

    def allows(self, url: str, agent: str) -> bool:
        if self.disallow_all:
            return False
        return self.parser is None or self.parser.can_fetch(url, agent)

    def delay(self, agent: str) -> float | None:
        """Seconds between requests the rules ask: Crawl-delay, or Request-rate as an interval
        (the longer when both are given); None when they ask nothing."""
        if self.parser is None:
            return None
        asked = []
        if (crawl := self.parser.crawl_delay(agent)) is not None:
            asked.append(float(crawl))
        rate = self.parser.request_rate(agent)
        if rate is not None and rate.requests:
            asked.append(float(rate.seconds) / rate.requests)
        return max(asked) if asked else None


# Fetches a robots.txt URL: (status or None when unreachable, body text, reason when unreachable).
RobotsFetcher = Callable[[str], tuple[int | None, str, str]]


class RobotsPolicy:
    """Each origin's robots.txt, read once (again after a day) and applied to every request.

    - 2xx: the rules, parsed by protego, for the agent token `agent` ("unmig");
    - 4xx: no rules (RFC 9309 §2.3.1.3: "unavailable" means everything is allowed);
    - 5xx or unreachable (after the session's retries): everything disallowed (§2.3.1.4), asked
      again after ROBOTS_ERROR_TTL, so a robots.txt outage does not shut a host for a whole run;
    - redirects within the same origin are followed (up to 5); elsewhere: no rules.

    `ignore=True` (UNMIG_IGNORE_ROBOTS) reads nothing and allows everything; `crawl_delay`
    (UNMIG_CRAWL_DELAY) replaces whatever delay robots.txt asks.
    """

    def __init__(self, agent: str, *, ignore: bool = False,
                 crawl_delay: float | None = None) -> None:
        self.agent = agent
        self.ignore = ignore
        self.crawl_delay_override = crawl_delay
        self._rules: dict[str, HostRules] = {}
        self._fetching: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> RobotsPolicy:
        policy = cls("unmig", ignore=settings.ignore_robots, crawl_delay=settings.crawl_delay)
        if settings.ignore_robots:
            log.warning("UNMIG_IGNORE_ROBOTS is set: robots.txt is not read; run only with the "
                        "site's permission")
        if settings.crawl_delay is not None:
            log.warning("UNMIG_CRAWL_DELAY=%s replaces the Crawl-delay of robots.txt",
                        settings.crawl_delay)
        return policy

    def overrides(self) -> list[str]:
        """The operator's overrides in force, in words (for a run's summary)."""
        out = []
        if self.ignore:
            out.append("robots.txt ignored (UNMIG_IGNORE_ROBOTS)")
        if self.crawl_delay_override is not None:
            out.append(f"crawl delay set to {self.crawl_delay_override:g} s (UNMIG_CRAWL_DELAY)")
        return out

    def known(self) -> dict[str, HostRules]:
        """The rules learnt so far, by origin."""
        with self._lock:
            return dict(self._rules)

    def rules_for(self, url: str, fetch: RobotsFetcher) -> HostRules | None:
        """The rules of `url`'s origin, fetching its robots.txt first if needed (one thread per
        origin fetches; the others wait for it). None when robots.txt is ignored."""
        if self.ignore:
            return None
        origin = origin_of(url)
        with self._lock:
            rules = self._rules.get(origin)
            if rules is not None and not self._stale(rules):
                return rules
            gate = self._fetching.setdefault(origin, threading.Lock())
        with gate:
            with self._lock:
                rules = self._rules.get(origin)
            if rules is None or self._stale(rules):
                rules = self._learn(origin, fetch)
                with self._lock:
                    self._rules[origin] = rules
            return rules

    def cached(self, url: str) -> HostRules | None:
        with self._lock:
            return self._rules.get(origin_of(url))

    def delay_for(self, url: str) -> float:
        """Seconds to keep between requests to `url`'s host: the operator's UNMIG_CRAWL_DELAY,
        else what the origin's robots.txt asks (0 while it is not known yet)."""
        if self.crawl_delay_override is not None:
            return self.crawl_delay_override
        if self.ignore:
            return 0.0
        rules = self.cached(url)
        return (rules.delay(self.agent) or 0.0) if rules is not None else 0.0

    def check(self, url: str, fetch: RobotsFetcher) -> None:
        """Raise RobotsDisallowed (with no door: the caller knows it) if `url` is refused."""
        rules = self.rules_for(url, fetch)
        if rules is not None and not rules.allows(url, self.agent):
            why = (f"{rules.source}: assuming everything is disallowed" if rules.disallow_all
                   else f"disallowed by {rules.origin}/robots.txt")
            raise RobotsDisallowed(url, why, door="")

    @staticmethod
    def _stale(rules: HostRules) -> bool:
        ttl = ROBOTS_ERROR_TTL if rules.disallow_all else ROBOTS_TTL
        return time.monotonic() - rules.fetched_at > ttl

    def _learn(self, origin: str, fetch: RobotsFetcher) -> HostRules:
        url = f"{origin}/robots.txt"
        for _ in range(ROBOTS_MAX_REDIRECTS + 1):
            status, text, reason = fetch(url)
            if status is not None and 300 <= status < 400 and text:
                target = urljoin(url, text)  # for a redirect, `text` is the Location
                if origin_of(target) != origin:
                    return self._rules_of(origin, None, f"robots.txt redirected off {origin}")
                url = target
                continue
            break
        else:
            return self._rules_of(origin, None, "robots.txt redirected too often")
        if status is None or status >= 500:
            why = reason or f"HTTP {status}"
            log.warning("%s/robots.txt unreachable (%s): nothing there is fetched for now",
                        origin, why)
            return HostRules(origin, None, True, f"robots.txt unreachable ({why})",
                             time.monotonic())
        if 200 <= status < 300:
            rules = self._rules_of(origin, Protego.parse(text), "robots.txt")
            log.info("%s/robots.txt read: crawl delay %s", origin, rules.delay(self.agent))
            return rules
        return self._rules_of(origin, None, f"no robots.txt (HTTP {status})")

    @staticmethod
    def _rules_of(origin: str, parser: Protego | None, source: str) -> HostRules:
        return HostRules(origin, parser, False, source, time.monotonic())


def origin_of(url: str) -> str:
    """`scheme://host[:port]`, lower case, the default port left out: the scope of a robots.txt."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    port = parts.port
    if port is None or (scheme, port) in (("http", 80), ("https", 443)):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


class PoliteRetry(Retry):
    """urllib3's Retry, never sleeping less than the rate-limit interval between attempts.

    urllib3 retries inside one `session.get`, beneath the rate limiter, and its first retry has
    no backoff at all; the floor keeps retries inside the per-host rate as well.
    """

    def __init__(self, *args: Any, min_backoff: float = 0.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.min_backoff = min_backoff
        # Set by PoliteAdapter: waits for the host's slot (rate limit, crawl delay). urllib3
        # retries beneath the adapter, so without it a retry would skip the host's spacing.
        self.pacer: Callable[..., float] | None = None
        self.origin: str | None = None  # of the request being retried, from urllib3's pool

    def new(self, **kw: Any) -> PoliteRetry:
        retry = super().new(**kw)
        retry.min_backoff = self.min_backoff
        retry.pacer = self.pacer
        retry.origin = self.origin
        return retry

    def increment(self, *args: Any, **kwargs: Any) -> PoliteRetry:
        retry = super().increment(*args, **kwargs)
        pool = kwargs.get("_pool")
        if pool is not None and isinstance(retry, PoliteRetry):
            retry.origin = origin_of(f"{pool.scheme}://{pool.host}:{pool.port}")
        return retry  # type: ignore[return-value]

    def get_backoff_time(self) -> float:
        return max(self.min_backoff, super().get_backoff_time())

    def sleep(self, response: Any = None) -> None:
        if self.pacer is not None and self.origin is not None:
            self.pacer(self.origin, answered=True)
        super().sleep(response)
        if self.pacer is not None and self.origin is not None:
            self.pacer(self.origin)


class ResponseWatch:
    """A deadline on every whole response asked for while it is active in a thread: each
    request, from the moment its answer is awaited (`getresponse`), has `seconds` until its
    connection is shut down, status line, headers and body alike. `UNMIG_TIMEOUT` bounds one
    read only, so without it a server sending a byte a second holds a request for as long as
    it likes. urllib3's retries each get a fresh deadline. `fired` says whether one was cut."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.fired = False
        self._timers: list[threading.Timer] = []
        self._lock = threading.Lock()

    def arm(self, sock: socket.socket) -> None:
        timer = threading.Timer(self.seconds, self._cut, (sock,))
        timer.daemon = True
        with self._lock:
            self._timers.append(timer)
        timer.start()

    def disarm(self) -> None:
        with self._lock:
            timers, self._timers = self._timers, []
        for timer in timers:
            timer.cancel()

    def _cut(self, sock: socket.socket) -> None:
        self.fired = True
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)  # the blocked read returns at once


_watch = threading.local()


@contextlib.contextmanager
def response_deadline(seconds: float) -> Iterator[ResponseWatch]:
    """Every response this thread awaits inside the block is cut after `seconds`
    (`ResponseWatch`); the deadlines end with the block."""
    watch = ResponseWatch(seconds)
    previous = getattr(_watch, "current", None)
    _watch.current = watch
    try:
        yield watch
    finally:
        _watch.current = previous
        watch.disarm()


class _Watched:
    """Arms the thread's `ResponseWatch`, if any, when a response is awaited."""

    def getresponse(self) -> Any:
        watch: ResponseWatch | None = getattr(_watch, "current", None)
        sock = getattr(self, "sock", None)
        if watch is not None and sock is not None:
            watch.arm(sock)
        return super().getresponse()  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class PoliteAdapter(HTTPAdapter):
    """An HTTPAdapter that checks the host's robots.txt and waits for the host's slot (rate
    limit, or the crawl delay if longer) before each request it sends, retries included."""

    def __init__(
        self,
        limiter: RateLimiter,
        *,
        robots: RobotsPolicy | None = None,
        robots_headers: dict[str, str] | None = None,
        timeout: float = 30.0,
        **kwargs: Any,
    ) -> None:
        self.limiter = limiter
        self.robots = robots
        self.robots_headers = dict(robots_headers or {})
        self.timeout = timeout
        super().__init__(**kwargs)
        if isinstance(self.max_retries, PoliteRetry):
            self.max_retries.pacer = self.pace

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        # Connections that answer to `response_deadline`.
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool, "https": _WatchedHTTPSPool,
        }

    def pace(self, url: str, *, answered: bool = False) -> float:
        """Wait for `url`'s host's next slot and return the seconds waited; with
        `answered=True` only note that an answer from the host has just arrived."""
        host = (urlsplit(url).hostname or "").lower()
        if answered:
            self.limiter.answered(host)
            return 0.0
        delay = self.robots.delay_for(url) if self.robots is not None else 0.0
        waited = self.limiter.wait(host, delay)
        if _cluster_pacer is not None:
            started = time.monotonic()
            _cluster_pacer(host, delay)
            waited += time.monotonic() - started
        return waited

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        url = request.url or ""
        if self.robots is not None and urlsplit(url).path != "/robots.txt":
            self.robots.check(url, self._fetch_robots)
        self.pace(url)
        try:
            return super().send(request, **kwargs)
        finally:
            self.pace(url, answered=True)

    def _fetch_robots(self, url: str) -> tuple[int | None, str, str]:
        """GET a robots.txt through this adapter (paced, retried): (status, text, reason).
        For a redirect the text is the Location; None as status means unreachable."""
        prepared = requests.Request(
            "GET", url, headers={**self.robots_headers, "Accept": "text/plain"}
        ).prepare()
        try:
            resp = self.send(prepared, timeout=self.timeout, stream=True)
        except requests.RequestException as exc:
            return None, "", f"{type(exc).__name__}: {exc}"
        try:
            if resp.is_redirect:
                return resp.status_code, resp.headers.get("Location", ""), ""
            if not 200 <= resp.status_code < 300:
                return resp.status_code, "", ""
            body = b""
            for chunk in resp.iter_content(64 * 1024):
                body += chunk
                if len(body) >= ROBOTS_MAX_BYTES:
                    break
            return resp.status_code, body[:ROBOTS_MAX_BYTES].decode("utf-8", "replace"), ""
        except requests.RequestException as exc:
            return None, "", f"{type(exc).__name__}: {exc}"
        finally:
            resp.close()


def make_retry(
    settings: Settings,
    *,
    backoff_factor: float | None = None,
    backoff_jitter: float | None = None,
    backoff_max: float = 60.0,
    retry_after_max: float = DEFAULT_RETRY_AFTER_MAX,
) -> PoliteRetry:
    """The retry policy: UNMIG_RETRIES attempts on connection errors, read timeouts, 429, 5xx."""
    factor = settings.http_backoff if backoff_factor is None else backoff_factor
    extra: dict[str, Any] = {}
    if _RETRY_HAS_AFTER_MAX:  # urllib3 >= 2.6; older versions wait whatever the server says
        extra["retry_after_max"] = retry_after_max
    return PoliteRetry(
        total=settings.retries,
        connect=settings.retries,
        read=settings.retries,
        status=settings.retries,
        redirect=False,  # redirects are followed by hand, hop by hop (HostPolicy)
        allowed_methods=frozenset({"GET", "HEAD"}),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=factor,
        # Jitter up to one backoff unit, so tests with a tiny factor stay fast.
        backoff_jitter=factor if backoff_jitter is None else backoff_jitter,
        backoff_max=backoff_max,
        respect_retry_after_header=True,
        # After the last retry hand back the 429/5xx itself, so the caller can name the status.
        raise_on_status=False,
        min_backoff=1.0 / settings.rate_limit,
        **extra,
    )


def make_session(
    settings: Settings,
    *,
    limiter: RateLimiter | None = None,
    robots: RobotsPolicy | None = None,
    backoff_factor: float | None = None,
    backoff_jitter: float | None = None,
    backoff_max: float = 60.0,
    retry_after_max: float = DEFAULT_RETRY_AFTER_MAX,
) -> requests.Session:
    """A `requests.Session` with the project's User-Agent, robots.txt, retries and per-host
    rate limit.

    Pass the same `limiter` (and `robots`) to several sessions to share one rate (and one
    reading of each robots.txt) across them. The backoff arguments override UNMIG_HTTP_BACKOFF
    (tests use tiny values).
    """
    session = requests.Session()
    session.headers["User-Agent"] = settings.user_agent
    session.headers["From"] = settings.contact  # RFC 9110 §10.1.2: a contact for the operator
    retry = make_retry(
        settings,
        backoff_factor=backoff_factor,
        backoff_jitter=backoff_jitter,
        backoff_max=backoff_max,
        retry_after_max=retry_after_max,
    )
    adapter = PoliteAdapter(
        limiter or RateLimiter(settings.rate_limit),
        robots=robots if robots is not None else RobotsPolicy.from_settings(settings),
        robots_headers={"User-Agent": settings.user_agent, "From": settings.contact},
        timeout=settings.timeout,
        max_retries=retry,
        pool_connections=4,
        pool_maxsize=max(10, settings.concurrency * 2),
    )
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class _Allowed:
    scheme: str
    host: str  # lower case; starting with "." for a domain's subdomains
    port: int

    def admits(self, scheme: str, host: str, port: int) -> bool:
        if (scheme, port) != (self.scheme, self.port):
            return False
        return host.endswith(self.host) if self.host.startswith(".") else host == self.host


class HostPolicy:
    """Which URLs may be fetched: by scheme, host and port, on every hop.

    An allow-list entry is a host name (case-insensitive), a ".domain" allowing its subdomains
    (".un.org"), optionally with a port ("host:8443") or a scheme ("http://host:8080"). A bare
    entry means https on port 443; plain http passes only where an entry or the configured
    source and ODS URLs (always allowed, as written) say so. Every other URL, another scheme
    (`file:`, `ftp:`) included, is refused with `ForbiddenHost` before any request.
    """

    def __init__(self, allowed: Iterable[str], *, always: Iterable[str] = ()) -> None:
        self.entries = tuple(
            entry for text in (*allowed, *always) if (entry := _entry(text)) is not None
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> HostPolicy:
        always = [
            u for u in (settings.source, settings.ods_url)
            if urlsplit(u).scheme in ("http", "https")
        ]
        return cls(settings.allowed_hosts, always=always)

    def refusal(self, url: str) -> str | None:
        """Why `url` may not be fetched, or None if it may."""
        try:
            parts = urlsplit(url)
            scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
            port = parts.port if parts.port is not None else _DEFAULT_PORTS.get(scheme)
        except ValueError as exc:  # a port out of range or not a number
            return f"not a usable URL ({exc})"
        if scheme not in _DEFAULT_PORTS:
            return f"scheme {scheme or '(none)'!r} is not allowed"
        if not host or port is None:
            return "no host"
        if any(e.admits(scheme, host, port) for e in self.entries):
            return None
        if any(e.admits(e.scheme, host, e.port) for e in self.entries):
            return f"{scheme} on port {port} of host {host!r} is not allowed"
        return f"host {host!r} is not allowed"

    def allows(self, url: str) -> bool:
        return self.refusal(url) is None

    def check(self, url: str, *, redirected_from: str | None = None) -> None:
        """Raise ForbiddenRedirect (or ForbiddenHost for a first URL) if `url` is not allowed."""
        why = self.refusal(url)
        if why is None:
            return
        if redirected_from is not None:
            raise ForbiddenRedirect(redirected_from, f"redirect to {url} refused: {why}")
        raise ForbiddenHost(url, why)


def _entry(text: str) -> _Allowed | None:
    text = text.strip().lower()
    if not text:
        return None
    parts = urlsplit(text if "://" in text else f"https://{text}")
    scheme = parts.scheme
    host = (parts.netloc.rsplit("@", 1)[-1].rsplit(":", 1)[0] if parts.netloc.startswith(".")
            else parts.hostname or "")
    try:
        port = parts.port
    except ValueError:
        return None
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return _Allowed(scheme, host, port if port is not None else _DEFAULT_PORTS[scheme])
