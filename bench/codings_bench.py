"""Peak memory of one hostile answer: ``Content-Encoding`` listing ``gzip`` N times.

    python -m bench.codings_bench [--codings 160000] [--urls 1] [--src /work/main/src]

A loopback server (127.0.0.5) answers every request with a small gzipped page whose
``Content-Encoding`` header lists ``gzip`` ``--codings`` times, over as many header lines
as a client's per-line limit needs (clients join them into one list). ``linkhealth
check`` runs on a list of ``--urls`` such URLs and its maximum resident size is printed,
then lychee's on the same list, same server, same minute. ``--src`` puts another source
tree first on ``PYTHONPATH`` (the "before" of a change). Note the load average.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

PAGE = b"<!doctype html><html><head><title>x</title></head><body>hi</body></html>"
PER_LINE = 1300  # "gzip, " x 1300 stays under aiohttp's 8190-byte header line limit


def _payload(codings: int) -> bytes:
    body = gzip.compress(PAGE)
    lines = [
        b"Content-Encoding: " + b", ".join([b"gzip"] * min(PER_LINE, codings - start))
        for start in range(0, codings, PER_LINE)
    ]
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + b"\r\n".join(lines)
    return head + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body


def _serve(payload: bytes) -> int:
    server = socket.socket()
    server.bind(("127.0.0.5", 0))
    server.listen(64)

    def answer(conn: socket.socket) -> None:
        with conn:
            try:
                conn.settimeout(30)
                conn.recv(65536)
                conn.sendall(payload)
                while conn.recv(65536):
                    pass
            except OSError:
                pass

    def accept() -> None:
        while True:
            conn, _ = server.accept()
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return int(server.getsockname()[1])


def _max_rss_mib(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    """Peak RSS (MiB) of ``argv`` run in a wrapper of its own, and its stdout."""
    wrapper = (
        "import resource, subprocess, sys\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=300)\n"
        "sys.stdout.write(p.stdout)\n"
        "sys.stderr.write('%d' % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *argv], cwd=cwd, env=env, capture_output=True, text=True
    )
    return int(done.stderr.strip().splitlines()[-1]) / 1024, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codings", type=int, default=160_000)
    parser.add_argument("--urls", type=int, default=1)
    parser.add_argument("--src", default=str(Path(__file__).resolve().parents[1] / "src"))
    args = parser.parse_args()
    port = _serve(_payload(args.codings))
    folder = Path(tempfile.mkdtemp(prefix="codings-bench-"))
    urls = [f"http://127.0.0.5:{port}/{n}" for n in range(args.urls)]
    (folder / "l.md").write_text("".join(f"- {u}\n" for u in urls), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=args.src)
    print(f"load average {os.getloadavg()[0]:.2f}; {args.codings} codings x {args.urls} URL(s)")
    check = ["check", "l.md", "--allow-private", "--no-reports", "--store", "s.sqlite"]
    argv = [sys.executable, "-m", "linkhealth", *check, "--retries", "0", "--format", "json"]
    rss, out = _max_rss_mib(argv, folder, env)
    try:
        first = json.loads(out)["results"][0]
        verdict = f"{first['verdict']}: {first['detail'][:70]}"
    except (ValueError, KeyError, IndexError):
        verdict = "no JSON result"
    print(f"linkhealth  max RSS {rss:7.0f} MiB  ({verdict})")
    lychee = shutil.which("lychee") or "/work/venv/bin/lychee"
    if Path(lychee).exists():
        rss_l, _ = _max_rss_mib([lychee, "--no-progress", "-m", "0", "l.md"], folder, env)
        print(f"lychee      max RSS {rss_l:7.0f} MiB  (ratio linkhealth/lychee {rss / rss_l:.1f})")


if __name__ == "__main__":
    main()
