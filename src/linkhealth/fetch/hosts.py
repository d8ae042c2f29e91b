"""Politeness as data: one :class:`HostState` per host, one global :class:`PriorityLimiter`.

A host's state holds its queue of URLs (each with a not-before time: a URL waiting
for a retry waits *in the queue*, never in a worker), the requests in flight to it
(every request counts, redirect hops from other hosts' URLs included), when its next
request may start (the configured interval plus jitter, or the adaptive rate), and
whether it is paused as a whole (429, or 503 with ``Retry-After``, or several URLs
failing with 503 back to back). The configured interval is the mean gap between
request starts (``jitter`` spreads each gap by up to ± half that fraction); a start made
late by a busy event loop does not delay the ones after it (they catch up, never two
within half a gap).

A lone 429 may be one URL's own trouble ("this page, not now"): the host pauses, but one
request (a probe) may go at once. If the probe is answered normally the pause ends (a 503
without ``Retry-After`` to it tells nothing: one more goes); if it (or any request sent
after the 429'd one) is refused too, the limit is the host's; on a host that has shown no
limit yet, two such refusals (one may be another URL's own 429; then one more probe goes).
Only a short ``Retry-After`` is probed; a long one is the host's word. A 429 to the first
request after a host-wide refusal, once the time between refilled a token at the rate the
host has shown it allows, is that URL's own too.

Adaptive rate: a host that refuses requests host-wide has shown a limit. Its pacing rate
is cut to ``CUT`` × the rate it refused (before any pacing: the rate its clean answers
came at), then raised additively while answers stay clean and the rate is what spaces
the starts (time paused does not count), so it settles just under the limit and meets it
again only now and then. Until a paced host is first refused the rate grows by a share
of itself (the search); that first refusal may overshoot the limit by half, so its cut
goes down to what the refusals read as a token bucket show the host allows
(:mod:`linkhealth.fetch.bucket`: the first burst's size, and the requests let through
since the bucket was full), not 10 % at a time with a 429 and a pause each. Lone 429s
coming back to back on a paced host (each probe after them served a moment later) are
its limit too: it is sending just over it. A host that never throttles is never slowed
down. A fixed interval from the configuration is a floor on the gap between starts
either way.

The global limiter hands a free place to the waiting host with the most work
(the busiest host is the critical path of a run), not to whoever asked first.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import random
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager, suppress
from typing import Generic, TypeVar

from linkhealth.fetch.bucket import BucketReading

#: Called as ``on_throttle(host, seconds)`` when a host answers 429/503 and its next
#: request start is pushed back by ``seconds`` (``Retry-After`` or backoff).
OnThrottle = Callable[[str, float], None]

Job = TypeVar("Job")
Item = TypeVar("Item")

CUT = 0.9  # after a host-wide refusal: this share of the rate it refused
MIN_RATE = 0.2  # requests per second: never slower (a 429 storm is waited out instead)
# While clean, the rate climbs by this share of the rate last refused, per second: slowly,
# so that a limit is met again only every ten seconds or so (bench/ratesim.py).
CLIMB = 0.005
# The search (the rate grows by a share of itself until refused) may overshoot the limit
# by half: its cut goes deeper than CUT, to the rate the host's burst and refusals show it
# allows (``fetch.bucket``: a bound, not a guess), and at least to SEARCH_CUT x the rate
# refused. A later cut goes no lower than that bound.
SEARCH_CUT = 0.7
EPISODE = 512  # request starts kept for it
# Before the first refusal seen while pacing (the first cut comes from a burst), the
# limit is unknown: the rate grows by this share of itself per second until refused.
SEARCH = 0.3
# The rate of clean answers before the first cut is counted over at least this long
# (the first answers come in a burst the limit allowed).
FIRST_SPAN = 0.25
SEND_WINDOW = 2.0  # seconds of request starts the sending rate is counted over
PACED = 0.8  # the rate climbs only while starts come at least this close to it
# Requests sent after a lone 429 that must be refused too before the limit is the host's
# (2 % of a real list's URLs may answer their own 429: two of them close together are
# no host-wide limit).
CONFIRM = 2
# This many lone 429s within LONE_SPAN seconds on a paced host: its limit (see _lone_429s).
LONE = 3
LONE_SPAN = 1.0
HOLD = 5.0  # seconds: a cut host refusing again within it (nothing served since): its limit
# Seconds a served probe stops the climb of a paced host: 5 s held it nearly all the time
# (a URL's own 429 every few seconds at 10 requests a second), 10-15 % under its limit.
PROBE_HOLD = 1.0
PROBE_MAX = 5.0  # seconds: a longer Retry-After is not probed
# "Several URLs of the host fail with 503 close together": this many in a row.
HOST_503_RUN = 3
# A request in flight this many times the host's mean answer time (and at least
# STALL_MIN seconds) is taken to hang: it holds its slot until the timeout.
STALL_FACTOR = 8.0
STALL_MIN = 0.5
# A start the event loop made late (a slot was free and a new URL queued when it was due)
# keeps the host's schedule for up to this many seconds of lateness: the starts after it
# catch up, each at least half a gap after the one before (a stall of a few hundred ms,
# such as the first pages' lazy imports, would otherwise cost the busiest host its pace).
CATCH_UP = 0.5
# A host's new URLs that timed out on the last run are spread evenly over this share of its
# queue (:func:`spread_early`): all first would hang every slot for a whole timeout, list
# order finds the last of them late (bench/hostsim.py: 0.85 did best of 0.3-1.0).
HUNG_SHARE = 0.85


def spread_early(
    items: Iterable[Item], early: Callable[[Item], bool], share: float = HUNG_SHARE
) -> list[Item]:
    """``items`` with those ``early`` picks spread evenly over the first ``share`` of the
    list, the rest in their order: the ``i``-th picked goes in at ``i x share x n / picks``
    of the list built so far (right after the one before when they are more than that
    share: then they go first, in order). The order a host's new URLs start in when the store says
    which of them timed out on the last run: each such URL's chain of timeouts overlaps
    new URLs' work from early on, while at most one or two slots hold a hanging request
    (``bench.workload.spread_hung`` measures this same rule). Without picks: the list."""
    items = list(items)
    picked = [item for item in items if early(item)]
    if not picked:
        return items
    order = [item for item in items if not early(item)]
    step = share * len(items) / len(picked)
    at = -1
    for i, item in enumerate(picked):
        at = min(max(int(i * step), at + 1), len(order))  # never before the one before
        order.insert(at, item)
    return order


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
        is_slow: Callable[[Job], bool] | None = None,
        tries_left: Callable[[Job], int] | None = None,
        start_by: Callable[[Job], float] | None = None,
    ) -> None:
        self.name = name
        self.concurrency = concurrency
        self.interval = interval
        self.jitter = jitter
        self.backoff_cap = backoff_cap
        self.in_flight = 0
        self.next_start = 0.0
        self._due_at = 0.0  # when the next start is due on the host's schedule
        self._free_since = 0.0  # a slot has been free since then (inf: all taken)
        self._fresh_since = 0.0  # new URLs have been queued since then
        self.paused_until = 0.0
        self.rate: float | None = None  # adaptive requests per second, once limited
        self.ceiling: float | None = None  # the paced rate the host last refused
        self.last_cut = -1.0
        self._cut_started = -1.0  # when the request whose refusal made the last cut went
        self._served = True  # a clean answer came since the last cut
        self._climbed_at = 0.0
        self._good: deque[float] = deque()  # when clean answers came (recent ones)
        # A lone 429 waiting for its probe: (its request's start, when it came, the pause
        # before it, the pause it set), and whether the probe may still go.
        self._suspect: tuple[float, float, float, float] | None = None
        self._probe = False
        self._refused_after = 0  # requests sent after the lone 429 and refused too
        self._starts: deque[float] = deque()  # recent request starts
        # Request starts since the host last had time to refill its burst (since its
        # first start, or the first start after a cut's pause); the latest EPISODE ones.
        self._episode: deque[float] | None = None
        self._refused: list[float] = []  # starts of the episode's refused requests
        self._quiet = math.inf  # seconds without a start before the episode
        self.reading = BucketReading()  # what its refusals show of its limit
        self._hold_until = 0.0  # no climbing before (a lone 429 just came)
        self._lone: deque[float] = deque()  # when recent lone 429s came
        self._resumed_at = 0.0  # when the pause before the current one ended
        self._backoff = 0.0
        self._run_503 = 0
        self._rng = rng or random.Random()
        self._fresh: deque[Job] = deque()
        self._later: list[tuple[float, int, Job]] = []  # retries before their time
        # Ready retries of URLs that hung, most tries left first: each holds a slot for a
        # whole timeout, so while new URLs wait they take only the slots the host's pace
        # leaves (see :meth:`pop`).
        self._slow: list[tuple[int, float, int, Job]] = []
        # Other ready retries, by the latest start that keeps the URL's budget for all
        # its tries (``start_by``): new URLs go first until then.
        self._due: list[tuple[float, int, Job]] = []
        self._is_slow = is_slow
        self._tries_left = tries_left
        self._start_by = start_by
        self.latency = 0.0  # mean seconds to a clean answer (recent ones weigh more)
        self._answers = 0
        # Requests in flight: (when each started, whether it retries a URL that hung).
        self._flying: list[tuple[float, bool]] = []
        self._seq = itertools.count()
        # Who waits for the next notify(): a future each (an asyncio.Event per notify
        # cost its making and set() each time, two or three times a request).
        self._waiting: list[asyncio.Future[None]] = []
        self.pending = 0  # jobs of this host not final yet (queued or in flight)
        # Redirect hops waiting for a slot: attempts already under way go first (unless
        # they wait behind new URLs: :meth:`hops_wait`).
        self.hops_waiting = 0
        self._hops_due = 0  # of them, those whose URL's budget no longer lets them wait

    # -- queue -------------------------------------------------------------------

    def push(self, job: Job, not_before: float = 0.0) -> None:
        """Queue a URL: a new one (``not_before`` 0) or one waiting for its retry."""
        if not_before <= 0.0:
            self._queued_new()
            self._fresh.append(job)
        else:
            heapq.heappush(self._later, (not_before, next(self._seq), job))
        self.notify()

    def push_new(self, jobs: Iterable[Job]) -> None:
        """Queue new URLs, as :meth:`push` each with one wake-up for them all."""
        self._queued_new()
        self._fresh.extend(jobs)
        self.notify()

    def _queued_new(self) -> None:
        if not self._fresh:
            self._fresh_since = time.monotonic()  # new URLs queued since (see _kept)

    def _ripen(self, now: float) -> None:
        """Move the retries whose time has come to the ready queues."""
        later = self._later
        while later and later[0][0] <= now:
            at, seq, job = heapq.heappop(later)
            if self._is_slow is not None and self._is_slow(job):
                left = self._tries_left(job) if self._tries_left is not None else 0
                heapq.heappush(self._slow, (-left, at, seq, job))
            else:
                due = self._start_by(job) if self._start_by is not None else math.inf
                heapq.heappush(self._due, (due, seq, job))

    def pop(self, now: float) -> Job:
        """The next URL to start. First a ready retry that must start now to keep its
        URL's budget for all its tries (:meth:`_urgent`); then a ready retry of a URL that
        hung (the one with the most tries left: its chain is the longest way to go) if
        the host has a slot to spare for it (:meth:`spare_for_slow`) or no new URL waits;
        then new URLs (a new URL may hang, and the sooner the last one that does is
        found, the sooner the host is done); then the other ready retries. Retries only
        reorder the host's work: every one still goes, in time."""
        self._ripen(now)
        fresh = self._fresh
        urgent = self._urgent(now)
        if urgent is not None:
            return urgent
        if self._slow and (not fresh or self.spare_for_slow(now)):
            return heapq.heappop(self._slow)[-1]
        if fresh:
            job = fresh.popleft()
            if not fresh and self.hops_waiting:
                self.notify()  # the hops held back behind new URLs may go
            return job
        if self._due:
            return heapq.heappop(self._due)[-1]
        return heapq.heappop(self._later)[-1]  # nothing is ready: the pump did not ask

    def _urgent(self, now: float) -> Job | None:
        """A ready retry whose latest start (``start_by``) has come, taken off its queue."""
        if self._due and self._due[0][0] <= now:
            return heapq.heappop(self._due)[-1]
        if self._start_by is None:
            return None
        slow = self._slow
        late = [(by, i) for i, e in enumerate(slow) if (by := self._start_by(e[-1])) <= now]
        if not late:
            return None
        job = slow.pop(min(late)[1])[-1]
        heapq.heapify(slow)
        return job

    def start_next(self, now: float) -> Job | None:
        """Claim a slot (:meth:`try_take`) and the URL to send in it (:meth:`pop`), or
        ``None`` when the host allows no start now. Release with the same ``now``."""
        if not self.try_take(now):
            return None
        job = self.pop(now)
        if self._is_slow is not None and self._is_slow(job):
            self._flying[-1] = (now, True)
        return job

    def spare_for_slow(self, now: float) -> bool:
        """Whether a retry of a URL that hung may take a slot while new URLs wait.

        It holds that slot for a whole timeout. A host paced by an interval or a rate
        keeps ``ceil(latency / gap)`` slots busy with new URLs at its pace; the other
        slots, less those already holding a hung request (a retry of one, or any request
        in flight far longer than the host answers), may take such retries at once, so
        their chains end while new URLs still go at the host's pace. A host with no pace
        gives every slot to new URLs first: they find the hanging URLs early, and the
        retries fill the slots after them."""
        gap = max(self.interval, 1.0 / self.rate if self.rate else 0.0)
        if gap <= 0.0:
            return False
        stall = now - max(STALL_MIN, STALL_FACTOR * self.latency)
        hung = sum(1 for at, slow in self._flying if slow or at < stall)
        keep = max(1, math.ceil(self.latency / gap))
        return hung + 1 + keep <= self.concurrency

    def hops_wait(self) -> bool:
        """Whether redirect hops to this host wait behind its new URLs (else they go
        before its queue: attempts already under way first). On a host whose pace (an
        interval, or the adaptive rate of a limit) spaces the starts, each start a hop
        takes puts back the first try of every new URL after it, the last one that hangs
        included, and the host ends a whole chain of attempts after that one; the hop
        holds no slot while it waits (its attempt's timeout stops), and goes when the new
        URLs are all started, or first when its URL's budget lets it wait no longer
        (:meth:`acquire`)."""
        return bool(self._fresh) and (self.interval > 0.0 or self.rate is not None)

    def hops_first(self) -> bool:
        """Whether a redirect hop waits for this host's next slot before its queue."""
        return self.hops_waiting > 0 and (self._hops_due > 0 or not self.hops_wait())

    def jobs(self) -> list[Job]:
        return [
            *self._fresh,
            *(e[-1] for e in self._later),
            *(e[-1] for e in self._slow),
            *(e[-1] for e in self._due),
        ]

    def remove(self, keep: Callable[[Job], bool]) -> None:
        self._fresh = deque(j for j in self._fresh if keep(j))
        self._later = [e for e in self._later if keep(e[-1])]
        self._slow = [e for e in self._slow if keep(e[-1])]
        self._due = [e for e in self._due if keep(e[-1])]
        self.notify()  # hops held back behind new URLs may go
        heapq.heapify(self._later)
        heapq.heapify(self._slow)
        heapq.heapify(self._due)

    def next_ready(self, now: float) -> float | None:
        """When the next queued URL may start (``None``: nothing queued)."""
        if self._fresh or self._slow or self._due:
            return now
        return self._later[0][0] if self._later else None

    # -- waiting -----------------------------------------------------------------

    def notify(self) -> None:
        """Wake everything waiting on this host (a slot freed, a job queued, a pause)."""
        waiting = self._waiting
        if waiting:
            self._waiting = []
            for waiter in waiting:
                if not waiter.done():
                    waiter.set_result(None)

    async def changed(self, timeout: float | None) -> None:
        """Wait until :meth:`notify` or ``timeout`` seconds (``None``: no limit)."""
        waiter = asyncio.get_running_loop().create_future()
        waiting = self._waiting
        waiting.append(waiter)
        try:
            if timeout is None:
                await waiter
                return
            with suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, timeout)):
                    await waiter
        finally:
            if not waiter.done() or waiter.cancelled():
                with suppress(ValueError):
                    waiting.remove(waiter)

    def start_time(self) -> float:
        """The earliest moment a request may start (pause and pacing; not the slot count).
        A lone 429's probe may go at once."""
        if self._probe:
            return 0.0
        return max(self.paused_until, self.next_start)

    def try_take(self, now: float) -> bool:
        """Claim a request slot now if the host allows one; spaces the next start."""
        if self.in_flight >= self.concurrency or now < self.start_time():
            return False
        self._probe = False
        self.in_flight += 1
        self._flying.append((now, False))
        if self._episode is None and now >= self.paused_until:
            self._episode = deque(maxlen=EPISODE)
            self._refused = []
            self._quiet = now - self._starts[-1] if self._starts else math.inf
        if self._episode is not None:
            self._episode.append(now)
        starts = self._starts
        starts.append(now)
        while starts[0] < now - SEND_WINDOW:
            starts.popleft()
        gap = self.interval
        if gap and self.jitter:
            # The interval is the mean gap; jitter spreads it evenly around it.
            gap *= 1.0 + self.jitter * (self._rng.random() - 0.5)
        if self.rate is not None:
            gap = max(gap, 1.0 / self.rate)
        # Starts keep to their schedule: a start a little late (the event loop was busy)
        # does not push every later one back, so the host gets its rate; one later than
        # half a gap starts a new schedule, unless the loop made it late (:meth:`_kept`).
        # Never two starts within half a gap.
        due = self._due_at
        self._due_at = (due if self._kept(now, due, gap) else now) + gap
        self.next_start = max(self._due_at, now + gap / 2)
        if self.in_flight >= self.concurrency:
            self._free_since = math.inf
        return True

    def _kept(self, now: float, due: float, gap: float) -> bool:
        """Whether a start at ``now`` keeps the schedule that had it due at ``due``: late
        by less than half a gap; or, on a host paced by its interval alone (a limit's rate
        is not caught up with), late by up to ``CATCH_UP`` seconds while a slot was free,
        a new URL queued and no pause on since it was due: then nothing but the event loop
        held it back. Slots taken, nothing to send or a pause start a new schedule."""
        late = now - due
        if late < 0.0:
            return False  # a probe before its time
        if late < gap / 2:
            return True
        return (
            late <= CATCH_UP
            and self.rate is None
            and bool(self._fresh)
            and max(self._free_since, self._fresh_since) <= due
            and self.paused_until <= due
        )

    async def acquire(self, by: float = math.inf) -> float:
        """Wait for a request slot (redirect hops arriving from other hosts' URLs); returns
        when it was taken (for :meth:`release`). Hops are served before the host's own
        queue (see :attr:`hops_waiting`), unless they wait behind its new URLs
        (:meth:`hops_wait`), which they do until ``by``: the latest start that keeps
        their URL's budget for every try it has left."""
        self.hops_waiting += 1
        due = False
        try:
            while True:
                now = time.monotonic()
                if not due and now >= by:
                    due = True
                    self._hops_due += 1
                held = not due and self.hops_wait()
                if not held and self.try_take(now):
                    return now
                if held:
                    await self.changed(None if by == math.inf else by - now)
                    continue
                full = self.in_flight >= self.concurrency
                await self.changed(None if full else self.start_time() - now)
        finally:
            self.hops_waiting -= 1
            self._hops_due -= due
            self.notify()

    def release(self, taken: float) -> None:
        """Give back the slot taken at ``taken`` (the ``now`` it was claimed with)."""
        self.in_flight -= 1
        if self._free_since == math.inf:
            self._free_since = time.monotonic()
        flying = self._flying
        for i, (at, _) in enumerate(flying):
            if at == taken:
                del flying[i]
                break
        self.notify()

    @property
    def slow_in_flight(self) -> int:
        """Requests in flight that retry a URL that hung."""
        return sum(1 for _, slow in self._flying if slow)

    # -- what the host said --------------------------------------------------------

    def pause(self, seconds: float) -> None:
        """Pause the whole host for ``seconds`` from now (the longest pause wins)."""
        now = time.monotonic()
        if self.paused_until <= now:
            self._resumed_at = self.paused_until
        self.paused_until = max(self.paused_until, now + seconds)
        self.notify()

    def throttled(
        self, retry_after: float | None, base: float, started: float, *, probe: bool = False
    ) -> float:
        """A host-wide "slow down" (429, or 503 with ``Retry-After``): pause the host, and
        lower its rate when the refusal is the host's. Returns the pause: ``Retry-After``
        when given (uncapped: it is the host's word), else a backoff that doubles while
        the host keeps throttling.

        With ``probe`` (a 429) a lone refusal may be one URL's trouble: one request may
        still go at once, and if a request sent after this one is answered normally
        (:meth:`answered`) the pause ends; if it is refused too, the limit is the host's
        (on a host with no limit known yet: ``CONFIRM`` such refusals, a probe after each)."""
        now = time.monotonic()
        if retry_after is not None:
            delay = retry_after
        else:
            self._backoff = min(max(base, self._backoff * 2), self.backoff_cap)
            delay = self._backoff * (1.0 + self._rng.random() * 0.25)
        if self._episode and started >= self._episode[0]:
            self._refused.append(started)
        suspect = self._suspect
        if suspect is not None and suspect[3] <= now:
            suspect = self._suspect = None  # its pause ran out unanswered: forget it
        if started < self.last_cut:
            self.pause(delay)  # on its way before the last cut: the same refusal
            return delay
        # Requests sent after the lone 429 refused too (CONFIRM of them: one may be
        # another URL's own 429), or a host that refused host-wide within HOLD seconds
        # and served nothing since refusing again: the host's limit (a probe would be
        # one more refusal).
        again = probe and (
            (not self._served and now - self.last_cut < HOLD and not self._refilled(started))
            or self._lone_429s(now)
        )
        if suspect is not None and started > suspect[0] and not again:
            self._refused_after += 1
            if self._refused_after < CONFIRM and self.rate is None:
                self.pause(delay)
                self._suspect = (*suspect[:3], self.paused_until)
                self._probe = True  # one more probe decides
                return delay
        if (suspect is not None and started > suspect[0]) or again:
            self._suspect = None
            self._probe = False
            self._cut(started, now, suspect[0] if suspect is not None else started)
            self.pause(delay)
            return delay
        before = self.paused_until
        self.pause(delay)
        if suspect is None and probe and delay <= PROBE_MAX:
            self._suspect = (started, now, before, self.paused_until)
            self._probe = True
            self._refused_after = 0
            self._lone.append(now)
        return delay

    def _refilled(self, started: float) -> bool:
        """Whether the host's bucket surely held a token for a request sent at ``started``:
        it is the first request sent since the refusal that made the last cut, and the time
        between refilled at least one token at the rate the refusals show the host allows
        (:attr:`reading`). A 429 to it is that URL's own (the first request after a pause
        meeting a URL that answers 429 itself cost a second pause and a cut)."""
        allows, refused = self.reading.allows, self._cut_started
        if allows <= 0.0 or started - refused < 1.0 / allows:
            return False
        starts = self._starts  # the last SEND_WINDOW seconds: must reach back to it
        return (
            bool(starts)
            and starts[0] <= refused
            and not any(refused < at < started for at in starts)
        )

    def _lone_429s(self, now: float) -> bool:
        """Whether a paced host answered LONE lone 429s within LONE_SPAN seconds (this one
        included), each probe after them served: it is sending just over its limit (the
        probe, a moment later, finds the token the refused request lacked), not seeing
        URLs' own 429s."""
        lone = self._lone
        while lone and lone[0] < now - LONE_SPAN:
            lone.popleft()
        return self.rate is not None and len(lone) + 1 >= LONE

    def _cut(self, started: float, now: float, lone: float | None = None) -> None:
        """Lower the pacing rate below what the host refused (once per episode); ``lone``:
        when the lone 429 that this refusal confirmed went out."""
        if started < self.last_cut:
            return  # sent before the last cut: the cut already accounts for it
        if self.rate is not None and self.rate <= self.reading.allows:
            self.reading.forget()  # refused at a rate it let through: it changed
        allows = self._read_bucket(started, started if lone is None else lone)
        if self.rate is not None:
            refused = self.rate
            searching = self.ceiling is None
            if self._sending(now) >= PACED * refused:
                self.ceiling = refused  # refused while really sending at that rate
            rate = CUT * refused
            if searching:
                rate = min(rate, max(allows, SEARCH_CUT * refused))  # read the limit
            elif not searching:
                rate = max(rate, allows)  # never below what it showed it allows
        else:
            # Not paced yet: the rate its clean answers came at over the last second
            # (FIRST_SPAN at the very start; one answer at least: refusals may come
            # back before the first page does).
            first = self._good[0] if self._good else now
            span = min(max(now - first, FIRST_SPAN), 1.0)
            clean = sum(1 for at in self._good if at >= now - span)
            rate = CUT * max(clean, 1) / span
        self.rate = max(rate, MIN_RATE)
        self.last_cut = now
        self._cut_started = started
        self._climbed_at = now
        self._served = False
        self._episode = None  # the next one starts after this pause

    def _read_bucket(self, started: float, lone: float) -> float:
        """Give the episode that a refusal of a request sent at ``started`` ended (it
        confirmed the lone 429 sent at ``lone``) to :attr:`reading`; returns the highest
        rate the host has shown it allows (0: none). A 429 may be a URL's own, which may
        have taken a token: every request counts for the burst's bound except the probes
        refused after the lone 429 (the limit's refusals: a URL's own 429 to each probe
        too is what CONFIRM guards against); only answers count as let through."""
        episode = self._episode
        if episode is None or not episode or started < episode[0] or len(episode) == EPISODE:
            return self.reading.allows  # no episode, or not all of it is known
        refused = Counter(self._refused)
        starts, through = [], []
        for at in episode:
            if at >= started:
                break
            if refused[at]:
                refused[at] -= 1  # a 429 too
                if at <= lone:
                    starts.append(at)
            else:
                starts.append(at)
                through.append(at)
        return self.reading.refused(starts, through, started, self._quiet)

    def failed_503(self, started: float | None = None) -> float | None:
        """A 503 without ``Retry-After`` to a request sent at ``started``: that URL's
        trouble, unless several URLs of the host fail that way back to back; then the host
        backs off as a whole (seconds). The probe after a lone 429 answered so says
        nothing of a limit: one more probe may go (not the whole pause waited)."""
        suspect = self._suspect
        probed = suspect is not None and started is not None and started >= suspect[1]
        if probed and self.paused_until > time.monotonic():
            self._probe = True
            self.notify()
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
        suspect = self._suspect
        if suspect is not None and started is not None and started >= suspect[1]:
            # The probe, sent after the 429 came, was served: that URL's own trouble.
            # (A request already on its way may have met a bucket just refilled.)
            self._suspect = None
            self._probe = False
            if self.paused_until > now:
                self.paused_until = max(suspect[2], now)
                self.notify()
            if self.rate is not None:
                # Or the probe met a bucket just refilled: a paced host holds its rate a
                # moment (lone 429s that keep coming are its limit: see _lone_429s).
                self._hold_until = now + PROBE_HOLD
        if started is not None:
            self._answers += 1
            weight = max(1.0 / self._answers, 0.05)
            self.latency += weight * (now - started - self.latency)
        self._run_503 = 0
        self._backoff /= 2
        self._served = True
        self._good.append(now)
        if len(self._good) > 256:
            self._good.popleft()
        if self.rate is not None:
            self._climb(now)

    def _sending(self, now: float) -> float:
        """Requests started per second lately, since the last pause ended."""
        resumed = self.paused_until if self.paused_until <= now else self._resumed_at
        since = max(now - SEND_WINDOW, resumed)
        started = sum(1 for at in self._starts if at >= since)
        return started / max(now - since, FIRST_SPAN)

    def _climb(self, now: float) -> None:
        """Raise the rate for the clean time since the last raise (pauses excluded), while
        the rate is what spaces the starts (not the slots, nor an empty queue)."""
        assert self.rate is not None
        dt = now - max(self._climbed_at, self.paused_until, self._hold_until)
        self._climbed_at = now
        if dt <= 0 or self._sending(now) < PACED * self.rate:
            return
        if self.ceiling is None:
            self.rate *= 1.0 + SEARCH * dt
        else:
            self.rate += CLIMB * self.ceiling * dt


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
    """A semaphore whose waiters are served by priority (lowest first), then FIFO. Its
    limit may be changed while in use (:meth:`resize`)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._free = limit  # below zero after a resize down: places to take back
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
        if self._free < 0:
            self._free += 1  # the limit went down: this place goes away
            return
        if not self._hand_over():
            self._free += 1

    def resize(self, limit: int) -> None:
        """Allow ``limit`` at once from now; places in use above it go away as released."""
        self._free += limit - self.limit
        self.limit = limit
        while self._free > 0 and self._hand_over():
            self._free -= 1

    def _hand_over(self) -> bool:
        """Give a place straight to the first live waiter; false if none waits."""
        while self._waiters:
            _, _, fut = heapq.heappop(self._waiters)
            if not fut.done():
                fut.set_result(None)
                return True
        return False
