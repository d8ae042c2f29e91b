"""The fetch stage's seam: what fetches a batch of URLs (local or cluster), and stopping it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

from linkhealth.config import Settings
from linkhealth.fetch import FetchResult, OnThrottle, fetch_all
from linkhealth.fetch.engine import OnUnrequested
from linkhealth.fetch.probe import LookupProbe


class Fetcher(Protocol):
    """What fetches a batch of URLs: :func:`linkhealth.fetch.fetch_all`, or the cluster's.

    ``full_body`` names the URLs whose whole page is read (their anchors are checked);
    the others are read up to the end of their head. ``None``: the fetcher decides.
    ``hosts``: the host key the plan's URL policy gave each URL (a fetcher need not ask
    the policy again; it may ignore them). ``ahead``: look-ups of the first hosts made
    before (early evidence of "no network"; it may be ignored). ``hung_before``: URLs
    that timed out on the last run, started early in their host's queue (order only; it
    may be ignored). ``on_unrequested`` (given only with ``ahead``): where the fetcher ends
    a host's URLs alike before any request, it may hand them over in one call
    (:data:`~linkhealth.fetch.engine.OnUnrequested`) instead of a result each.
    """

    def __call__(
        self,
        urls: Sequence[str],
        settings: Settings,
        *,
        on_result: Callable[[FetchResult], None] | None = None,
        validators: Mapping[str, tuple[str | None, str | None]] | None = None,
        on_throttle: OnThrottle | None = None,
        full_body: Collection[str] | None = None,
        hosts: Mapping[str, str] | None = None,
        ahead: LookupProbe | None = None,
        hung_before: Collection[str] | None = None,
        on_unrequested: OnUnrequested | None = None,
    ) -> Awaitable[list[FetchResult]]: ...


@asynccontextmanager
async def chosen_fetcher(settings: Settings) -> AsyncIterator[Fetcher]:
    """The fetcher ``settings`` ask for: the cluster's with ``workers``/``cluster`` (started
    here and closed on exit; Dask is imported only then), else :func:`fetch_all`."""
    if settings.workers or settings.cluster:
        from linkhealth.cluster import cluster_fetcher

        async with cluster_fetcher(settings) as fetcher:
            yield fetcher
    else:
        yield fetch_all


#: Results handed to ``on_result`` at once (see :class:`_Batched`): ~10 ms of their work
#: (the run's engine takes a wake-up 20 ms late for a loop that does not keep up).
RESULT_BATCH = 32
#: Seconds the first result of a batch waits for the rest, at most.
RESULT_WAIT = 0.5
#: Body bytes a batch holds, at most (pages read whole for their anchors are up to
#: ``max_body_bytes`` each).
RESULT_BYTES = 4 * 1024 * 1024


class _Batched:
    """A fetch's ``on_result`` (and ``on_unrequested``) called for several results in a
    row, in the order the fetcher reported them: a result's metadata, judging and store
    record, run between the requests' own work, found the caches cold; the same pages read
    one after another cost a quarter less CPU (lh-eq: ~414 -> ~325 us a result, 32 at once).
    Only when the run's callbacks see a result changes, never what they see or in which
    order: a batch is handed over when it is full or holds :data:`RESULT_BYTES` of bodies,
    when its first result has waited :data:`RESULT_WAIT` (a loop timer: a callback's error
    then cancels the fetch, :attr:`error` says why), before the fetcher's
    ``on_unrequested``, and when the fetch ends or is stopped (:func:`fetch_until_stopped`).
    """

    __slots__ = ("_held", "_on_result", "_on_unrequested", "_queued", "_timer", "error", "task")

    def __init__(
        self, on_result: Callable[[FetchResult], None], on_unrequested: OnUnrequested | None
    ) -> None:
        self._on_result = on_result
        self._on_unrequested = on_unrequested
        self._queued: list[FetchResult] = []
        self._held = 0  # body bytes queued
        self._timer: asyncio.TimerHandle | None = None
        self.task: asyncio.Future[list[FetchResult]] | None = None  # the fetch
        self.error: Exception | None = None  # a callback's, raised in a late batch

    def result(self, item: FetchResult) -> None:
        queued = self._queued
        if not queued:
            self._held = 0
            self._timer = asyncio.get_running_loop().call_later(RESULT_WAIT, self._late)
        queued.append(item)
        self._held += len(item.body)
        if len(queued) >= RESULT_BATCH or self._held >= RESULT_BYTES:
            self.flush()

    def unrequested(self, first: FetchResult, urls: Sequence[str]) -> None:
        self.flush()  # the results reported before these go first
        assert self._on_unrequested is not None
        self._on_unrequested(first, urls)

    def flush(self) -> None:
        """Hand over every result queued (a callback's error stops it there, as it stopped
        the fetcher: the rest are never handed over)."""
        self.close()
        queued = self._queued
        if queued:
            self._queued = []
            on_result = self._on_result
            for item in queued:
                on_result(item)

    def _late(self) -> None:
        self._timer = None
        try:
            self.flush()
        except Exception as exc:  # the fetch ends with it, as with a callback's error in it
            self.error = exc
            if self.task is not None:
                self.task.cancel()

    def close(self) -> None:
        """No late batch any more (what is queued stays queued)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


async def fetch_until_stopped(
    urls: Sequence[str],
    settings: Settings,
    on_result: Callable[[FetchResult], None],
    validators: Mapping[str, tuple[str | None, str | None]],
    stop: asyncio.Event | None,
    fetcher: Fetcher = fetch_all,
    on_throttle: OnThrottle | None = None,
    full_body: Collection[str] | None = None,
    hosts: Mapping[str, str] | None = None,
    ahead: LookupProbe | None = None,
    hung_before: Collection[str] | None = None,
    on_unrequested: OnUnrequested | None = None,
) -> bool:
    """Fetch ``urls``; returns False when ``stop`` interrupted the work. ``on_result`` and
    ``on_unrequested`` hear every result the fetcher reported, in its order, a few at a
    time (:class:`_Batched`): all of them by the time this returns."""
    if not urls:
        return True
    batched = _Batched(on_result, on_unrequested)
    # on_unrequested only where it is asked for: a fetcher given no look-ups ahead never
    # ends URLs before a request, and need not know the word.
    bulk = {} if on_unrequested is None else {"on_unrequested": batched.unrequested}
    batched.task = task = asyncio.ensure_future(
        fetcher(
            urls,
            settings,
            on_result=batched.result,
            validators=validators,
            on_throttle=on_throttle,
            full_body=full_body,
            hosts=hosts,
            ahead=ahead,
            hung_before=hung_before,
            **bulk,
        )
    )
    try:
        finished = await _until_stopped(task, stop)
    except asyncio.CancelledError:
        if batched.error is not None:
            raise batched.error from None
        raise
    finally:
        batched.close()
    if batched.error is not None:
        raise batched.error
    batched.flush()  # the rest, or what the fetcher reported before the stop
    return finished


async def _until_stopped(
    task: asyncio.Future[list[FetchResult]], stop: asyncio.Event | None
) -> bool:
    """Wait for the fetch ``task``; False when ``stop`` came first (the task cancelled)."""
    if stop is None:
        await task
        return True
    stopper = asyncio.ensure_future(stop.wait())
    either: set[asyncio.Future[Any]] = {task, stopper}
    done, _ = await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        stopper.cancel()
        task.result()
        return True
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return False


async def fetch_followups(
    urls: Sequence[str],
    settings: Settings,
    *,
    on_result: Callable[[FetchResult], None] | None = None,
    validators: Mapping[str, tuple[str | None, str | None]] | None = None,
    on_throttle: OnThrottle | None = None,
    full_body: Collection[str] | None = None,
    hosts: Mapping[str, str] | None = None,
    ahead: LookupProbe | None = None,
    hung_before: Collection[str] | None = None,
    on_unrequested: OnUnrequested | None = None,
) -> list[FetchResult]:
    """Known-site follow-ups (arXiv abstract, oEmbed): few URLs, fetched here even on a
    cluster, their JSON bodies (oEmbed) always read in full (``full_body`` is ignored)."""
    return await fetch_all(
        urls,
        settings,
        on_result=on_result,
        validators=validators,
        on_throttle=on_throttle,
        full_body=set(urls),
        hosts=hosts,
        hung_before=hung_before,
        on_unrequested=on_unrequested,
    )
