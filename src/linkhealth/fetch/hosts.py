"""Politeness as data: one :class:`HostSlot` per host, one global :class:`PriorityLimiter`.

A host's concurrency is enforced by running exactly that many workers for it;
its slot spaces request *starts* (interval plus jitter) and pushes them back
after 429/503 (``Retry-After``, else a backoff that grows while the host keeps
throttling). Waiting for a slot never holds the global limiter, so a slow or
throttled host never blocks the others.

The global limiter hands a free place to the waiting host with the most work
(the busiest host is the critical path of a run), not to whoever asked first.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

#: Called as ``on_throttle(host, seconds)`` when a host answers 429/503 and its next
#: request start is pushed back by ``seconds`` (``Retry-After`` or backoff).
OnThrottle = Callable[[str, float], None]


class HostThrottled(Exception):
    """The host's next free start is beyond this URL's deadline (it keeps throttling)."""


class HostSlot:
    """Per-host politeness state."""

    __slots__ = (
        "_backoff",
        "_next_start",
        "_rng",
        "backoff_cap",
        "concurrency",
        "interval",
        "jitter",
        "name",
    )

    def __init__(
        self,
        name: str,
        *,
        concurrency: int,
        interval: float,
        jitter: float,
        backoff_cap: float,
        rng: random.Random | None = None,
    ) -> None:
        self.name = name
        self.concurrency = concurrency
        self.interval = interval
        self.jitter = jitter
        self.backoff_cap = backoff_cap
        self._next_start = 0.0
        self._backoff = 0.0
        self._rng = rng or random.Random()

    def reserve(self) -> float:
        """Claim the next start time; returns how long to wait for it (seconds)."""
        now = time.monotonic()
        start = max(now, self._next_start)
        gap = self.interval
        if gap and self.jitter:
            gap *= 1.0 + self.jitter * self._rng.random()
        self._next_start = start + gap
        return start - now

    def throttled(self, retry_after: float | None, base: float) -> float:
        """The host said "slow down" (429/503): push back every later start.

        Returns the delay applied: ``Retry-After`` when given, else a backoff that
        doubles while the host keeps throttling (capped).
        """
        if retry_after is not None:
            # Beyond the cap the URL gives up; the host is not paused that long.
            delay = min(retry_after, self.backoff_cap)
        else:
            self._backoff = min(max(base, self._backoff * 2), self.backoff_cap)
            delay = self._backoff * (1.0 + self._rng.random() * 0.25)
        self._next_start = max(self._next_start, time.monotonic() + delay)
        return delay

    def succeeded(self) -> None:
        """A normal answer: the backoff decays."""
        self._backoff /= 2


class ThrottleBoard:
    """A read-only view of the hosts that are waiting because they throttled us.

    Pass :meth:`note` as ``on_throttle`` to :func:`~linkhealth.fetch.fetch_all`; read
    :meth:`waiting` from anywhere (e.g. a progress bar refreshing from another thread).
    Only backoff/``Retry-After`` pauses are recorded, never the normal request interval.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until: dict[str, float] = {}

    def note(self, host: str, seconds: float) -> None:
        """Record that ``host`` pauses for ``seconds`` from now (the longest pause wins)."""
        until = self._clock() + max(0.0, seconds)
        self._until[host] = max(self._until.get(host, 0.0), until)

    def waiting(self) -> dict[str, float]:
        """``{host: seconds until its next start}`` for hosts still paused, longest first."""
        now = self._clock()
        left = {h: until - now for h, until in dict(self._until).items() if until > now}
        return dict(sorted(left.items(), key=lambda kv: (-kv[1], kv[0])))


class PriorityLimiter:
    """A semaphore whose waiters are served by priority (lowest first), then FIFO."""

    def __init__(self, limit: int) -> None:
        self._free = limit
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    @asynccontextmanager
    async def slot(self, priority: int) -> AsyncIterator[None]:
        await self.acquire(priority)
        try:
            yield
        finally:
            self.release()

    async def acquire(self, priority: int) -> None:
        # Places go straight to live waiters on release, so a free place means none wait.
        if self._free > 0:
            self._free -= 1
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._seq), fut))
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self.release()  # granted just before cancellation: pass it on
            raise

    def release(self) -> None:
        while self._waiters:
            _, _, fut = heapq.heappop(self._waiters)
            if not fut.done():
                fut.set_result(None)  # the place goes straight to the waiter
                return
        self._free += 1
