"""``fetch_all``: every URL once, as fast as politeness allows.

Scheduling: every host has a queue of URLs, each with a not-before time, and one
pump that starts a request whenever the host has a free slot, its next start time
has come and it is not paused (see :class:`~linkhealth.fetch.hosts.HostState`). A URL
waiting for a retry goes back into its host's queue and frees its slot; an attempt in
flight holds it. Every request, each redirect hop included, takes a slot of the host
it is sent to (a hop to another host waits for that host's slot; on a paced host, behind
its new URLs while the hop's URL's budget allows). The global limiter
serves the host with the most URLs left first.

Retries: :func:`linkhealth.fetch.classify.is_retryable` is the only retry decision.
A ``429`` (or ``503``) with ``Retry-After`` pauses the whole host; the URL waits it
out and a 429 that says how long costs no attempt. A ``503`` without it backs off that
URL only, unless several URLs of the host fail so in a row. A backoff runs from when the
failed request went out: the retry of an attempt that timed out may go at once. A URL
that its host's pause keeps from being requested (or retried) within its budget ends
``blocked``, with a detail saying why, never ``timeout`` or ``broken``.

Deadlines: ``settings.timeout`` bounds each attempt (waiting for a redirect target's
slot excluded) and ``settings.url_deadline`` the URL from its first attempt, so a
server that drips one byte a second still ends on time.

No network: when the first hosts all fail below HTTP (DNS, connect, refused, timeout)
and none answers, the rest are not requested (an outage verdict in seconds).
"""

from __future__ import annotations

import asyncio
import gc
import heapq
import itertools
import random
import time
from collections.abc import Callable, Collection, Container, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from linkhealth.config import Settings
from linkhealth.fetch.classify import (
    NETWORK_KINDS,
    PERMANENT_REDIRECTS,
    StatusRanges,
    classify_exception,
    classify_outcome,
    drop_tracebacks,
    is_retryable,
    tells_of_the_network,
)
from linkhealth.fetch.client import Client
from linkhealth.fetch.hosts import (
    HostState,
    HostThrottled,
    NetworkDown,
    OnThrottle,
    PriorityLimiter,
    spread_early,
)
from linkhealth.fetch.probe import LookupProbe
from linkhealth.fetch.result import FetchResult, Outcome, Validators
from linkhealth.models import ErrorKind, Verdict
from linkhealth.urlpolicy import UrlPolicy
from linkhealth.weburl import host_key

OnResult = Callable[[FetchResult], None]
#: ``on_unrequested(first, urls)``: every URL of ``urls`` (a host's) ended before any
#: request with the very values of ``first`` but its URL (``first`` is the first URL's).
OnUnrequested = Callable[[FetchResult, Sequence[str]], None]


# The first hosts to fail decide whether the network is down: at least this many, and
# nearly all hosts started so far, or this many seconds without a single answer.
OUTAGE_HOSTS = 8
OUTAGE_GRACE = 1.0
# A busy event loop (Python's CPU is the limit) wakes late. Then fewer requests at once
# (never fewer than LAG_FLOOR): the busiest hosts, first served by the global limiter,
# keep their pace instead of sharing a late loop with every small host at once.
LAG_TICK = 0.05  # seconds between looks at the loop
LAG_HIGH = 0.02  # a wake-up this late: fewer requests at once
LAG_LOW = 0.005  # this punctual: more again, up to --max-concurrency
LAG_FLOOR = 16


@dataclass(slots=True)
class _HostPlan:
    state: HostState[_Job]
    headers: dict[str, str]
    accept: StatusRanges


@dataclass(slots=True, eq=False)
class _Job:
    """One URL on its way through its host's queue."""

    index: int
    url: str
    plan: _HostPlan
    started: float = 0.0  # monotonic time of the first attempt (0: never requested)
    deadline: float = 0.0
    attempts: int = 0  # requests made (waited-out 429s included)
    spent: int = 0  # attempts counted against ``settings.retries``
    last: Outcome | None = None
    headers: dict[str, str] = field(default_factory=dict)
    slow: bool = False  # its last attempt timed out


def _now() -> datetime:
    return datetime.now(UTC)


def _precheck(url: str, policy: UrlPolicy) -> FetchResult | str:
    """A final result for URLs that are never fetched (:mod:`linkhealth.urlpolicy`),
    else the URL's host key."""
    checked = policy.check(url)
    if isinstance(checked, str):
        return checked
    return FetchResult(
        url,
        checked.verdict,
        detail=checked.detail,
        error_kind=checked.error_kind,
        checked_at=_now(),
    )


@contextmanager
def _uncollected(*, freeze: bool = False) -> Iterator[None]:
    """No cyclic collection while the block makes objects that are all kept (a job per
    URL, a result per URL): each collection would walk them all again for nothing.
    ``freeze``: what the block made is moved out of the collector's sight after it
    (:func:`gc.freeze`), for a caller that gives it back (:func:`gc.unfreeze`) when the
    run ends, as the pipeline's run does: the first allocation after the block walked an
    outage's 100,000 results and their lists in one pass (~0.17 s)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if collecting:
            gc.enable()


def _wants_full_body(url: str, settings: Settings, full_body: Container[str] | None) -> bool:
    """Whether to read past ``</head>`` (anchors for ``--check-fragments`` live in the body)."""
    if full_body is not None:
        return url in full_body
    if not settings.check_fragments:
        return False
    # Callers usually fetch the URL without its fragment: read every page in full.
    frag = urlsplit(url).fragment
    return not frag or not (frag.startswith(("/", "!")) or ":~:" in frag)


def _is_slow(job: _Job) -> bool:
    return job.slow


class _TryBudget:
    """What a URL's retries have left (for its host's queue; holds no run)."""

    __slots__ = ("per_try", "retries", "timeout")

    def __init__(self, settings: Settings) -> None:
        self.retries = settings.retries
        self.timeout = settings.timeout
        # A try's longest share of the budget: a whole timeout and the longest backoff.
        self.per_try = settings.timeout + 1.5 * settings.backoff_base * 2.0**settings.retries

    def tries_left(self, job: _Job) -> int:
        return self.retries - job.spent

    def start_by(self, job: _Job) -> float:
        """The latest time a retry may be let wait behind new URLs: its URL's budget must
        still hold every try it has left after the retry waits for a slot, and a slot may
        be held by a request that hangs for a whole timeout."""
        return job.deadline - (self.retries + 1 - job.spent) * self.per_try - self.timeout


class _Deadlines:
    """The attempts' deadlines of a run, all under one loop timer set for the earliest.
    A TimerHandle an attempt cost a heap push and a cancel in the loop's heap of
    Python-compared handles (and its pop later); here an attempt's deadline is a tuple
    in a heap of its own, and an attempt that ends leaves its entry to be dropped when
    the timer next fires (as the loop drops a cancelled handle). The timer fires when
    the earliest deadline's own handle would have, and fires every deadline then due,
    earliest first (due: within the clock's resolution, as the loop counts it). Entries
    left by ended or moved deadlines are dropped all at once when they are more than half
    the heap (as the loop purges its cancelled handles): a fast run kept every attempt of
    the last timeout's span, ~1 KB each (review11 R2)."""

    __slots__ = ("_heap", "_loop", "_seq", "_stale", "_timer")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._heap: list[tuple[float, int, _Deadline]] = []
        self._seq = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._stale = 0  # entries whose deadline ended or moved (an estimate, never below 0)

    def add(self, when: float, deadline: _Deadline) -> None:
        heapq.heappush(self._heap, (when, next(self._seq), deadline))
        timer = self._timer
        if timer is None or when < timer.when():
            if timer is not None:
                timer.cancel()
            self._timer = self._loop.call_at(when, self._fire)

    def _fire(self) -> None:
        self._timer = None
        heap = self._heap
        due_by = self._loop.time() + _CLOCK_RESOLUTION
        while heap:
            when, _, deadline = heap[0]
            if deadline.queued != when:  # ended, or moved (a later entry holds it)
                heapq.heappop(heap)
                self._stale = max(0, self._stale - 1)
            elif when < due_by:
                heapq.heappop(heap)
                deadline.fire()
            else:
                self._timer = self._loop.call_at(when, self._fire)
                return

    def left(self) -> None:
        """A live entry went stale (its deadline ended or moved)."""
        self._stale += 1
        heap = self._heap
        if self._stale > _MIN_STALE and 2 * self._stale > len(heap):
            heap[:] = [entry for entry in heap if entry[2].queued == entry[0]]
            heapq.heapify(heap)
            self._stale = 0

    def close(self) -> None:
        """The run is over: no timer left in the loop, no attempt held."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._heap.clear()


# Stale deadlines a heap may hold before they are dropped (with more than live ones).
_MIN_STALE = 100

# What the event loop counts as due with a timer (BaseEventLoop._clock_resolution).
_CLOCK_RESOLUTION = time.get_clock_info("monotonic").resolution


class _Deadline:
    """An attempt's deadline: what ``asyncio.timeout`` does for an attempt, for less (an
    entry in the run's :class:`_Deadlines`; 3.11's Timeout costs twice a call_at and a
    cancel, with ``current_task`` and ``get_running_loop`` a ``getpid`` each). When it
    fires it cancels the attempt's task; :meth:`end` tells a cancel of its own (the
    caller turns it into a ``TimeoutError``, as ``asyncio.timeout`` does) from any other
    (passed on)."""

    __slots__ = ("_cancelling", "_own", "_queue", "_task", "_when", "fired", "queued")

    def __init__(self, queue: _Deadlines, task: asyncio.Task[None], when: float) -> None:
        self._queue = queue
        self._task = task
        self._cancelling = task.cancelling()
        self._when: float | None = None
        self.queued: float | None = None  # the when of its live entry in the queue
        self._own: bool | None = None  # set by end()
        self.fired = False
        self.reschedule(when)

    def when(self) -> float | None:
        return self._when

    def reschedule(self, when: float | None) -> None:
        """Move the deadline (``None``: none, while a hop waits for another host's slot)."""
        if self.queued is not None:
            self._queue.left()
        self._when = self.queued = when
        if when is not None:
            self._queue.add(when, self)

    def fire(self) -> None:
        """Its time has come (the queue's call)."""
        self.queued = None
        self.fired = True
        self._task.cancel()

    def end(self) -> bool:
        """The attempt is over (called again: the same answer). Whether the deadline cut it
        and nothing else cancelled it: its own cancel is taken back from the task's count
        then, as ``asyncio.timeout``'s exit takes it back."""
        if self._own is None:
            if self.queued is not None:
                self._queue.left()
            self.queued = None
            self._own = self.fired and self._task.uncancel() <= self._cancelling
        return self._own


class _HopPaused(Exception):
    """A redirect leads to a host that is paused: try the URL again after the pause."""

    def __init__(self, state: HostState[_Job]) -> None:
        super().__init__(state.name)
        self.state = state


class _Hold:
    """What one attempt holds: a slot of the host its current request goes to (the
    first request's is taken by the pump, each redirect hop's by :meth:`before_hop`)
    and a global place. Order is always host slot, then global place, and a hop lets go
    of both before it waits for the next host's slot: no two attempts can wait on each
    other."""

    __slots__ = ("by", "global_held", "priority", "run", "state", "taken", "timer")

    def __init__(
        self, run: _Run, state: HostState[_Job], taken: float, priority: int, by: float
    ) -> None:
        self.run = run
        self.by = by  # a hop may wait behind a paced host's new URLs until then
        self.state: HostState[_Job] | None = state
        self.taken = taken  # when the slot held was taken
        self.priority = priority
        self.global_held = False
        self.timer: _Deadline | None = None

    async def take_global(self) -> None:
        await self.run.limiter.acquire(self.priority)
        self.global_held = True

    async def before_hop(self, host: str) -> None:
        target = self.run.state_of(host)  # the client's weburl.host_key
        if self.state is not None:
            self.state.answered(self.taken)  # it answered with a redirect
        self.release()
        if target.paused_until > time.monotonic():
            raise _HopPaused(target)
        # Waiting for another host's slot is not this URL's time: the attempt's
        # deadline stops while it waits.
        timer = self.timer
        when = timer.when() if timer is not None else None
        if timer is not None:
            timer.reschedule(None)
        began = time.monotonic()
        self.taken = await target.acquire(self.by)
        self.state = target
        await self.take_global()
        if timer is not None and when is not None:
            timer.reschedule(when + time.monotonic() - began)

    def release(self) -> None:
        if self.state is not None:
            self.state.release(self.taken)
            self.state = None
        if self.global_held:
            self.global_held = False
            self.run.limiter.release()


class _NetWatch:
    """Notices "no network": the first hosts to finish all failed below HTTP, none answered."""

    def __init__(self, n_hosts: int, ratio: float, ahead: LookupProbe | None = None) -> None:
        self.need = max(2, min(OUTAGE_HOSTS, n_hosts))
        self.enabled = n_hosts >= 2
        self.ratio = ratio
        self.started: set[str] = set()
        self.failed: set[str] = set()
        self.reached = False
        self.down: str | None = None
        self.since: float | None = None  # the first request's start
        self.ahead = ahead  # look-ups made before the first request (fetch.probe)

    def evidence(self) -> tuple[set[str], set[str], float | None]:
        """(hosts failed at the network level, hosts asked, when the first was asked):
        the requests', and the look-ups made ahead while none of those answered (a
        request begins with its look-up: theirs is the same evidence, only earlier)."""
        ahead = self.ahead
        if ahead is None or not ahead.usable():
            return self.failed, self.started, self.since
        since = ahead.since if self.since is None else min(self.since, ahead.since or self.since)
        return self.failed | ahead.failed, self.started | ahead.asked, since

    def note(self, host: str, outcome: Outcome) -> bool:
        """Record one attempt's outcome; true when the network just turned out to be down."""
        if self.reached or self.down is not None:
            return False
        if outcome.status is not None:
            self.reached = True
            return False
        if outcome.error is None or classify_exception(outcome.error)[1] not in NETWORK_KINDS:
            return False
        if not tells_of_the_network(host):
            return False
        self.failed.add(host)
        return self.check()

    def next_look(self, now: float) -> float:
        """Seconds until the watchdog looks again: a tick, or the end of the grace since
        the first request when that comes sooner (a tick just before it would leave the
        verdict to the next one, 1/8 s later)."""
        tick = OUTAGE_GRACE / 8
        since = self.evidence()[2]
        if since is None:
            return tick
        left = since + OUTAGE_GRACE - now
        return left if 0.0 < left < tick else tick

    def _graced(self, since: float | None) -> bool:
        """Whether the grace is over for the requests and look-ups still out. It is for
        requests that hang: counted from the first request once one has started. Before,
        the evidence is the look-ups ahead alone, and those still out may only be waiting
        for the loop (a long plan holds it: review9 F4), so it counts from when the loop
        could first hear them (:meth:`~linkhealth.fetch.probe.LookupProbe.caught_up`): a
        look-up still out a grace after that hangs as a request would (a resolver with
        no network that times out), and the verdict need not wait for a request."""
        now = time.monotonic()
        if self.since is not None:
            return now - (since or 0.0) >= OUTAGE_GRACE
        heard = self.ahead.heard_from if self.ahead is not None else None
        return heard is not None and now - heard >= OUTAGE_GRACE

    def check(self) -> bool:
        """Whether the evidence so far says "no network" (then :attr:`down` is set)."""
        if self.reached or self.down is not None:
            return False
        failed, started, since = self.evidence()
        if not self.enabled or len(failed) < self.need:
            return False
        if len(failed) < self.ratio * len(started) and not self._graced(since):
            return False
        self.down = (
            f"not requested: no host answered ({len(failed)} hosts failed "
            "at the network level): the network looks down"
        )
        return True


class _Run:
    def __init__(
        self,
        settings: Settings,
        client: Client,
        results: list[FetchResult | None],
        on_result: OnResult | None,
        validators: Mapping[str, Validators],
        full_body: Container[str] | None,
        on_throttle: OnThrottle | None,
        n_hosts: int,
        ahead: LookupProbe | None = None,
        on_unrequested: OnUnrequested | None = None,
    ) -> None:
        self.settings = settings
        self.on_unrequested = on_unrequested
        self.on_throttle = on_throttle
        self.client = client
        self.results = results
        self.on_result = on_result
        self.validators = validators
        self.full_body = full_body
        self.limiter = PriorityLimiter(settings.max_concurrency)
        self.budget = _TryBudget(settings)
        self.rng = random.Random()
        self.states: dict[str, HostState[_Job]] = {}
        self.plans: list[_HostPlan] = []
        self.watch = _NetWatch(n_hosts, settings.outage_ratio, ahead)
        self.in_flight: dict[asyncio.Task[None], _Job] = {}
        self.dog: asyncio.Task[None] | None = None
        self.tuner: asyncio.Task[None] | None = None
        self.left = 0  # URLs not final yet, all hosts
        self.deadlines = _Deadlines(asyncio.get_running_loop())

    async def serve(self) -> None:
        """Run every host's pump (and the watchdog, and the tuner) until all is done."""
        try:
            async with self.client, asyncio.TaskGroup() as tg:
                if self.watch.enabled:  # first: the look-ups ahead may have decided already
                    self.dog = tg.create_task(self.watchdog())
                for plan in self.plans:
                    tg.create_task(self.pump(plan.state, tg))
                if self.settings.max_concurrency > LAG_FLOOR:
                    self.tuner = tg.create_task(self.tune())
        finally:
            self.deadlines.close()
        # A cancelled helper's task keeps its frame (and the run) alive through its
        # exception's traceback: without it, the run and what it reaches (every result)
        # are freed here, not left to the cycle collector.
        self.dog = self.tuner = None

    async def watchdog(self) -> None:
        """Check for "no network" while hosts fail slowly (look-ups that time out); first
        at once (the look-ups made ahead may have said so already)."""
        while not self.watch.reached and self.watch.down is None:
            if self.left == 0:
                return
            if self.watch.check():
                self.network_down()
                return
            await asyncio.sleep(self.watch.next_look(time.monotonic()))

    async def tune(self) -> None:
        """Fit the global limit to what the event loop keeps up with (see ``LAG_HIGH``)."""
        loop = asyncio.get_running_loop()
        limiter, top = self.limiter, self.settings.max_concurrency
        floor = min(top, LAG_FLOOR)
        while self.left > 0:
            asked = loop.time()
            await asyncio.sleep(LAG_TICK)
            lag = loop.time() - asked - LAG_TICK
            if lag > LAG_HIGH and limiter.limit > floor:
                limiter.resize(max(floor, int(limiter.limit * 0.8)))
            elif lag < LAG_LOW and limiter.limit < top:
                limiter.resize(min(top, limiter.limit + 2))

    def state_of(self, key: str) -> HostState[_Job]:
        """The politeness state of a host (created for hosts only redirects lead to)."""
        state = self.states.get(key)
        if state is None:
            s = self.settings
            hs = s.host(key)
            state = HostState(
                key,
                concurrency=hs.concurrency or s.host_concurrency,
                interval=s.host_interval if hs.interval is None else hs.interval,
                jitter=s.host_jitter,
                backoff_cap=s.retry_after_max,
                is_slow=_is_slow,
                tries_left=self.budget.tries_left,
                start_by=self.budget.start_by,
            )
            self.states[key] = state
        return state

    def emit(self, index: int, result: FetchResult) -> None:
        self.results[index] = result
        if self.on_result is not None:
            self.on_result(result)

    def finish(
        self,
        job: _Job,
        outcome: Outcome,
        classified: tuple[Verdict, ErrorKind | None, str] | None = None,
        *,
        wake: bool = True,
    ) -> None:
        """``job`` is final, as ``outcome`` says (``wake=False``: the caller wakes its
        host's waiters itself)."""
        self.close(job, self._result(job, outcome, classified), wake=wake)

    def close(self, job: _Job, result: FetchResult, *, wake: bool = True) -> None:
        self.emit(job.index, result)
        state = job.plan.state
        state.pending -= 1
        if wake:
            state.notify()
        self.left -= 1
        if self.left == 0:
            self.stop_helpers()

    async def pump(self, state: HostState[_Job], tg: asyncio.TaskGroup) -> None:
        """Start the host's queued URLs as slots, start times and pauses allow."""
        seen_pause = 0.0
        while state.pending > 0:
            now = time.monotonic()
            if state.paused_until != seen_pause:
                seen_pause = state.paused_until
                self.expire(state, now)
                continue
            ready = state.next_ready(now)
            if ready is None:
                await state.changed(None)
                continue
            start = max(ready, state.start_time())
            if start > now:
                await state.changed(start - now)
                continue
            job = None if state.hops_first() else state.start_next(now)
            if job is None:
                await state.changed(None)  # every slot is taken: wait for a release
                continue
            tg.create_task(self.attempt(job, now))

    def expire(self, state: HostState[_Job], now: float) -> None:
        """Finish the queued URLs that the host's pause keeps out beyond their budget."""
        if state.paused_until <= now:
            return
        budget = self.settings.url_deadline

        def keep(job: _Job) -> bool:
            limit = job.deadline if job.started else now + budget
            if state.paused_until < limit:
                return True
            self.finish(job, self._throttled(job, state, now))
            return False

        state.remove(keep)

    def _throttled(self, job: _Job, state: HostState[_Job], now: float) -> Outcome:
        wait = state.paused_until - now
        if job.started:
            what = "retry" if job.last is None or job.last.status != 429 else "next try"
            why = (
                f"{state.name} is paused for {wait:.0f} s (it asked us to slow down): "
                f"no {what} within this URL's {self.settings.url_deadline:.0f} s budget"
            )
        else:
            why = (
                f"not requested: {state.name} asked us to wait {wait:.0f} s, "
                f"beyond this URL's {self.settings.url_deadline:.0f} s budget"
            )
        out = Outcome(url=job.url, error=HostThrottled(why), exhausted=True)
        if job.last is not None:
            out.redirects = job.last.redirects
        return out

    async def attempt(self, job: _Job, taken: float) -> None:
        """One attempt of ``job`` in the slot its host's pump took at ``taken``. An error
        raised in it (a result callback's) cancels every other attempt at once and ends the
        run's task group with it: no result is handed on after it (review11 R1)."""
        try:
            s = self.settings
            state = job.plan.state
            began = time.monotonic()
            if not job.started:
                job.started = began
                job.deadline = began + s.url_deadline
                job.headers = self._headers(job)
            hold = _Hold(self, state, taken, -state.pending, self.budget.start_by(job))
            task = asyncio.current_task()
            if task is not None:
                self.in_flight[task] = job
            sent = began
            try:
                await hold.take_global()
                # A host counts as started once its request goes out (not while it waits for
                # a global place): "nearly all hosts started so far failed" needs the real ones.
                if tells_of_the_network(state.name):
                    self.watch.started.add(state.name)
                sent = time.monotonic()
                if self.watch.since is None:
                    self.watch.since = sent
                budget = min(s.timeout, job.deadline - sent)
                job.attempts += 1
                outcome = await self._attempt_with_deadline(job, budget, hold, task)
            except asyncio.CancelledError:
                if self.watch.down is None or task is None:
                    raise
                task.uncancel()  # cut short by network_down(): this URL ends with the rest
                outcome = Outcome(url=job.url, error=NetworkDown(self.watch.down))
            finally:
                hold.release()
                if task is not None:
                    self.in_flight.pop(task, None)
            self.after(job, outcome, hold.taken, sent)
        except asyncio.CancelledError:
            raise
        except BaseException:
            current = asyncio.current_task()
            for other in list(self.in_flight):
                if other is not current:
                    other.cancel()
            raise

    def _headers(self, job: _Job) -> dict[str, str]:
        headers = dict(job.plan.headers)
        validators = self.validators.get(job.url)
        if validators is not None:
            etag, modified = validators
            if etag:
                headers["If-None-Match"] = etag
            if modified:
                headers["If-Modified-Since"] = modified
        return headers

    async def _attempt_with_deadline(
        self, job: _Job, budget: float, hold: _Hold, task: asyncio.Task[None] | None
    ) -> Outcome:
        url = job.url
        if budget <= 0:
            return Outcome(url=url, error=TimeoutError("URL deadline reached"))
        want_full = _wants_full_body(url, self.settings, self.full_body)
        if task is None:  # pragma: no cover - attempts always run as tasks
            raise RuntimeError("an attempt runs in a task")
        deadline = hold.timer = _Deadline(self.deadlines, task, task.get_loop().time() + budget)
        try:
            return await self.client.attempt(
                url,
                headers=job.headers,
                want_full_body=want_full,
                before_hop=hold.before_hop,
            )
        except asyncio.CancelledError as exc:
            if not deadline.end():
                raise
            error = TimeoutError()  # chained as asyncio.timeout chains it
            error.__cause__ = error.__context__ = exc
            return Outcome(url=url, error=error)
        finally:
            deadline.end()

    def after(self, job: _Job, outcome: Outcome, began: float, sent: float) -> None:
        """Decide what the attempt's outcome means for the URL and its host (``began``:
        when the slot of the host that answered was taken, the time that host's state
        knows the request by; ``sent``: when the attempt's request went out)."""
        s = self.settings
        if isinstance(outcome.error, _HopPaused):
            job.attempts -= 1  # the paused host was never asked
            self.requeue(job, outcome.error.state.paused_until, free=True)
            return
        if outcome.error is not None:
            drop_tracebacks(outcome.error)  # kept on the job: no frames (and the run) with it
        job.last = outcome
        job.slow = outcome.error is not None and (
            classify_exception(outcome.error)[1] is ErrorKind.TIMEOUT
        )
        state = job.plan.state
        if self.watch.note(state.name, outcome):
            self.network_down()
        answered = self._answering_state(job, outcome)
        status = outcome.status
        retry_after = outcome.retry_after
        if status == 429 or (status == 503 and retry_after is not None):
            delay = answered.throttled(retry_after, s.backoff_base, began, probe=status == 429)
            if self.on_throttle is not None:
                self.on_throttle(answered.name, delay)
        elif status == 503:
            delay_or_none = answered.failed_503(began)
            if delay_or_none is not None and self.on_throttle is not None:
                self.on_throttle(answered.name, delay_or_none)
        elif status is not None:
            answered.answered(began)
        if self.watch.down is not None or not is_retryable(outcome):
            self.finish(job, outcome)
            return
        if retry_after is not None and retry_after > s.retry_after_max:
            self.finish(job, outcome)  # longer than we wait for anyone
            return
        # The host said how long to wait: waiting it out is not the URL's failure.
        free = status == 429 and retry_after is not None
        if not free:
            job.spent += 1
            if job.spent > s.retries:
                self.finish(job, outcome)
                return
        now = time.monotonic()
        if retry_after is not None:
            not_before = now + retry_after  # the host's word, from its answer
        else:
            # The backoff runs from when the failed request went out: an attempt that
            # timed out has waited longer than it already, and its retry may go at once.
            backoff = s.backoff_base * 2.0 ** (job.spent - 1) * (1.0 + self.rng.random() * 0.5)
            not_before = max(sent + backoff, now)
        self.requeue(job, not_before, free=free, own=True)

    def requeue(self, job: _Job, not_before: float, *, free: bool, own: bool = False) -> None:
        """Back into its host's queue; or final when no try fits in the URL's budget."""
        state = job.plan.state
        paused = max(state.paused_until, not_before if not own else 0.0)
        at = max(not_before, paused)
        if at < job.deadline:
            state.push(job, at)
            return
        last = job.last
        if own and paused < at and last is not None and not free:
            self.finish(job, last)  # its own backoff ran past the deadline: as it stands
            return
        if last is not None and last.status == 429:
            self.finish(job, last)  # still rate limited
            return
        blocker = state if state.paused_until >= at or own else self._pauser(job)
        now = time.monotonic()
        if blocker.paused_until <= now:
            blocker.paused_until = at  # for the message: the wait that did not fit
        self.finish(job, self._throttled(job, blocker, now))

    def _pauser(self, job: _Job) -> HostState[_Job]:
        last = job.last
        if last is not None and isinstance(last.error, _HopPaused):
            return last.error.state
        return job.plan.state

    def _answering_state(self, job: _Job, outcome: Outcome) -> HostState[_Job]:
        if outcome.final_url is None or not outcome.redirects:
            return job.plan.state
        try:
            host = host_key(outcome.final_url)
        except ValueError:
            host = ""
        return self.state_of(host) if host else job.plan.state

    def network_down(self) -> None:
        """No network: every URL still queued ends now, not requested; requests in
        flight (a look-up that would time out) are cut short."""
        why = self.watch.down or "the network looks down"
        for task in list(self.in_flight):
            task.cancel()
        self.stop_helpers()
        error = NetworkDown(why)  # never raised: one for every URL left
        classified = classify_exception(error)
        unrequested = _unrequested(classified)
        with _uncollected():  # the results are kept: 50,000 in an outage of that size
            for state in list(self.states.values()):
                for job in state.jobs():  # each queued in its own host's state
                    if job.started:
                        self.finish(job, Outcome(url=job.url, error=error), classified, wake=False)
                    else:
                        self.close(job, unrequested(job.url), wake=False)
                state.remove(lambda job: False)  # wakes the host's waiters, once

    def down_before(self, urls: Sequence[str], by_host: dict[str, list[int]]) -> None:
        """The network was seen down before any request (the look-ups ahead said so):
        every URL ends not requested, as :meth:`network_down` ends those still queued,
        without a job queued or a pump started for it. The results are frozen: only a
        run that looked hosts up ahead comes here, and it unfreezes at its end
        (:func:`linkhealth.pipeline.run._collected_again`)."""
        why = self.watch.down or "the network looks down"
        unrequested = _unrequested(classify_exception(NetworkDown(why)))
        bulk = self.on_unrequested
        with _uncollected(freeze=True):
            for _, indexes in sorted(by_host.items(), key=lambda kv: -len(kv[1])):
                if bulk is not None:  # one call a host, no result made for the others
                    bulk(unrequested(urls[indexes[0]]), [urls[i] for i in indexes])
                    continue
                for i in indexes:
                    self.emit(i, unrequested(urls[i]))

    def stop_helpers(self) -> None:
        """The watchdog and the tuner: their work is done, the run need not wait for
        their sleep."""
        for helper in (self.dog, self.tuner):
            if helper is not None and helper is not asyncio.current_task():
                helper.cancel()

    def _result(
        self,
        job: _Job,
        outcome: Outcome,
        classified: tuple[Verdict, ErrorKind | None, str] | None = None,
    ) -> FetchResult:
        url, attempts = job.url, job.attempts
        verdict, kind, detail = classified or classify_outcome(outcome, job.plan.accept)
        if outcome.error is not None and kind is ErrorKind.TIMEOUT and attempts > 1:
            detail = f"{detail} ({attempts} attempts)"
        ok_response = outcome.error is None and outcome.redirect_problem is None
        headers = outcome.headers
        elapsed = time.monotonic() - job.started if job.started else 0.0
        return FetchResult(
            url=url,
            verdict=verdict,
            http_status=outcome.status,
            detail=detail,
            error_kind=kind,
            final_url=outcome.final_url,
            redirects=(redirects := outcome.redirects),
            permanent=bool(redirects) and any(r.status in PERMANENT_REDIRECTS for r in redirects),
            attempts=attempts,
            elapsed_ms=round(elapsed * 1000, 1),
            checked_at=_now(),
            content_type=headers.get("content-type"),
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
            body=outcome.body if ok_response and verdict.is_ok() else b"",
            headers=headers,
            not_modified=outcome.status == 304,
            truncated=outcome.truncated,
        )


def _unrequested(
    classified: tuple[Verdict, ErrorKind | None, str],
) -> Callable[[str], FetchResult]:
    """The result of a URL the network's verdict ends before its first attempt: what
    :meth:`_Run._result` makes of the verdict's error without an attempt's fields, every
    one checked at the same moment (the verdict's)."""
    verdict, kind, detail = classified
    now = _now()

    def result(url: str) -> FetchResult:
        return FetchResult(url, verdict, None, detail, kind, checked_at=now)

    return result


def _queue(
    run: _Run, urls: Sequence[str], by_host: dict[str, list[int]], hung_before: Collection[str]
) -> None:
    """Each host's URLs into its queue, the hosts with the most URLs first; those in
    ``hung_before`` spread over the first part of their host's queue (:func:`spread_early`),
    the others in list order."""
    settings = run.settings
    for host, indexes in sorted(by_host.items(), key=lambda kv: -len(kv[1])):
        hs = settings.host(host)
        accept = hs.accept or settings.accept
        plan = _HostPlan(run.state_of(host), settings.host_headers(host), accept)
        run.plans.append(plan)
        jobs = [_Job(i, urls[i], plan) for i in indexes]
        if hung_before:
            jobs = spread_early(jobs, lambda job: job.url in hung_before)
        plan.state.push_new(jobs)
        plan.state.pending = len(indexes)
        run.left += len(indexes)


async def fetch_all(
    urls: Sequence[str],
    settings: Settings,
    *,
    on_result: OnResult | None = None,
    validators: Mapping[str, Validators] | None = None,
    full_body: Container[str] | None = None,
    on_throttle: OnThrottle | None = None,
    hosts: Mapping[str, str] | None = None,
    ahead: LookupProbe | None = None,
    hung_before: Collection[str] | None = None,
    on_unrequested: OnUnrequested | None = None,
) -> list[FetchResult]:
    """Check every URL once; results in input order.

    The caller passes unique, normalised URLs. ``on_result`` is called as each
    result is final (in completion order). ``validators`` maps a URL to its
    previous (ETag, Last-Modified) for a conditional request; a 304 answer gives
    ``not_modified=True``. HTML bodies stop shortly after ``</head>``, except for the
    URLs in ``full_body`` (read up to ``max_body_bytes``); when ``full_body`` is
    ``None`` and ``settings.check_fragments`` is on, every page is read in full.
    ``on_throttle(host, seconds)`` is called when a host answers 429/503 and its
    later starts are pushed back (see :class:`~linkhealth.fetch.hosts.ThrottleBoard`).
    ``hosts`` maps URLs that :meth:`~linkhealth.urlpolicy.UrlPolicy.check` with these
    settings already passed (a run's plan) to the host key it returned: not asked again.
    ``ahead``: look-ups of the run's first hosts started before (:mod:`.probe`), early
    evidence for "no network". ``hung_before``: URLs that timed out on the last run (the
    store's word): each host starts its own spread over the first part of its queue
    instead of in list order (:func:`~linkhealth.fetch.hosts.spread_early`); only the
    order of starts changes. ``on_unrequested(first, urls)``: when the look-ups ahead
    saw no network before the first request, each host's URLs end at once, alike but for
    their URL: one call a host (``first`` the result of its first URL, ``urls`` every one
    of its URLs) instead of ``on_result`` for each, and the returned list leaves them out
    (an outage's 200,000 results made and handed over one by one took ~1 s).
    Settings arrive parsed and checked (:func:`~linkhealth.config.load_settings`); an
    ``env:`` header unset on a cluster worker still raises
    :class:`~linkhealth.errors.ConfigError`.
    """
    results: list[FetchResult | None] = [None] * len(urls)
    client = Client(settings)
    policy = UrlPolicy(settings, guard=client.guard)
    by_host: dict[str, list[int]] = {}
    early: list[tuple[int, FetchResult]] = []
    passed = (hosts or {}).get
    for i, url in enumerate(urls):
        pre = passed(url) or _precheck(url, policy)
        if isinstance(pre, FetchResult):
            early.append((i, pre))
            continue
        group = by_host.get(pre)  # (no list made for each of a host's 40,000 URLs)
        if group is None:
            group = by_host[pre] = []
        group.append(i)

    run = _Run(
        settings,
        client,
        results,
        on_result,
        validators or {},
        full_body,
        on_throttle,
        sum(map(tells_of_the_network, by_host)),  # the hosts that count for an outage
        ahead,
        on_unrequested,
    )
    if ahead is not None:
        await ahead.caught_up(OUTAGE_GRACE)
    handed_over = False
    if run.watch.enabled and run.watch.check():  # the look-ups ahead said so already
        run.down_before(urls, by_host)
        handed_over = on_unrequested is not None
    else:
        with _uncollected():  # a job per URL, kept until the fetch ends
            _queue(run, urls, by_host, frozenset(hung_before or ()))
    for i, result in early:
        run.emit(i, result)
    if run.plans:
        await run.serve()
    if handed_over:  # by host, with on_unrequested: no result of theirs here
        return [r for r in results if r is not None]
    done: list[FetchResult] = []
    for i, r in enumerate(results):
        if r is None:  # pragma: no cover - every index is emitted above
            v, k, d = classify_exception(RuntimeError("no result"))
            r = FetchResult(urls[i], v, detail=d, error_kind=k, checked_at=_now())
        done.append(r)
    return done
