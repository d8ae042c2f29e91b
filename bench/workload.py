"""A realistic multi-host workload for link checkers: list generator + loopback server.

Every host is its own loopback address (``127.0.0.2``, ``127.0.0.3`` …, one listening
socket each, all on the same port), so any checker sees separate hosts without DNS
tricks. A URL's path says what its server does; everything else (latency, encoding,
size) is seeded by the URL, so two runs of the same workload are the same work:

==============  =====================================================================
``/ok/N``        a page after a lognormal latency (median 50 ms, sigma 0.5); some are
                 big (about 1 MB), some windows-1251 or shift_jis (labelled in the
                 header, in ``<meta>``, or not at all), some gzip-encoded
``/hang/N``      reads the request and never answers (the client times out)
``/e503/N``      ``503`` to the first request, the page afterwards
``/t429/N``      ``429 Retry-After: 1`` for one second after the first request
``/r/N?to=IP``   ``301``/``302`` to ``/land/N`` on host ``IP`` (this host or another)
``/gone/N``      ``404``
==============  =====================================================================

Hosts listed with ``--rate-limit`` allow ``RATE`` requests per second with a burst of
``BURST`` (a token bucket), and answer ``429 Retry-After: 1`` beyond it, before any
latency, whatever the path: the host-wide limits real sites (GitHub first) apply.

``GET /__stats`` on the control address (``127.0.0.1``) returns JSON counters: requests
per host, most requests in flight per host at once, 429s sent by the rate limiter.

Run: ``python -m bench.workload serve --hosts 200`` prints ``PORT <n>`` and serves until
stdin closes or ``--lifetime`` seconds pass.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field

from bench.server import until_stdin_closes

MEDIAN_LATENCY = 0.050
SIGMA = 0.5
RATE = 10.0  # requests per second allowed by a rate-limited host
BURST = 5
ZIPF_S = 1.1

# Share of links per kind (the rest are plain pages).
MIX = {"hang": 0.01, "e503": 0.03, "t429": 0.02, "redirect": 0.08, "gone": 0.02}
FRAGMENT_SHARE = 0.04  # of plain pages, linked with an anchor (a quarter of them missing)


def host_ip(i: int) -> str:
    """The loopback address of host ``i`` (0-based): 127.0.0.2, 127.0.0.3, ..."""
    n = i + 2
    return f"127.0.{n // 250}.{n % 250}" if n >= 250 else f"127.0.0.{n}"


def latency(seed: int, host: str, path: str) -> float:
    """Seconds this request takes to answer (deterministic for a seed)."""
    rng = random.Random(f"{seed}|{host}|{path}")
    return rng.lognormvariate(math.log(MEDIAN_LATENCY), SIGMA)


@dataclass(frozen=True)
class Link:
    url: str
    host: str
    kind: str  # ok, hang, e503, t429, redirect, gone, fragment, missing-fragment
    # Requests the link costs per host when checked correctly: [(host, path), ...]
    hops: tuple[tuple[str, str], ...]
    expected: str  # the verdict a correct checker gives


@dataclass
class Workload:
    seed: int
    port: int
    hosts: list[str]
    links: list[Link]
    rate_limited: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        lines = ["# Benchmark links", ""]
        for i, link in enumerate(self.links):
            if i % 50 == 0:
                lines += ["", f"## Section {i // 50}", ""]
            lines.append(f"- [Link {i}]({link.url})")
        return "\n".join(lines) + "\n"


def generate(n_links: int, n_hosts: int, seed: int, port: int, rate_limited: int = 0) -> Workload:
    """``n_links`` unique links over ``n_hosts`` Zipf-popular hosts with the failure mix."""
    rng = random.Random(seed)
    hosts = [host_ip(i) for i in range(n_hosts)]
    weights = [1.0 / (k + 1) ** ZIPF_S for k in range(n_hosts)]
    picks = rng.choices(range(n_hosts), weights=weights, k=n_links)
    # Every host gets at least one link.
    for k in range(min(n_hosts, n_links)):
        if k not in picks:
            picks[rng.randrange(n_links)] = k
    links = []
    for n, h in enumerate(picks):
        host = hosts[h]
        base = f"http://{host}:{port}"
        roll = rng.random()
        edge = 0.0
        kind = "ok"
        for name, share in MIX.items():
            edge += share
            if roll < edge:
                kind = name
                break
        if kind == "redirect":
            other = hosts[rng.randrange(n_hosts)] if rng.random() < 0.5 else host
            path = f"/r/{n}?to={other}"
            hops = ((host, path), (other, f"/land/{n}"))
            links.append(Link(base + path, host, kind, hops, "redirected"))
            continue
        if kind == "ok" and rng.random() < FRAGMENT_SHARE:
            missing = rng.random() < 0.25
            frag = f"#missing-{n}" if missing else "#sec-3"
            kind = "missing-fragment" if missing else "fragment"
            path = f"/ok/{n}"
            expected = "broken" if missing else "ok"
            links.append(Link(base + path + frag, host, kind, ((host, path),), expected))
            continue
        path = f"/{kind}/{n}"
        expected = {"ok": "ok", "hang": "timeout", "e503": "ok", "t429": "ok", "gone": "broken"}
        links.append(Link(base + path, host, kind, ((host, path),), expected[kind]))
    by_host = Counter(link.host for link in links)
    limited = [h for h, _ in by_host.most_common(rate_limited)]
    return Workload(seed, port, hosts, links, limited)


def spread_hung(w: Workload, share: float) -> Workload:
    """The same links with each host's hanging ones spread evenly over the first ``share``
    of that host's links, the rest in their order (which host comes next in the list is
    kept): the order a checker could give a list whose store remembers which links timed
    out on the last run (an oracle: here every one hangs again), by the engine's own rule
    (:func:`linkhealth.fetch.hosts.spread_early`, what ``check`` does with a store whose
    last run saw them time out). ``bench/hostsim.py`` and ``realistic_bench.py`` measure
    what it gives (``--hung-spread``)."""
    from linkhealth.fetch.hosts import spread_early  # the server process never needs it

    by_host: dict[str, list[Link]] = {}
    for link in w.links:
        by_host.setdefault(link.host, []).append(link)
    queues = {
        host: spread_early(links, lambda link: link.kind == "hang", share)[::-1]
        for host, links in by_host.items()
    }
    links = [queues[link.host].pop() for link in w.links]
    return Workload(w.seed, w.port, w.hosts, links, w.rate_limited)


def lower_bound(
    w: Workload,
    *,
    host_concurrency: int,
    max_concurrency: int,
    timeout: float,
    retries: int,
    interval: float = 0.0,
    backoff: float = 0.5,
) -> dict[str, float]:
    """Seconds no scheduler can beat: the busiest host's work at its concurrency, its
    request starts at its interval or at its rate limit, the total work at the global
    concurrency, the longest single link; and ``last_hang_s``: no scheduler knows that a
    URL hangs before trying it, so a host cannot finish before its last hanging link's
    first try (after the first request of every link listed before it on that host,
    at the host's pace, rate limit or slots) plus that link's chain of attempts and
    backoffs (``timeout`` each, ``backoff`` doubling between them, jitter at its least)."""
    work: Counter[str] = Counter()
    count: Counter[str] = Counter()
    longest = 0.0
    before: dict[str, tuple[int, float]] = {}  # host: first requests, their slot time
    last_try: Counter[str] = Counter()  # host: when its last hanging link can first go
    for link in w.links:
        chain = 0.0
        for host, path in link.hops:
            lat = latency(w.seed, host, path)
            if link.kind == "hang":
                lat = timeout * (retries + 1)
            elif link.kind in ("e503", "t429"):
                lat *= 2  # two requests
            work[host] += lat
            count[host] += 2 if link.kind in ("e503", "t429") else 1
            chain += lat
        if link.kind == "t429":
            chain += 1.0
        longest = max(longest, chain)
        host = link.host
        n, slot = before.get(host, (0, 0.0))
        if link.kind == "hang":
            limited = max(0, n - BURST) / RATE if host in w.rate_limited else 0.0
            last_try[host] = max(n * interval, limited, slot / host_concurrency)
            slot += timeout
        else:
            slot += latency(w.seed, host, link.hops[0][1])
        before[host] = (n + 1, slot)
    # A backoff runs from when the failed request went out: after a timeout, what is left.
    hang_chain = timeout * (retries + 1) + sum(
        max(0.0, backoff * 2**k - timeout) for k in range(retries)
    )
    last_hang = max((t + hang_chain for t in last_try.values()), default=0.0)
    slots = _hang_slots_bound(w, host_concurrency, interval, timeout * (retries + 1), hang_chain)
    per_host = max(work[h] / host_concurrency for h in work)
    paced = max(count.values(), default=0) * interval
    rate = max((max(0, count[h] - BURST) / RATE for h in w.rate_limited), default=0.0)
    spread = sum(work.values()) / max_concurrency
    parts = {
        "busiest_host_s": round(per_host, 2),
        "paced_host_s": round(paced, 2),
        "rate_limited_host_s": round(rate, 2),
        "total_over_global_s": round(spread, 2),
        "longest_link_s": round(longest, 2),
        "last_hang_s": round(last_hang, 2),
        "last_hang_slots_s": round(slots, 2),
    }
    return parts | {"lower_bound_s": max(parts.values())}


def _hang_slots_bound(
    w: Workload, concurrency: int, interval: float, work: float, chain: float
) -> float:
    """``last_hang_s`` with the slots counted (a fluid relaxation, so still a bound): before
    a host's last hanging link is first tried, its new URLs listed before it start at the
    host's pace, and every hanging link before it does its attempts (``work`` slot-seconds
    each) except what fits beside the last one's ``chain`` in the other slots afterwards.
    While h slots hang, new URLs go at most at min(pace, (slots - h) / mean answer time).
    Minimises the time to the last first try over how long h slots hang (an LP with two
    constraints: its optimum holds at most two values of h)."""
    best = 0.0
    for host in {link.host for link in w.links if link.kind == "hang"}:
        links = [link for link in w.links if link.host == host]
        last = max(i for i, link in enumerate(links) if link.kind == "hang")
        lat = [latency(w.seed, host, link.hops[0][1]) for link in links if link.kind != "hang"]
        mean = sum(lat) / len(lat) if lat else MEDIAN_LATENCY  # a host of hanging links only
        pace = 1.0 / interval if interval else math.inf
        if host in w.rate_limited:
            pace = min(pace, RATE)
        hung = sum(1 for link in links[:last] if link.kind == "hang") * work
        need = (last, max(0.0, hung - (concurrency - 1) * chain))
        rates = [min(pace, (concurrency - h) / mean) for h in range(concurrency)]
        best = max(best, _least_time(rates, need) + chain)
    return best


def _least_time(rates: list[float], need: tuple[float, float]) -> float:
    """min sum(x) over x >= 0 with sum(rates[h] x[h]) >= starts, sum(h x[h]) >= hung."""
    starts, hung = need
    best = math.inf
    for h, r in enumerate(rates):
        if h or not hung:
            best = min(best, max(starts / r, hung / h if h else 0.0))
    for i, ri in enumerate(rates):
        for j in range(i + 1, len(rates)):
            rj = rates[j]
            det = ri * j - rj * i  # x_i, x_j with both constraints met exactly
            if det == 0:
                continue
            xi = (starts * j - hung * rj) / det
            xj = (hung * ri - starts * i) / det
            if xi >= 0 and xj >= 0:
                best = min(best, xi + xj)
    return best


# ---------------------------------------------------------------- the server


def page(host: str, n: int, seed: int) -> tuple[bytes, dict[str, str]]:
    """The body and headers of page ``n`` on ``host``: size and encoding seeded by URL."""
    rng = random.Random(f"page|{seed}|{host}|{n}")
    style = rng.random()
    if style < 0.05:
        charset, title = "windows-1251", f"Страница {n} — тестовая страница"
    elif style < 0.08:
        charset, title = "shift_jis", f"ページ n{n} — ベンチマーク"
    else:
        charset, title = "utf-8", f"Page n{n} on {host} — a benchmark page"
    label = rng.random()
    meta = f"<meta charset='{charset}'>" if label < 0.5 or charset == "utf-8" else ""
    ctype = (
        "text/html"
        if 0.5 <= label < 0.8 and charset != "utf-8"
        else f"text/html; charset={charset}"
    )
    head = (
        f"<!doctype html><html lang='en'><head>{meta}<title>{title}</title>"
        f"<meta name='description' content='Description of page {n} for the benchmark.'>"
        f"<meta property='og:site_name' content='{host}'>"
        f"<meta property='og:title' content='{title}'>"
        f"<link rel='canonical' href='/ok/{n}'><meta name='viewport' content='width=device-width'>"
        + "<link rel='stylesheet' href='/style.css'>" * 5
        + "<script>var config = {'a': 1, 'b': [1, 2, 3]};</script>"
        + "</head><body>"
    )
    sections = "".join(
        f"<h2 id='sec-{k}'>Section {k}</h2>" + "<p>Some paragraph text for the page body.</p>" * 8
        for k in range(1, 6)
    )
    big = rng.random() < 0.03
    filler = "<p>" + "Long page text, repeated to make a big document. " * 20 + "</p>"
    body = head + sections + (filler * 1000 if big else filler * 10) + "</body></html>"
    data = body.encode(charset, errors="replace")
    headers = {"Content-Type": ctype}
    if rng.random() < 0.10:
        data = gzip.compress(data, 5)
        headers["Content-Encoding"] = "gzip"
    return data, headers


class Bucket:
    def __init__(self) -> None:
        self.tokens = float(BURST)
        self.at = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(float(BURST), self.tokens + (now - self.at) * RATE)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class Server:
    def __init__(self, seed: int, port: int, rate_limited: list[str]) -> None:
        self.seed = seed
        self.port = port
        self.buckets = {h: Bucket() for h in rate_limited}
        self.first_hit: dict[str, float] = {}
        self.requests: Counter[str] = Counter()
        self.in_flight: Counter[str] = Counter()
        self.max_in_flight: Counter[str] = Counter()
        self.limited_429 = 0
        self.stopping = asyncio.Event()
        # Per host: (arrival, requests in flight then, status sent (0 = hung), seconds
        # until it ended, the path) per request.
        self.trace: dict[str, list[tuple[float, int, int, float, str]]] = {}
        self.t0: float | None = None  # monotonic (system-wide): the bench compares
        self.last_answer: float | None = None

    def stats(self) -> dict[str, object]:
        return {
            "requests": sum(self.requests.values()),
            "requests_per_host": dict(self.requests),
            "max_in_flight": max(self.max_in_flight.values(), default=0),
            "max_in_flight_per_host": dict(self.max_in_flight),
            "rate_limited_429": self.limited_429,
            "first_request_at": self.t0,
            "last_answer_at": self.last_answer,
        }

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host = writer.get_extra_info("sockname")[0]
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                target = head.split(b" ", 2)[1].decode("latin-1")
                if target == "/__stats":
                    await self.send(writer, 200, json.dumps(self.stats()).encode(), {})
                    continue
                if target == "/__trace":
                    await self.send(writer, 200, json.dumps(self.trace).encode(), {})
                    continue
                now = time.monotonic()
                if self.t0 is None:
                    self.t0 = now
                self.requests[host] += 1
                self.in_flight[host] += 1
                self.max_in_flight[host] = max(self.max_in_flight[host], self.in_flight[host])
                entry = [now - self.t0, self.in_flight[host], 0]
                try:
                    keep = await self.answer(host, target, reader, writer, entry)
                finally:
                    self.in_flight[host] -= 1
                    self.last_answer = time.monotonic()
                    took = self.last_answer - now
                    row = (entry[0], entry[1], entry[2], took, target)
                    self.trace.setdefault(host, []).append(row)
                if not keep:
                    return
        except (ConnectionError, OSError):
            return
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def hang(self, reader: asyncio.StreamReader) -> None:
        """Never answer; the request stays in flight until the client hangs up."""
        stop = asyncio.ensure_future(self.stopping.wait())
        gone = asyncio.ensure_future(reader.read())
        await asyncio.wait([stop, gone], return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        gone.cancel()

    async def answer(
        self,
        host: str,
        target: str,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        entry: list[float | int],
    ) -> bool:
        bucket = self.buckets.get(host)
        if bucket is not None and not bucket.take():
            self.limited_429 += 1
            entry[2] = 429
            await self.send(writer, 429, b"rate limited", {"Retry-After": "1"}, "text/plain")
            return True
        path, _, query = target.partition("?")
        _, kind, num = ([*path.split("/"), "", ""])[:3]
        await asyncio.sleep(latency(self.seed, host, path))
        n = int(num) if num.isdigit() else 0
        if kind == "hang":
            await self.hang(reader)
            return False
        if kind == "gone":
            entry[2] = 404
            await self.send(writer, 404, b"<html><head><title>Not found</title></head></html>", {})
            return True
        if kind == "r":
            to = query.removeprefix("to=") or host
            status = 301 if n % 2 else 302
            entry[2] = status
            location = f"http://{to}:{self.port}/land/{n}"
            await self.send(writer, status, b"", {"Location": location})
            return True
        if kind in ("e503", "t429"):
            now = time.monotonic()
            first = self.first_hit.setdefault(target, now)
            if kind == "e503" and first == now:
                entry[2] = 503
                await self.send(writer, 503, b"busy", {}, "text/plain")
                return True
            if kind == "t429" and now - first < 1.0:
                entry[2] = 1429  # the link's own 429, not the host's limit
                await self.send(writer, 429, b"slow down", {"Retry-After": "1"}, "text/plain")
                return True
        body, headers = page(host, n, self.seed)
        entry[2] = 200
        await self.send(writer, 200, body, headers, None)
        return True

    async def send(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        body: bytes,
        headers: dict[str, str],
        ctype: str | None = "text/html; charset=utf-8",
    ) -> None:
        lines = [f"HTTP/1.1 {status} X"]
        if ctype:
            lines.append(f"Content-Type: {ctype}")
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()


async def serve(
    n_hosts: int, seed: int, port: int, rate_limited: list[str], lifetime: float
) -> None:
    servers = []
    for _ in range(20):  # find a port free on every address
        chosen = port
        try:
            servers = []
            app = Server(seed, chosen, rate_limited)
            first = await asyncio.start_server(app.handle, "127.0.0.1", chosen, backlog=1024)
            chosen = first.sockets[0].getsockname()[1]
            app.port = chosen
            servers.append(first)
            for i in range(n_hosts):
                servers.append(
                    await asyncio.start_server(app.handle, host_ip(i), chosen, backlog=1024)
                )
            break
        except OSError:
            for s in servers:
                s.close()
            servers = []
    if not servers:
        raise SystemExit("no port free on every loopback address")
    print(f"PORT {app.port}", flush=True)
    await until_stdin_closes(lifetime)
    app.stopping.set()
    for s in servers:
        s.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--hosts", type=int, default=200)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--rate-limit", action="append", default=[], metavar="IP")
    s.add_argument("--lifetime", type=float, default=900.0)
    args = parser.parse_args()
    with contextlib.suppress(ImportError):
        import uvloop  # type: ignore[import-not-found,unused-ignore]

        uvloop.install()
    asyncio.run(serve(args.hosts, args.seed, args.port, args.rate_limit, args.lifetime))


if __name__ == "__main__":
    main()
