"""What a host's refusals show of its rate limit, read as a token bucket.

Rate limits are most often a token bucket: a burst of B requests, then R a second; a
request that finds less than one token is refused (429). linkhealth does not know B or R,
but it knows when it started each request and which were refused. An *episode* is the
requests started since the host last had time to refill (its first start, or the first
start after a pause), up to the first refusal. Whatever the order of the requests:

- the bucket was last full at some start s of the episode, and the refused request at t
  found less than a token, so ``B < N[s, t) + 1 - R (t - s)`` (N: requests let through);
  with any rate known to be at most R, the largest of these over s bounds B from above;
- a request let through at t' found a token, so for every earlier start s
  ``R >= (N[s, t'] - B) / (t' - s)``; with B bounded from above, a lower bound of R.

Each bound feeds the other (a better R tightens B, a tighter B raises R), starting from
R >= 0: every rate this reading gives is one the host has shown it allows. It is exact
when the requests pushed past the limit from a full bucket, and merely low otherwise (a
bucket refilled less than thought, a request let through counted as refused): the
caller cuts to it only when it is deeper than its own rule would, and keeps a floor.
"""

from __future__ import annotations

ROUNDS = 50  # at most this many times the two bounds are tightened against each other


def surplus(starts: list[float], refused_at: float, rate: float) -> float:
    """The most a full bucket may hold, less one (``B - 1 <`` this), given ``starts``
    (every request started, in order, before the refusal at ``refused_at``, counted as
    let through) and a ``rate`` the host allows at least."""
    n = len(starts)
    return max(n - i - rate * (refused_at - s) for i, s in enumerate(starts))


def least_rate(through: list[float], burst: float) -> float | None:
    """The least rate that lets every start of ``through`` go with a bucket of at most
    ``burst + 1`` (None: too few starts to tell)."""
    last, n = through[-1], len(through)
    rates = [(n - i - burst - 1) / (last - s) for i, s in enumerate(through) if s < last]
    return max(rates, default=None)


class BucketReading:
    """The bounds a host's episodes have shown so far (see the module's text)."""

    def __init__(self) -> None:
        self.allows = 0.0  # the highest rate shown allowed (0: none yet)
        self._first: tuple[list[float], float] | None = None  # the run's first episode
        self._cap: float | None = None  # the least burst bound of later full episodes

    def burst(self, rate: float) -> float | None:
        """The burst bound (less one) with ``rate`` allowed; None before a first episode."""
        if self._first is None:
            return None
        bound = surplus(*self._first, rate)
        return bound if self._cap is None else min(bound, self._cap)

    def refused(
        self, starts: list[float], through: list[float], refused_at: float, quiet: float
    ) -> float:
        """An episode ended with a refusal at ``refused_at``: ``starts`` are all its
        requests started before it, ``through`` those of them answered (not 429: a URL's
        own 429 may have taken a token or not, so it counts for B's bound, never for R's),
        ``quiet`` the seconds without a start before it. Returns the highest rate shown
        allowed so far (0: none)."""
        if not starts:
            return self.allows
        if self._first is None:
            self._first = (starts, refused_at)  # a run starts with the bucket full
            return self.allows
        rate = self.allows
        burst = self.burst(rate)
        if burst is not None and quiet * rate >= burst + 1:  # it surely refilled
            # (by the count alone: a rate read too high must not feed back into B)
            self._cap = len(starts) if self._cap is None else min(self._cap, len(starts))
        for _ in range(ROUNDS):
            burst = self.burst(rate)
            better = None if burst is None or not through else least_rate(through, burst)
            if better is None or better <= rate:
                break
            rate = better
        self.allows = rate
        return rate

    def forget(self) -> None:
        """The host refused a rate it had let through: its limit changed."""
        self.allows = 0.0
