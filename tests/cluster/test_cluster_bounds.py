"""Every wait of the cluster fetcher is bounded: a local cluster whose worker never
finishes starting is a ClusterError within the start timeout, and leaves no process.

The driver runs in a child process: a fresh interpreter whose children are all this
test's (and Dask's threads there cannot disturb pytest's own process)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

DRIVER = """\
import asyncio, json, sys, time
import dask, distributed, psutil
from linkhealth.cluster import ClusterError, cluster_fetcher
from linkhealth.config import Settings

def children():
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "resource_tracker" not in " ".join(child.cmdline()):
                found.append(child.pid)
        except psutil.Error:
            pass
    return found

async def run():
    async with cluster_fetcher(Settings(workers=1), start_timeout=3.0):
        pass

error = None
started = time.monotonic()
with dask.config.set({"distributed.worker.preload": [sys.argv[1]]}):
    try:
        asyncio.run(run())
    except ClusterError as exc:
        error = str(exc)
elapsed = time.monotonic() - started
deadline = time.monotonic() + 10
while children() and time.monotonic() < deadline:
    time.sleep(0.2)
print(json.dumps({"error": error, "elapsed": elapsed, "left": children()}))
"""

STUCK_PRELOAD = """\
import asyncio

async def dask_setup(worker):
    await asyncio.sleep(120)  # a worker stuck in its start-up
"""


def test_stuck_local_cluster_start_is_a_cluster_error(tmp_path: Path) -> None:
    preload = tmp_path / "stuck_preload.py"
    preload.write_text(STUCK_PRELOAD, encoding="utf-8")
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, str(preload)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    outcome = json.loads(proc.stdout.strip().splitlines()[-1])
    assert outcome["error"] is not None  # a ClusterError, not a hang or another error
    assert "did not start within 3 s" in outcome["error"]
    assert outcome["elapsed"] < 40  # bounded: the timeout plus a close
    assert outcome["left"] == []  # the half-started workers were shut down
    assert time.monotonic() - started < 80
