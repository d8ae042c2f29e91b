"""Run the checker on a Dask cluster, politeness kept per host.

::

    URLs ─► group by host ─► shards (balanced by expected work, biggest first)
         ─► one Dask task per shard: ``asyncio.run(fetch_all(shard))`` in a worker process
         ─► results stream back to the driver as shards complete ─► ``on_result``

Every URL of one host lands in the same shard, so the per-host slot (concurrency,
interval, backoff, ``Retry-After``) lives in exactly one event loop at a time, as in
one process. Workers return plain :class:`~linkhealth.fetch.FetchResult` records; the
driver alone writes the store and the reports.

Only this module imports Dask, and only :func:`cluster_fetcher` does so, so a run
without ``--workers``/``--cluster`` never imports it (the dependency is the
``cluster`` extra). The sharding functions are pure and importable without Dask.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import importlib.util
import logging
import os
import signal
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linkhealth.config import Settings
from linkhealth.errors import ConfigError, LinkhealthError
from linkhealth.weburl import host_key

if TYPE_CHECKING:
    from linkhealth.fetch import FetchResult
    from linkhealth.fetch.probe import LookupProbe
    from linkhealth.pipeline import Fetcher

log = logging.getLogger(__name__)

#: Seconds to wait for a scheduler (``--cluster``) or local workers before giving up.
DEFAULT_CONNECT_TIMEOUT = 10.0
#: Seconds a ``LocalCluster`` (``--workers``) may take to start its worker processes
#: and connect a client. Spawning workers on a loaded 2-core machine takes seconds;
#: past this the start is treated as hung and reported as a :class:`ClusterError`.
DEFAULT_START_TIMEOUT = 60.0
#: Seconds to let a cluster close before giving up on it (its processes are killed).
CLOSE_TIMEOUT = 20.0
#: Shards per worker slot. One keeps every host of a worker's share in one event loop
#: (best for latency-bound work); more gives finer retries and balancing.
DEFAULT_SHARDS_PER_WORKER = 1
#: Task retries: a shard whose worker died is run once more elsewhere.
DEFAULT_TASK_RETRIES = 1

Validators = Mapping[str, tuple[str | None, str | None]]


class ClusterError(LinkhealthError):
    """The cluster could not run the work (no workers, or a shard failed everywhere)."""


# --------------------------------------------------------------------------- sharding


def host_of(url: str) -> str:
    """The host a URL is sharded by: its host key, as the fetcher's per-host slots key it
    (:func:`linkhealth.weburl.host_key`); empty when the URL has none."""
    try:
        return host_key(url)
    except ValueError:
        return ""


@dataclass
class Shard:
    """A group of whole hosts, and the positions of their URLs in the input."""

    hosts: list[str] = field(default_factory=list)
    indexes: list[int] = field(default_factory=list)
    cost: float = 0.0

    def urls(self, urls: Sequence[str]) -> list[str]:
        return [urls[i] for i in self.indexes]


def host_costs(urls: Sequence[str], weights: Mapping[str, float] | None = None) -> dict[str, float]:
    """Expected work per host: ``weights[host]`` (seconds, from history) when known,
    otherwise its URL count times the mean seconds per URL of the weighted hosts
    (1.0 when nothing is weighted, i.e. the cost is the URL count)."""
    counts: dict[str, int] = {}
    for url in urls:
        host = host_of(url)
        counts[host] = counts.get(host, 0) + 1
    weights = weights or {}
    known = [(weights[h], n) for h, n in counts.items() if h in weights and weights[h] > 0]
    per_url = sum(w for w, _ in known) / sum(n for _, n in known) if known else 1.0
    return {
        host: (weights[host] if weights.get(host, 0) > 0 else n * per_url)
        for host, n in counts.items()
    }


def plan_shards(
    urls: Sequence[str], n_shards: int, weights: Mapping[str, float] | None = None
) -> list[Shard]:
    """Split ``urls`` into at most ``n_shards`` shards of whole hosts, balanced by cost.

    Longest-processing-time first: hosts sorted by cost (biggest first) each go to the
    lightest shard so far. Shards come back biggest first; inside a shard the URLs are
    ordered biggest host first, each host's URLs in input order. Empty shards are dropped.
    """
    if n_shards < 1:
        raise ValueError("n_shards must be at least 1")
    by_host: dict[str, list[int]] = {}
    for index, url in enumerate(urls):
        by_host.setdefault(host_of(url), []).append(index)
    costs = host_costs(urls, weights)
    order = sorted(by_host, key=lambda h: (-costs[h], h))
    shards = [Shard() for _ in range(min(n_shards, len(order)))]
    heap = [(0.0, i) for i in range(len(shards))]
    for host in order:
        cost, i = heapq.heappop(heap)
        shard = shards[i]
        shard.hosts.append(host)
        shard.indexes.extend(by_host[host])
        shard.cost = cost + costs[host]
        heapq.heappush(heap, (shard.cost, i))
    return sorted(shards, key=lambda s: -s.cost)


def history_weights(store_path: str | Path, urls: Sequence[str]) -> dict[str, float]:
    """Expected seconds per host from the store's last timings (``elapsed_ms``).

    A host with timings for some of its URLs is scaled to all of them (mean x count);
    hosts without any are left out (``host_costs`` estimates them). No store file, or
    one that cannot be read, gives no weights: balancing then goes by URL counts.
    """
    from linkhealth.errors import StoreError
    from linkhealth.store import Store

    path = Path(store_path)
    if not path.is_file():
        return {}
    known: dict[str, list[float]] = {}
    counts: dict[str, int] = {}
    try:
        with Store.open(path) as store:
            for url in urls:
                host = host_of(url)
                counts[host] = counts.get(host, 0) + 1
                previous = store.latest_result(url)
                if previous is not None and previous.elapsed_ms:
                    known.setdefault(host, []).append(previous.elapsed_ms / 1000)
    except StoreError:
        return {}
    return {host: sum(times) / len(times) * counts[host] for host, times in known.items()}


# --------------------------------------------------------------------------- worker side


def settings_payload(settings: Settings) -> dict[str, Any]:
    """Settings as plain data for the wire (no cluster keys: a worker never recurses)."""
    data = settings.model_dump(mode="json")
    data["workers"] = None
    data["cluster"] = None
    return data


def run_shard(
    settings_data: dict[str, Any],
    urls: list[str],
    validators: dict[str, tuple[str | None, str | None]],
    full_body: list[str] | None = None,
    hung_before: list[str] | None = None,
) -> list[FetchResult]:
    """Dask task: check one shard with the ordinary async checker, in the worker
    (``hung_before``: the shard's URLs that timed out last run, for the history order)."""
    from linkhealth.fetch import fetch_all

    settings = Settings.model_validate(settings_data)
    return asyncio.run(
        fetch_all(
            urls,
            settings,
            validators=validators,
            full_body=full_body,
            hung_before=hung_before,
        )
    )


# --------------------------------------------------------------------------- driver side


@dataclass
class ClusterFetcher:
    """A :class:`~linkhealth.pipeline.Fetcher` that sends shards to a Dask client."""

    client: Any  # distributed.Client (asynchronous)
    shards_per_worker: int = DEFAULT_SHARDS_PER_WORKER
    retries: int = DEFAULT_TASK_RETRIES
    weights: Mapping[str, float] | None = None
    #: When no ``weights`` are given, read them from ``settings.store``'s timings.
    use_history: bool = True
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    #: Shards run in the driver because they failed on the cluster (for the report).
    fallbacks: int = 0
    #: Seconds the whole fetch may take on the cluster (None: no bound beyond each
    #: URL's own deadline). Past it the unfinished shards are cancelled and a
    #: :class:`ClusterError` says how many URLs were left: a stuck worker (alive, so
    #: Dask does not reschedule its task) then cannot hang the driver.
    deadline: float | None = None

    async def _workers(self) -> dict[str, Any]:
        identity = await self.client.scheduler.identity(n_workers=-1)
        workers = identity.get("workers", {})
        return workers if isinstance(workers, dict) else {}

    async def slots(self) -> int:
        """How many tasks the cluster runs at once (its worker threads)."""
        workers = await self._workers()
        if not workers:
            try:
                await self.client.wait_for_workers(1, timeout=self.connect_timeout)
            except TimeoutError as exc:
                raise ClusterError(
                    f"the Dask cluster has no workers (waited {self.connect_timeout:g} s)"
                ) from exc
            workers = await self._workers()
        return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))

    async def __call__(
        self,
        urls: Sequence[str],
        settings: Settings,
        *,
        on_result: Callable[[FetchResult], None] | None = None,
        validators: Validators | None = None,
        on_throttle: Callable[[str, float], None] | None = None,
        full_body: Collection[str] | None = None,
        hosts: Mapping[str, str] | None = None,
        ahead: LookupProbe | None = None,
        hung_before: Collection[str] | None = None,
        on_unrequested: Callable[[FetchResult, Sequence[str]], None] | None = None,
    ) -> list[FetchResult]:
        """Fetch ``urls`` on the workers; ``on_throttle`` is ignored (workers cannot report
        it), and ``hosts`` (each worker's engine asks the URL policy itself), ``ahead``
        (look-ups made here say nothing of the workers' network) and ``on_unrequested``
        (no look-up ahead here: every result reaches ``on_result``). ``hung_before`` reaches
        each shard as its own part: a host's URLs are all in one shard, so each worker
        orders its hosts' queues as one process would."""
        urls = list(urls)
        if not urls:
            return []
        weights = self.weights
        if weights is None and self.use_history:
            weights = await asyncio.to_thread(history_weights, settings.store, urls)
        shards = plan_shards(urls, await self.slots() * self.shards_per_worker, weights)
        payload = settings_payload(settings)
        validators = validators or {}
        futures: dict[Any, Shard] = {}
        for rank, shard in enumerate(shards):
            shard_urls = shard.urls(urls)
            subset = {u: validators[u] for u in shard_urls if u in validators}
            whole = None if full_body is None else [u for u in shard_urls if u in full_body]
            hung = [u for u in shard_urls if u in hung_before] if hung_before else None
            future = self.client.submit(
                run_shard,
                payload,
                shard_urls,
                subset,
                whole,
                hung,
                retries=self.retries,
                priority=len(shards) - rank,  # biggest shard first
                pure=False,
                key=f"linkhealth-shard-{rank}-{id(self):x}-{len(futures)}",
            )
            futures[future] = shard
        results: list[FetchResult | None] = [None] * len(urls)
        try:
            async with asyncio.timeout(self.deadline):
                await self._collect(
                    futures, urls, settings, validators, results, on_result, full_body, hung_before
                )
        except TimeoutError as exc:
            left = sum(1 for r in results if r is None)
            raise ClusterError(
                f"the cluster did not finish within {self.deadline:g} s: "
                f"{left} of {len(urls)} URLs were left unchecked"
            ) from exc
        finally:
            pending = [f for f in futures if not f.done()]
            if pending:
                await self.client.cancel(pending)
        missing = [urls[i] for i, r in enumerate(results) if r is None]
        if missing:
            raise ClusterError(f"{len(missing)} URLs came back without a result")
        return [r for r in results if r is not None]

    async def _collect(
        self,
        futures: dict[Any, Shard],
        urls: list[str],
        settings: Settings,
        validators: Validators,
        results: list[FetchResult | None],
        on_result: Callable[[FetchResult], None] | None,
        full_body: Collection[str] | None,
        hung_before: Collection[str] | None,
    ) -> None:
        """Fill ``results`` as the shards complete (a failed one is checked here)."""
        from distributed import as_completed

        async for future in as_completed(list(futures)):  # type: ignore[no-untyped-call]
            shard = futures[future]
            try:
                items = await future
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Lost after its retries (a worker died twice, a bad host): check the
                # shard here, so no link is dropped. Its hosts are on no other worker.
                log.warning(
                    "shard of %d URLs failed on the cluster (%s); checking it locally",
                    len(shard.indexes),
                    exc,
                )
                self.fallbacks += 1
                items = await self._local(
                    shard.urls(urls), settings, validators, full_body, hung_before
                )
            for index, item in zip(shard.indexes, items, strict=True):
                results[index] = item
                if on_result is not None:
                    on_result(item)

    @staticmethod
    async def _local(
        urls: list[str],
        settings: Settings,
        validators: Validators,
        full_body: Collection[str] | None,
        hung_before: Collection[str] | None,
    ) -> list[FetchResult]:
        from linkhealth.fetch import fetch_all

        subset = {u: validators[u] for u in urls if u in validators}
        return await fetch_all(
            urls, settings, validators=subset, full_body=full_body, hung_before=hung_before
        )


CLUSTER_EXTRA_HINT = "pip install 'linkhealth[cluster]'"


def require_cluster_extra() -> None:
    """ConfigError (a usage error) when Dask's ``distributed`` is not installed."""
    try:
        found = importlib.util.find_spec("distributed") is not None
    except (ImportError, ValueError):  # a ``None`` entry in sys.modules, a broken install
        found = False
    if not found:
        raise ConfigError(
            "--workers and --cluster need the cluster extra (Dask): " + CLUSTER_EXTRA_HINT
        )


async def connect(address: str, timeout: float = DEFAULT_CONNECT_TIMEOUT) -> Any:
    """An asynchronous client of the scheduler at ``address``; ConfigError if unreachable."""
    from distributed import Client

    try:
        return await asyncio.wait_for(
            Client(address, asynchronous=True, timeout=timeout),  # type: ignore[no-untyped-call]
            timeout + 1,
        )
    except (OSError, TimeoutError, ValueError) as exc:
        reason = str(exc) or type(exc).__name__
        raise ConfigError(
            f"cannot reach the Dask scheduler at {address} within {timeout:g} s: {reason}"
        ) from exc


async def start_local(n_workers: int, timeout: float = DEFAULT_START_TIMEOUT) -> tuple[Any, Any]:
    """A ``LocalCluster`` of ``n_workers`` processes and an asynchronous client of it.

    Bounded: if the workers or the client are not up within ``timeout`` seconds, the
    half-started cluster is closed and :class:`ClusterError` says so (never a hang).
    """
    from distributed import Client, LocalCluster

    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=n_workers,
        processes=True,
        threads_per_worker=1,
        asynchronous=True,
        dashboard_address=":0",
        worker_dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    client: Any = None
    try:
        await asyncio.wait_for(_awaited(cluster), timeout)
        left = max(0.1, deadline - loop.time())
        client = await asyncio.wait_for(
            Client(cluster, asynchronous=True, timeout=left),  # type: ignore[no-untyped-call]
            left + 1,
        )
        left = max(0.1, deadline - loop.time())
        await client.wait_for_workers(n_workers, timeout=left)
    except (TimeoutError, OSError) as exc:
        await _abort_start(client, cluster)
        raise ClusterError(
            f"the local Dask cluster of {n_workers} worker(s) did not start within "
            f"{timeout:g} s (a loaded machine, or a worker stuck in start-up)"
        ) from exc
    except BaseException:
        await _abort_start(client, cluster)
        raise
    return cluster, client


async def _abort_start(client: Any, cluster: Any) -> None:
    """Tear down a half-started local cluster. Dask cannot close a cluster whose nanny
    is still starting (it asserts on the nanny's state), and a nanny waits for its
    worker to stop: so this cluster's worker processes are killed first, then each nanny is
    closed, then the cluster."""
    nannies = {id(n): n for n in getattr(cluster, "workers", {}).values()}
    nannies.update((id(n), n) for n in getattr(cluster, "_created", ()))  # not yet listed
    for nanny in nannies.values():
        pid = getattr(nanny, "pid", None)  # this cluster's worker processes only
        if isinstance(pid, int):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
    for nanny in nannies.values():
        try:
            await asyncio.wait_for(nanny.close(), 5)
        except Exception as exc:
            log.warning("closing a starting Dask nanny failed: %r", exc)
    await _close_quietly(client, cluster)


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


async def _close_quietly(client: Any, cluster: Any) -> None:
    """Close a client and a cluster, each bounded by :data:`CLOSE_TIMEOUT`."""
    for thing in (client, cluster):
        if thing is None:
            continue
        try:
            await asyncio.wait_for(thing.close(), CLOSE_TIMEOUT)
        except Exception as exc:  # closing is best effort; the error that led here wins
            log.warning("closing %s failed: %s", type(thing).__name__, exc)


@asynccontextmanager
async def cluster_fetcher(
    settings: Settings,
    *,
    weights: Mapping[str, float] | None = None,
    shards_per_worker: int = DEFAULT_SHARDS_PER_WORKER,
    connect_timeout: float | None = None,
    start_timeout: float | None = None,
    deadline: float | None = None,
) -> AsyncIterator[Fetcher]:
    """A fetcher backed by a local cluster (``settings.workers``) or by the scheduler at
    ``settings.cluster``. Closes what it opened on exit.

    ``weights`` (expected seconds per host) override the store's timings;
    ``connect_timeout`` defaults to :data:`DEFAULT_CONNECT_TIMEOUT`, ``start_timeout``
    (a local cluster's start) to :data:`DEFAULT_START_TIMEOUT`; ``deadline`` bounds each
    fetch (see :attr:`ClusterFetcher.deadline`).
    """
    require_cluster_extra()
    if connect_timeout is None:
        connect_timeout = DEFAULT_CONNECT_TIMEOUT
    if start_timeout is None:
        start_timeout = DEFAULT_START_TIMEOUT
    cluster: Any = None
    if settings.cluster:
        client = await connect(settings.cluster, connect_timeout)
    elif settings.workers:
        cluster, client = await start_local(settings.workers, start_timeout)
    else:
        raise ConfigError("cluster_fetcher needs settings.workers or settings.cluster")
    try:
        yield ClusterFetcher(
            client,
            shards_per_worker=shards_per_worker,
            weights=weights,
            connect_timeout=connect_timeout,
            deadline=deadline,
        )
    finally:
        await _close_quietly(client, cluster)
