"""What a second process of ours (the parse's worker, the outage JSON's writer) needs:
whether the machine has a core and the memory to spare for it now, and writing a whole
buffer to a file descriptor. One rule each, for both."""

from __future__ import annotations

import os
from pathlib import Path


def free_core() -> bool:
    """Whether a second core is idle now: two or more usable, and no task but this one
    runnable (/proc/loadavg; where there is none, a 1-minute load average that leaves a
    core). On a busy machine the worker would only share a core with the parent: more
    CPU in all, no sooner done. (The load average also counts this program's own last
    minutes: run twice in a row, it would keep the worker off.) Callers look it up here
    at each call (``procs.free_core()``), so one replacement holds for all."""
    usable = usable_cores()
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


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def memory_to_spare(needed: int) -> bool:
    """Whether ``needed`` more bytes fit in what the system says is available without
    swapping (/proc/meminfo's MemAvailable; where it is not known: yes)."""
    try:
        for line in MEMINFO.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024 >= needed
    except (OSError, ValueError, IndexError):
        pass
    return True


def resident_bytes() -> int:
    """This process's resident memory now (0 where it is not known)."""
    try:
        return int(STATM.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return 0


MEMINFO = Path("/proc/meminfo")
STATM = Path("/proc/self/statm")


def write_all(fd: int, data: bytes) -> int:
    """``data`` written whole to ``fd`` (``os.write`` may take part of it); its length."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    return len(data)
