"""Politeness as data: one :class:`HostState` per host, one global :class:`PriorityLimiter`.

A host's state holds its queue of URLs (each with a not-before time: a URL waiting
for a retry waits *in the queue*, never in a worker), the requests in flight to it
(every request counts, redirect hops from other hosts' URLs included), when its next
request may start (the configured interval plus jitter, or the adaptive rate), and
whether it is paused as a whole (429, or 503 with ``Retry-After``, or several URLs
failing with 503 back to back). The configured interval is the mean gap between
request starts (``jitter`` spreads each gap by up to ± half that fraction).

Adaptive rate: a host that answers 429 has shown a host-wide limit. Its rate is set
just under the answers per second it actually gave over the last few seconds (what
the limit let through), then raised quickly back to 95 % of that estimate and slowly
beyond it while answers stay clean; the next 429 sets a new estimate. A host that
never throttles is never slowed down. A fixed interval from the configuration is a
floor on the gap between starts either way.

The global limiter hands a free place to the waiting host with the most work
(the busiest host is the critical path of a run), not to whoever asked first.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Generic, TypeVar

#: Called as ``on_throttle(host, seconds)`` when a host answers 429/503 and its next
#: request start is pushed back by ``seconds`` (``Retry-After`` or backoff).
OnThrottle = Callable[[str, float], None]

Job = TypeVar("Job")

GOODPUT_WINDOW = 5.0  # seconds of answers the rate estimate looks back on
CUT = 0.85  # after a 429: this share of the rate the host let through
NEAR = 0.95  # climb quickly up to this share of the estimate ...
FAST_CLIMB = 0.10  # ... at this share of the estimate per second,
SLOW_CLIMB = 0.08  # then probe beyond it this slowly
MIN_RATE = 0.2  # requests per second: never slower (a 429 storm is waited out instead)
# "Several URLs of the host fail with 503 close together": this many in a row.
HOST_503_RUN = 3
# A 429 lowers the rate only as part of a cluster (a host-wide limit refuses every
# request once its burst is spent; one URL's own 429 is a pause, not a limit), and
# only with enough answers to estimate what the host lets through.
CLUSTER_429 = 2
CLUSTER_WINDOW = 2.0
LIMIT_SHARE = 0.25  # of the answers in the window
MIN_ANSWERS = 10


class HostThrottled(Exception):
    """The host's next free start is beyond this URL's deadline (it keeps throttling)."""


class NetworkDown(OSError):
    """Not requested: the first hosts all failed below HTTP and none answered."""


class HostState(Generic[Job]):
    """Per-host politeness state and queue. All methods run on the event loop."""

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
        self.in_flight = 0
        self.next_start = 0.0
        self.paused_until = 0.0
        self.rate: float | None = None  # adaptive requests per second, once throttled
        self.estimate = 0.0  # what the host let through when it last said 429
        self.last_cut = -1.0
        self._raised_at = 0.0
        self._good: deque[float] = deque()
        self._refused: deque[float] = deque()
        self._lift: tuple[float, float] | None = None  # (sent, pause before) of a lone 429
        self._first_answer: float | None = None
        self._backoff = 0.0
        self._run_503 = 0
        self._rng = rng or random.Random()
        self._fresh: deque[Job] = deque()
        self._later: list[tuple[float, int, Job]] = []
        self._seq = itertools.count()
        self._changed = asyncio.Event()
        self.pending = 0  # jobs of this host not final yet (queued or in flight)
        # Redirect hops waiting for a slot: attempts already under way go first.
        self.hops_waiting = 0

    # -- queue -------------------------------------------------------------------

    def push(self, job: Job, not_before: float = 0.0) -> None:
        """Queue a URL: a new one (``not_before`` 0) or one waiting for its retry."""
        if not_before <= 0.0:
            self._fresh.append(job)
        else:
            heapq.heappush(self._later, (not_before, next(self._seq), job))
        self.notify()

    def pop(self, now: float) -> Job:
        """The next URL to start: a retry whose time has come first (its URL has the
        longest way to go), else the next new URL."""
        if self._later and (self._later[0][0] <= now or not self._fresh):
            return heapq.heappop(self._later)[2]
        return self._fresh.popleft()

    def jobs(self) -> list[Job]:
        return [*self._fresh, *(j for _, _, j in self._later)]

    def remove(self, keep: Callable[[Job], bool]) -> None:
        self._fresh = deque(j for j in self._fresh if keep(j))
        self._later = [e for e in self._later if keep(e[2])]
        heapq.heapify(self._later)

    def next_ready(self, now: float) -> float | None:
        """When the next queued URL may start (``None``: nothing queued)."""
        if self._fresh:
            return now
        return self._later[0][0] if self._later else None

    # -- waiting -----------------------------------------------------------------

    def notify(self) -> None:
        """Wake everything waiting on this host (a slot freed, a job queued, a pause)."""
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def changed(self, timeout: float | None) -> None:
        """Wait until :meth:`notify` or ``timeout`` seconds (``None``: no limit)."""
        event = self._changed
        if timeout is None:
            await event.wait()
            return
        with suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, timeout)):
                await event.wait()

    def start_time(self) -> float:
        """The earliest moment a request may start (pause and pacing; not the slot count)."""
        return max(self.paused_until, self.next_start)

    def try_take(self, now: float) -> bool:
        """Claim a request slot now if the host allows one; spaces the next start."""
        if self.in_flight >= self.concurrency or now < self.start_time():
            return False
        self.in_flight += 1
        gap = self.interval
        if gap and self.jitter:
            # The interval is the mean gap; jitter spreads it evenly around it.
            gap *= 1.0 + self.jitter * (self._rng.random() - 0.5)
        if self.rate is not None:
            gap = max(gap, 1.0 / self.rate)
        self.next_start = now + gap
        return True

    async def acquire(self) -> None:
        """Wait for a request slot (redirect hops arriving from other hosts' URLs).
        Hops are served before the host's own queue (see :attr:`hops_waiting`)."""
        self.hops_waiting += 1
        try:
            while True:
                now = time.monotonic()
                if self.try_take(now):
                    return
                full = self.in_flight >= self.concurrency
                await self.changed(None if full else self.start_time() - now)
        finally:
            self.hops_waiting -= 1
            self.notify()

    def release(self) -> None:
        self.in_flight -= 1
        self.notify()

    # -- what the host said --------------------------------------------------------

    def pause(self, seconds: float) -> None:
        """Pause the whole host for ``seconds`` from now (the longest pause wins)."""
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)
        self.notify()

    def throttled(self, retry_after: float | None, base: float, started: float) -> float:
        """A host-wide "slow down" (429, or 503 with ``Retry-After``): pause the host, and
        lower its rate when the 429s come as a host-wide limit's do (a cluster). Returns
        the pause: ``Retry-After`` when given (uncapped: it is the host's word), else a
        backoff that doubles while the host keeps throttling.

        A lone one may be one URL's trouble: if a request sent after it is answered
        normally (:meth:`answered`), the host was still serving us and the pause ends."""
        now = time.monotonic()
        refused = self._refused
        refused.append(now)
        while refused and refused[0] < now - CLUSTER_WINDOW:
            refused.popleft()
        if retry_after is not None:
            delay = retry_after
        else:
            self._backoff = min(max(base, self._backoff * 2), self.backoff_cap)
            delay = self._backoff * (1.0 + self._rng.random() * 0.25)
        limited = self._limited(now)
        if limited:
            self._cut(started, now)
        self._lift = None if limited or self._lift is not None else (started, self.paused_until)
        self.pause(delay)
        return delay

    def _limited(self, now: float) -> bool:
        """Whether the recent 429s look like a host-wide limit: several, and a good share
        of the recent answers (one URL's own 429s are a few among many answers)."""
        if len(self._refused) < CLUSTER_429:
            return False
        clean = 0
        for at in reversed(self._good):
            if at < now - CLUSTER_WINDOW:
                break
            clean += 1
        return len(self._refused) >= LIMIT_SHARE * (clean + len(self._refused))

    def _cut(self, started: float, now: float) -> None:
        if started < self.last_cut:
            return  # sent before the last cut: the cut already accounts for it
        cutoff = now - GOODPUT_WINDOW
        while self._good and self._good[0] < cutoff:
            self._good.popleft()
        if len(self._good) < MIN_ANSWERS:
            return
        since = self._first_answer if self._first_answer is not None else now
        span = min(GOODPUT_WINDOW, max(now - since, 0.1))
        let_through = len(self._good) / span
        if self.rate is not None:
            let_through = min(let_through, self.rate)
        self.estimate = max(let_through, MIN_RATE)
        self.rate = max(CUT * self.estimate, MIN_RATE)
        self.last_cut = now
        self._raised_at = now

    def failed_503(self) -> float | None:
        """A 503 without ``Retry-After``: that URL's trouble, unless several URLs of the
        host fail that way back to back; then the host backs off as a whole (seconds)."""
        self._run_503 += 1
        if self._run_503 < HOST_503_RUN:
            return None
        self._run_503 = 0
        self._backoff = min(max(0.5, self._backoff * 2), self.backoff_cap)
        self.pause(self._backoff)
        return self._backoff

    def answered(self, started: float | None = None) -> None:
        """A normal answer (not 429/503) to a request sent at ``started``: backoff decays,
        the adaptive rate climbs, a lone 429's pause ends if this was sent after it."""
        now = time.monotonic()
        lift = self._lift
        if lift is not None and started is not None and started > lift[0]:
            self._lift = None
            if self.paused_until > now:
                self.paused_until = max(lift[1], now)
                self.notify()
        self._run_503 = 0
        self._backoff /= 2
        if self._first_answer is None:
            self._first_answer = now
        self._good.append(now)
        if len(self._good) > 4096:
            self._good.popleft()
        if self.rate is None:
            return
        dt = now - self._raised_at
        self._raised_at = now
        step = FAST_CLIMB if self.rate < NEAR * self.estimate else SLOW_CLIMB
        self.rate += step * self.estimate * dt


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
