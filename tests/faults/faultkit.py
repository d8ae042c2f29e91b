"""Helpers for the fault suite: run the real CLI in a subprocess, bounded, and check
the things every fault case asserts (no traceback, the store is intact)."""

from __future__ import annotations

import os
import re
import resource
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 60.0  # seconds: no subprocess in this suite runs longer

#: An escape sequence or a C0/C1 control other than newline and tab; bidi overrides.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str
    max_rss_kib: int = 0


def cli_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "linkhealth", *args]


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKHEALTH_")}
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        env.pop(name, None)
    env["PYTHONPATH"] = str(ROOT / "src")
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


def run_cli(
    *args: str, cwd: Path, timeout: float = DEADLINE, env: dict[str, str] | None = None
) -> Ran:
    """Run ``linkhealth ARGS`` in ``cwd``; assert it ended in time and printed no traceback.

    ``max_rss_kib`` is this child's peak resident size (measured by a wrapper process that
    runs nothing else, so earlier children of the test process do not count).
    """
    wrapper = (
        "import resource, subprocess, sys\n"
        "p = subprocess.run(sys.argv[1:])\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "sys.stderr.write('\\n@@rss=%d\\n' % rss)\n"
        "sys.exit(p.returncode)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", wrapper, *cli_argv(*args)],
        cwd=cwd,
        env=env or child_env(),
        capture_output=True,
        timeout=timeout,
    )
    stderr = proc.stderr.decode("utf-8", "replace")
    rss = 0
    match = re.search(r"\n@@rss=(\d+)\n$", stderr)
    if match:
        rss = int(match.group(1))
        stderr = stderr[: match.start()]
    assert "Traceback" not in stderr, stderr[-4000:]
    return Ran(proc.returncode, proc.stdout.decode("utf-8", "replace"), stderr, rss)


def integrity_ok(store: Path) -> bool:
    with closing(sqlite3.connect(store)) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def rows(store: Path, sql: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(store)) as conn:
        return conn.execute(sql).fetchall()


def self_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
