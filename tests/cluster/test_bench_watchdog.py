"""The cluster bench's watchdog: a phase that overruns its timeout names itself, dumps
the driver's stacks, kills the child processes and exits 3 instead of hanging."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
EXIT_TIMEOUT = 3  # bench/cluster_bench.py's documented status for an overrun phase

# The bench runs in child processes only: importing it here (linkhealth, Dask) next to
# the other cluster tests' in-process LocalCluster tripped CPython 3.11.7's
# "AST constructor recursion depth mismatch" (gh-106905) when pytest later rewrote a module.

STUCK = """\
import subprocess, sys, time
from bench.cluster_bench import WATCHDOG
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print(child.pid, flush=True)
with WATCHDOG.phase("quick phase", 10):
    pass
with WATCHDOG.phase("stuck phase", 1.0):
    time.sleep(60)
"""


def test_overrun_phase_is_named_dumped_and_exits_nonzero() -> None:
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", STUCK],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert time.monotonic() - started < 30  # seconds, not the 60 s sleep
    assert proc.returncode == EXIT_TIMEOUT, proc.stderr
    assert "quick phase done in" in proc.stderr
    assert "TIMEOUT: phase 'stuck phase' did not finish within 1 s" in proc.stderr
    assert "quick phase' did not finish" not in proc.stderr
    # the driver's stack, pointing at the line that hung
    assert 'File "<string>", line 8' in proc.stderr
    child = int(proc.stdout.split()[0])
    deadline = time.monotonic() + 5
    while psutil.pid_exists(child) and time.monotonic() < deadline:
        try:
            if psutil.Process(child).status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.1)
    alive = psutil.pid_exists(child) and psutil.Process(child).status() != psutil.STATUS_ZOMBIE
    assert not alive  # the child process was killed with the driver


IN_TIME = """\
import sys, time
from bench.cluster_bench import EXIT_TIMEOUT, Watchdog
assert EXIT_TIMEOUT == int(sys.argv[1])
watchdog = Watchdog(sys.stdout)
with watchdog.phase("short", 0.5):
    pass
time.sleep(0.8)  # past the timeout: a cancelled timer must not fire
"""


def test_phase_in_time_reports_and_does_not_fire() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", IN_TIME, str(EXIT_TIMEOUT)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "short ... (timeout 0.5 s)" in proc.stdout
    assert "short done in" in proc.stdout
    assert "TIMEOUT" not in proc.stdout + proc.stderr
