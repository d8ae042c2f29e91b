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

Bounded in time: every phase (server start, each run, each cluster start and close)
has a timeout (``--start-timeout``, ``--run-timeout``). Each phase is announced on
stderr as it starts and ends; one that overruns prints ``TIMEOUT: phase ...``, the
driver's thread stacks (``faulthandler``), kills the child processes (server, Dask
workers) and exits with status 3 instead of hanging.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import faulthandler
import json
import logging
import os
import resource
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any, TextIO
from urllib.parse import urlsplit

from bench.check_bench import ROOT, generate_urls, meta_extractor
from bench.server import stop_child

from linkhealth.cluster import ClusterFetcher, cluster_fetcher, plan_shards
from linkhealth.config import Settings
from linkhealth.fetch import FetchResult, fetch_all

ZERO_LATENCY_SERVER = "import bench.server as s; s.latency = lambda *a: 0.0; s.main()"
#: Exit status when a phase overran its timeout.
EXIT_TIMEOUT = 3
#: Seconds after a phase's timeout at which faulthandler itself dumps and exits, in case
#: the watchdog thread cannot run (the GIL held by a stuck C call).
BACKSTOP_GRACE = 15.0
DEFAULT_START_TIMEOUT = 90.0
DEFAULT_RUN_TIMEOUT = 300.0


def kill_children() -> None:
    """Kill every descendant process (bench server, Dask nannies and workers)."""
    import psutil

    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            child.kill()


class Watchdog:
    """Bounds each phase of the bench. Phases do not nest (faulthandler has one timer)."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out if out is not None else sys.stderr

    def say(self, text: str) -> None:
        print(f"[cluster_bench {time.strftime('%H:%M:%S')}] {text}", file=self.out, flush=True)

    @contextlib.contextmanager
    def phase(self, name: str, seconds: float) -> Iterator[None]:
        self.say(f"{name} ... (timeout {seconds:g} s)")
        timer = threading.Timer(seconds, self._expired, (name, seconds))
        timer.daemon = True
        timer.start()
        faulthandler.dump_traceback_later(seconds + BACKSTOP_GRACE, exit=True, file=self.out)
        started = time.perf_counter()
        try:
            yield
        finally:
            timer.cancel()
            faulthandler.cancel_dump_traceback_later()
        self.say(f"{name} done in {time.perf_counter() - started:.1f} s")

    def _expired(self, name: str, seconds: float) -> None:
        self.say(f"TIMEOUT: phase {name!r} did not finish within {seconds:g} s; driver stacks:")
        faulthandler.dump_traceback(file=self.out, all_threads=True)
        self.out.flush()
        kill_children()
        os._exit(EXIT_TIMEOUT)


WATCHDOG = Watchdog()


def start_server(seed: int, zero_latency: bool) -> tuple[subprocess.Popen[str], int]:
    """The bench server in a child process. It prints one ``PORT`` line and nothing more
    on stdout (so the pipe cannot fill up); its stderr goes to ours."""
    code = ZERO_LATENCY_SERVER if zero_latency else "import bench.server as s; s.main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "--seed", str(seed), "--lifetime", "900"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # bounded by the caller's watchdog phase
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
    urls: list[str],
    settings: Settings,
    workers: int,
    start_timeout: float = DEFAULT_START_TIMEOUT,
    run_timeout: float = DEFAULT_RUN_TIMEOUT,
) -> tuple[dict[str, Any], list[FetchResult]]:
    on_result = meta_extractor()
    run_settings = settings.model_copy(update={"workers": workers})

    async def run() -> tuple[dict[str, Any], list[FetchResult]]:
        label = f"--workers {workers}"
        s0 = time.perf_counter()
        # The cluster's start, run and close each get their own watchdog phase; the
        # start is also bounded inside cluster_fetcher (a ClusterError, not a hang).
        with WATCHDOG.phase(f"{label}: cluster start", start_timeout + BACKSTOP_GRACE):
            opened = cluster_fetcher(run_settings, start_timeout=start_timeout)
            fetcher = await opened.__aenter__()
        try:
            assert isinstance(fetcher, ClusterFetcher)
            startup = time.perf_counter() - s0
            with WATCHDOG.phase(f"{label}: run", run_timeout):
                w0 = await fetcher.client.run(_cpu)
                c0, t0 = _cpu(), time.perf_counter()
                results = await fetcher(urls, run_settings, on_result=on_result)
                wall, cpu = time.perf_counter() - t0, _cpu() - c0
                w1 = await fetcher.client.run(_cpu)
                rss = await fetcher.client.run(_rss_mb)
                shards = len(plan_shards(urls, await fetcher.slots()))
        finally:
            with WATCHDOG.phase(f"{label}: cluster close", start_timeout):
                await opened.__aexit__(None, None, None)
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
    name: str,
    n_links: int,
    n_hosts: int,
    seed: int,
    zero_latency: bool,
    workers: list[int],
    start_timeout: float = DEFAULT_START_TIMEOUT,
    run_timeout: float = DEFAULT_RUN_TIMEOUT,
) -> dict[str, Any]:
    urls = generate_urls(n_links, n_hosts, seed)
    with WATCHDOG.phase(f"{name}: server start", start_timeout):
        proc, port = start_server(seed, zero_latency)
    rows = []
    try:
        hosts = {urlsplit(u).hostname or "" for u in urls}
        settings = Settings(
            resolve={h: f"127.0.0.1:{port}" for h in hosts}, host_interval=0.0, retries=0
        )
        with WATCHDOG.phase(f"{name}: one process run", run_timeout):
            row, baseline = one_process(urls, settings)
        rows.append(row)
        for n in workers:
            row, results = on_cluster(urls, settings, n, start_timeout, run_timeout)
            row["same_as_one_process"] = _view(results) == _view(baseline)
            rows.append(row)
    finally:
        stop_child(proc)
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
    parser.add_argument(
        "--start-timeout",
        type=float,
        default=DEFAULT_START_TIMEOUT,
        help="seconds for the server's or a cluster's start or close",
    )
    parser.add_argument(
        "--run-timeout", type=float, default=DEFAULT_RUN_TIMEOUT, help="seconds for one run"
    )
    args = parser.parse_args()
    timeouts = (args.start_timeout, args.run_timeout)
    logging.getLogger("distributed").setLevel(logging.ERROR)

    out = []
    if args.only in (None, "latency"):
        out.append(
            workload("latency", args.links, args.hosts, args.seed, False, args.workers, *timeouts)
        )
    if args.only in (None, "cpu"):
        out.append(
            workload(
                "cpu", args.cpu_links, args.cpu_hosts, args.seed, True, args.workers, *timeouts
            )
        )
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
