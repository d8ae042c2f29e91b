"""A local multi-host HTTP server for the fetch benchmark.

Every host name (``h0.bench.test`` … mapped to this server with ``settings.resolve``)
is served by one listening socket on loopback; the Host header says which host a
request is for. Each URL answers after a seeded lognormal latency (median 50 ms),
with an HTML page that has a real ``<head>`` (title, description, Open Graph).
``latency(seed, host, path)`` is the same function the benchmark uses to compute
the workload's lower bound.

Run: ``python -m bench.server --seed 1`` prints ``PORT <n>`` and serves until its
stdin closes or ``--lifetime`` seconds pass. ``GET /__stats`` returns the number
of requests served, as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import random
import subprocess
import sys
import threading

MEDIAN_LATENCY = 0.050
SIGMA = 0.5


def latency(seed: int, host: str, path: str) -> float:
    """Seconds this URL takes to answer (deterministic for a seed)."""
    rng = random.Random(f"{seed}|{host}|{path}")
    return rng.lognormvariate(math.log(MEDIAN_LATENCY), SIGMA)


def page(host: str, path: str) -> bytes:
    title = f"{host}{path} — a benchmark page"
    head = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title}</title>"
        f"<meta name='description' content='Description of {path} on {host}, for the benchmark.'>"
        f"<meta property='og:site_name' content='{host}'>"
        f"<meta property='og:title' content='{title}'>"
        f"<link rel='canonical' href='http://{host}{path}'>"
        "<meta name='viewport' content='width=device-width'>"
        + "<link rel='stylesheet' href='/style.css'>" * 5
        + "</head>"
    )
    body = "<body><h1>Heading</h1>" + "<p>Some paragraph text for the page body.</p>" * 40
    return (head + body + "</body></html>").encode()


class Stats:
    requests = 0


async def handle(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, seed: int, stats: Stats
) -> None:
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            _, path, _ = lines[0].split(" ", 2)
            host = ""
            for line in lines[1:]:
                if line[:5].lower() == "host:":
                    host = line[5:].strip().rsplit(":", 1)[0]
            if path == "/__stats":
                body = json.dumps({"requests": stats.requests}).encode()
                ctype = "application/json"
            else:
                stats.requests += 1
                await asyncio.sleep(latency(seed, host, path))
                body = page(host, path)
                ctype = "text/html; charset=utf-8"
            writer.write(
                (
                    f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n"
                ).encode()
                + body
            )
            await writer.drain()
    except ConnectionError:
        return
    finally:
        writer.close()


async def serve(seed: int, port: int, lifetime: float) -> None:
    stats = Stats()
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, seed, stats), "127.0.0.1", port, backlog=1024
    )
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await until_stdin_closes(lifetime)
    server.close()


async def until_stdin_closes(lifetime: float) -> None:
    """Return when stdin closes (the benchmark is done) or after ``lifetime`` seconds."""
    loop = asyncio.get_running_loop()
    done = asyncio.Event()

    def watch_stdin() -> None:
        sys.stdin.read()
        loop.call_soon_threadsafe(done.set)

    threading.Thread(target=watch_stdin, daemon=True).start()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), lifetime)


def stop_child(proc: subprocess.Popen[str]) -> None:
    """Stop a server started as a child: close its stdin, then kill it if it lingers."""
    if proc.stdin is not None:
        proc.stdin.close()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--lifetime", type=float, default=600.0)
    args = parser.parse_args()
    try:
        import uvloop  # type: ignore[import-not-found]

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(serve(args.seed, args.port, args.lifetime))


if __name__ == "__main__":
    main()
