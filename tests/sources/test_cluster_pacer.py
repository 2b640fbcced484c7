"""The hook through which a worker shares each host's rate with the rest of the cluster
(flows/politeness.py installs a Prefect rate limit there): every request waits for it, robots.txt
and retries included, with the host and the crawl delay robots.txt asks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sources import http
from tests.replay_server import Fault, ReplayServer


@pytest.fixture
def paced() -> Iterator[list[tuple[str, float]]]:
    calls: list[tuple[str, float]] = []
    http.set_cluster_pacer(lambda host, interval: calls.append((host, interval)))
    try:
        yield calls
    finally:
        http.set_cluster_pacer(None)


def test_every_request_waits_for_the_cluster_pacer(
    tmp_path: Path, paced: list[tuple[str, float]]
) -> None:
    (tmp_path / "search").mkdir()
    with ReplayServer(tmp_path, robots_txt="User-agent: *\nCrawl-delay: 0.01\n") as server:
        server.fail("/ods/x.pdf", Fault.ERROR_503, times=1)
        session = http.make_session(server.settings(), backoff_factor=0.001)
        assert session.get(f"{server.url}/ods/x.pdf", timeout=2).status_code == 404
        requests = len(server.log)
    # robots.txt, the 503 and its retry: each one waited for the pacer first.
    assert requests == 3
    assert [host for host, _ in paced] == ["127.0.0.1"] * requests
    assert paced[-1][1] == pytest.approx(0.01)  # the crawl delay, once robots.txt was read

