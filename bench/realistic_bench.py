"""linkhealth and lychee, side by side, on the realistic workload of ``bench/workload.py``.

    .venv/bin/python -m bench.realistic_bench [--links 5000 --hosts 200] [--rate-limited 3]
        [--runs lh-eq,lh-default,lychee-eq,lychee-default] [--src DIR] [--save FILE]
        [--baseline FILE]

Each run gets a fresh server (a child process, so its CPU is not counted) and a fresh
list and store, and runs the checker as a child process on the Markdown list with
``--timeout 5 --retries 2 --max-concurrency 64 --check-fragments`` (lychee:
``--max-retries 2 --include-fragments``). ``*-eq`` runs use 4 requests per host and no
interval; ``*-default`` runs use each tool's defaults; ``*-outage`` runs check the same
list with every host name unresolvable (no network) and report how long the verdict took.

Reported per run: wall time, CPU (user + sys of the checker's process, from ``wait4``),
peak RSS (same), requests the server answered, most requests in flight on one host, 429s
the rate limiter sent, links left at 429, verdict counts, and verdicts that differ from
what a correct checker says (the workload knows). ``--save`` writes every linkhealth
verdict; ``--baseline`` compares this run's verdicts URL by URL with a saved file (before
and after a change: they must be identical). ``--src`` runs linkhealth from another source
tree (``PYTHONPATH``), e.g. main's code before a change. ``--bytecode`` compiles the
package's modules first, as installing it does (this machine sets
``PYTHONDONTWRITEBYTECODE``: without it every run compiles them from source).
``--hung-spread 0.85`` reorders the list as a checker could if its store remembered which
links timed out last time (``bench.workload.spread_hung``; both tools get the same list).
``--warm`` runs linkhealth twice on the same list and store, as nightly CI does: a first
run (not measured, on a server of its own) fills the store, then the measured run, on a
fresh server at the same port (the same URLs, every link's trouble as new), with
``--max-age 0`` (every link requested again: only the order of the links that timed out
last time and the stored validators change). lychee keeps no memory: its runs are as cold.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from bench.server import stop_child
from bench.workload import Workload, generate, lower_bound, spread_hung

ROOT = Path(__file__).resolve().parent.parent
LYCHEE = os.environ.get("LYCHEE", "/work/venv/bin/lychee")
TIMEOUT = 5
RETRIES = 2
MAX_CONCURRENCY = 64
HOST_CONCURRENCY = 4
DEFAULT_INTERVAL = 0.05  # both tools' default interval between a host's request starts


def start_server(args: argparse.Namespace, port: int = 0) -> tuple[subprocess.Popen[str], Workload]:
    """A fresh server (on ``port``, 0: any free one), and the workload with its port (the
    busiest hosts, which get the rate limits, depend only on the seed and sizes, not on
    the port)."""
    limited = generate(args.links, args.hosts, args.seed, 0, args.rate_limited).rate_limited
    cmd = [sys.executable, "-m", "bench.workload", "serve", "--hosts", str(args.hosts)]
    cmd += ["--seed", str(args.seed), *[x for h in limited for x in ("--rate-limit", h)]]
    cmd += ["--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        proc.kill()
        raise SystemExit(f"workload server did not start: {line!r}")
    port = int(line.split()[1])
    w = generate(args.links, args.hosts, args.seed, port, args.rate_limited)
    return proc, spread_hung(w, args.hung_spread) if args.hung_spread else w


def server_stats(port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/__stats", timeout=10) as resp:
        data: dict[str, Any] = json.load(resp)
        return data


def server_trace(port: int) -> dict[str, list[list[float]]]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/__trace", timeout=30) as resp:
        data: dict[str, list[list[float]]] = json.load(resp)
        return data


def trace_summary(trace: dict[str, list[list[float]]], hosts: list[str]) -> list[str]:
    """Per host, per 5 s of the run: requests started per second, mean requests in flight
    when one arrived, limiter 429s, the links' own 429s and hung requests."""
    lines = []
    for host in hosts:
        rows = sorted(trace.get(host, []))
        if not rows:
            continue
        first = rows[0][0]
        lines.append(
            f"{host}: {len(rows)} requests, first at {first:.1f} s, last at {rows[-1][0]:.1f} s"
        )
        buckets: dict[int, list[list[float]]] = {}
        for row in rows:
            buckets.setdefault(int(row[0] // 5), []).append(row)
        for b, rs in sorted(buckets.items()):
            st = Counter(int(r[2]) for r in rs)
            busy = sum(r[1] for r in rs) / len(rs)
            lines.append(
                f"  {b * 5:4d}-{b * 5 + 5:<4d} {len(rs) / 5:5.1f}/s  in flight {busy:.1f}"
                f"  429 {st[429]:3d}  own429 {st[1429]:2d}  503 {st[503]:2d}  hung {st[0]:2d}"
            )
    return lines


def run_child(cmd: list[str], env: dict[str, str] | None) -> tuple[float, float, float, int]:
    """(wall s, CPU s, peak RSS MB, exit code) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode not in (0, 1, 2, 3) or proc.returncode == 2:
        print(err[-2000:], file=sys.stderr)
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024, proc.returncode


def linkhealth_cmd(listfile: Path, out: Path, store: Path, eq: bool) -> list[str]:
    cmd = [
        sys.executable, "-m", "linkhealth", "check", str(listfile), "--format", "json",
        "--output", str(out), "--no-reports", "--store", str(store), "--allow-private",
        "--timeout", str(TIMEOUT), "--retries", str(RETRIES),
        "--max-concurrency", str(MAX_CONCURRENCY), "--check-fragments", "--quiet",
    ]  # fmt: skip
    if eq:
        cmd += ["--host-concurrency", str(HOST_CONCURRENCY), "--host-interval", "0"]
    return cmd


def lychee_cmd(listfile: Path, out: Path, eq: bool) -> list[str]:
    cmd = [
        LYCHEE, "--no-progress", "--format", "json", "--output", str(out),
        "--timeout", str(TIMEOUT), "--max-retries", str(RETRIES),
        "--max-concurrency", str(MAX_CONCURRENCY), "--include-fragments", str(listfile),
    ]  # fmt: skip
    if eq:
        cmd += ["--host-concurrency", str(HOST_CONCURRENCY), "--host-request-interval", "0s"]
    return cmd


def linkhealth_verdicts(out: Path) -> dict[str, dict[str, Any]]:
    data = json.loads(out.read_text())
    return {
        r["url"]: {"verdict": r["verdict"], "status": r["http_status"], "attempts": r["attempts"]}
        for r in data["results"]
    }


def lychee_verdicts(out: Path, w: Workload) -> dict[str, dict[str, Any]]:
    """lychee lists failures (``error_map``) and, in JSON, successes too; anything it does
    not list as failing counts as ok."""
    data = json.loads(out.read_text())
    verdicts = {link.url: {"verdict": "ok", "status": None} for link in w.links}
    failures = [*(data.get("error_map") or {}).values(), *(data.get("timeout_map") or {}).values()]
    for entries in failures:
        for e in entries:
            status = e.get("status") or {}
            text = str(status.get("text", ""))
            code = status.get("code")
            verdict = "timeout" if "timeout" in text.lower() else "failed"
            verdicts[e["url"]] = {"verdict": verdict, "status": code, "text": text[:120]}
    return verdicts


def judge(w: Workload, verdicts: dict[str, dict[str, Any]], lychee: bool) -> dict[str, Any]:
    wrong = []
    for link in w.links:
        got = verdicts.get(link.url, {}).get("verdict", "missing")
        want = link.expected
        if lychee:  # lychee does not tell redirected/ok apart, nor broken/timeout kinds
            want = (
                "ok"
                if want in ("ok", "redirected")
                else ("timeout" if want == "timeout" else "failed")
            )
        if got != want:
            wrong.append(f"{link.kind}: {link.url} -> {got} (want {want})")
    left_429 = sum(1 for v in verdicts.values() if v.get("status") == 429)
    return {
        "verdicts": dict(Counter(v["verdict"] for v in verdicts.values())),
        "left_at_429": left_429,
        "wrong": len(wrong),
        "wrong_examples": wrong[:8],
    }


def run_checker(
    name: str,
    args: argparse.Namespace,
    tmp: Path,
    text: str,
    store: Path | None = None,
    extra: tuple[str, ...] = (),
) -> tuple[Path, float, float, float, float, int]:
    """Write the list, run the checker ``name`` names on it (linkhealth: into ``store``,
    default a fresh one; ``extra`` arguments): (output file, load, wall s, CPU s, peak RSS
    MB, exit code)."""
    run_dir = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=tmp))  # a name may come twice
    listfile = run_dir / "links.md"
    listfile.write_text(text)
    out = run_dir / "out.json"
    eq = name.endswith("-eq")
    env = dict(os.environ)
    if args.src:
        env["PYTHONPATH"] = str(Path(args.src).resolve())
    if name.startswith("lh"):
        cmd = [*linkhealth_cmd(listfile, out, store or run_dir / "state.sqlite", eq), *extra]
    else:
        cmd = lychee_cmd(listfile, out, eq)
    load = os.getloadavg()[0]
    args.started_at = time.monotonic()
    wall, cpu, rss, code = run_child(cmd, env)
    return out, load, wall, cpu, rss, code


def outage_run(name: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """The same list with no network: every host name unresolvable (``hN.example.test``:
    asked of the system's resolver, as a real name is with no network; ``.invalid`` names
    are answered at once without asking it, which would measure no look-up at all)."""
    w = generate(args.links, args.hosts, args.seed, 1, args.rate_limited)
    text = re.sub(r"http://127\.0\.(\d+)\.(\d+):1/", r"http://h\1x\2.example.test/", w.markdown())
    out, load, wall, cpu, rss, code = run_checker(name, args, tmp, text)
    report: dict[str, Any] = {"run": name, "load_1min": round(load, 2), "exit": code}
    report |= {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "peak_rss_mb": round(rss, 1)}
    if name.startswith("lh"):
        data = json.loads(out.read_text())
        report["network"] = data["network"]
        report["verdicts"] = data["summary"]["by_verdict"]
    return report


def warm_up(name: str, args: argparse.Namespace, tmp: Path) -> tuple[Path, int]:
    """An unmeasured linkhealth run ``name`` on the list, on a server of its own: (the
    store it filled, the server's port)."""
    store = Path(tempfile.mkdtemp(prefix=f"{name}-store-", dir=tmp)) / "state.sqlite"
    proc, w = start_server(args)
    try:
        run_checker(name, args, tmp, w.markdown(), store)
    finally:
        stop_child(proc)
    return store, w.port


def one_run(name: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    if name.endswith("-outage"):
        return outage_run(name, args, tmp)
    store: Path | None = None
    port = 0
    if args.warm and name.startswith("lh"):
        store, port = warm_up(name, args, tmp)
    proc, w = start_server(args, port)
    try:
        extra = ("--max-age", "0") if store else ()
        out, load, wall, cpu, rss, code = run_checker(name, args, tmp, w.markdown(), store, extra)
        stats = server_stats(w.port)
        if args.trace:
            trace = server_trace(w.port)
            args.trace.mkdir(parents=True, exist_ok=True)
            (args.trace / f"{name}.json").write_text(json.dumps(trace))
            busiest = Counter(link.host for link in w.links).most_common(args.trace_hosts)
            print("\n".join(trace_summary(trace, [h for h, _ in busiest])), flush=True)
    finally:
        stop_child(proc)
    lychee = name.startswith("lychee")
    verdicts = lychee_verdicts(out, w) if lychee else linkhealth_verdicts(out)
    report: dict[str, Any] = {
        "run": name + (" (warm)" if store else ""),
        "load_1min": round(load, 2),
        "exit": code,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "cpu_ms_per_request": round(cpu * 1000 / max(1, stats["requests"]), 3),
        "peak_rss_mb": round(rss, 1),
        "requests": stats["requests"],
        "max_in_flight_one_host": stats["max_in_flight"],
        "rate_limit_429s": stats["rate_limited_429"],
        "first_request_after_s": round(stats["first_request_at"] - args.started_at, 2),
        "after_last_answer_s": round(args.started_at + wall - stats["last_answer_at"], 2),
        **judge(w, verdicts, lychee),
        "bound": lower_bound(
            w,
            host_concurrency=10 if name == "lychee-default" else HOST_CONCURRENCY,
            max_concurrency=MAX_CONCURRENCY,
            timeout=TIMEOUT,
            retries=RETRIES,
            interval=0.0 if name.endswith("-eq") else DEFAULT_INTERVAL,
        ),
    }
    report["wall_over_bound"] = round(wall / report["bound"]["lower_bound_s"], 2)
    if not lychee:
        report["_verdicts"] = verdicts
    return report


def without_port(verdicts: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Verdicts keyed by URL without the port (each run's server has its own port)."""
    return {re.sub(r"^(http://[^/:]+):\d+", r"\1", url): v for url, v in verdicts.items()}


def compare(baseline: Path, verdicts: dict[str, dict[str, Any]]) -> list[str]:
    before = without_port(json.loads(baseline.read_text()))
    verdicts = without_port(verdicts)
    diffs = []
    for url in sorted(set(before) | set(verdicts)):
        a = before.get(url, {}).get("verdict")
        b = verdicts.get(url, {}).get("verdict")
        if a != b:
            diffs.append(f"{url}: {a} -> {b}")
    return diffs


def compile_package(src: Path) -> None:
    """Write the bytecode of the tree's ``linkhealth`` package (``__pycache__``, ignored by
    git), as ``pip install`` does: a run then reads it instead of compiling ~70 modules
    from source (~0.4 s CPU, part of it in the first second of fetching, where the
    first pages import the metadata modules)."""
    if not compileall.compile_dir(src / "linkhealth", quiet=1):
        raise SystemExit(f"could not compile {src / 'linkhealth'}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--links", type=int, default=5000)
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--rate-limited", type=int, default=0, help="busiest hosts with a rate limit"
    )
    parser.add_argument("--runs", default="lh-eq,lychee-eq,lh-default,lychee-default")
    parser.add_argument("--src", help="run linkhealth from this source tree (PYTHONPATH)")
    parser.add_argument("--save", type=Path, help="write linkhealth's verdicts here (JSON)")
    parser.add_argument(
        "--baseline", type=Path, help="compare linkhealth's verdicts with this file"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per run")
    parser.add_argument(
        "--trace", type=Path, help="write the server's per-request trace here (a directory)"
    )
    parser.add_argument("--trace-hosts", type=int, default=1, help="busiest hosts to summarise")
    parser.add_argument(
        "--bytecode",
        action="store_true",
        help="compile linkhealth's modules first, as installing it does (with\n"
        "PYTHONDONTWRITEBYTECODE set, each run compiles them from source)",
    )
    parser.add_argument(
        "--hung-spread",
        type=float,
        metavar="SHARE",
        help="oracle order: each host's hanging links spread over this share of its\n"
        "links (what a store that remembers last run's timeouts could give)",
    )
    parser.add_argument(
        "--warm",
        action="store_true",
        help="linkhealth runs measured after an unmeasured run of the same list into\n"
        "the same store (nightly CI; --max-age 0: every link requested again)",
    )
    args = parser.parse_args()
    if args.bytecode:
        compile_package(Path(args.src) if args.src else ROOT / "src")
    with tempfile.TemporaryDirectory(prefix="lh-realistic-") as tmp:
        for name in args.runs.split(","):
            report = one_run(name.strip(), args, Path(tmp))
            verdicts = report.pop("_verdicts", None)
            if verdicts is not None and args.save:
                args.save.write_text(json.dumps(verdicts, indent=0, sort_keys=True))
            if verdicts is not None and args.baseline:
                diffs = compare(args.baseline, verdicts)
                report["differs_from_baseline"] = len(diffs)
                report["baseline_diffs"] = diffs[:10]
            if args.json:
                print(json.dumps(report), flush=True)
                continue
            print(f"--- {report.pop('run')}")
            for key, value in report.items():
                print(f"{key:>24}: {value}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
