"""``fetch_all``: every URL once, as fast as politeness allows.

Scheduling: URLs are grouped by host; each host runs as many workers as its
concurrency allows, and the global limiter serves the host with the most URLs
first. A worker waits for its host's next start time *before* asking for a
global place, and releases that place before any retry wait.

Deadlines are asyncio timeouts around the whole attempt (``settings.timeout``)
and around the whole URL (``settings.url_deadline``), so a server that drips
one byte a second still ends on time. Retries go through tenacity with
:func:`linkhealth.fetch.classify.is_retryable` as the only predicate.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import time
from collections import deque
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

from tenacity import AsyncRetrying, RetryCallState, retry_if_result

from linkhealth.config import Settings
from linkhealth.errors import ConfigError
from linkhealth.fetch.classify import (
    DANGEROUS_SCHEMES,
    PERMANENT_REDIRECTS,
    THROTTLE_STATUSES,
    StatusRanges,
    classify_exception,
    classify_outcome,
    is_retryable,
)
from linkhealth.fetch.client import Client
from linkhealth.fetch.guard import AddressBlocked, Guard
from linkhealth.fetch.hosts import HostSlot, HostThrottled, OnThrottle, PriorityLimiter
from linkhealth.fetch.result import FetchResult, Outcome, Validators
from linkhealth.models import HTTP_SCHEMES, ErrorKind, Verdict

OnResult = Callable[[FetchResult], None]


@dataclass(slots=True)
class _HostPlan:
    slot: HostSlot
    queue: deque[int]
    headers: dict[str, str]
    accept: StatusRanges
    priority: int


def _now() -> datetime:
    return datetime.now(UTC)


class _Filters:
    def __init__(self, settings: Settings) -> None:
        try:
            self.exclude = [re.compile(p) for p in settings.exclude]
            self.include = [re.compile(p) for p in settings.include]
        except re.error as exc:
            raise ConfigError(f"exclude/include: invalid regular expression ({exc})") from exc

    def excluded(self, url: str) -> str | None:
        for p in self.exclude:
            if p.search(url):
                return f"excluded by pattern {p.pattern!r}"
        if self.include and not any(p.search(url) for p in self.include):
            return "not matched by any include pattern"
        return None


def _host_headers(settings: Settings, host: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in settings.host(host).headers.items():
        if value.startswith("env:"):
            var = value[4:]
            env_value = os.environ.get(var)
            if env_value is None:
                raise ConfigError(f"hosts.{host}.headers.{name}: environment variable {var} unset")
            value = env_value
        headers[name] = value
    return headers


def _precheck(url: str, settings: Settings, filters: _Filters, guard: Guard) -> FetchResult | str:
    """A final result for URLs that are never fetched, else the URL's host key."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port
    except ValueError as exc:
        return FetchResult(
            url,
            Verdict.INVALID,
            detail=f"malformed URL: {exc}",
            error_kind=ErrorKind.MALFORMED,
            checked_at=_now(),
        )
    scheme = parts.scheme.lower()
    if scheme in DANGEROUS_SCHEMES:
        return FetchResult(
            url,
            Verdict.UNSAFE,
            detail=f"dangerous scheme {scheme}: never fetched",
            error_kind=ErrorKind.POLICY,
            checked_at=_now(),
        )
    if scheme not in HTTP_SCHEMES:
        label = f"{scheme}:" if scheme else "no scheme"
        return FetchResult(
            url, Verdict.SKIPPED, detail=f"not checkable over HTTP ({label})", checked_at=_now()
        )
    reason = filters.excluded(url)
    if reason is None and host and settings.host(host).exclude:
        reason = f"host {host} is excluded in the configuration"
    if reason is not None:
        return FetchResult(url, Verdict.EXCLUDED, detail=reason, checked_at=_now())
    if not host:
        return FetchResult(
            url,
            Verdict.INVALID,
            detail="malformed URL: no host name",
            error_kind=ErrorKind.MALFORMED,
            checked_at=_now(),
        )
    try:
        guard.check_literal_host(host)
    except AddressBlocked as exc:
        return FetchResult(
            url,
            Verdict.UNSAFE,
            detail=f"blocked by address policy: {exc}",
            error_kind=ErrorKind.POLICY,
            checked_at=_now(),
        )
    return host.lower().rstrip(".")


def _wants_full_body(url: str, settings: Settings, full_body: Container[str] | None) -> bool:
    """Whether to read past ``</head>`` (anchors for ``--check-fragments`` live in the body)."""
    if full_body is not None:
        return url in full_body
    if not settings.check_fragments:
        return False
    # Callers usually fetch the URL without its fragment: read every page in full.
    frag = urlsplit(url).fragment
    return not frag or not (frag.startswith(("/", "!")) or ":~:" in frag)


class _Run:
    def __init__(
        self,
        settings: Settings,
        client: Client,
        urls: Sequence[str],
        results: list[FetchResult | None],
        on_result: OnResult | None,
        validators: Mapping[str, Validators],
        full_body: Container[str] | None,
        on_throttle: OnThrottle | None = None,
    ) -> None:
        self.settings = settings
        self.on_throttle = on_throttle
        self.client = client
        self.urls = urls
        self.results = results
        self.on_result = on_result
        self.validators = validators
        self.full_body = full_body
        self.limiter = PriorityLimiter(settings.max_concurrency)
        self.rng = random.Random()

    def emit(self, index: int, result: FetchResult) -> None:
        self.results[index] = result
        if self.on_result is not None:
            self.on_result(result)

    async def worker(self, plan: _HostPlan) -> None:
        while plan.queue:
            index = plan.queue.popleft()
            result = await self.check(self.urls[index], plan)
            self.emit(index, result)

    async def check(self, url: str, plan: _HostPlan) -> FetchResult:
        s = self.settings
        started = time.monotonic()
        deadline = started + s.url_deadline
        headers = dict(plan.headers)
        validators = self.validators.get(url)
        if validators is not None:
            etag, modified = validators
            if etag:
                headers["If-None-Match"] = etag
            if modified:
                headers["If-Modified-Since"] = modified
        want_full = _wants_full_body(url, s, self.full_body)
        attempts = 0
        last: Outcome | None = None

        async def one() -> Outcome:
            nonlocal attempts, last
            wait = plan.slot.reserve()
            if wait > 0:
                if time.monotonic() + wait >= deadline:
                    # The host is throttling beyond this URL's budget: stop here.
                    if last is not None:
                        return replace(last, exhausted=True)
                    why = HostThrottled(f"{plan.slot.name} asked us to wait {wait:.0f} s")
                    return Outcome(url=url, error=why, exhausted=True)
                await asyncio.sleep(wait)
            attempts += 1
            async with self.limiter.slot(plan.priority):
                budget = min(s.timeout, deadline - time.monotonic())
                outcome = await self._attempt_with_deadline(url, headers, want_full, budget)
            last = outcome
            if outcome.status in THROTTLE_STATUSES:
                delay = plan.slot.throttled(outcome.retry_after, s.backoff_base)
                if self.on_throttle is not None:
                    self.on_throttle(plan.slot.name, delay)
            elif outcome.status is not None:
                plan.slot.succeeded()
            return outcome

        def wait(state: RetryCallState) -> float:
            outcome: Outcome = state.outcome.result()  # type: ignore[union-attr]
            if outcome.retry_after is not None:
                return outcome.retry_after
            base: float = s.backoff_base * 2.0 ** (state.attempt_number - 1)
            return base * (1.0 + self.rng.random() * 0.5)

        def stop(state: RetryCallState) -> bool:
            if state.attempt_number > s.retries:
                return True
            outcome: Outcome = state.outcome.result()  # type: ignore[union-attr]
            if outcome.retry_after is not None and outcome.retry_after > s.retry_after_max:
                return True
            return time.monotonic() + state.upcoming_sleep >= deadline

        retrying = AsyncRetrying(
            stop=stop,
            wait=wait,
            retry=retry_if_result(is_retryable),
            retry_error_callback=lambda state: state.outcome.result(),  # type: ignore[union-attr]
            reraise=True,
        )
        try:
            async with asyncio.timeout(s.url_deadline):
                outcome: Outcome = await retrying(one)
        except TimeoutError as exc:
            outcome = Outcome(url=url, error=exc)
            if last is not None:
                outcome.redirects = last.redirects
        return self._result(url, outcome, plan, attempts, started)

    async def _attempt_with_deadline(
        self, url: str, headers: Mapping[str, str], want_full: bool, budget: float
    ) -> Outcome:
        if budget <= 0:
            return Outcome(url=url, error=TimeoutError("URL deadline reached"))
        try:
            async with asyncio.timeout(budget) as cm:
                return await self.client.attempt(url, headers=headers, want_full_body=want_full)
        except TimeoutError as exc:
            if cm.expired():
                return Outcome(url=url, error=exc)
            raise

    def _result(
        self, url: str, outcome: Outcome, plan: _HostPlan, attempts: int, started: float
    ) -> FetchResult:
        verdict, kind, detail = classify_outcome(outcome, plan.accept)
        if outcome.error is not None and kind is ErrorKind.TIMEOUT and attempts > 1:
            detail = f"{detail} ({attempts} attempts)"
        ok_response = outcome.error is None and outcome.redirect_problem is None
        headers = outcome.headers
        return FetchResult(
            url=url,
            verdict=verdict,
            http_status=outcome.status,
            detail=detail,
            error_kind=kind,
            final_url=outcome.final_url,
            redirects=outcome.redirects,
            permanent=any(r.status in PERMANENT_REDIRECTS for r in outcome.redirects),
            attempts=attempts,
            elapsed_ms=round((time.monotonic() - started) * 1000, 1),
            checked_at=_now(),
            content_type=headers.get("content-type"),
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
            body=outcome.body if ok_response and verdict.is_ok() else b"",
            headers=headers,
            not_modified=outcome.status == 304,
            truncated=outcome.truncated,
        )


async def fetch_all(
    urls: Sequence[str],
    settings: Settings,
    *,
    on_result: OnResult | None = None,
    validators: Mapping[str, Validators] | None = None,
    full_body: Container[str] | None = None,
    on_throttle: OnThrottle | None = None,
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
    Raises :class:`~linkhealth.errors.ConfigError` for bad
    settings (accept ranges, regexes, ``resolve``, ``ca_bundle``, unset ``env:`` headers).
    """
    default_accept = StatusRanges(settings.accept)
    filters = _Filters(settings)
    results: list[FetchResult | None] = [None] * len(urls)
    client = Client(settings)
    by_host: dict[str, list[int]] = {}
    early: list[tuple[int, FetchResult]] = []
    for i, url in enumerate(urls):
        pre = _precheck(url, settings, filters, client.guard)
        if isinstance(pre, FetchResult):
            early.append((i, pre))
        else:
            by_host.setdefault(pre, []).append(i)

    plans: list[_HostPlan] = []
    for host, indexes in sorted(by_host.items(), key=lambda kv: -len(kv[1])):
        hs = settings.host(host)
        slot = HostSlot(
            host,
            concurrency=hs.concurrency or settings.host_concurrency,
            interval=settings.host_interval if hs.interval is None else hs.interval,
            jitter=settings.host_jitter,
            backoff_cap=settings.retry_after_max,
        )
        accept = StatusRanges(hs.accept) if hs.accept else default_accept
        plans.append(
            _HostPlan(slot, deque(indexes), _host_headers(settings, host), accept, -len(indexes))
        )

    run = _Run(settings, client, urls, results, on_result, validators or {}, full_body, on_throttle)
    for i, result in early:
        run.emit(i, result)
    if plans:
        async with client, asyncio.TaskGroup() as tg:
            for plan in plans:
                for _ in range(min(plan.slot.concurrency, len(plan.queue))):
                    tg.create_task(run.worker(plan))
    done: list[FetchResult] = []
    for i, r in enumerate(results):
        if r is None:  # pragma: no cover - every index is emitted above
            v, k, d = classify_exception(RuntimeError("no result"))
            r = FetchResult(urls[i], v, detail=d, error_kind=k, checked_at=_now())
        done.append(r)
    return done
