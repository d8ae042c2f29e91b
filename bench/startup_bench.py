"""Start-up: wall and CPU time of ``--version``, ``--help``, ``check --help``, ``lint`` of a
small list and a one-link ``check``, with the peak RSS of each.

    python -m bench.startup_bench [--runs 7] [--src /tmp/before/src] [--list lists/reading-list.md]

Each command runs ``--runs`` times in a fresh interpreter after one warm-up run (which
writes the bytecode cache, as installing the package does: ``PYTHONDONTWRITEBYTECODE``
is dropped from the children's environment). Printed: the median wall seconds and the
fastest run (on a shared machine it shows what the command costs when it gets a core),
the median CPU seconds, the median peak RSS (``wait4``), and what ``-X importtime`` says
about one more run: the total import time and which heavy packages were imported. The
``check`` row checks one link to a loopback page (a thread in this process serves it):
its peak RSS is what the imports hold before the first request, plus one small page.
``--src`` puts another source tree first on ``PYTHONPATH`` (the "before" of a change: a
``git archive`` of the old commit unpacked outside the repository). ``lychee --version``
runs beside it for scale. Note the load average.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

WATCHED = (
    "aiohttp",
    "httpx",
    "rich",
    "pygments",
    "pydantic",
    "jinja2",
    "charset_normalizer",
    "dask",
    "markdown_it",
    "markdown_it_pyrs",
    "yarl",
)
PAGE = b'<!doctype html><html><head><meta charset="utf-8"><title>Hi</title></head><body>x</body>'


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: object) -> None:
        return


def _env(src: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if src:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    return env


def _run(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MB) of one run."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, _, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = 0  # reaped by wait4
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _imports(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, list[str]]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "linkhealth", *args],
        env=env,
        cwd=cwd,
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
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        one = folder / "one.md"
        one.write_text(f"# L\n\n- [a](http://127.0.0.1:{server.server_port}/a)\n")
        small = Path(args.list).resolve()
        cases = {
            "--version": ["--version"],
            "--help": ["--help"],
            "check --help": ["check", "--help"],
            f"lint {small.name}": ["lint", str(small)],
            "check, one loopback link": [
                "check",
                str(one),
                "--allow-private",
                "--store",
                str(folder / "state.sqlite"),
                "--max-age",
                "0",
                "--reports-dir",
                str(folder / "reports"),
            ],
        }
        print(f"load average before: {os.getloadavg()[0]:.1f}")
        for label, cli_args in cases.items():
            argv = [sys.executable, "-m", "linkhealth", *cli_args]
            _run(argv, env, folder)  # warm-up: writes the bytecode cache
            runs = [_run(argv, env, folder) for _ in range(args.runs)]
            imp, watched = _imports(cli_args, env, folder)
            print(
                f"{label:28} wall {statistics.median(r[0] for r in runs):.3f} s "
                f"(min {min(r[0] for r in runs):.3f})  "
                f"CPU {statistics.median(r[1] for r in runs):.3f} s  "
                f"RSS {statistics.median(r[2] for r in runs):5.1f} MB  imports {imp:.3f} s  "
                f"heavy: {', '.join(watched) or 'none'}"
            )
    server.shutdown()
    lychee = shutil.which("lychee") or "/work/venv/bin/lychee"
    if Path(lychee).exists():
        runs = [_run([lychee, "--version"], env, Path.cwd()) for _ in range(args.runs)]
        print(f"{'lychee --version':28} wall {statistics.median(r[0] for r in runs):.3f} s")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
