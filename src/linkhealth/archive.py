"""Archived copies of failing links (``check --archive``): which Wayback Machine capture.

For each link that fails the run and whose page is gone (``broken``, ``timeout``,
``error``), the right copy is the last capture with status 200 taken *before the
link was last seen ok* (the store knows when); a link never seen ok gets the newest
200 capture. Two documented APIs answer that:

* the availability API, ``{endpoint}/wayback/available?url=U[&timestamp=T]``, gives
  the capture closest to ``T`` (the newest without ``T``) as JSON
  ``{"archived_snapshots": {"closest": {"available": true, "url": …,
  "timestamp": "YYYYMMDDhhmmss", "status": "200"}}}`` (``{}`` when there is none);
* the CDX API, ``{cdx}/cdx/search/cdx?url=U&to=T&filter=statuscode:200&limit=-1``,
  gives the last 200 capture up to ``T`` as one line ``timestamp original status``.

One request per link when the closest capture already fits, two when it does not
(non-200, or newer than the last ok). Answers are cached in the store; requests go
through :func:`linkhealth.fetch.fetch_all` (address guard, deadlines, retries,
politeness), with the archive's host on its own slow slot. An archive that is down,
slow or hostile only costs warnings: verdicts and the exit code never depend on it.
The addresses the archive answers with are untrusted: sanitised, then refused unless
the one URL policy would request them (http(s), a host the address guard allows).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from linkhealth.config import DEFAULT_ACCEPT, HostSettings, Settings
from linkhealth.fetch import FetchResult, fetch_all
from linkhealth.models import CheckResult, Judging, Verdict, fails_run
from linkhealth.statuses import parse_accept
from linkhealth.store import ArchiveLookup, Store
from linkhealth.textsafe import clean_url
from linkhealth.urlpolicy import Refusal, UrlPolicy
from linkhealth.weburl import host_key

#: The Wayback Machine serves captures (and the CDX API) from this host.
WAYBACK_WEB = "https://web.archive.org"
#: archive.org is one host with its own slot: one request at a time, one a second.
ARCHIVE_CONCURRENCY = 1
ARCHIVE_INTERVAL = 1.0
#: A found copy does not change nightly; a miss is asked again sooner.
FOUND_MAX_AGE = timedelta(days=30)
MISS_MAX_AGE = timedelta(days=7)
#: After this many look-ups in a row fail (timeouts, 429/503 after retries, junk),
#: the archive is taken to be down for this run and nothing more is asked.
MAX_FAILURES_IN_A_ROW = 3
#: All look-ups of one run together end within this many seconds.
STAGE_DEADLINE = 120.0
#: Verdicts whose page is gone (an archived copy helps the reader).
GONE = frozenset({Verdict.BROKEN, Verdict.TIMEOUT, Verdict.ERROR})

_STAMP = "%Y%m%d%H%M%S"

FetchAll = Callable[..., Awaitable[list[FetchResult]]]


@dataclass(frozen=True)
class Capture:
    """One capture the archive told us about."""

    url: str  # the snapshot's address (as answered: untrusted until checked)
    at: datetime
    status: str


class ArchiveAnswerError(ValueError):
    """The archive answered something that is not its documented format."""


def wants_copy(result: CheckResult, judging: Judging) -> bool:
    """Whether ``result`` gets an archived copy: it fails the run and its page is gone."""
    return result.verdict in GONE and fails_run(result, judging)


def stamp(at: datetime) -> str:
    """A datetime as a Wayback timestamp (``YYYYMMDDhhmmss``, UTC)."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime(_STAMP)


def parse_stamp(text: object) -> datetime:
    if not isinstance(text, str) or len(text) != 14 or not text.isdigit():
        raise ArchiveAnswerError(f"not a Wayback timestamp: {str(text)[:40]!r}")
    try:
        return datetime.strptime(text, _STAMP).replace(tzinfo=UTC)
    except ValueError as exc:
        raise ArchiveAnswerError(f"not a Wayback timestamp: {text!r}") from exc


def _host(url: str) -> str:
    try:
        return host_key(url)
    except ValueError:
        return ""


def web_base(endpoint: str) -> str:
    """Where captures and the CDX API live: web.archive.org for archive.org, else the
    endpoint itself (a stand-in or a private Wayback serves everything)."""
    host = (urlsplit(endpoint).hostname or "").lower()
    return WAYBACK_WEB if host in ("archive.org", "www.archive.org") else endpoint


def availability_url(endpoint: str, url: str, before: datetime | None) -> str:
    query = {"url": url} if before is None else {"url": url, "timestamp": stamp(before)}
    return f"{endpoint}/wayback/available?{urlencode(query)}"


def cdx_url(endpoint: str, url: str, before: datetime | None) -> str:
    query = {"url": url, "fl": "timestamp,original,statuscode", "filter": "statuscode:200"}
    if before is not None:
        query["to"] = stamp(before)
    query["limit"] = "-1"  # the last capture only
    return f"{web_base(endpoint)}/cdx/search/cdx?{urlencode(query)}"


def parse_availability(body: bytes) -> Capture | None:
    """The closest capture of an availability answer, ``None`` when there is none."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ArchiveAnswerError("the availability answer is not JSON") from exc
    snapshots = data.get("archived_snapshots") if isinstance(data, dict) else None
    if not isinstance(snapshots, dict):
        raise ArchiveAnswerError("the availability answer has no archived_snapshots")
    closest = snapshots.get("closest")
    if closest is None:
        return None
    if not isinstance(closest, dict) or not isinstance(closest.get("url"), str):
        raise ArchiveAnswerError("the availability answer's closest capture has no url")
    if closest.get("available") is False:
        return None
    return Capture(
        closest["url"], parse_stamp(closest.get("timestamp")), str(closest.get("status"))
    )


def parse_cdx(body: bytes, endpoint: str) -> Capture | None:
    """The last line of a CDX answer (``timestamp original statuscode``), or ``None``."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArchiveAnswerError("the CDX answer is not UTF-8") from exc
    lines = [line.split() for line in text.splitlines() if line.strip()]
    if not lines:
        return None
    fields = lines[-1]
    if len(fields) != 3:
        raise ArchiveAnswerError("a CDX line does not hold timestamp, original and status")
    timestamp, original, status = fields
    at = parse_stamp(timestamp)
    return Capture(f"{web_base(endpoint)}/web/{timestamp}/{original}", at, status)


def fits(capture: Capture | None, before: datetime | None) -> bool:
    """A capture with status 200 taken no later than ``before`` (any time without it)."""
    if capture is None or capture.status != "200":
        return False
    return before is None or capture.at <= before


def checked_copy(capture: Capture, settings: Settings) -> str | None:
    """The capture's address if it may be shown and linked, else ``None``.

    The same rules as any address a server gives us: sanitised once
    (:func:`~linkhealth.textsafe.clean_url`), then the one URL policy
    (:class:`~linkhealth.urlpolicy.UrlPolicy`: an absolute http(s) URL whose host the
    address guard allows; no ``javascript:``, no private or loopback literal, no
    ``localhost``), as for the archive's own requests.
    """
    url = clean_url(capture.url)
    if url is None or isinstance(UrlPolicy(archive_settings(settings)).check(url), Refusal):
        return None
    parts = urlsplit(url)
    if (parts.hostname or "").lower() == "web.archive.org" and parts.scheme.lower() == "http":
        url = "https" + url[4:]  # the archive answers http://; it serves https
    return url


def archive_settings(settings: Settings) -> Settings:
    """``settings`` for talking to the archive: its hosts on their own slow slot (unless
    the user configured them), no user filters (they are for the lists' links)."""
    hosts = dict(settings.hosts)
    for base in (settings.archive_endpoint, web_base(settings.archive_endpoint)):
        name = (urlsplit(base).hostname or "").lower()
        own = settings.host(name)
        hosts[name] = HostSettings(
            concurrency=own.concurrency or ARCHIVE_CONCURRENCY,
            interval=ARCHIVE_INTERVAL if own.interval is None else own.interval,
            headers=own.headers,
        )
    return settings.model_copy(
        update={
            "hosts": hosts,
            "exclude": [],
            "include": [],
            "accept": parse_accept(DEFAULT_ACCEPT),
            "check_fragments": False,
        }
    )


@dataclass
class _Lookup:
    url: str
    before: datetime | None
    capture: Capture | None = None
    done: bool = False  # the archive answered (a copy, or none)


@dataclass
class ArchiveStats:
    """What the archive stage did, for the closing summary and the notes."""

    wanted: int = 0  # failing links that could use a copy
    cached: int = 0  # answered from the store
    requests: int = 0  # requests sent to the archive (attempts)
    found: int = 0  # links given a copy
    refused: int = 0  # copies refused (unsafe address)
    failed: int = 0  # look-ups the archive did not answer
    warnings: list[str] = field(default_factory=list)


class _Session:
    """One run's look-ups: phases of requests, a failure breaker, a deadline."""

    def __init__(self, settings: Settings, fetch: FetchAll, stop: asyncio.Event | None) -> None:
        self.settings = archive_settings(settings)
        self.endpoint = settings.archive_endpoint
        self.fetch = fetch
        self.stop = stop
        self.broken = asyncio.Event()  # the archive is down: ask nothing more
        self.in_a_row = 0
        self.stats = ArchiveStats()
        self.problems: list[str] = []

    async def run(self, lookups: Sequence[_Lookup]) -> None:
        try:
            async with asyncio.timeout(STAGE_DEADLINE):
                first = {availability_url(self.endpoint, x.url, x.before): x for x in lookups}
                await self._phase(first, parse_availability)
                second = {
                    cdx_url(self.endpoint, x.url, x.before): x
                    for x in lookups
                    if x.capture is not None and not x.done
                }
                for item in second.values():
                    item.capture = None
                await self._phase(second, lambda body: parse_cdx(body, self.endpoint))
        except TimeoutError:
            self.problems.append(f"look-ups stopped after {STAGE_DEADLINE:.0f} s")

    async def _phase(
        self, asks: dict[str, _Lookup], parse: Callable[[bytes], Capture | None]
    ) -> None:
        if not asks or self.broken.is_set():
            return

        task: asyncio.Future[list[FetchResult]] | None = None

        def on_result(item: FetchResult) -> None:
            lookup = asks.get(item.url)
            if lookup is None:
                return
            self.stats.requests += item.attempts
            problem = _answer_problem(item)
            if problem is None:
                try:
                    lookup.capture = parse(item.body)
                except ArchiveAnswerError as exc:
                    problem = str(exc)
            if problem is not None:
                lookup.capture, lookup.done = None, False
                self._failed(problem)
                if self.broken.is_set() and task is not None:
                    # Now, in this step: the host's slot is already free and its next
                    # start may be due; the fetch stops before that request goes out.
                    task.cancel()
                return
            self.in_a_row = 0
            lookup.done = lookup.capture is None or fits(lookup.capture, lookup.before)

        urls = list(asks)
        task = asyncio.ensure_future(
            self.fetch(urls, self.settings, on_result=on_result, full_body=set(urls))
        )
        await _until(task, self.broken, self.stop)

    def _failed(self, problem: str) -> None:
        self.problems.append(problem)
        self.in_a_row += 1
        if self.in_a_row >= MAX_FAILURES_IN_A_ROW:
            self.broken.set()


def _answer_problem(item: FetchResult) -> str | None:
    if not item.verdict.is_ok():
        return item.detail or f"{item.verdict.value} ({item.http_status or 'no status'})"
    if item.truncated:
        return "the answer is larger than an archive look-up can be"
    return None


async def _until(task: asyncio.Future[list[FetchResult]], *events: asyncio.Event | None) -> None:
    """Await ``task``, cancelling it as soon as any of ``events`` is set."""
    waiters: list[asyncio.Future[Any]] = [
        asyncio.ensure_future(e.wait()) for e in events if e is not None
    ]
    racing: list[asyncio.Future[Any]] = [task, *waiters]
    try:
        await asyncio.wait(racing, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        if not task.done():
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _key(url: str, before: datetime | None) -> tuple[str, str]:
    return url, stamp(before) if before is not None else ""


def _is_fresh(lookup: ArchiveLookup, now: datetime) -> bool:
    max_age = FOUND_MAX_AGE if lookup.archive_url else MISS_MAX_AGE
    return now - lookup.looked_at < max_age


async def find_copies(
    results: Iterable[CheckResult],
    settings: Settings,
    store: Store,
    *,
    run_id: int | None,
    now: datetime,
    stop: asyncio.Event | None = None,
    fetch: FetchAll = fetch_all,
) -> ArchiveStats:
    """Set ``archive_url``/``archived_at`` on the failing, gone ``results``; never a verdict.

    Look-ups are read from and written to ``store``; ``run_id`` is this run (its own
    results do not count as "last seen ok"). Returns what was done, with warnings
    (archive down, answers refused) for the user.
    """
    wanted: dict[str, list[CheckResult]] = {}
    judging = settings.judging()
    archive_hosts = {_host(settings.archive_endpoint), _host(web_base(settings.archive_endpoint))}
    for result in results:
        if _host(result.url) in archive_hosts:
            continue  # a copy already (annotate --fix-dead archive): never a copy of a copy
        if wants_copy(result, judging):
            wanted.setdefault(result.url, []).append(result)
    session = _Session(settings, fetch, stop)
    stats = session.stats
    stats.wanted = len(wanted)
    if not wanted:
        return stats
    last_ok = store.last_ok(wanted, before_run=run_id)
    keys = {url: _key(url, last_ok.get(url)) for url in wanted}
    cached = store.archive_lookups(keys.values())
    copies: dict[str, Capture | None] = {}
    pending: list[_Lookup] = []
    for url, key in keys.items():
        hit = cached.get(key)
        if hit is not None and _is_fresh(hit, now):
            stats.cached += 1
            found = hit.archive_url is not None and hit.archived_at is not None
            copies[url] = (
                Capture(hit.archive_url or "", hit.archived_at or now, "200") if found else None
            )
        else:
            pending.append(_Lookup(url, last_ok.get(url)))
    await session.run(pending)
    answered = [lookup for lookup in pending if lookup.done]
    stats.failed = len(pending) - len(answered)
    saved: list[ArchiveLookup] = []
    for lookup in answered:
        capture = lookup.capture if fits(lookup.capture, lookup.before) else None
        if capture is not None and checked_copy(capture, settings) is None:
            stats.refused += 1
            session.problems.append(f"refused the archive address {capture.url[:80]!r}")
            capture = None
        copies[lookup.url] = capture
        address = checked_copy(capture, settings) if capture is not None else None
        at = capture.at if capture is not None else None
        saved.append(ArchiveLookup(lookup.url, keys[lookup.url][1], now, address, at))
    store.save_archive_lookups(saved)
    for url, capture in copies.items():
        address = checked_copy(capture, settings) if capture is not None else None
        if capture is None or address is None:
            continue
        stats.found += 1
        for result in wanted[url]:
            result.archive_url, result.archived_at = address, capture.at
    stats.warnings = _warnings(stats, session.problems)
    return stats


def _warnings(stats: ArchiveStats, problems: list[str]) -> list[str]:
    out: list[str] = []
    if stats.failed:
        first = problems[0] if problems else "no answer"
        out.append(
            f"archive look-ups: {stats.failed} of {stats.wanted} failing links got no answer"
            f" from the archive ({first}); verdicts are unchanged"
        )
    if stats.refused:
        out.append(f"archive look-ups: refused {stats.refused} unsafe archive address(es)")
    return out
