"""Extraction speed: a generated ~10 MB list with 100,000 links.

    python -m bench.extract_bench [--links 100000] [--bytes 10000000]

Generates the list (seeded), then parses it in a fresh child process so that
the peak RSS printed is the extractor's own. Record the numbers in RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _child(path: str) -> None:
    from linkhealth.parse import extract_text, read_markdown

    start, cpu = time.perf_counter(), time.process_time()
    text = read_markdown(Path(path))
    result = extract_text(text, path)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": round(elapsed, 2),
                "cpu_seconds": round(cpu, 2),
                "peak_rss_mib": round(peak_kib / 1024, 1),
                "occurrences": len(result.occurrences),
                "findings": len(result.findings),
            }
        )
    )


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.extract_bench")
    ap.add_argument("--links", type=int, default=100_000)
    ap.add_argument("--hosts", type=int, default=1000)
    ap.add_argument("--bytes", type=int, default=10_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child)
        return 0
    from bench.genlist import generate

    text = generate(args.links, args.hosts, args.seed, target_bytes=args.bytes)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.md"
        path.write_text(text, encoding="utf-8")
        size = path.stat().st_size
        proc = subprocess.run(
            [sys.executable, "-m", "bench.extract_bench", "--child", str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
    stats = json.loads(proc.stdout)
    load = os.getloadavg()[0]  # wall time means little on a busy machine: say how busy
    print(
        f"extract: {size / 1e6:.1f} MB, {args.links} links -> {stats['occurrences']} occurrences "
        f"({stats['findings']} findings) in {stats['seconds']} s "
        f"({stats['cpu_seconds']} s CPU), peak RSS {stats['peak_rss_mib']} MiB, "
        f"load average {load:.1f}"
    )
    return 0 if stats["occurrences"] == args.links else 1


if __name__ == "__main__":
    raise SystemExit(main())
