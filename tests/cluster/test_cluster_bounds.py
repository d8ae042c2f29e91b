"""Every wait of the cluster fetcher is bounded: a local cluster whose worker never
finishes starting is a ClusterError within the start timeout, and leaves no process."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import dask
import distributed  # noqa: F401  (its config defaults must exist before dask.config.set)
import psutil
import pytest

from linkhealth.cluster import ClusterError, cluster_fetcher
from linkhealth.config import Settings

STUCK_PRELOAD = """\
import asyncio

async def dask_setup(worker):
    await asyncio.sleep(120)  # a worker stuck in its start-up
"""


def _children() -> set[int]:
    """Child processes, but multiprocessing's resource tracker (one per process, kept)."""
    found = set()
    for child in psutil.Process().children(recursive=True):
        try:
            if "resource_tracker" not in " ".join(child.cmdline()):
                found.add(child.pid)
        except psutil.Error:
            pass
    return found


def test_stuck_local_cluster_start_is_a_cluster_error(tmp_path: Path) -> None:
    preload = tmp_path / "stuck_preload.py"
    preload.write_text(STUCK_PRELOAD, encoding="utf-8")
    before = _children()

    async def run() -> None:
        async with cluster_fetcher(Settings(workers=1), start_timeout=3.0):
            pass

    started = time.monotonic()
    stuck = dask.config.set({"distributed.worker.preload": [str(preload)]})
    with stuck, pytest.raises(ClusterError, match=r"did not start within 3 s"):
        asyncio.run(run())
    assert time.monotonic() - started < 40  # bounded: the timeout plus a close
    deadline = time.monotonic() + 10
    while _children() - before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _children() - before  # the half-started workers were shut down
