"""Extraction speed: a generated ~10 MB list with 100,000 links, beside ``lychee --dump``.

    python -m bench.extract_bench [--links 100000] [--bytes 10000000] [--engine rust]

Generates the list (seeded), runs ``lychee --dump`` (link extraction only, no request)
on it, then in fresh child processes (so that each peak RSS printed is its own): the
parse alone in one process (``extract_text``), and the whole command as a user runs it,
``linkhealth extract FILE --format json -o OUT`` (start-up, parse, JSON written; a large
file is parsed by two processes, parse/split.py: the worker's CPU and peak RSS are
printed beside, and the most both held at once), the row to compare with lychee, whose
``--dump`` also starts up and prints (with threads). ``--engine python`` measures
the markdown-it-py fallback (parse only). Record the numbers in RESULTS.md with the load
average printed.

Then a second list (``--references N``, default 30,000; 0 skips it): N paragraphs of
three reference links each, no list and no heading among them, and their N definitions
in one run after them (round 6's review: 2.4 MB, 7-8 s in one process where inline links
took a third of that): the command in one process beside lychee on the same file.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def reference_list(n: int) -> str:
    """``n`` paragraphs of three reference links, then their ``n`` definitions in one run."""
    uses = "".join(f"[u{i}][l{i}] [v{i}][l{i}] [w{i}][l{i}]\n\n" for i in range(n))
    defs = "".join(f"[l{i}]: https://d{i % 997}.example/{i}\n" for i in range(n))
    return f"# A\n\n{uses}# B\n\n{defs}\n"


def _child(path: str, engine: str) -> None:
    from linkhealth.parse import extract_text, read_markdown

    start, cpu = time.perf_counter(), time.process_time()
    text = read_markdown(Path(path))
    result = extract_text(text, path, engine="python" if engine == "python" else "rust")
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak_kib = _hwm_kib()
    print(
        json.dumps(
            {
                "seconds": round(elapsed, 2),
                "cpu_seconds": round(cpu, 2),
                "peak_rss_mib": round(peak_kib / 1024, 1),
                "occurrences": len(result.occurrences),
                "findings": len(result.findings),
            }
        )
    )


#: ``--always-split``: the worker started even when another task holds a core (the
#: command starts it only with a second core idle: linkhealth.procs.free_core)
_ALWAYS = (
    "try:\n    import linkhealth.procs as c; c.free_core = lambda: True\n"
    "except ImportError:  # a tree before round 11\n"
    "    import linkhealth.parse.split as s; s._free_core = lambda: True\n"
)
_always_split = False


def _command(path: Path, *, split: bool = True) -> dict[str, float]:
    """``linkhealth extract PATH --format json -o OUT`` in a fresh process, twice: timed
    (wall and CPU seconds from the start of the interpreter, its peak RSS), then sampled
    from /proc (its worker's peak RSS — the second process a large file is parsed in:
    parse/split.py — and the most both held at once, RSS and PSS). Reading /proc every
    10 ms costs CPU and takes the processes' memory locks: it would slow the timed run."""
    timed = _command_run(path, split=split, sample=False)
    sampled = _command_run(path, split=split, sample=True)
    return {**sampled, **{k: timed[k] for k in ("seconds", "cpu_seconds", "worker_cpu_seconds")}}


def _command_run(path: Path, *, split: bool, sample: bool) -> dict[str, float]:
    out = path.with_suffix(".json")
    code = (
        "import resource, sys\n"
        "from linkhealth.cli import cli\n"
        + ("" if split else "import linkhealth.parse.split as s; s.SPLIT_MIN_BYTES = 1 << 62\n")
        + (_ALWAYS if split and _always_split else "")
        + "try:\n"
        f"    cli.main(['extract', {str(path)!r}, '--format', 'json', '-o', {str(out)!r}])\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "from bench.extract_bench import _hwm_kib\n"
        "me = resource.getrusage(resource.RUSAGE_SELF)\n"
        "kids = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(me.ru_utime + me.ru_stime, _hwm_kib(), kids.ru_utime + kids.ru_stime)\n"
    )
    env = {**os.environ, "LINKHEALTH_MAX_FILE_BYTES": str(path.stat().st_size + 1)}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env
    )
    sampler = _TreeSampler(proc.pid)
    if sample:
        sampler.start()
    stdout, _ = proc.communicate()
    wall = time.perf_counter() - start
    if sample:
        sampler.stop.set()
        sampler.join()
    assert proc.returncode == 0, proc.returncode
    cpu, peak_kib, worker_cpu = stdout.split()
    worker_kib = max((v for pid, v in sampler.hwm.items() if pid != proc.pid), default=0)
    written = len(json.loads(out.read_text(encoding="utf-8")))
    return {
        "seconds": wall,
        "cpu_seconds": float(cpu),
        "peak_rss_mib": int(peak_kib) / 1024,
        "worker_cpu_seconds": float(worker_cpu),
        "worker_peak_rss_mib": int(worker_kib) / 1024,
        "together_rss_mib": sampler.rss_kib / 1024,
        "together_pss_mib": sampler.pss_kib / 1024,
        "occurrences": written,
    }


class _TreeSampler(threading.Thread):
    """The most RSS (and PSS) a process and its children held at once, and each one's
    peak (VmHWM), read from /proc every 10 ms (Linux; zeros elsewhere).

    ru_maxrss is no measure here: a child started by vfork+exec (as subprocess starts
    one) inherits the high-water mark of its parent's memory at that moment."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.stop = threading.Event()
        self.rss_kib = 0
        self.pss_kib = 0
        self.hwm: dict[int, int] = {}

    def run(self) -> None:
        while not self.stop.wait(0.01):
            pids = [self.pid, *_children(self.pid)]
            rss = 0
            for p in pids:
                status = _fields(p, "status")
                rss += status.get("VmRSS:", 0)
                self.hwm[p] = max(self.hwm.get(p, 0), status.get("VmHWM:", 0))
            self.rss_kib = max(self.rss_kib, rss)
            pss = sum(_fields(p, "smaps_rollup").get("Pss:", 0) for p in pids)
            self.pss_kib = max(self.pss_kib, pss)


def _hwm_kib() -> int:
    """This process's peak RSS (VmHWM; ru_maxrss where there is no /proc)."""
    return _fields(os.getpid(), "status").get("VmHWM:") or (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    )


def _children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, ValueError):
        return []


def _fields(pid: int, name: str) -> dict[str, int]:
    """The kB fields of /proc/PID/NAME (empty if the process is gone)."""
    found = {}
    try:
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                found[parts[0]] = int(parts[1])
    except (OSError, ValueError):
        pass
    return found


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.extract_bench")
    ap.add_argument("--links", type=int, default=100_000)
    ap.add_argument("--hosts", type=int, default=1000)
    ap.add_argument("--bytes", type=int, default=10_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--engine", choices=["rust", "python"], default="rust")
    ap.add_argument("--lychee", default=shutil.which("lychee") or "/work/venv/bin/lychee")
    ap.add_argument(
        "--one-process",
        action="store_true",
        help="also run the command with the second process turned off (same minutes)",
    )
    ap.add_argument(
        "--always-split",
        action="store_true",
        help="start the worker even on a busy machine (memory, CPU; wall means little then)",
    )
    ap.add_argument(
        "--references",
        type=int,
        default=30_000,
        help="definitions of the reference-link list measured after the bench list (0: none)",
    )
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    global _always_split
    _always_split = args.always_split
    if args.child:
        _child(args.child, args.engine)
        return 0
    from bench.genlist import generate

    text = generate(args.links, args.hosts, args.seed, target_bytes=args.bytes)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.md"
        path.write_text(text, encoding="utf-8")
        size = path.stat().st_size
        lychee = _lychee(args.lychee, path)
        engine = ["--engine", args.engine]
        proc = subprocess.run(
            [sys.executable, "-m", "bench.extract_bench", "--child", str(path), *engine],
            capture_output=True,
            text=True,
            check=True,
        )
        command = _command(path) if args.engine == "rust" else None
        one = _command(path, split=False) if command and args.one_process else None
        lychee_after = _lychee(args.lychee, path) if lychee is not None else None
    stats = json.loads(proc.stdout)
    load = os.getloadavg()[0]  # wall time means little on a busy machine: say how busy
    print(
        f"extract: {size / 1e6:.1f} MB, {args.links} links -> {stats['occurrences']} occurrences "
        f"({stats['findings']} findings) in {stats['seconds']} s "
        f"({stats['cpu_seconds']} s CPU), peak RSS {stats['peak_rss_mib']} MiB, "
        f"one process, load average {load:.1f}"
    )
    for row, name in ((command, "two processes"), (one, "one process")):
        if row is not None:
            _print_command(row, name)
    for run, name in ((lychee, "before"), (lychee_after, "after")):
        if run is None:
            continue
        print(
            f"lychee --dump ({name} the commands): {run['links']:.0f} links in "
            f"{run['seconds']:.2f} s ({run['cpu_seconds']:.2f} s CPU), "
            f"peak RSS {run['peak_rss_mib']:.1f} MiB"
        )
    if lychee is not None and command is not None:
        runs = [x for x in (lychee, lychee_after) if x is not None]
        wall = sum(x["seconds"] for x in runs) / len(runs)
        cpu = sum(x["cpu_seconds"] for x in runs) / len(runs)
        for row, name in ((command, "two processes"), (one, "one process")):
            if row is not None:
                both = row["cpu_seconds"] + row["worker_cpu_seconds"]
                print(
                    f"command ({name}) / lychee (mean of its runs): "
                    f"{row['seconds'] / max(wall, 1e-3):.1f}x wall, "
                    f"{both / max(cpu, 1e-3):.1f}x CPU"
                )
    expected = {stats["occurrences"], command["occurrences"] if command else args.links}
    if args.references and args.engine == "rust" and not _references(args.references, args.lychee):
        return 1
    return 0 if expected == {args.links} else 1


def _references(n: int, lychee_binary: str) -> bool:
    """The reference-link list: the command in one process, lychee before and after."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "refs.md"
        path.write_text(reference_list(n), encoding="utf-8")
        runs = [_lychee(lychee_binary, path)]
        row = _command_run(path, split=False, sample=False)
        runs.append(_lychee(lychee_binary, path))
        size = path.stat().st_size
    load = os.getloadavg()[0]
    print(
        f"reference links ({size / 1e6:.1f} MB, {3 * n} uses of {n} definitions in one run "
        f"after them; extract --format json, one process): {row['occurrences']:.0f} "
        f"occurrences in {row['seconds']:.2f} s ({row['cpu_seconds']:.2f} s CPU), "
        f"peak RSS {row['peak_rss_mib']:.1f} MiB, load average {load:.1f}"
    )
    done = [x for x in runs if x is not None]
    if done:
        wall = sum(x["seconds"] for x in done) / len(done)
        cpu = sum(x["cpu_seconds"] for x in done) / len(done)
        print(
            f"  lychee --dump (mean of {len(done)}): {done[0]['links']:.0f} links in "
            f"{wall:.2f} s ({cpu:.2f} s CPU); command / lychee {row['seconds'] / wall:.1f}x "
            f"wall, {row['cpu_seconds'] / max(cpu, 1e-3):.1f}x CPU"
        )
    return row["occurrences"] == 3 * n


def _print_command(row: dict[str, float], name: str) -> None:
    print(
        f"extract --format json ({name}: start-up, parse, output): "
        f"{row['occurrences']:.0f} occurrences in {row['seconds']:.2f} s "
        f"({row['cpu_seconds']:.2f} s CPU), peak RSS {row['peak_rss_mib']:.1f} MiB"
    )
    if not row["worker_cpu_seconds"] and name == "two processes":
        print("  no worker was started: no idle core (load average), or the file too small")
    if row["worker_cpu_seconds"]:
        print(
            f"  its worker: {row['worker_cpu_seconds']:.2f} s CPU, peak RSS "
            f"{row['worker_peak_rss_mib']:.1f} MiB; the two peaks summed "
            f"{row['peak_rss_mib'] + row['worker_peak_rss_mib']:.1f} MiB; most held "
            f"at once (sampled) RSS {row['together_rss_mib']:.1f} MiB, "
            f"PSS {row['together_pss_mib']:.1f} MiB"
        )


def _lychee(binary: str, path: Path) -> dict[str, float] | None:
    """``lychee --dump`` on ``path``: wall and CPU seconds, peak RSS (sampled VmHWM),
    links printed."""
    if not Path(binary).exists():
        return None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [binary, "--dump", "-v", "--no-progress", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    sampler = _TreeSampler(proc.pid)
    sampler.start()
    stdout, _ = proc.communicate()
    wall = time.perf_counter() - start
    sampler.stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "seconds": wall,
        "cpu_seconds": cpu,
        "peak_rss_mib": sampler.hwm.get(proc.pid, 0) / 1024,
        "links": float(len(stdout.splitlines())),
    }


if __name__ == "__main__":
    raise SystemExit(main())
