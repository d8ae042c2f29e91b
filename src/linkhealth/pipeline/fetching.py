"""The fetch stage's seam: what fetches a batch of URLs (local or cluster), and stopping it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Protocol

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
    """Fetch ``urls``; returns False when ``stop`` interrupted the work."""
    if not urls:
        return True
    # on_unrequested only where it is asked for: a fetcher given no look-ups ahead never
    # ends URLs before a request, and need not know the word.
    bulk = {} if on_unrequested is None else {"on_unrequested": on_unrequested}
    task = asyncio.ensure_future(
        fetcher(
            urls,
            settings,
            on_result=on_result,
            validators=validators,
            on_throttle=on_throttle,
            full_body=full_body,
            hosts=hosts,
            ahead=ahead,
            hung_before=hung_before,
            **bulk,
        )
    )
    if stop is None:
        await task
        return True
    stopper = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
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
