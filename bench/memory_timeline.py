"""Where a ``check`` of the realistic workload holds its memory: RSS at every stage.

    .venv/bin/python -m bench.memory_timeline [--links 5000 --hosts 200] [--reports]
        [--trace] [--src DIR]

Starts the workload server of ``bench/realistic_bench.py`` and runs the same ``check``
command (4 per host, no interval, ``--check-fragments``, JSON to a file) in a child
process that wraps each stage of the run (reading the lists, the plan, the fetch, the
history pass, the report) and prints the process's RSS and high-water mark (VmRSS/VmHWM
of ``/proc/self/status``) as each one begins and ends. ``--trace`` adds the traced
Python heap (tracemalloc: current and peak since the last line; the run gets slower
and heavier, so read its RSS column as relative). ``--reports`` writes ``reports/``
too. The last line is the child's peak RSS from ``wait4``.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

STAGES = ("make_plan", "open_store", "check_local", "reuse", "fetch", "follow_up", "judge")
STAGES += ("settle", "archive", "record")


def _status() -> tuple[float, float]:
    """(VmRSS, VmHWM) in MB."""
    values = {}
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(("VmRSS", "VmHWM")):
                key, value = line.split(":")
                values[key] = int(value.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


class _Timeline:
    def __init__(self, log: str, trace: bool) -> None:
        self.t0 = time.perf_counter()
        self.log = open(log, "a", buffering=1)  # noqa: SIM115 (open for the whole run)
        self.trace = trace
        if trace:
            import tracemalloc

            tracemalloc.start()

    def mark(self, name: str) -> None:
        rss, hwm = _status()
        line = f"{time.perf_counter() - self.t0:7.2f} s  {name:24s} RSS {rss:6.1f}  peak {hwm:6.1f}"
        if self.trace:
            import tracemalloc

            now, peak = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            line += f"  traced {now / 2**20:5.1f} (peak {peak / 2**20:5.1f})"
        self.log.write(line + "\n")

    def wrap(self, owner: Any, name: str) -> None:
        original: Callable[..., Any] | None = getattr(owner, name, None)
        if original is None:  # not in this tree
            return
        mark = self.mark
        if inspect.iscoroutinefunction(original):

            @functools.wraps(original)
            async def wrapped_async(*args: Any, **kwargs: Any) -> Any:
                mark(f"> {name}")
                try:
                    return await original(*args, **kwargs)
                finally:
                    mark(f"< {name}")

            setattr(owner, name, wrapped_async)
            return

        @functools.wraps(original)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            mark(f"> {name}")
            try:
                return original(*args, **kwargs)
            finally:
                mark(f"< {name}")

        setattr(owner, name, wrapped)


def child(argv: list[str]) -> None:
    """Run ``linkhealth check argv`` with every stage wrapped."""
    timeline = _Timeline(os.environ["LH_TIMELINE_LOG"], os.environ["LH_TIMELINE_TRACE"] == "1")
    timeline.mark("start")
    import linkhealth.cli as cli
    from linkhealth.cli import check
    from linkhealth.pipeline import run

    timeline.mark("imported")
    for name in STAGES:
        timeline.wrap(run._Run, name)
    timeline.wrap(run, "_read_inputs")
    for name in ("write_reports", "emit"):
        timeline.wrap(check, name)
    sys.argv = ["linkhealth", *argv]
    try:
        cli.cli.main(prog_name="linkhealth")  # click's: returns to the finally below
    finally:
        timeline.mark("end")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    for name, default in (("links", 5000), ("hosts", 200), ("seed", 1), ("rate-limited", 0)):
        parser.add_argument(f"--{name}", type=int, default=default, help="as realistic_bench")
    parser.add_argument("--reports", action="store_true", help="write reports/ too")
    parser.add_argument("--trace", action="store_true", help="tracemalloc at every stage")
    parser.add_argument("--src", help="run linkhealth from this source tree (PYTHONPATH)")
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child)
        return
    from bench.realistic_bench import linkhealth_cmd, run_child, start_server, stop_child

    proc, workload = start_server(args)
    try:
        with tempfile.TemporaryDirectory(prefix="lh-memory-") as tmp:
            folder = Path(tmp)
            listfile = folder / "links.md"
            listfile.write_text(workload.markdown())
            cmd = linkhealth_cmd(listfile, folder / "out.json", folder / "state.sqlite", True)
            if args.reports:
                cmd.remove("--no-reports")
                cmd += ["--reports-dir", str(folder / "reports")]
            cmd[1:4] = ["-m", "bench.memory_timeline", "--child", "check"]
            log = folder / "timeline.txt"
            env = dict(os.environ, LH_TIMELINE_TRACE="1" if args.trace else "0")
            env["LH_TIMELINE_LOG"] = str(log)
            root = str(Path(__file__).resolve().parent.parent)
            env["PYTHONPATH"] = os.pathsep.join(
                [*([str(Path(args.src).resolve())] if args.src else []), root]
            )
            load = os.getloadavg()[0]
            wall, cpu, rss, code = run_child(cmd, env)
            print(log.read_text(), end="")
    finally:
        stop_child(proc)
    print(
        f"load {load:.2f}  wall {wall:.1f} s  CPU {cpu:.2f} s  peak RSS {rss:.1f} MB  exit {code}"
    )


if __name__ == "__main__":
    main()
