"""The cluster fetcher against loopback hosts: same results as one process, per-host
limits kept across workers, a killed worker recovered, an unreachable scheduler fast.

Dask's own logging is silenced by the ``quiet_dask`` fixture (conftest)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from typing import Any

import pytest

from linkhealth.cluster import ClusterFetcher, cluster_fetcher
from linkhealth.config import Settings
from linkhealth.errors import ConfigError
from linkhealth.fetch import FetchResult, fetch_all

LIMIT = 2  # per-host concurrency in these tests
HOSTS = ("127.0.0.1", "127.0.0.2", "127.0.0.3")  # as served by conftest's ``hosts``
Hosts = Any  # conftest.Hosts (conftest is not importable under importlib mode)


def _settings(**extra: Any) -> Settings:
    return Settings(
        allow_private=True,
        host_concurrency=LIMIT,
        host_interval=0.0,
        host_jitter=0.0,
        retries=0,
        timeout=10.0,
        url_deadline=30.0,
        **extra,
    )


def _workload(hosts: Hosts, per_host: dict[str, int]) -> list[str]:
    urls = []
    kinds = ("page", "page", "moved", "temp", "gone", "page")
    for host, count in per_host.items():
        base = hosts.base(host)
        urls += [f"{base}/{kinds[i % len(kinds)]}/{i}" for i in range(count)]
    return urls


def _view(item: FetchResult) -> tuple[Any, ...]:
    """Everything a run reports about a URL, without timings."""
    return (
        item.url,
        item.verdict,
        item.http_status,
        item.error_kind,
        item.final_url,
        [(r.url, r.status) for r in item.redirects],
        item.permanent,
        item.attempts,
        item.content_type,
        item.etag,
        item.body,
        item.not_modified,
    )


async def _on_cluster(
    urls: list[str], settings: Settings, validators: dict[str, Any] | None = None
) -> tuple[list[FetchResult], list[str]]:
    seen: list[str] = []
    async with cluster_fetcher(settings) as fetcher:
        results = await fetcher(
            urls, settings, on_result=lambda r: seen.append(r.url), validators=validators
        )
    return results, seen


def test_same_results_as_one_process_and_limits_kept(hosts: Hosts, scheduler_address: str) -> None:
    hosts.set_delay(0.03)
    urls = _workload(hosts, {HOSTS[0]: 30, HOSTS[1]: 18, HOSTS[2]: 9})
    settings = _settings()
    hosts.reset()
    alone = asyncio.run(fetch_all(urls, settings))
    hosts.reset()
    on_cluster, seen = asyncio.run(_on_cluster(urls, _settings(cluster=scheduler_address)))

    assert [r.url for r in on_cluster] == urls  # input order
    assert sorted(seen) == sorted(urls)  # on_result once per URL
    assert [_view(r) for r in on_cluster] == [_view(r) for r in alone]
    verdicts = {r.verdict.value for r in on_cluster}
    assert {"ok", "redirected", "broken"} <= verdicts
    # Requests in flight per host is what the host slot bounds. (Open sockets are not:
    # the checker drops a connection after a redirect without reading its body, and the
    # server notices the close a moment later, in one process as on the cluster.)
    for host in HOSTS:
        assert hosts.stats(host).max_inflight <= LIMIT, host
    # the limit was actually reached (the assertion above is not vacuous)
    assert hosts.stats(HOSTS[0]).max_inflight == LIMIT


def test_validators_reach_the_shard(hosts: Hosts, scheduler_address: str) -> None:
    hosts.set_delay(0.0)
    urls = [f"{hosts.base(h)}/etag/{i}" for h in HOSTS for i in range(3)]
    validators = {u: ('"v1"', None) for u in urls}  # only /etag/1 still matches
    results, _ = asyncio.run(_on_cluster(urls, _settings(cluster=scheduler_address), validators))
    alone = asyncio.run(fetch_all(urls, _settings(), validators=validators))
    assert [r.not_modified for r in results] == [u.endswith("/etag/1") for u in urls]
    assert [_view(r) for r in results] == [_view(r) for r in alone]


def test_history_order_reaches_the_shard(hosts: Hosts, scheduler_address: str) -> None:
    """The URLs that timed out last run start early in their host's queue on a worker as
    they do in one process (each host's URLs are in one shard, ordered there)."""
    hosts.set_delay(0.0)
    urls = [f"{hosts.base(h)}/page/{i}" for h in HOSTS for i in range(20)]
    hung = {urls[17], urls[19], urls[20 + 18]}  # late in the lists of two hosts
    one_slot = {"host_concurrency": 1, "host_interval": 0.0, "host_jitter": 0.0}

    async def on_cluster() -> None:
        settings = Settings(allow_private=True, retries=0, cluster=scheduler_address, **one_slot)
        async with cluster_fetcher(settings) as fetcher:
            await fetcher(urls, settings, hung_before=hung)

    hosts.reset()
    asyncio.run(fetch_all(urls, Settings(allow_private=True, retries=0, **one_slot)))
    listed = {h: hosts.stats(h).paths for h in HOSTS}
    hosts.reset()
    asyncio.run(
        fetch_all(urls, Settings(allow_private=True, retries=0, **one_slot), hung_before=hung)
    )
    alone = {h: hosts.stats(h).paths for h in HOSTS}
    hosts.reset()
    asyncio.run(on_cluster())
    worked = {h: hosts.stats(h).paths for h in HOSTS}

    assert worked == alone
    assert alone[HOSTS[0]] != listed[HOSTS[0]]  # the order moved the hung URLs (not vacuous)
    assert alone[HOSTS[0]].index("/page/19") < listed[HOSTS[0]].index("/page/19")
    assert alone[HOSTS[2]] == listed[HOSTS[2]]  # no hung URL there: the list's order


def test_killed_worker_still_gives_every_result(hosts: Hosts) -> None:
    hosts.set_delay(0.1)
    urls = _workload(hosts, {HOSTS[0]: 16, HOSTS[1]: 16, HOSTS[2]: 16})
    settings = _settings(workers=2)

    async def run() -> tuple[list[FetchResult], int, int]:
        async with cluster_fetcher(settings) as fetcher:
            assert isinstance(fetcher, ClusterFetcher)
            pids = await fetcher.client.run(os.getpid)
            assert len(pids) == 2
            hosts.reset()
            task = asyncio.ensure_future(fetcher(urls, settings))
            deadline = time.monotonic() + 30
            while hosts.total_requests() < 4 and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            before = hosts.total_requests()
            os.kill(next(iter(pids.values())), signal.SIGKILL)
            results = await asyncio.wait_for(task, 90)
            return results, before, fetcher.fallbacks

    results, before, fallbacks = asyncio.run(run())
    assert before < len(urls)  # killed mid-run
    assert [r.url for r in results] == urls
    alone_verdicts = ["ok", "ok", "redirected", "redirected", "broken", "ok"]
    assert [r.verdict.value for r in results] == [
        alone_verdicts[i % 6] for _ in HOSTS for i in range(16)
    ]
    # the lost shard ran again: more requests than URLs reached the servers
    assert hosts.total_requests() > len(urls)
    assert fallbacks == 0  # Dask's retry did it, not the driver's last resort


def test_unreachable_scheduler_fails_fast() -> None:
    address = "tcp://127.0.0.1:9"  # discard port: nothing listens on loopback

    async def run() -> None:
        async with cluster_fetcher(_settings(cluster=address), connect_timeout=1.0):
            pass

    started = time.monotonic()
    with pytest.raises(ConfigError, match=r"tcp://127\.0\.0\.1:9"):
        asyncio.run(run())
    assert time.monotonic() - started < 20  # bounded: seconds, not a hang


def test_cli_unreachable_cluster_exits_2(tmp_path: Any, monkeypatch: Any) -> None:
    from click.testing import CliRunner

    from linkhealth.cli import cli

    listing = tmp_path / "list.md"
    listing.write_text("- <http://127.0.0.1:9/x>\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("linkhealth.cluster.DEFAULT_CONNECT_TIMEOUT", 1.0)
    result = CliRunner().invoke(
        cli,
        ["check", "--cluster", "tcp://127.0.0.1:9", "--no-reports", str(listing)],
        catch_exceptions=False,
    )
    assert result.exit_code == 2, result.output
    assert "tcp://127.0.0.1:9" in result.output


def _report_view(result: Any) -> tuple[Any, ...]:
    return (
        result.url,
        result.verdict,
        result.http_status,
        result.detail,
        result.final_url,
        [(r.url, r.status) for r in result.redirects],
        result.title,
        result.description,
        result.content_type,
        [(o.file, o.line, o.column) for o in result.occurrences],
    )


def test_whole_check_same_report_on_the_cluster(
    hosts: Hosts, scheduler_address: str, tmp_path: Any
) -> None:
    from linkhealth.pipeline import run_check

    hosts.set_delay(0.0)
    urls = _workload(hosts, {HOSTS[0]: 12, HOSTS[1]: 6, HOSTS[2]: 3})
    listing = tmp_path / "list.md"
    listing.write_text("# Links\n\n" + "".join(f"- <{u}>\n" for u in urls), encoding="utf-8")

    def settings(name: str, **extra: Any) -> Settings:
        return _settings(store=str(tmp_path / f"{name}.sqlite"), no_reports=True, **extra)

    alone = asyncio.run(run_check(settings("alone"), paths=[str(listing)], root=tmp_path))

    async def on_cluster() -> Any:
        cluster_settings = settings("cluster", cluster=scheduler_address)
        async with cluster_fetcher(cluster_settings) as fetcher:
            return await run_check(
                cluster_settings, paths=[str(listing)], root=tmp_path, fetcher=fetcher
            )

    clustered = asyncio.run(on_cluster())
    assert not clustered.report.partial
    assert clustered.report.summary == alone.report.summary
    assert [_report_view(r) for r in clustered.report.results] == [
        _report_view(r) for r in alone.report.results
    ]
    titles = [r.title for r in clustered.report.results if r.verdict.value == "ok"]
    assert titles and all(t and t.startswith("Page ") for t in titles)


def test_deadline_bounds_a_stuck_shard(hosts: Hosts, scheduler_address: str) -> None:
    """A shard that does not finish (here: a host answering in 6 s, far beyond the
    deadline) is cancelled and reported, not waited for."""
    from linkhealth.cluster import ClusterError

    hosts.set_delay(6.0)
    urls = _workload(hosts, {HOSTS[0]: 4})
    settings = _settings(cluster=scheduler_address)

    async def run() -> None:
        async with cluster_fetcher(settings, deadline=1.0) as fetcher:
            await fetcher(urls, settings)

    started = time.monotonic()
    try:
        with pytest.raises(ClusterError, match=r"within 1 s: 4 of 4 URLs were left unchecked"):
            asyncio.run(run())
        assert time.monotonic() - started < 5.0  # not the 6 s the first answer takes
    finally:
        hosts.set_delay(0.0)
