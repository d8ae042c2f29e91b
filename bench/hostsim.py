"""The busiest host of ``bench/workload.py``, simulated with the real ``HostState``.

    .venv/bin/python -m bench.hostsim [--links 5000 --hosts 200] [--rate-limited 3]
        [--interval 0.05 --jitter 0.5] [--seeds 1,2,3] [--hung-spread 0.85]

A discrete-event simulation on a fake clock of the one host that bounds a run: its links in
list order with their latencies, 503s, own 429s, hanging URLs (a 5 s timeout, two retries
with the engine's backoff) and redirects (a same-host hop waits for a slot first, or behind
the host's new URLs on a paced host, as in the engine), and, with ``--rate-limited``, the
host-wide token bucket. The real
``linkhealth.fetch.hosts.HostState`` decides when each request starts and which queued URL
goes (fresh work, retries, retries of URLs that hung); the engine's retry decisions are
copied here (``after``). No CPU cost, no start-up, no other hosts: the time this host's
schedule alone takes, next to the bound (``bench.workload.lower_bound``) and to when the
last hanging URL was first tried (no scheduler knows a URL hangs before trying it, so
"first try of the last one + its chain" is a floor for any order of the list).
Used to choose the rule for retries of hung URLs before the loopback runs.
"""

from __future__ import annotations

import argparse
import heapq
import random
import types
from collections import Counter
from dataclasses import dataclass

from bench.workload import BURST, RATE, Link, generate, latency, spread_hung

import linkhealth.fetch.hosts as hosts_module
from linkhealth.config import Settings
from linkhealth.fetch.engine import _TryBudget
from linkhealth.fetch.hosts import HostState

TIMEOUT = 5.0
RETRIES = 2
BACKOFF = 0.5
DEADLINE = 60.0  # the URL's budget (the default)
# The engine's own rule for how long a retry may wait behind new URLs (one place).
BUDGET = _TryBudget(
    Settings(timeout=TIMEOUT, retries=RETRIES, backoff_base=BACKOFF, url_deadline=DEADLINE)
)
CLOCK = [0.0]


@dataclass(eq=False)
class Job:
    link: Link
    n: int
    spent: int = 0
    slow: bool = False
    tries: int = 0  # requests made
    first: float = -1.0


@dataclass
class Sim:
    host: str
    seed: int
    state: HostState[Job]
    limited: bool
    tokens: float = float(BURST)
    filled: float = 0.0
    refused: int = 0
    own_first: dict[int, float] | None = None

    def request(self, job: Job, path: str, now: float) -> tuple[float, int]:
        """(seconds until the answer, status; 0 = timed out) of one request."""
        if self.limited:
            self.tokens = min(float(BURST), self.tokens + (now - self.filled) * RATE)
            self.filled = now
            if self.tokens < 1.0:
                self.refused += 1
                return 0.002, 429
            self.tokens -= 1.0
        kind = job.link.kind
        if kind == "hang" and not path.startswith("/land"):
            return TIMEOUT, 0
        took = latency(self.seed, self.host, path.partition("?")[0])
        assert self.own_first is not None
        first = self.own_first.setdefault(job.n, now)
        if kind == "e503" and first == now:
            return took, 503
        if kind == "t429" and now - first < 1.0:
            return took, 429
        return took, (404 if kind == "gone" else 200)


def start_by(j: Job) -> float:
    """The engine's latest start for a retry (or a hop) of ``j`` behind new URLs."""
    job = types.SimpleNamespace(deadline=j.first + DEADLINE, spent=j.spent)
    return BUDGET.start_by(job)  # type: ignore[arg-type]


def simulate(args: argparse.Namespace, seed: int) -> dict[str, float]:
    hosts_module.time = types.SimpleNamespace(monotonic=lambda: CLOCK[0])  # type: ignore[assignment]
    w = generate(args.links, args.hosts, args.seed, 1, args.rate_limited)
    if getattr(args, "hung_spread", None):
        w = spread_hung(w, args.hung_spread)
    host = Counter(link.host for link in w.links).most_common(1)[0][0]
    rng = random.Random(seed)
    state: HostState[Job] = HostState(
        host,
        concurrency=args.concurrency,
        interval=args.interval,
        jitter=args.jitter,
        backoff_cap=60.0,
        rng=random.Random(seed),
        is_slow=lambda j: j.slow,
        tries_left=lambda j: RETRIES - j.spent,
        start_by=start_by,
    )
    sim = Sim(host, w.seed, state, host in w.rate_limited, own_first={})
    links = [link for link in w.links if link.host == host]
    for n, link in enumerate(links):
        state.push(Job(link, n))
    left = len(links)
    # (when, seq, path, job, started, status)
    events: list[tuple[float, int, str, Job, float, int]] = []
    hops: list[Job] = []  # same-host redirect hops waiting for a slot (served first)
    seq = 0
    t = 0.0
    last_hang_first = 0.0
    wake = None
    while left:
        CLOCK[0] = t
        while True:  # the pump
            # The engine's rule: behind new URLs until the URL's budget says go.
            use_hop = bool(hops) and (not state.hops_wait() or start_by(hops[0]) <= t)
            ready = t if use_hop else state.next_ready(t)
            if ready is None:
                break
            start = max(ready, state.start_time())
            if start > t:
                wake = start
                break
            if use_hop:
                if not state.try_take(t):
                    break
                job = hops.pop(0)
                path = f"/land/{job.n}"
            else:
                got = state.start_next(t)
                if got is None:
                    break
                job = got
                path = job.link.hops[0][1]
                job.tries += 1
                if job.first < 0:
                    job.first = t
                    if job.link.kind == "hang":
                        last_hang_first = t
            took, status = sim.request(job, path, t)
            heapq.heappush(events, (t + took, seq, path, job, t, status))
            seq += 1
        nxt = events[0][0] if events else None
        if wake is not None and wake > t and (nxt is None or wake < nxt):
            t, wake = wake, None
            continue
        assert nxt is not None, "stuck"
        t, _, path, job, started, status = heapq.heappop(events)
        CLOCK[0] = t
        state.release(started)
        left -= after(state, job, path, started, status, rng, hops, w, host, t)
    return {"took": t, "last_hang_first": last_hang_first, "refused": sim.refused}


def after(
    state: HostState[Job],
    job: Job,
    path: str,
    started: float,
    status: int,
    rng: random.Random,
    hops: list[Job],
    w: object,
    host: str,
    now: float,
) -> int:
    """The engine's ``after`` for this workload: 1 when the URL is final."""
    job.slow = status == 0
    if status == 429:
        state.throttled(1.0, BACKOFF, started, probe=True)
        state.push(job, max(now + 1.0, state.paused_until))
        return 0
    if status == 503:
        state.failed_503(started)
    elif status:
        state.answered(started)
    if job.link.kind == "redirect" and not path.startswith("/land") and status == 200:
        if job.link.hops[1][0] == host:
            hops.append(job)
        return 0 if job.link.hops[1][0] == host else 1
    if status in (200, 404):
        return 1
    job.spent += 1
    if job.spent > RETRIES:
        return 1
    # The engine's backoff runs from when the failed request went out (a timed-out one has
    # waited longer than it already).
    wait = BACKOFF * 2.0 ** (job.spent - 1) * (1.0 + rng.random() * 0.5)
    state.push(job, max(started + wait, now, state.paused_until))
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--links", type=int, default=5000)
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1, help="the workload's seed")
    parser.add_argument("--rate-limited", type=int, default=0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument("--jitter", type=float, default=0.5)
    parser.add_argument("--seeds", default="1,2,3", help="the simulation's seeds (jitter)")
    parser.add_argument(
        "--hung-spread",
        type=float,
        metavar="SHARE",
        help="oracle order: each host's hanging links spread over this share of its list",
    )
    args = parser.parse_args()
    for seed in (int(s) for s in args.seeds.split(",")):
        r = simulate(args, seed)
        print(
            f"seed {seed}: {r['took']:.1f} s, last hanging URL first tried at "
            f"{r['last_hang_first']:.1f} s, {r['refused']:.0f} 429s from the limit"
        )


if __name__ == "__main__":
    main()
