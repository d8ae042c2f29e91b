"""Whether this machine has a core to spare now: the one rule a second process (the
parse's worker, the outage JSON's writer) asks before it starts."""

from __future__ import annotations

import os
from pathlib import Path


def free_core() -> bool:
    """Whether a second core is idle now: two or more usable, and no task but this one
    runnable (/proc/loadavg; where there is none, a 1-minute load average that leaves a
    core). On a busy machine the worker would only share a core with the parent: more
    CPU in all, no sooner done. (The load average also counts this program's own last
    minutes: run twice in a row, it would keep the worker off.) Callers look it up here
    at each call (``cores.free_core()``), so one replacement holds for all."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 1
    if usable < 2:
        return False
    try:
        running = int(LOADAVG.read_text().split()[3].split("/")[0])  # this one included
    except (OSError, ValueError, IndexError):
        try:
            return os.getloadavg()[0] <= usable - 1
        except (AttributeError, OSError):  # not known here
            return True
    return running - 1 <= usable - 2


LOADAVG = Path("/proc/loadavg")
