"""Wires the stages of a check run. No printing, no click, no exits.

::

    parse ─► plan (normalise, filter, dedupe; malformed → invalid)
          ─► store lookup (fresh OK results reused, validators for the rest)
          ─► fetch (per-host slots, retries, guard) ─► metadata ─► classify (soft 404, fragments)
          ─► quirk follow-ups (arXiv abstract, oEmbed) ─► store (batches) ─► RunReport

The CLI calls :func:`run_check` inside an event loop and sets ``stop`` on SIGINT or
SIGTERM; whatever finished is kept and the report is marked ``partial``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from linkhealth import __version__
from linkhealth.archive import find_copies
from linkhealth.config import Settings
from linkhealth.duration import parse_duration
from linkhealth.errors import ConfigError
from linkhealth.fetch import FetchResult, OnThrottle, fetch_all
from linkhealth.fetch.classify import is_outage, missing_fragment, soft_404
from linkhealth.inputs import IGNORE_FILE_NAME, UrlIgnore, extract_paths, load_url_ignore
from linkhealth.local import check_occurrences, default_root, is_local
from linkhealth.meta import extract_meta, page_anchors
from linkhealth.meta.quirks import followup_url, merge_followup
from linkhealth.models import (
    HTTP_SCHEMES,
    UNSAFE_SCHEMES,
    CheckResult,
    ErrorKind,
    Finding,
    LinkKind,
    Occurrence,
    PageMeta,
    RunReport,
    Summary,
    ToolInfo,
    Verdict,
)
from linkhealth.parse import ParseResult, normalise_url, split_fragment
from linkhealth.store import Store

#: Lint rules whose finding is a malformed link: it becomes an ``invalid`` result.
MALFORMED_RULES = frozenset(
    {
        "url-whitespace",
        "scheme-typo",
        "missing-scheme",
        "space-before-paren",
        "unbalanced-brackets",
        "empty-destination",
        "missing-host",
        "invalid-host",
    }
)
#: Lint rules whose finding is a link refused by policy: it becomes an ``unsafe`` result.
UNSAFE_RULES = frozenset({"unsafe-scheme"})
BATCH_SIZE = 50
BATCH_SECONDS = 1.0
HTML_TYPES = ("text/html", "application/xhtml+xml")

ProgressCallback = Callable[[int, int, CheckResult | None], None]


class Fetcher(Protocol):
    """What fetches a batch of URLs: :func:`linkhealth.fetch.fetch_all`, or the cluster's."""

    def __call__(
        self,
        urls: Sequence[str],
        settings: Settings,
        *,
        on_result: Callable[[FetchResult], None] | None = None,
        validators: Mapping[str, tuple[str | None, str | None]] | None = None,
        on_throttle: OnThrottle | None = None,
    ) -> Awaitable[list[FetchResult]]: ...


@dataclass
class RunOutcome:
    """What a run produced, for the CLI to render and map to an exit code."""

    report: RunReport
    warnings: list[str] = field(default_factory=list)
    requests: int = 0
    cache_hits: int = 0

    def failing(self) -> int:
        return self.report.summary.failing


def utcnow() -> datetime:
    return datetime.now(UTC)


def _scheme(url: str) -> str:
    match = re.match(r"\s*([A-Za-z][A-Za-z0-9+.\-]*):", url)
    return match.group(1).lower() if match else ""


@dataclass
class _Target:
    """One unique network URL (fragment removed) and the results that depend on it."""

    fetch_url: str
    results: list[CheckResult] = field(default_factory=list)
    fragments: dict[str, str | None] = field(default_factory=dict)  # result url -> fragment


@dataclass
class Plan:
    """The run's work, decided before any request."""

    results: list[CheckResult]  # every result, in first-occurrence order
    targets: dict[str, _Target]  # fetch url -> target
    local: list[Occurrence]
    suggestion_of: dict[str, list[CheckResult]]  # suggested url -> invalid results


def _compiled(patterns: Iterable[str]) -> list[re.Pattern[str]]:
    return [re.compile(p) for p in patterns]


def plan_run(parsed: ParseResult, settings: Settings, ignore: UrlIgnore | None = None) -> Plan:
    """Group occurrences by normalised URL and decide how each is judged.

    ``ignore`` (``.linkhealthignore``) and excluded hosts make a URL ``excluded``.
    """
    excludes = _compiled(settings.exclude)
    includes = _compiled(settings.include)
    by_url: dict[str, CheckResult] = {}
    targets: dict[str, _Target] = {}
    local: list[Occurrence] = []
    order: list[CheckResult] = []

    for occ in parsed.occurrences:
        scheme = _scheme(occ.url)
        if not scheme and is_local(occ.url):
            local.append(occ)
            continue
        key = normalise_url(occ.url) if scheme in HTTP_SCHEMES else occ.url.strip()
        result = by_url.get(key)
        if result is not None:
            result.occurrences.append(occ)
            continue
        result = CheckResult(url=key, verdict=Verdict.SKIPPED, occurrences=[occ])
        by_url[key] = result
        order.append(result)
        if scheme in UNSAFE_SCHEMES:
            result.verdict = Verdict.UNSAFE
            result.error_kind = ErrorKind.POLICY
            result.detail = f"{scheme}: links are never fetched"
        elif scheme not in HTTP_SCHEMES:
            result.detail = f"{scheme or 'this'} link is not checkable over HTTP"
        elif any(p.search(key) for p in excludes) or (
            includes and not any(p.search(key) for p in includes)
        ):
            result.verdict = Verdict.EXCLUDED
            result.detail = "matched an exclude pattern"
        elif ignore and ignore.matches(key):
            result.verdict = Verdict.EXCLUDED
            result.detail = f"matched a pattern in {IGNORE_FILE_NAME}"
        elif settings.hosts and settings.host(urlsplit(key).hostname or "").exclude:
            result.verdict = Verdict.EXCLUDED
            result.detail = "host excluded in the configuration"
        else:
            base, fragment = split_fragment(key)
            target = targets.setdefault(base, _Target(fetch_url=base))
            target.results.append(result)
            target.fragments[key] = fragment

    suggestion_of: dict[str, list[CheckResult]] = {}
    for finding in parsed.findings:
        if finding.rule in UNSAFE_RULES:
            result = _invalid_result(finding)
            result.verdict = Verdict.UNSAFE
            result.error_kind = ErrorKind.POLICY
            result.suggestion = None
            order.append(result)
            continue
        if finding.rule not in MALFORMED_RULES:
            continue
        result = _invalid_result(finding)
        order.append(result)
        suggestion = finding.suggestion
        if suggestion and _scheme(suggestion) in HTTP_SCHEMES:
            key = normalise_url(suggestion)
            suggestion_of.setdefault(key, []).append(result)
            base, _ = split_fragment(key)
            targets.setdefault(base, _Target(fetch_url=base))
    return Plan(results=order, targets=targets, local=local, suggestion_of=suggestion_of)


def _adopt_mapped(plan: Plan, local_results: Iterable[CheckResult]) -> list[CheckResult]:
    """Root-relative links mapped to ``--base-url`` are checked over HTTP like any URL."""
    adopted: list[CheckResult] = []
    for result in local_results:
        if result.verdict is not Verdict.SKIPPED or _scheme(result.url) not in HTTP_SCHEMES:
            continue
        key = normalise_url(result.url)
        result.url = key
        base, fragment = split_fragment(key)
        target = plan.targets.setdefault(base, _Target(fetch_url=base))
        target.results.append(result)
        target.fragments[key] = fragment
        adopted.append(result)
    return adopted


def _invalid_result(finding: Finding) -> CheckResult:
    raw = finding.raw if finding.raw is not None else ""
    occ = Occurrence(
        url=raw,
        file=finding.file,
        line=finding.line,
        column=finding.column,
        end_line=finding.end_line if finding.end_line is not None else finding.line,
        end_column=finding.end_column if finding.end_column is not None else finding.column,
        text=None,
        kind=LinkKind.INLINE,
        section=finding.section,
    )
    return CheckResult(
        url=raw,
        verdict=Verdict.INVALID,
        detail=finding.message,
        error_kind=ErrorKind.MALFORMED,
        suggestion=finding.suggestion,
        occurrences=[occ],
    )


def _mark_not_judged(results: Iterable[CheckResult]) -> None:
    """In an outage, a link the network failed to reach was not judged: never ``broken``.

    The error kind and detail stay, so the report still says what happened.
    """
    for result in results:
        if result.is_network_level():
            result.verdict = Verdict.SKIPPED
            result.detail = f"not judged (network outage): {result.detail}"


def _reuse(result: CheckResult, cached: CheckResult) -> None:
    """Take a stored result's findings, keeping this run's URL and occurrences."""
    for name in CheckResult.model_fields:
        if name not in ("url", "occurrences"):
            setattr(result, name, getattr(cached, name))
    result.from_cache = True


def _content_kind(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _apply_fetch(
    target: _Target, fetched: FetchResult, settings: Settings, store: Store | None
) -> PageMeta | None:
    """Copy one fetch onto the results that share it; metadata, soft 404, fragments."""
    meta: PageMeta | None = None
    anchors: set[str] | None = None
    if fetched.not_modified and store is not None:
        previous = store.latest_result(target.fetch_url)
        if previous is not None:
            meta = previous.meta()
    elif fetched.body and fetched.verdict.is_ok():
        meta = extract_meta(
            fetched.body, fetched.content_type, fetched.final_url or target.fetch_url
        )
    elif fetched.content_type:
        meta = PageMeta(content_type=_content_kind(fetched.content_type) or None)

    verdict, detail, kind = fetched.verdict, fetched.detail, fetched.error_kind
    if verdict.is_ok() and not fetched.not_modified:
        reason = soft_404(fetched, meta.title if meta else None, target.fetch_url)
        if reason:
            verdict, detail, kind = Verdict.BROKEN, reason, ErrorKind.SOFT_404

    for result in target.results:
        result.verdict = verdict
        result.http_status = fetched.http_status
        result.detail = detail
        result.error_kind = kind
        result.final_url = fetched.final_url
        result.redirects = list(fetched.redirects)
        result.permanent = fetched.permanent
        result.attempts = fetched.attempts
        result.elapsed_ms = fetched.elapsed_ms
        result.checked_at = fetched.checked_at
        result.etag = fetched.etag
        result.last_modified = fetched.last_modified
        if meta is not None:
            result.apply_meta(meta)
        fragment = target.fragments.get(result.url)
        if (
            settings.check_fragments
            and fragment
            and verdict.is_ok()
            and _content_kind(fetched.content_type) in HTML_TYPES
        ):
            if anchors is None:
                anchors = page_anchors(fetched.body, fetched.content_type)
            if missing_fragment(fragment, anchors):
                result.verdict = Verdict.BROKEN
                result.error_kind = ErrorKind.FRAGMENT
                result.detail = f"fragment #{fragment} not found in the page"
    return meta


class _Batcher:
    """Commit results to the store in batches as they arrive."""

    def __init__(self, store: Store | None, run_id: int | None) -> None:
        self.store, self.run_id = store, run_id
        self.pending: list[CheckResult] = []
        self.seen: set[int] = set()
        self.last = time.monotonic()

    def add(self, results: Iterable[CheckResult]) -> None:
        for result in results:
            self.seen.add(id(result))
            self.pending.append(result)
        if len(self.pending) >= BATCH_SIZE or time.monotonic() - self.last > BATCH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.store is not None and self.run_id is not None and self.pending:
            self.store.record(self.run_id, self.pending)
        self.pending = []
        self.last = time.monotonic()


async def _fetch_until_stopped(
    urls: Sequence[str],
    settings: Settings,
    on_result: Callable[[FetchResult], None],
    validators: dict[str, tuple[str | None, str | None]],
    stop: asyncio.Event | None,
    fetcher: Fetcher = fetch_all,
    on_throttle: OnThrottle | None = None,
) -> bool:
    """Fetch ``urls``; returns False when ``stop`` interrupted the work."""
    if not urls:
        return True
    task = asyncio.ensure_future(
        fetcher(urls, settings, on_result=on_result, validators=validators, on_throttle=on_throttle)
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


async def run_check(
    settings: Settings,
    *,
    paths: Sequence[str] | None = None,
    stop: asyncio.Event | None = None,
    progress: ProgressCallback | None = None,
    parsed: ParseResult | None = None,
    root: Path | None = None,
    fetcher: Fetcher = fetch_all,
    on_throttle: OnThrottle | None = None,
) -> RunOutcome:
    """Run a whole check and return the aggregate every report renders.

    ``on_throttle(host, seconds)`` hears when a host throttles (429/503) and pauses;
    a fetcher may ignore it (the cluster's workers cannot report it).
    """
    started = utcnow()
    if parsed is None:
        parsed = extract_paths(list(paths or settings.paths), settings)
    root = root or (Path(settings.root) if settings.root else default_root(Path.cwd()))
    plan = plan_run(parsed, settings, load_url_ignore(root))
    max_age = parse_duration(settings.max_age)
    warnings: list[str] = []

    store_path = Path(settings.store)
    if store_path.exists() and any(store_path.resolve() == Path(f).resolve() for f in parsed.files):
        # A store that cannot be read is moved aside: never do that to the user's list.
        raise ConfigError(f"the store path {store_path} is one of the lists being checked")
    store: Store | None = None
    run_id: int | None = None
    store = Store.open(store_path)
    warnings.extend(store.warnings)
    try:
        run_id = store.begin_run(
            started,
            paths=list(paths or settings.paths),
            fail_after=settings.fail_after,
            strict=settings.strict,
        )
        batcher = _Batcher(store, run_id)

        local_results = (
            check_occurrences(
                plan.local,
                root,
                base_url=settings.base_url,
                directory_indexes=settings.directory_indexes,
            )
            if plan.local
            else []
        )
        plan.results.extend(local_results)
        mapped = _adopt_mapped(plan, local_results)
        batcher.add([r for r in local_results if r not in mapped])

        total = len(plan.targets)
        done = 0

        def tick(result: CheckResult | None) -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress(done, total, result)

        # Fresh OK results from earlier runs are reused without a request.
        result_urls = [r.url for t in plan.targets.values() for r in t.results]
        fresh = store.fresh_results(result_urls, max_age, started) if max_age else {}
        reused: set[str] = set()
        for url, target in plan.targets.items():
            if not target.results or not all(r.url in fresh for r in target.results):
                continue
            for result in target.results:
                _reuse(result, fresh[result.url])
            reused.add(url)
            batcher.add(target.results)
            tick(target.results[0])
        cache_hits = len(reused)
        pending = [url for url in plan.targets if url not in reused]
        first_url = {url: t.results[0].url for url, t in plan.targets.items() if t.results}
        stored = store.validators([first_url[u] for u in pending if u in first_url])
        validators = {u: stored[first_url[u]] for u in pending if first_url.get(u) in stored}
        fetched: dict[str, FetchResult] = {}
        followups: dict[str, str] = {}  # followup url -> target url

        def on_result(item: FetchResult) -> None:
            target = plan.targets.get(item.url)
            if target is None:
                return
            fetched[item.url] = item
            meta = _apply_fetch(target, item, settings, store)
            extra = None
            if meta is not None and item.verdict.is_ok() and not item.not_modified:
                extra = followup_url(item.final_url or item.url, meta, item.body, item.content_type)
            if extra:
                # Stored once the follow-up's metadata is merged (the cache and `report`
                # must show the arXiv abstract's title, not the PDF's).
                followups[extra] = item.url
            else:
                batcher.add(target.results)
            tick(target.results[0] if target.results else None)

        finished = await _fetch_until_stopped(
            pending, settings, on_result, validators, stop, fetcher, on_throttle
        )
        requests = sum(item.attempts for item in fetched.values())

        if finished and followups:
            finished = await _run_followups(followups, plan, settings, stop, on_throttle)
        for origin in followups.values():
            batcher.add(plan.targets[origin].results)

        outage = is_outage(list(fetched.values()), settings.outage_ratio) if fetched else False
        partial = not finished or outage
        if outage:
            _mark_not_judged(plan.results)
        for url, results in plan.suggestion_of.items():
            base, _ = split_fragment(url)
            item = fetched.get(base)
            cached_ok = base in reused
            for result in results:
                result.suggestion_ok = cached_ok or bool(item and item.verdict.is_ok())
        if not finished:
            for url in pending:
                if url in fetched:
                    continue
                for result in plan.targets[url].results:
                    result.verdict = Verdict.SKIPPED
                    result.detail = "not checked: the run was interrupted"
        # Everything else (invalid, unsafe, skipped, excluded) is part of the run too:
        # `report` must re-render exactly what `check` showed.
        batcher.add([r for r in plan.results if id(r) not in batcher.seen])
        batcher.flush()

        finished_at = utcnow()
        store.apply_history(
            plan.results, fail_after=settings.fail_after, now=finished_at, outage=outage
        )
        if settings.archive and not outage and finished:
            archived = await find_copies(
                plan.results, settings, store, run_id=run_id, now=finished_at, stop=stop
            )
            warnings.extend(archived.warnings)
            requests += archived.requests
            store.record(run_id, [r for r in plan.results if r.archive_url])
        report = build_report(
            plan.results,
            parsed,
            settings,
            started=started,
            finished=finished_at,
            partial=partial,
            outage=outage,
            run_id=run_id,
        )
        store.finish_run(
            run_id,
            finished_at=finished_at,
            partial=partial,
            network=report.network,
            summary=report.summary,
            findings=report.findings,
        )
        store.prune(keep_runs=settings.keep_runs)
        report.history = store.failing_history(30)
        store.checkpoint()
    finally:
        store.close()
    return RunOutcome(report=report, warnings=warnings, requests=requests, cache_hits=cache_hits)


async def _run_followups(
    followups: dict[str, str],
    plan: Plan,
    settings: Settings,
    stop: asyncio.Event | None,
    on_throttle: OnThrottle | None = None,
) -> bool:
    """Fetch known-site follow-ups (arXiv abstract, oEmbed) and merge their metadata."""

    def on_followup(item: FetchResult) -> None:
        origin = followups.get(item.url)
        if origin is None or not item.verdict.is_ok() or not item.body:
            return
        target = plan.targets[origin]
        if not target.results:
            return
        merged = merge_followup(target.results[0].meta(), item.url, item.body, item.content_type)
        for result in target.results:
            result.apply_meta(merged)

    async def fetch_followups(
        urls: Sequence[str],
        settings: Settings,
        *,
        on_result: Callable[[FetchResult], None] | None = None,
        validators: Mapping[str, tuple[str | None, str | None]] | None = None,
        on_throttle: OnThrottle | None = None,
    ) -> list[FetchResult]:
        # Few URLs, fetched here even on a cluster; their JSON bodies (oEmbed) are read.
        return await fetch_all(
            urls,
            settings,
            on_result=on_result,
            validators=validators,
            on_throttle=on_throttle,
            full_body=set(urls),
        )

    return await _fetch_until_stopped(
        list(followups), settings, on_followup, {}, stop, fetch_followups, on_throttle
    )


def build_report(
    results: list[CheckResult],
    parsed: ParseResult,
    settings: Settings,
    *,
    started: datetime,
    finished: datetime | None,
    partial: bool,
    outage: bool,
    run_id: int | None,
) -> RunReport:
    by_verdict: dict[str, int] = {}
    failing = 0
    for result in results:
        by_verdict[result.verdict.value] = by_verdict.get(result.verdict.value, 0) + 1
        if result.fails_run(strict=settings.strict, fail_after=settings.fail_after, outage=outage):
            failing += 1
    occurrences = sum(len(r.occurrences) for r in results)
    return RunReport(
        tool=ToolInfo(version=__version__),
        run_id=run_id,
        started_at=started,
        finished_at=finished,
        partial=partial,
        network="outage" if outage else "ok",
        summary=Summary(
            occurrences=occurrences, urls=len(results), by_verdict=by_verdict, failing=failing
        ),
        results=results,
        findings=list(parsed.findings),
    )
