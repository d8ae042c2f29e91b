"""Benchmark of the network stage: ``fetch_all`` (+ metadata) against bench/server.py.

    .venv/bin/python -m bench.check_bench [--links 5000] [--hosts 200] [--seed 1]

Starts the multi-host server in a child process (so its CPU is not ours), maps
every host name to it with ``settings.resolve`` (the address guard stays ON and
checks every connection), runs ``fetch_all`` with default concurrency, extracts
metadata from each result as it arrives (when ``linkhealth.meta`` is there), and
prints wall time, CPU seconds and ms per request, peak RSS, requests sent, and the
workload's lower bound: the largest of the busiest host's total latency ÷ per-host
concurrency, the total latency ÷ global concurrency, and the slowest single URL.
The per-host interval is 0 here, so the bound is about concurrency alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from bench.server import latency

from linkhealth.config import Settings
from linkhealth.fetch import FetchResult, fetch_all

ROOT = Path(__file__).resolve().parent.parent


def host_name(i: int) -> str:
    return f"h{i}.bench.test"


def generate_urls(n_links: int, n_hosts: int, seed: int) -> list[str]:
    """Unique URLs with Zipf-distributed hosts: the links of ``bench.genlist``'s
    Markdown list (every syntax), or an inline Zipf list if that module is missing."""
    try:
        from bench.genlist import generate  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        generate = None
    if generate is not None:
        produced = generate(n_links, n_hosts, seed, scheme="http")
        urls = _urls_from(produced)
        if urls:
            return urls
    rng = random.Random(seed)
    weights = [1.0 / (k + 1) for k in range(n_hosts)]
    hosts = rng.choices(range(n_hosts), weights=weights, k=n_links)
    return [f"http://{host_name(h)}/p/{i}" for i, h in enumerate(hosts)]


def _urls_from(produced: object) -> list[str]:
    import re

    if isinstance(produced, str):
        text = produced
    elif isinstance(produced, list | tuple):
        text = "\n".join(str(x) for x in produced)
    else:
        return []
    seen: dict[str, None] = {}
    for m in re.finditer(r"https?://[^\s<>()\[\]\"']+", text):
        seen.setdefault(m.group(0).rstrip(".,;:"), None)
    return list(seen)


def start_server(seed: int) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.server", "--seed", str(seed), "--lifetime", "600"],
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


def lower_bound(urls: list[str], settings: Settings, seed: int) -> dict[str, float]:
    per_host: Counter[str] = Counter()
    total = 0.0
    slowest = 0.0
    for url in urls:
        parts = urlsplit(url)
        host = parts.hostname or ""
        lat = latency(seed, host, parts.path)
        per_host[host] += lat
        total += lat
        slowest = max(slowest, lat)
    busiest = max(per_host.values()) / settings.host_concurrency
    spread = total / settings.max_concurrency
    return {
        "busiest_host_s": busiest,
        "total_over_global_s": spread,
        "slowest_url_s": slowest,
        "lower_bound_s": max(busiest, spread, slowest),
    }


def meta_extractor() -> Callable[[FetchResult], None] | None:
    try:
        from linkhealth.meta import extract_meta
    except ImportError:
        return None

    def on_result(r: FetchResult) -> None:
        if r.body:
            extract_meta(r.body, r.content_type, r.final_url or r.url)

    return on_result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--links", type=int, default=5000)
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-meta", action="store_true", help="fetch only, no metadata")
    args = parser.parse_args()

    urls = generate_urls(args.links, args.hosts, args.seed)
    proc, port = start_server(args.seed)
    try:
        hosts = {urlsplit(u).hostname or "" for u in urls}
        settings = Settings(
            resolve={h: f"127.0.0.1:{port}" for h in hosts},
            host_interval=0.0,
            retries=0,
        )
        bound = lower_bound(urls, settings, args.seed)
        on_result = None if args.no_meta else meta_extractor()
        t0 = time.perf_counter()
        c0 = resource.getrusage(resource.RUSAGE_SELF)
        results = asyncio.run(fetch_all(urls, settings, on_result=on_result))
        c1 = resource.getrusage(resource.RUSAGE_SELF)
        wall = time.perf_counter() - t0
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/__stats", timeout=5) as resp:
            served = json.load(resp)["requests"]
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(10)
    cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
    verdicts = Counter(r.verdict.value for r in results)
    report = {
        "links": len(urls),
        "hosts": len(hosts),
        "busiest_host_links": max(Counter(urlsplit(u).hostname for u in urls).values()),
        "metadata": on_result is not None,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "cpu_ms_per_request": round(cpu * 1000 / max(1, served), 3),
        "peak_rss_mb": round(c1.ru_maxrss / 1024, 1),
        "requests_sent": sum(r.attempts for r in results),
        "requests_served": served,
        **{k: round(v, 2) for k, v in bound.items()},
        "wall_over_bound": round(wall / bound["lower_bound_s"], 3),
        "verdicts": dict(verdicts),
    }
    if args.json:
        print(json.dumps(report))
        return
    for key, value in report.items():
        print(f"{key:>22}: {value}")


if __name__ == "__main__":
    main()
