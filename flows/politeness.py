"""The per-host request rate shared by every worker of a cluster.

Each process keeps its own `sources.http.RateLimiter`; two workers (and every chunk's flow run
is its own process) would each send at the full rate. On a Prefect worker the requests also
take a slot of a global concurrency limit used as a rate limit, one per host, named
`unmig-rate-<host>`: `limit` 1 and `slot_decay_per_second` the rate, so the server hands out
one request per 1/rate seconds to the whole cluster. The server's decay only ever errs slow
(it counts whole slots since the last change), so the host never sees more than the rate.

The limits are created by `make serve` (scripts/deploy.sh runs `python -m flows.politeness`)
for the configured hosts, and by a worker on first use for any other host. A robots.txt
Crawl-delay longer than the rate's interval slows the host's limit down to it; nothing here
ever speeds a limit up, so an operator's slower setting in the UI stands.

Outside a deployment's flow run (the command line, tests with no workers) nothing is
installed and the in-process limiter alone applies.
"""

from __future__ import annotations

import logging
import threading
from urllib.parse import urlsplit

from config import Settings, load_settings
from sources import http

log = logging.getLogger(__name__)

PREFIX = "unmig-rate-"


def limit_name(host: str) -> str:
    return f"{PREFIX}{host.lower()}"


def wanted_rate(settings: Settings, min_interval: float = 0.0) -> float:
    """Requests per second the whole cluster may send to one host."""
    rate = settings.rate_limit
    if min_interval > 0:
        rate = min(rate, 1.0 / min_interval)
    return rate


def ensure_limit(host: str, rate: float) -> float:
    """Create the host's rate limit, or slow an existing one down to `rate`; return the
    decay (requests per second) the server now enforces."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import (
        GlobalConcurrencyLimitCreate,
        GlobalConcurrencyLimitUpdate,
    )
    from prefect.exceptions import ObjectNotFound

    name = limit_name(host)
    with get_client(sync_client=True) as client:
        try:
            found = client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            try:
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=name, limit=1, slot_decay_per_second=rate)
                )
                return rate
            except Exception:  # noqa: BLE001 - another worker created it first: read theirs
                found = client.read_global_concurrency_limit_by_name(name)
        decay = float(found.slot_decay_per_second or 0.0)
        if decay <= 0 or decay > rate:
            client.update_global_concurrency_limit(
                name, GlobalConcurrencyLimitUpdate(slot_decay_per_second=rate)
            )
            return rate
        return decay


class ClusterPacer:
    """Waits for a host's slot of its global rate limit (sources.http calls it per request)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._ready: dict[str, float] = {}  # host -> the rate its limit was checked for
        self._lock = threading.Lock()

    def __call__(self, host: str, min_interval: float) -> None:
        from prefect.concurrency.sync import rate_limit

        rate = wanted_rate(self.settings, min_interval)
        with self._lock:
            checked = self._ready.get(host)
            if checked is None or rate < checked:
                ensure_limit(host, rate)
                self._ready[host] = rate
        rate_limit(limit_name(host), occupy=1, strict=True)


def deployment_run() -> bool:
    """True inside a flow run a worker started from a deployment."""
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    run = context.flow_run if context is not None else None
    return run is not None and run.deployment_id is not None


def install(settings: Settings) -> bool:
    """Share the hosts' rates with the other workers when this is a deployment's flow run."""
    if not deployment_run():
        return False
    if not isinstance(http._cluster_pacer, ClusterPacer):
        http.set_cluster_pacer(ClusterPacer(settings))
        log.info("requests to each host are paced by the Prefect server's rate limits")
    return True


def configured_hosts(settings: Settings) -> list[str]:
    hosts = {
        (urlsplit(u).hostname or "").lower()
        for u in (settings.source, settings.ods_url)
        if urlsplit(u).scheme in ("http", "https")
    }
    return sorted(h for h in hosts if h)


def main() -> None:
    """Create the rate limits of the configured hosts on the server at PREFECT_API_URL."""
    settings = load_settings()
    for host in configured_hosts(settings):
        decay = ensure_limit(host, wanted_rate(settings, settings.crawl_delay or 0.0))
        print(f"rate limit {limit_name(host)}: {decay:g} requests per second")


if __name__ == "__main__":
    main()
