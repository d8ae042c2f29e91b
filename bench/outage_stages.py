"""Where an outage's wall goes, stage by stage, from the command's start to its exit.

    .venv/bin/python -m bench.outage_stages [--links 200000 --hosts 200] [--runs 3]
        [--src DIR] [--bytecode]

The list of ``realistic_bench``'s ``lh-outage`` run (every host an unresolvable
``.test`` name: no network) is checked ``--runs`` times with lh-outage's command, each in
a child process (``python -m bench.outage_stages child ...``) that runs the CLI with the
stages of :class:`linkhealth.pipeline.run._Run` (and the settle's three parts, the
outputs' write) wrapped: at each one's end it notes the wall time since the parent
started it and the process's CPU (every thread's). At the exit (the CLI's exit handlers
run just before ``os._exit``) it writes them, and the CPU of its reaped children (the
JSON report's writers), to a file. Printed: each segment's median wall and CPU (ms), the
child's whole wall (``wait4``), CPU and peak RSS, and the load average. A segment holds
what ran since the mark before it (``parse``: the settings and the lists read).
``LINKHEALTH_MAX_FILE_BYTES`` is raised for the run (the 200,000 list is ~10.6 MB).
"""

from __future__ import annotations

import os
import sys
import time

from bench.stagemarks import mark_after

STAGES = (
    "look_ahead",
    "make_plan",
    "open_store",
    "check_local",
    "reuse",
    "fetch",
    "follow_up",
    "judge",
)


def child(argv: list[str]) -> None:
    """Run ``linkhealth check *argv`` here, its stages marked (see the module)."""
    t0 = float(os.environ["LH_STAGES_T0"])
    out = os.environ["LH_STAGES_OUT"]
    marks: list[tuple[str, float, float]] = []

    def mark(name: str) -> None:
        marks.append((name, time.time() - t0, time.process_time()))

    mark("interpreter")
    import linkhealth.cli as cli_module
    import linkhealth.cli.check as check_module
    import linkhealth.pipeline  # noqa: F401

    mark("imports (cli, check, pipeline)")
    from linkhealth.pipeline import recorder, run
    from linkhealth.report import ahead

    def after(owner: object, name: str, label: str) -> None:
        mark_after(owner, name, label, mark)

    after(run, "_read_inputs", "parse (settings + read_inputs)")
    for stage in STAGES:
        after(run._Run, stage, stage)
    after(recorder.RunRecorder, "apply_history", "settle: apply_history")
    after(ahead, "start", "settle: JSON children started")
    after(recorder.RunRecorder, "add_rest", "settle: add_rest (store record)")
    after(run._Run, "settle", "settle: rest")
    after(run._Run, "archive", "archive")
    after(run._Run, "record", "record (report, finish run)")
    after(check_module, "_write_outputs", "write outputs (JSON)")

    def at_exit() -> None:
        mark("to the exit")
        times = os.times()
        with open(out, "w") as file:
            for name, wall, cpu in marks:
                print(f"{wall * 1000:.2f} {cpu * 1000:.2f} {name}", file=file)
            kids = (times.children_user + times.children_system) * 1000
            print(f"children_cpu {kids:.2f}", file=file)

    import atexit

    atexit.register(at_exit)
    sys.argv = ["linkhealth", "check", *argv]
    cli_module.main()


def main() -> None:
    import argparse
    import re
    import statistics
    import subprocess
    import tempfile
    from pathlib import Path

    from bench.realistic_bench import compile_package, linkhealth_cmd
    from bench.workload import generate

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--links", type=int, default=200_000)
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--src", help="run linkhealth from this source tree (PYTHONPATH)")
    parser.add_argument("--bytecode", action="store_true", help="compile the package first")
    parser.add_argument("--keep", type=Path, help="copy each run's out.json here (a folder)")
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    src = Path(args.src).resolve() if args.src else root / "src"
    if args.bytecode:
        compile_package(src)
    w = generate(args.links, args.hosts, args.seed, 1, 0)
    text = re.sub(r"http://127\.0\.(\d+)\.(\d+):1/", r"http://h\1x\2.example.test/", w.markdown())
    env = dict(os.environ, LINKHEALTH_MAX_FILE_BYTES="200000000")
    if args.src:
        env["PYTHONPATH"] = str(src)
    runs: list[dict[str, tuple[float, float]]] = []
    whole: list[tuple[float, float, float, int]] = []
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory(prefix="lh-stages-") as name:
        tmp = Path(name)
        listfile = tmp / "links.md"
        listfile.write_text(text)
        for number in range(args.runs):
            run_dir = Path(tempfile.mkdtemp(dir=tmp))
            cmd = linkhealth_cmd(listfile, run_dir / "out.json", run_dir / "state.sqlite", False)
            assert cmd[1:4] == ["-m", "linkhealth", "check"]
            cmd[1:4] = ["-m", "bench.outage_stages", "child"]
            marks = run_dir / "marks.txt"
            env["LH_STAGES_OUT"] = str(marks)
            env["LH_STAGES_T0"] = repr(time.time())
            t0 = time.perf_counter()
            proc = subprocess.Popen(cmd, env=env, cwd=root, stdout=subprocess.DEVNULL)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - t0
            code = os.waitstatus_to_exitcode(status)
            loads.append(os.getloadavg()[0])
            cpu = usage.ru_utime + usage.ru_stime
            whole.append((wall, cpu, usage.ru_maxrss / 1024, code))
            stages: dict[str, tuple[float, float]] = {}
            wall_before = cpu_before = 0.0
            for line in marks.read_text().splitlines():
                if line.startswith("children_cpu "):
                    stages["(JSON children's CPU)"] = (0.0, float(line.split()[1]))
                    continue
                at, cpu_at, label = line.split(" ", 2)
                stages[label] = (float(at) - wall_before, float(cpu_at) - cpu_before)
                wall_before, cpu_before = float(at), float(cpu_at)
            stages["(exit to wait4)"] = (wall * 1000 - wall_before, 0.0)
            runs.append(stages)
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                (args.keep / f"out{number}.json").write_bytes((run_dir / "out.json").read_bytes())
    print(
        f"{args.links} links, {args.runs} runs, src {src}, loads "
        + " ".join(f"{load:.2f}" for load in loads)
    )
    print(
        f"{'wall':>8} {'CPU':>8}  ms, medians"
        + "".join(f"  | run {n + 1}" for n in range(len(runs)))
    )
    for label in runs[0]:
        walls = [run[label][0] for run in runs if label in run]
        cpus = [run[label][1] for run in runs if label in run]
        each = "".join(f"  | {w:5.0f} {c:5.0f}" for w, c in zip(walls, cpus, strict=True))
        print(f"{statistics.median(walls):8.0f} {statistics.median(cpus):8.0f}  {label:32}{each}")
    for wall, cpu, rss, code in whole:
        print(f"run: wall {wall:.2f} s, CPU {cpu:.2f} s, peak RSS {rss:.0f} MB, exit {code}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        child(sys.argv[2:])
    else:
        main()
