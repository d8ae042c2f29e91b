"""Start-up: wall and CPU time of ``--version``, ``--help`` and ``lint`` of a small list.

    python -m bench.startup_bench [--runs 7] [--src /work/main/src] [--list lists/reading-list.md]

Each command runs ``--runs`` times in a fresh interpreter; the median wall and CPU
seconds are printed, with what ``-X importtime`` says about one more run: the
total import time and whether aiohttp/httpx/rich/pydantic/jinja2/markdown_it were
imported. ``--src`` puts another source tree first on ``PYTHONPATH`` (the "before"
of a change). ``lychee --version`` runs beside it for scale. Note the load average.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

WATCHED = ("aiohttp", "httpx", "rich", "pydantic", "jinja2", "markdown_it", "markdown_it_pyrs")


def _env(src: str | None) -> dict[str, str]:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    return env


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system of the child) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, env=env, capture_output=True, check=False, timeout=120)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _imports(args: list[str], env: dict[str, str]) -> tuple[float, list[str]]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "linkhealth", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    total_us = 0
    names: set[str] = set()
    for line in proc.stderr.splitlines():
        parts = line.split("|")
        if line.startswith("import time:") and len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2].strip()
            names.add(name)
            if not parts[2].startswith("  "):  # top level: its cumulative time counts once
                total_us += int(parts[1])
    return total_us / 1e6, [m for m in WATCHED if m in names]


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.startup_bench")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--src", default=None, help="source tree to measure instead (PYTHONPATH)")
    ap.add_argument("--list", default="lists/reading-list.md", help="the small list to lint")
    args = ap.parse_args()
    env = _env(args.src)
    cases = {
        "--version": ["--version"],
        "--help": ["--help"],
        f"lint {Path(args.list).name}": ["lint", args.list],
    }
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    for label, cli_args in cases.items():
        runs = [
            _run([sys.executable, "-m", "linkhealth", *cli_args], env) for _ in range(args.runs)
        ]
        imp, watched = _imports(cli_args, env)
        print(
            f"{label:28} wall {statistics.median(r[0] for r in runs):.3f} s  "
            f"CPU {statistics.median(r[1] for r in runs):.3f} s  imports {imp:.3f} s  "
            f"heavy: {', '.join(watched) or 'none'}"
        )
    lychee = shutil.which("lychee") or "/work/venv/bin/lychee"
    if Path(lychee).exists():
        runs = [_run([lychee, "--version"], env) for _ in range(args.runs)]
        print(f"{'lychee --version':28} wall {statistics.median(r[0] for r in runs):.3f} s")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
