"""A polite, resilient HTTP session for the UN servers.

- every request names the project and a contact in its User-Agent (UNMIG_CONTACT);
- requests to one host are spaced by UNMIG_RATE_LIMIT (per second), across threads;
- connection errors, read timeouts, 429 and 5xx are retried by urllib3's `Retry`, UNMIG_RETRIES
  times, with exponential backoff (UNMIG_HTTP_BACKOFF) and jitter, honouring `Retry-After`;
- redirects are *not* followed here: the clients follow them by hand and check every hop against
  the allowed hosts (`HostPolicy`).
"""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from config import Settings
from sources.errors import ForbiddenHost, ForbiddenRedirect

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
DEFAULT_RETRY_AFTER_MAX = 300.0  # seconds; a longer Retry-After is waited this long at most
_RETRY_HAS_AFTER_MAX = "retry_after_max" in inspect.signature(Retry.__init__).parameters


class RateLimiter:
    """At most `rate` requests per second to each host, shared by all threads.

    Each caller reserves the next free slot for its host under a lock, then sleeps outside the
    lock until that slot; concurrent callers therefore queue up one interval apart.
    """

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.interval = 1.0 / rate
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str) -> float:
        """Block until a request to `host` may go; return the seconds waited."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next.get(host, now))
            self._next[host] = slot + self.interval
        delay = slot - now
        if delay > 0:
            time.sleep(delay)
        return delay


class PoliteRetry(Retry):
    """urllib3's Retry, never sleeping less than the rate-limit interval between attempts.

    urllib3 retries inside one `session.get`, beneath the rate limiter, and its first retry has
    no backoff at all; the floor keeps retries inside the per-host rate as well.
    """

    def __init__(self, *args: Any, min_backoff: float = 0.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.min_backoff = min_backoff

    def new(self, **kw: Any) -> PoliteRetry:
        retry = super().new(**kw)
        retry.min_backoff = self.min_backoff
        return retry

    def get_backoff_time(self) -> float:
        return max(self.min_backoff, super().get_backoff_time())


class PoliteAdapter(HTTPAdapter):
    """An HTTPAdapter that waits for the host's rate-limit slot before each request it sends."""

    def __init__(self, limiter: RateLimiter, **kwargs: Any) -> None:
        self.limiter = limiter
        super().__init__(**kwargs)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.limiter.wait((urlsplit(request.url or "").hostname or "").lower())
        return super().send(request, **kwargs)


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
    backoff_factor: float | None = None,
    backoff_jitter: float | None = None,
    backoff_max: float = 60.0,
    retry_after_max: float = DEFAULT_RETRY_AFTER_MAX,
) -> requests.Session:
    """A `requests.Session` with the project's User-Agent, retries and per-host rate limit.

    Pass the same `limiter` to several sessions to share one rate across them. The backoff
    arguments override UNMIG_HTTP_BACKOFF (tests use tiny values).
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
        max_retries=retry,
        pool_connections=4,
        pool_maxsize=max(10, settings.concurrency * 2),
    )
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class HostPolicy:
    """Which hosts may be fetched from: the allow-list plus the configured source and ODS hosts.

    Entries are host names compared case-insensitively; an entry starting with "." allows that
    domain's subdomains (".un.org"). Only http and https URLs pass.
    """

    def __init__(self, allowed: Iterable[str], *, always: Iterable[str] = ()) -> None:
        names = {h.strip().lower() for h in (*allowed, *always) if h and h.strip()}
        self.exact = {h for h in names if not h.startswith(".")}
        self.suffixes = tuple(h for h in names if h.startswith("."))

    @classmethod
    def from_settings(cls, settings: Settings) -> HostPolicy:
        always = [
            urlsplit(u).hostname or ""
            for u in (settings.source, settings.ods_url)
            if urlsplit(u).scheme in ("http", "https")
        ]
        return cls(settings.allowed_hosts, always=always)

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            return False
        return host in self.exact or host.endswith(self.suffixes)

    def check(self, url: str, *, redirected_from: str | None = None) -> None:
        """Raise ForbiddenRedirect (or ForbiddenHost for a first URL) if `url` is not allowed."""
        if self.allows(url):
            return
        host = urlsplit(url).hostname or url
        if redirected_from is not None:
            raise ForbiddenRedirect(
                redirected_from, f"redirect to {url} refused: host {host!r} is not allowed"
            )
        raise ForbiddenHost(url, f"host {host!r} is not allowed")
