"""Sharding by host: pure functions, no cluster."""

from __future__ import annotations

import itertools
import subprocess
import sys
from typing import Any

import pytest

from linkhealth.cluster import host_costs, host_of, plan_shards


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://Example.COM/a", "example.com"),
        ("http://127.0.0.2:8080/x?y#z", "127.0.0.2"),
        ("https://user@sub.example.org:443/", "sub.example.org"),
        ("https://[::1]:80/", "::1"),
        ("not a url", ""),
        ("http://[broken/", ""),
    ],
)
def test_host_of(url: str, host: str) -> None:
    assert host_of(url) == host


def _urls(counts: dict[str, int]) -> list[str]:
    # interleave the hosts so that the input order is not grouped
    per_host = [[f"https://{h}/p{i}" for i in range(n)] for h, n in counts.items()]
    return [u for group in itertools.zip_longest(*per_host) for u in group if u]


def test_every_url_once_and_each_host_in_one_shard() -> None:
    urls = _urls({"a.test": 7, "b.test": 3, "c.test": 12, "d.test": 1, "e.test": 5})
    shards = plan_shards(urls, 3)
    indexes = sorted(i for s in shards for i in s.indexes)
    assert indexes == list(range(len(urls)))
    seen: dict[str, int] = {}
    for n, shard in enumerate(shards):
        for url in shard.urls(urls):
            assert seen.setdefault(host_of(url), n) == n


def test_balanced_biggest_first() -> None:
    counts = {"big.test": 40, "m1.test": 20, "m2.test": 20, "s1.test": 10, "s2.test": 10}
    urls = _urls(counts)
    shards = plan_shards(urls, 2)
    assert [s.cost for s in shards] == [50.0, 50.0]
    # the biggest host is the first host of the first shard: it starts first
    assert shards[0].hosts[0] == "big.test"
    assert shards[0].urls(urls)[0] == "https://big.test/p0"
    # a host's URLs keep their input order
    big = [u for u in shards[0].urls(urls) if host_of(u) == "big.test"]
    assert big == [f"https://big.test/p{i}" for i in range(40)]


def test_lpt_bound_on_many_hosts() -> None:
    counts = {f"h{i}.test": (i * 37) % 23 + 1 for i in range(200)}
    urls = _urls(counts)
    shards = plan_shards(urls, 7)
    assert len(shards) == 7
    costs = [s.cost for s in shards]
    assert costs == sorted(costs, reverse=True)
    ideal = len(urls) / 7
    # greedy LPT: the heaviest shard is within one (largest) host of the mean
    assert max(costs) - ideal <= max(counts.values())
    assert sum(costs) == len(urls)


def test_fewer_hosts_than_shards() -> None:
    urls = _urls({"a.test": 2, "b.test": 1})
    shards = plan_shards(urls, 8)
    assert len(shards) == 2
    assert [s.hosts for s in shards] == [["a.test"], ["b.test"]]
    assert plan_shards([], 4) == []
    with pytest.raises(ValueError):
        plan_shards(urls, 0)


def test_weights_from_history() -> None:
    # "slow.test" has few links but history says it takes 30 s; it gets a shard alone
    urls = _urls({"slow.test": 2, "a.test": 10, "b.test": 10, "c.test": 10})
    costs = host_costs(urls, {"slow.test": 30.0, "a.test": 5.0})
    assert costs["slow.test"] == 30.0
    assert costs["a.test"] == 5.0
    # unweighted hosts: count x mean seconds per URL of the weighted ones (35 s / 12 URLs)
    assert costs["b.test"] == pytest.approx(10 * 35 / 12)
    timings = {"slow.test": 30.0, "a.test": 10.0, "b.test": 10.0, "c.test": 10.0}
    shards = plan_shards(urls, 2, timings)
    assert shards[0].hosts == ["slow.test"]
    assert shards[1].hosts == ["a.test", "b.test", "c.test"]
    # without timings the same list is split by counts: slow.test (2 links) shares a shard
    plain = plan_shards(urls, 2)
    assert [len(s.hosts) for s in plain] == [2, 2]
    assert ["slow.test"] not in [s.hosts for s in plain]


def test_one_process_run_does_not_import_dask() -> None:
    code = (
        "import sys, linkhealth.cli, linkhealth.pipeline, linkhealth.cli.check\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == ""
    # and the check itself: the cluster module's pure part needs no Dask either
    code2 = (
        "import sys, linkhealth.cluster\n"
        "print(any(m.split('.')[0] in ('dask', 'distributed') for m in sys.modules))\n"
    )
    out2 = subprocess.run(
        [sys.executable, "-c", code2], capture_output=True, text=True, timeout=60, check=True
    )
    assert out2.stdout.strip() == "False"


def test_history_weights_from_the_store(tmp_path: Any) -> None:
    from datetime import UTC, datetime

    from linkhealth.cluster import history_weights
    from linkhealth.models import CheckResult, Verdict
    from linkhealth.store import Store

    path = tmp_path / "state.sqlite"
    assert history_weights(path, ["https://a.test/1"]) == {}  # no store: no weights
    with Store.open(path) as store:
        run = store.begin_run(datetime.now(UTC), paths=["x"])
        store.record(
            run,
            [
                CheckResult(url="https://a.test/1", verdict=Verdict.OK, elapsed_ms=2000),
                CheckResult(url="https://a.test/2", verdict=Verdict.OK, elapsed_ms=4000),
                CheckResult(url="https://b.test/1", verdict=Verdict.OK, elapsed_ms=100),
            ],
        )
    urls = [f"https://a.test/{i}" for i in range(1, 5)] + ["https://b.test/1", "https://c.test/"]
    weights = history_weights(path, urls)
    # a.test: mean 3 s over 4 URLs; b.test: 0.1 s; c.test has no history
    assert weights == pytest.approx({"a.test": 12.0, "b.test": 0.1})
