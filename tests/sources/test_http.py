"""The session's politeness parts on their own: rate limiter, retry policy, host policy, errors."""

from __future__ import annotations

import threading
import time

import pytest

from config import load_settings
from sources.errors import FetchError, ForbiddenHost, ForbiddenRedirect, HttpError, NoFileYet
from sources.http import HostPolicy, PoliteAdapter, RateLimiter, make_session


def test_rate_limiter_spaces_one_host_not_others() -> None:
    limiter = RateLimiter(20)
    start = time.monotonic()
    for _ in range(5):
        limiter.wait("a.example")
    assert time.monotonic() - start >= 0.19
    t = time.monotonic()
    limiter.wait("b.example")
    assert time.monotonic() - t < 0.02


def test_rate_limiter_across_threads() -> None:
    limiter = RateLimiter(50)
    start = time.monotonic()
    threads = [threading.Thread(target=limiter.wait, args=("h",)) for _ in range(10)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert time.monotonic() - start >= 0.17  # 10 slots, 0.02 s apart


def test_session_user_agent_and_retry_policy() -> None:
    settings = load_settings(contact="ops@example.org", retries=4, http_backoff=0.5,
                             rate_limit=2.0)
    session = make_session(settings)
    assert session.headers["User-Agent"].startswith("unmig/")
    assert "mailto:ops@example.org" in session.headers["User-Agent"]
    adapter = session.get_adapter("https://digitallibrary.un.org/search")
    assert isinstance(adapter, PoliteAdapter)
    retry = adapter.max_retries
    assert retry.total == 4 and retry.backoff_factor == 0.5 and retry.backoff_jitter == 0.5
    assert set(retry.status_forcelist) == {429, 500, 502, 503, 504}
    assert set(retry.allowed_methods) == {"GET", "HEAD"}
    assert retry.respect_retry_after_header and not retry.raise_on_status
    # Never faster than the rate limit, even on urllib3's first (undelayed) retry.
    assert retry.get_backoff_time() == 0.5
    assert retry.new(total=1).min_backoff == 0.5


def test_host_policy() -> None:
    settings = load_settings(source="http://127.0.0.1:8080", ods_url="http://mirror.test:9",
                             allowed_hosts=["digitallibrary.un.org", ".un.org"])
    policy = HostPolicy.from_settings(settings)
    for ok in ("https://digitallibrary.un.org/x", "https://documents.un.org/x",
               "http://127.0.0.1:8080/x", "http://MIRROR.test:9/x",
               "https://DOCUMENTS.un.org:443/x"):
        assert policy.allows(ok), ok
    # Scheme and port count as much as the host: http only where configured, no other port.
    for bad in ("https://evil.example.org/x", "https://un.org.evil.example/x",
                "ftp://digitallibrary.un.org/x", "file:///etc/passwd", "http://localhost:8080/x",
                "http://127.0.0.1:1/x", "http://127.0.0.1:5432/x", "http://MIRROR.test/x",
                "https://127.0.0.1:8080/x", "http://documents.un.org/x",
                "https://documents.un.org:22/x", "http://127.0.0.1:99999/x"):
        assert not policy.allows(bad), bad
    with pytest.raises(ForbiddenRedirect, match="redirect to https://evil.example.org/x refused"):
        policy.check("https://evil.example.org/x", redirected_from="https://documents.un.org/a")
    with pytest.raises(ForbiddenHost):
        policy.check("https://evil.example.org/x")


def test_errors_are_one_line_and_typed() -> None:
    exc = HttpError("https://x/y", 503, "Service\nUnavailable")
    assert str(exc) == "https://x/y: HTTP 503 Service Unavailable" and exc.status == 503
    assert isinstance(NoFileYet("u", "r"), FetchError)
    assert str(FetchError("", "a\n b")) == "<no url>: a b"
