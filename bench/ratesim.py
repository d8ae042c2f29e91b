"""The adaptive rate of ``linkhealth.fetch.hosts.HostState`` against a token bucket, simulated.

    .venv/bin/python -m bench.ratesim [--rate 10 --burst 5 --links 550 --seeds 1,2,3]

A discrete-event simulation on a fake clock (seconds of simulated time run in a blink):
one host with 4 slots, answers after a lognormal latency (median 50 ms), a host-wide
token bucket (``--rate`` per second, ``--burst``) that answers ``429 Retry-After: 1`` at
once beyond it, and 2 % of URLs that answer their own ``429 Retry-After: 1`` for a second
(the realistic workload's mix). The real ``HostState`` decides when each request starts,
pauses, probes, cuts and climbs. Prints the time to finish against the bound
(requests ÷ rate) and the 429s the limit sent. Used to choose ``CUT``/``CLIMB``/``SEARCH``
before the loopback runs of ``bench/realistic_bench.py --rate-limited 3``.
"""

from __future__ import annotations

import argparse
import heapq
import math
import random
import types

import linkhealth.fetch.hosts as hosts_module
from linkhealth.fetch.hosts import HostState

CLOCK = [0.0]


def simulate(
    n: int,
    rate: float,
    burst: int,
    seed: int,
    own: float = 0.02,
    median: float = 0.05,
    ramp: float = 0.0,
) -> tuple[float, int]:
    """(seconds to finish ``n`` URLs, 429s sent by the bucket); answers take a lognormal
    time around ``median`` seconds, five times that in the first ``ramp`` seconds (a
    client busy starting up, as a loaded loopback run's is)."""
    hosts_module.time = types.SimpleNamespace(monotonic=lambda: CLOCK[0])  # type: ignore[assignment]
    rng = random.Random(seed)
    state: HostState[int] = HostState(
        "h", concurrency=4, interval=0.0, jitter=0.0, backoff_cap=60.0, rng=random.Random(0)
    )
    tokens, filled = float(burst), 0.0
    fresh = list(range(n))
    later: list[tuple[float, int]] = []
    own_first: dict[int, float] = {}
    answers: list[tuple[float, int, int, float, int]] = []
    seq = done = refused = 0
    t = 0.0
    while done < n:
        CLOCK[0] = t
        while (fresh or (later and later[0][0] <= t)) and state.try_take(t):
            url = heapq.heappop(later)[1] if later and later[0][0] <= t else fresh.pop(0)
            tokens, filled = min(float(burst), tokens + (t - filled) * rate), t
            slow = 5.0 if t < ramp else 1.0
            latency, status = slow * rng.lognormvariate(math.log(median), 0.5), 200
            if tokens < 1.0:
                refused += 1
                latency, status = 0.002, 429
            else:
                tokens -= 1.0
                if (url * 7919) % 100 < own * 100 and t - own_first.setdefault(url, t) < 1.0:
                    status = 429
            heapq.heappush(answers, (t + latency, seq, url, t, status))
            seq += 1
        wake = [answers[0][0]] if answers else []
        if (fresh or later) and state.in_flight < state.concurrency:
            ready = t if fresh else later[0][0]
            wake.append(max(ready, state.start_time(), t + 1e-6))
        t = CLOCK[0] = min(wake)
        if answers and answers[0][0] <= t:
            _, _, url, started, status = heapq.heappop(answers)
            state.release(started)
            if status == 429:
                state.throttled(1.0, 0.5, started, probe=True)
                heapq.heappush(later, (t + 1.0, url))
            else:
                state.answered(started)
                done += 1
    return t, refused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--burst", type=int, default=5)
    parser.add_argument("--links", type=int, default=550)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--median", type=float, default=0.05, help="answer time (s)")
    parser.add_argument("--ramp", type=float, default=0.0, help="slow start (s)")
    args = parser.parse_args()
    bound = (args.links - args.burst) / args.rate
    for seed in (int(s) for s in args.seeds.split(",")):
        took, refused = simulate(
            args.links, args.rate, args.burst, seed, median=args.median, ramp=args.ramp
        )
        ratio = took / bound
        print(f"seed {seed}: {took:.1f} s = {ratio:.2f}x the bound {bound:.1f} s, {refused} 429s")


if __name__ == "__main__":
    main()
