"""Instruction counts of the fetch path: ``fetch_all`` under callgrind, the server apart.

    .venv/bin/python -m bench.fetch_callgrind [--links 1000] [--hosts 40] [--out DIR]

Starts a zero-latency keep-alive HTTP server in a separate process (``serve``: one
listening socket on each of ``127.0.0.2`` … ``127.0.0.N``, so every URL's host is an IP
address and nothing is resolved), then runs ``fetch_all`` of ``--links`` URLs with the
lh-eq settings (timeout 5, retries 2, 64 at once, 4 per host, no interval, fragments
checked) as ``check`` passes them (the plan's host keys; no URL has a fragment, so every
page is read to the end of its head) in a child process under ``valgrind --tool=callgrind``
(the server is not traced). 1 URL in 12 answers a relative ``301`` to a page on the same
host. Pages are ``bench.workload``'s (the lh-eq workload's: about 14 KB, 3 % of them
1 MB, 10 % gzip-encoded, some windows-1251 or shift_jis). It prints the run's
instructions, those of a run with 1 URL (the fixed part) and the difference a URL;
``callgrind_annotate --inclusive=yes DIR/cg.N.out`` shows where.

``--child`` runs the fetch itself (what valgrind runs); ``--no-valgrind`` runs it plainly
and prints its verdicts, to check the workload.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from bench.workload import page

ROOT = Path(__file__).resolve().parent.parent


def host_ip(i: int) -> str:
    return f"127.0.0.{i + 2}"


def urls_for(links: int, hosts: int, port: int) -> list[str]:
    out = []
    for n in range(links):
        host = host_ip(n % hosts)
        kind = "r" if n % 12 == 11 else "p"
        out.append(f"http://{host}:{port}/{kind}/{n}")
    return out


CLOSE_EVERY = 0  # serve: every Nth answer of a connection says "Connection: close" (0: none)


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    answered = 0
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                return
            path = head.split(b" ", 2)[1]
            answered += 1
            closing = CLOSE_EVERY > 0 and answered % CLOSE_EVERY == 0
            close = b"Connection: close\r\n" if closing else b""
            if path.startswith(b"/r/"):
                writer.write(
                    b"HTTP/1.1 301 Moved Permanently\r\nLocation: /land/"
                    + path[3:]
                    + b"\r\n"
                    + close
                    + b"Content-Length: 0\r\n\r\n"
                )
            else:
                host = writer.get_extra_info("sockname")[0]
                body, headers = page(host, int(path.rsplit(b"/", 1)[1]), 1)
                lines = [b"HTTP/1.1 200 OK"]
                lines += [f"{k}: {v}".encode("latin-1") for k, v in headers.items()]
                lines.append(b"Content-Length: " + str(len(body)).encode())
                writer.write(b"\r\n".join(lines) + b"\r\n" + close + b"\r\n" + body)
            await writer.drain()
            if closing:
                return
    except ConnectionError:
        return
    finally:
        writer.close()


async def serve(hosts: int) -> None:
    first = await asyncio.start_server(handle, host_ip(0), 0, backlog=1024)
    port = first.sockets[0].getsockname()[1]
    servers = [first] + [
        await asyncio.start_server(handle, host_ip(i), port, backlog=1024) for i in range(1, hosts)
    ]
    print(f"PORT {port}", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    for s in servers:
        s.close()


def child(links: int, hosts: int, port: int) -> None:
    from linkhealth.config import Settings
    from linkhealth.fetch import fetch_all

    settings = Settings(
        timeout=5.0,
        retries=2,
        max_concurrency=64,
        host_concurrency=4,
        host_interval=0.0,
        check_fragments=True,
        allow_private=True,
    )
    from linkhealth.weburl import host_key

    urls = urls_for(links, hosts, port)
    # As check passes them: the plan's host keys, and no URL with a fragment (heads only).
    keys = {url: host_key(url) for url in urls}
    results = asyncio.run(fetch_all(urls, settings, hosts=keys, full_body=set()))
    print(dict(Counter(r.verdict.value for r in results)), sum(r.attempts for r in results))


def count(links: int, hosts: int, port: int, out: Path) -> int:
    cg = out / f"cg.{links}.out"
    cmd = [
        "valgrind", "--tool=callgrind", f"--callgrind-out-file={cg}",
        sys.executable, "-m", "bench.fetch_callgrind", "--child",
        "--links", str(links), "--hosts", str(hosts), "--port", str(port),
    ]  # fmt: skip
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    print(done.stdout.strip())
    m = re.search(r"Collected : (\d+)", done.stderr)
    assert m, done.stderr[-2000:]
    return int(m.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", nargs="?", choices=["serve"])
    parser.add_argument("--links", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=40)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("/tmp/fetch_callgrind"))
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--no-valgrind", action="store_true")
    parser.add_argument(
        "--close-every",
        type=int,
        default=0,
        help="the server closes a connection after this many answers (0: never; "
        "1: a new connection every request, 7: about lh-eq's share of new ones)",
    )
    args = parser.parse_args()
    if args.mode == "serve":
        global CLOSE_EVERY
        CLOSE_EVERY = args.close_every
        asyncio.run(serve(args.hosts))
        return
    if args.child:
        child(args.links, args.hosts, args.port)
        return
    serve_cmd = [
        sys.executable, "-m", "bench.fetch_callgrind", "serve",
        "--hosts", str(args.hosts), "--close-every", str(args.close_every),
    ]  # fmt: skip
    server = subprocess.Popen(
        serve_cmd,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline().split()[1])
        if args.no_valgrind:
            child(args.links, args.hosts, port)
            return
        args.out.mkdir(parents=True, exist_ok=True)
        fixed = count(1, args.hosts, port, args.out)
        total = count(args.links, args.hosts, port, args.out)
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(10)
    per = (total - fixed) / max(1, args.links - 1)
    print(f"1 URL: {fixed / 1e6:,.1f} M; {args.links} URLs: {total / 1e6:,.1f} M")
    print(f"a URL, fixed part taken off: {per / 1e3:,.1f} k instructions")


if __name__ == "__main__":
    main()
