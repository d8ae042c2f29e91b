"""Benchmark of the cluster fetcher: one process vs ``--workers 1`` vs ``--workers 2``.

    .venv/bin/python -m bench.cluster_bench [--links 5000] [--hosts 200]
        [--cpu-links 5000] [--cpu-hosts 1000] [--workers 1 2] [--json]

Two workloads, each against ``bench/server.py`` in a child process (every host name
mapped to it with ``settings.resolve``; the address guard stays on):

* ``latency``: the 5,000-link workload of ``bench/check_bench.py`` (Zipf hosts, seeded
  lognormal latency, median 50 ms). Bound by per-host politeness, not CPU.
* ``cpu``: no injected latency (the server's ``latency`` is patched to 0) and many
  hosts, so the checker's own CPU (connections, guard, HTTP parsing) is the limit.

For each, the same URLs are fetched by plain ``fetch_all`` in this process, then by
:class:`linkhealth.cluster.ClusterFetcher` on a ``LocalCluster`` of N worker
processes. Metadata is extracted from every result in the driver, as the pipeline
does. Reported: wall seconds of the fetch (cluster start-up reported apart), driver
CPU seconds, workers' CPU seconds, shards, and whether the results equal the
one-process run (verdict and status per URL).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import subprocess
import sys
import time
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from bench.check_bench import ROOT, generate_urls, meta_extractor

from linkhealth.cluster import ClusterFetcher, cluster_fetcher, plan_shards
from linkhealth.config import Settings
from linkhealth.fetch import FetchResult, fetch_all

ZERO_LATENCY_SERVER = "import bench.server as s; s.latency = lambda *a: 0.0; s.main()"


def start_server(seed: int, zero_latency: bool) -> tuple[subprocess.Popen[str], int]:
    code = ZERO_LATENCY_SERVER if zero_latency else "import bench.server as s; s.main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "--seed", str(seed), "--lifetime", "900"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        proc.kill()
        raise SystemExit(f"bench server did not start: {line!r}")
    return proc, int(line.split()[1])


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _view(results: list[FetchResult]) -> list[tuple[str, str, int | None]]:
    return [(r.url, r.verdict.value, r.http_status) for r in results]


def one_process(urls: list[str], settings: Settings) -> tuple[dict[str, Any], list[FetchResult]]:
    on_result = meta_extractor()
    c0, t0 = _cpu(), time.perf_counter()
    results = asyncio.run(fetch_all(urls, settings, on_result=on_result))
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    return {"mode": "one process", "wall_s": round(wall, 2), "driver_cpu_s": round(cpu, 2)}, (
        results
    )


def on_cluster(
    urls: list[str], settings: Settings, workers: int
) -> tuple[dict[str, Any], list[FetchResult]]:
    on_result = meta_extractor()
    run_settings = settings.model_copy(update={"workers": workers})

    async def run() -> tuple[dict[str, Any], list[FetchResult]]:
        s0 = time.perf_counter()
        async with cluster_fetcher(run_settings) as fetcher:
            assert isinstance(fetcher, ClusterFetcher)
            startup = time.perf_counter() - s0
            w0 = await fetcher.client.run(_cpu)
            c0, t0 = _cpu(), time.perf_counter()
            results = await fetcher(urls, run_settings, on_result=on_result)
            wall, cpu = time.perf_counter() - t0, _cpu() - c0
            w1 = await fetcher.client.run(_cpu)
            rss = await fetcher.client.run(_rss_mb)
            shards = len(plan_shards(urls, await fetcher.slots()))
        return {
            "mode": f"--workers {workers}",
            "wall_s": round(wall, 2),
            "driver_cpu_s": round(cpu, 2),
            "workers_cpu_s": round(sum(w1[k] - w0[k] for k in w1), 2),
            "startup_s": round(startup, 2),
            "shards": shards,
            "worker_peak_rss_mb": round(max(rss.values()), 1),
            "fallbacks": fetcher.fallbacks,
        }, results

    return asyncio.run(run())


def workload(
    name: str, n_links: int, n_hosts: int, seed: int, zero_latency: bool, workers: list[int]
) -> dict[str, Any]:
    urls = generate_urls(n_links, n_hosts, seed)
    proc, port = start_server(seed, zero_latency)
    rows = []
    try:
        hosts = {urlsplit(u).hostname or "" for u in urls}
        settings = Settings(
            resolve={h: f"127.0.0.1:{port}" for h in hosts}, host_interval=0.0, retries=0
        )
        row, baseline = one_process(urls, settings)
        rows.append(row)
        for n in workers:
            row, results = on_cluster(urls, settings, n)
            row["same_as_one_process"] = _view(results) == _view(baseline)
            rows.append(row)
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(10)
    counts = Counter(urlsplit(u).hostname for u in urls)
    return {
        "workload": name,
        "links": len(urls),
        "hosts": len(hosts),
        "busiest_host_links": max(counts.values()),
        "verdicts": dict(Counter(r.verdict.value for r in baseline)),
        "runs": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--links", type=int, default=5000)
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--cpu-links", type=int, default=5000)
    parser.add_argument("--cpu-hosts", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--only", choices=["latency", "cpu"], default=None)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    logging.getLogger("distributed").setLevel(logging.ERROR)

    out = []
    if args.only in (None, "latency"):
        out.append(workload("latency", args.links, args.hosts, args.seed, False, args.workers))
    if args.only in (None, "cpu"):
        out.append(workload("cpu", args.cpu_links, args.cpu_hosts, args.seed, True, args.workers))
    if args.json:
        print(json.dumps(out))
        return
    for item in out:
        print(
            f"{item['workload']}: {item['links']} links, {item['hosts']} hosts "
            f"(busiest {item['busiest_host_links']}), verdicts {item['verdicts']}"
        )
        for row in item["runs"]:
            print("   ", "  ".join(f"{k}={v}" for k, v in row.items()))


if __name__ == "__main__":
    main()
