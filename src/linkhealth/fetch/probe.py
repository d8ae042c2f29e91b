"""Look-ups of a run's busiest hosts while it still plans: early evidence of "no network".

Every request starts with its host's look-up, and with no network the look-ups fail (or
hang). Asked of the resolver as soon as the lists are read, the look-ups of the hosts the
fetch starts with (those with the most links) run while the run plans, so the outage
verdict's grace second (:data:`~linkhealth.fetch.engine.OUTAGE_GRACE`) runs then too, not
only after the first request. A look-up that answers (an address, or anything but a
failure at the network level) says the network may well be up: the evidence is then not
used at all, and the engine judges from its own requests alone, as it does without
look-ups ahead. Nothing is sent to a host: a look-up is what its first request would make
first, through the same address guard and ``--resolve`` mappings.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterable

from linkhealth.config import Settings
from linkhealth.fetch.classify import NETWORK_KINDS, classify_exception, tells_of_the_network
from linkhealth.fetch.client import run_guard, run_resolver
from linkhealth.fetch.guard import GuardResolver
from linkhealth.fetch.resolver import DNS_THREADS

#: The most look-ups ahead at once (a thread each; a run asks at most --max-concurrency).
MAX_THREADS = 256
#: Turns of the loop from a look-up's end in its thread to its failure counted here (the
#: executor's future, the resolver's coroutines in the look-up's task), with some to spare.
_TURNS = 4


class LookupProbe:
    """The look-ups of some of a run's hosts, started before its first request."""

    def __init__(self) -> None:
        self.since: float | None = None  # when the first look-up started
        self.asked: set[str] = set()
        self.failed: set[str] = set()  # failed at the network level
        self.answered = False  # some look-up did not fail so: the evidence is not used
        self.heard_from: float | None = None  # when the loop was free to hear them all
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, hosts: Iterable[str], settings: Settings) -> None:
        """Look the hosts up in the background (call from the running event loop; each
        look-up takes its thread at the loop's next turn, before the run plans)."""
        telling = list(filter(tells_of_the_network, hosts))
        # What the first requests look up with, a thread for each: a long plan holds the
        # loop, and a look-up waiting for a thread would wait for the plan (review9 F4).
        threads = max(DNS_THREADS, min(len(telling), MAX_THREADS))
        resolver = run_resolver(run_guard(settings), threads)
        if len(telling) <= threads:  # every one runs from the start: heard since then
            self.heard_from = time.monotonic()
        for host in telling:
            if self.since is None:
                self.since = time.monotonic()
            self.asked.add(host)
            task = asyncio.ensure_future(self._look_up(resolver, host))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _look_up(self, resolver: GuardResolver, host: str) -> None:
        try:
            await resolver.resolve(host, 0, family=socket.AF_UNSPEC)
        except Exception as exc:  # every failure is evidence, or says the network is up
            if classify_exception(exc)[1] in NETWORK_KINDS:
                self.failed.add(host)
                return
        self.answered = True

    async def caught_up(self, grace: float) -> None:
        """Let the loop count the look-ups that have ended: a look-up ends in its thread,
        and its result reaches :attr:`failed` a few turns of the loop later (the run's
        planning holds the loop meanwhile). While every look-up that ended failed, those
        still out are waited for, up to ``grace`` from when each had its thread (the
        start, or now when there were more than :data:`MAX_THREADS`: a long plan holds
        the loop, and those beyond had none yet): the evidence of the look-ups ahead is
        only theirs all together (with no network they all fail within moments; one
        answer ends the wait). Those still out a grace after that hang as a request would
        (:attr:`heard_from`: the engine's watch counts the grace before a request from
        then)."""
        if self.heard_from is None:
            self.heard_from = time.monotonic()
        began = self.heard_from
        for _ in range(_TURNS):
            await asyncio.sleep(0)
        while self.failed and self._tasks and self.usable():
            left = began + grace - time.monotonic()
            if left <= 0:
                return
            await asyncio.wait(self._tasks, timeout=left, return_when=asyncio.FIRST_COMPLETED)

    def usable(self) -> bool:
        """Whether the evidence may be used: look-ups started and none answered."""
        return self.since is not None and not self.answered

    def stop(self) -> None:
        """Stop waiting for the look-ups still out (their threads end on their own)."""
        for task in list(self._tasks):
            task.cancel()
