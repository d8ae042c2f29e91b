"""Where a real check's start-up CPU goes, stage by stage, up to its first request.

    .venv/bin/python -m bench.stages_bench [--links 5000 --hosts 200] [--runs 5] [--src DIR]

A fresh workload server (``bench/workload.py``, as ``realistic_bench`` starts it) and its
list; then ``--runs`` checks (lh-eq's command, ``realistic_bench.linkhealth_cmd``), each in a
child process (``bench/stages_child.py``, which imports nothing else first) that runs the
CLI with the stages of :class:`linkhealth.pipeline.run._Run` wrapped: at each stage's end
it notes ``time.process_time()`` (the whole process's CPU since it started, every
thread's), and at the first request's bytes (``Connection.send``) it prints the stages and
exits. Printed: the fewest and the median milliseconds of CPU each stage took. The imports
are stages of their own (click and the CLI, ``cli.check``, the pipeline), so a run's
start-up is read as: interpreter, imports, parse, look-ups ahead, plan, store, local
links, reuse, the fetch's set-up until the first request. ``--src`` runs another source
tree (``PYTHONPATH``), e.g. main before a change. Note the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
from pathlib import Path

from bench.realistic_bench import linkhealth_cmd, start_server
from bench.server import stop_child


def one_run(listfile: Path, tmp: Path, src: str | None) -> list[tuple[str, float]]:
    run_dir = Path(tempfile.mkdtemp(dir=tmp))
    # lh-eq's command, its program the stages' child instead of `-m linkhealth check`
    cmd = linkhealth_cmd(listfile, run_dir / "out.json", run_dir / "state.sqlite", eq=True)
    assert cmd[1:4] == ["-m", "linkhealth", "check"]
    cmd[1:4] = ["-m", "bench.stages_child"]
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = str(Path(src).resolve())
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=True)
    ends = [line.split(" ", 1) for line in out.stdout.splitlines()]
    stages, before = [], 0.0
    for at, name in ends:
        stages.append((name, float(at) - before))
        before = float(at)
    return stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--links", type=int, default=5000)
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate-limited", type=int, default=0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--src", help="run linkhealth from this source tree (PYTHONPATH)")
    parser.add_argument("--hung-spread", type=float, default=None)
    args = parser.parse_args()
    proc, workload = start_server(args)
    try:
        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            listfile = tmp / "links.md"
            listfile.write_text(workload.markdown())
            load = os.getloadavg()[0]
            runs = [one_run(listfile, tmp, args.src) for _ in range(args.runs)]
    finally:
        stop_child(proc)
    print(f"{args.links} links, {args.runs} runs, load {load:.2f} -> {os.getloadavg()[0]:.2f}")
    print(f"{'fewest':>8} {'median':>8}  ms of CPU")
    for i, (name, _) in enumerate(runs[0]):
        values = [run[i][1] for run in runs]
        print(f"{min(values):8.1f} {statistics.median(values):8.1f}  {name}")
    totals = [sum(ms for _, ms in run) for run in runs]
    print(f"{min(totals):8.1f} {statistics.median(totals):8.1f}  to the first request")


if __name__ == "__main__":
    main()
