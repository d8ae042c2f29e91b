"""One check run, stage by stage: :class:`_Run` has one method per stage.

``run_check`` reads the lists (unless given them) and runs the stages in order;
every store call goes through the run's :class:`~.recorder.RunRecorder`. A new
stage is one method here and one line in :meth:`_Run.execute`.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from itertools import chain, repeat
from operator import attrgetter, is_, itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

from linkhealth.config import Settings
from linkhealth.fetch import FetchResult, OnThrottle, fetch_all
from linkhealth.fetch.classify import is_outage, tells_of_the_network
from linkhealth.fetch.probe import LookupProbe
from linkhealth.inputs import UrlIgnore, extract_paths, load_url_ignore
from linkhealth.models import CheckResult
from linkhealth.parse import ParseResult
from linkhealth.pipeline.fetching import (
    Fetcher,
    chosen_fetcher,
    fetch_followups,
    fetch_until_stopped,
)
from linkhealth.pipeline.judge import (
    OutageMarks,
    Unrequested,
    apply_fetch,
    followup_of,
    judge_suggestions,
    mark_interrupted,
    mark_not_judged,
    merge_followup_into,
    outage_evidence,
    page_meta,
    take_cached,
)
from linkhealth.pipeline.outcome import RunOutcome, build_report, utcnow
from linkhealth.pipeline.plan import (
    LinkKeys,
    Plan,
    Target,
    adopt_mapped,
    busiest_hosts,
    link_keys,
    plan_run,
)
from linkhealth.pipeline.recorder import RunRecorder
from linkhealth.store import HISTORY_FIELDS

if TYPE_CHECKING:  # meta loads with the first page judged, archive with --archive
    from linkhealth.meta.sitewide import Fallbacks
    from linkhealth.report.ahead import ResultsText

ProgressCallback = Callable[[int, int, CheckResult | None], None]

_RESULTS, _FIELDS = attrgetter("results"), attrgetter("__dict__")
#: What the settle's history writes of a result (``Store.apply_history``).
_HISTORY_FIELDS = tuple(map(itemgetter, HISTORY_FIELDS))


@contextmanager
def _kept_for_the_run(*, frozen_if_failed: bool = True) -> Iterator[None]:
    """What the block makes is kept for the whole run (the plan: a result and its
    occurrences per link, nothing cyclic to free): no collection runs while it is made,
    and it is moved out of the collector's sight (:func:`gc.freeze`) until
    :func:`_collected_again`. The cyclic GC walked each of an outage's 50,000 planned
    results two or three times (~0.25 s of planning and ~0.2 s of the fetch).
    ``frozen_if_failed=False``: a block that raises freezes nothing (no run follows to
    give it back)."""
    enabled = gc.isenabled()
    gc.disable()
    done = False
    try:
        yield
        done = True
    finally:
        if done or frozen_if_failed:
            gc.freeze()
        if enabled:
            gc.enable()


def _collected_again() -> None:
    """The objects :func:`_kept_for_the_run` froze are the collector's again."""
    gc.unfreeze()


class _Run:
    """The state of one check run, shared by its stages."""

    plan: Plan
    max_age: timedelta
    recorder: RunRecorder
    finished_at: datetime

    def __init__(
        self,
        settings: Settings,
        parsed: ParseResult,
        root: Path,
        *,
        started: datetime,
        stop: asyncio.Event | None,
        progress: ProgressCallback | None,
        fetcher: Fetcher,
        on_throttle: OnThrottle | None,
        json_ahead: bool = False,
    ) -> None:
        self.settings, self.parsed, self.root, self.started = settings, parsed, root, started
        self.json_ahead = json_ahead
        self.results_text: ResultsText | None = None
        self.stop, self.progress, self.fetcher, self.on_throttle = (
            stop,
            progress,
            fetcher,
            on_throttle,
        )
        self.warnings: list[str] = []
        self.done = 0  # targets judged, for progress
        self.reused: set[str] = set()  # target urls answered from the store
        self.pending: list[str] = []  # target urls to fetch
        self.fetched: dict[str, FetchResult] = {}
        self.followups: dict[str, str] = {}  # follow-up url -> target url
        self.fallbacks: dict[str, Fallbacks] = {}  # next title/description candidates per page
        self.finished = True  # False once a stop interrupted the fetches
        self.outage = False
        self.requests = 0
        self.ignore: UrlIgnore | None = None
        self.ahead: LookupProbe | None = None
        self.keys: LinkKeys | None = None  # plan.link_keys, once made
        self.unrequested = Unrequested(settings)  # apply_fetch of what made no request
        self.sitewide = False  # reject_sitewide ran (it may rewrite any result)

    async def execute(self, paths: Sequence[str]) -> RunOutcome:
        try:
            return await self._stages(paths)
        except BaseException:
            if self.results_text is not None:  # the outcome's, had the run ended
                self.results_text.close()
            raise

    async def _stages(self, paths: Sequence[str]) -> RunOutcome:
        try:  # the look-ups ahead are stopped however the run ends
            await self.look_ahead()
            self.make_plan()
            self.open_store(paths)
            try:
                return await self.fetch_and_judge()
            finally:
                self.recorder.close()
        finally:
            if self.ahead is not None:
                self.ahead.stop()

    async def fetch_and_judge(self) -> RunOutcome:
        self.check_local()
        self.reuse()
        await self.fetch()
        await self.follow_up()
        self.judge()
        self.settle()
        await self.archive()
        return self.record()

    async def look_ahead(self) -> None:
        """The busiest hosts' look-ups start now and run while the run plans (see
        :mod:`linkhealth.fetch.probe`): with no network the outage verdict's grace second
        runs meanwhile. Only for the local fetcher (a cluster's workers have networks of
        their own) and without a proxy (it looks the hosts up, not we)."""
        settings = self.settings
        self.ignore = load_url_ignore(self.root)
        if self.fetcher is not fetch_all or settings.use_env_proxy:
            return
        # As many as the fetch's first requests can reach (one place each at most): a
        # live host among them answers its look-up, and the look-ups then decide nothing.
        # Fewer (the 64 busiest) judged a list whose busiest hosts are dead names an outage
        # before a request reached its live ones.
        self.keys = link_keys(self.parsed, settings)  # the plan reads them too
        hosts = busiest_hosts(
            self.parsed, settings, self.ignore, settings.max_concurrency, self.keys
        )
        hosts = list(filter(tells_of_the_network, hosts))
        if len(hosts) >= 2:  # one host is a dead site, never an outage
            self.ahead = LookupProbe()
            self.ahead.start(hosts, settings)
            await asyncio.sleep(0)  # each look-up to its thread before planning

    def make_plan(self) -> None:
        """Group, filter and dedupe the links; nothing is requested yet."""
        with _kept_for_the_run():
            self.plan = plan_run(self.parsed, self.settings, self.ignore, self.keys)
        self.max_age = self.settings.max_age

    def open_store(self, paths: Sequence[str]) -> None:
        self.recorder = RunRecorder.begin(
            self.settings, lists=self.parsed.files, paths=paths, started=self.started
        )
        self.warnings.extend(self.recorder.warnings)

    def check_local(self) -> None:
        """Relative links are checked on disk (their results close the report's list);
        those mapped to ``--base-url`` join the fetch."""
        settings = self.settings
        local_results: list[CheckResult] = []
        if self.plan.local:  # the checker loads with a run's first local link
            from linkhealth.local import check_occurrences

            local_results = check_occurrences(
                self.plan.local,
                self.root,
                base_url=settings.base_url,
                directory_indexes=settings.directory_indexes,
            )
        self.plan.results.extend(local_results)
        self.recorder.number(self.plan.results)  # the list is complete: report order
        mapped = adopt_mapped(self.plan, local_results)
        checked = [r for r in local_results if r not in mapped]
        self.plan.untargeted.extend(checked)
        self.recorder.add(checked)

    def reuse(self) -> None:
        """Fresh OK results from earlier runs are reused without a request."""
        targets = self.plan.targets
        result_urls = (r.url for t in targets.values() for r in t.results)  # read if stored
        fresh = self.recorder.fresh(result_urls, self.max_age, self.started) if self.max_age else {}
        if not fresh:  # none reused (an empty store's run: no pass over 200,000 targets)
            self.pending = list(targets)
            return
        for url, target in targets.items():
            if not target.results or not all(r.url in fresh for r in target.results):
                continue
            for result in target.results:
                take_cached(result, fresh[result.url])
            self.reused.add(url)
            self.recorder.add(target.results)
            self._tick(target.results[0])
        self.pending = [url for url in targets if url not in self.reused]

    async def fetch(self) -> None:
        """Fetch what is left, with the stored validators (a 304 keeps the stored page);
        the URLs that timed out last time start early in their host's queue."""
        targets = self.plan.targets
        # Each URL's first result's URL, made only when the store holds results.
        firsts = (t.results[0].url for u in self.pending if (t := targets[u]).results)
        hints = self.recorder.fetch_hints(firsts)
        stored, timed_out = hints.validators, hints.timed_out
        validators, hung_before = {}, set()
        if stored or timed_out:  # (an empty store's run: no pass over the URLs)
            first_url = {url: t.results[0].url for url, t in targets.items() if t.results}
            validators = {
                u: stored[first_url[u]] for u in self.pending if first_url.get(u) in stored
            }
            hung_before = {u for u in self.pending if first_url.get(u) in timed_out}
        self.finished = await fetch_until_stopped(
            self.pending,
            self.settings,
            self._on_result,
            validators,
            self.stop,
            self.fetcher,
            self.on_throttle,
            full_body=self._full_body(),
            hosts=self._hosts(),
            ahead=self.ahead,
            hung_before=hung_before,
            on_unrequested=self._on_unrequested if self.ahead is not None else None,
        )
        self.requests = sum(item.attempts for item in self.fetched.values())

    def _hosts(self) -> dict[str, str]:
        """The host key the plan's URL policy returned for each URL to fetch that it
        passed as it is fetched (the fetcher does not ask the same policy again)."""
        targets = self.plan.targets
        pending = self.pending
        # (every target, most runs': read in the plan's order, not looked up by URL)
        fetched = (
            targets.values() if len(pending) == len(targets) else map(targets.__getitem__, pending)
        )
        hosts: dict[str, str] = {}
        for target in fetched:
            if target.passed and target.host is not None:
                hosts[target.fetch_url] = target.host
        return hosts

    def _full_body(self) -> set[str] | None:
        """With ``--check-fragments``, the URLs linked with a fragment: only their pages are
        read whole (the anchors live in the body); every other page, as without the flag,
        up to the end of its head."""
        if not self.settings.check_fragments:
            return None
        return set(self.plan.fragmented)

    def _on_result(self, item: FetchResult) -> None:
        target = self.plan.targets.get(item.url)
        if target is None:
            return
        self.fetched[item.url] = item
        if not (item.attempts or item.content_type or item.body or item.not_modified):
            # Not requested (the network went down, the host's pause outlasted the URL, or
            # the fetcher's policy refused it): no page, nothing learnt.
            self.unrequested.apply(target, item)
        else:
            self._on_answer(target, item)
        self._tick(target.results[0] if target.results else None)

    def _on_unrequested(self, first: FetchResult, urls: Sequence[str]) -> None:
        """A host's URLs ended before any request, alike but for their URL (the network
        was seen down first): as :meth:`_on_result` of each, with ``first`` the fetch of
        every one of them (a fetch a URL, alike, would tell the judge nothing more)."""
        targets = self.plan.targets
        self.fetched.update(dict.fromkeys(urls, first))
        if self.progress is None and self.unrequested.defer(first, urls):
            self.done += len(urls)  # (applied as the run is judged: nothing reads them now)
            return
        self.unrequested.apply_all([targets[url] for url in urls], first)
        if self.progress is None:
            self.done += len(urls)
            return
        for url in urls:
            results = targets[url].results
            self._tick(results[0] if results else None)

    def _on_answer(self, target: Target, item: FetchResult) -> None:
        previous = self.recorder.previous_meta(target.fetch_url) if item.not_modified else None
        meta = page_meta(target, item, previous, self.fallbacks)
        apply_fetch(target, item, self.settings, meta)
        extra = followup_of(item, meta)
        if extra:
            # Stored once the follow-up's metadata is merged (the cache and `report`
            # must show the arXiv abstract's title, not the PDF's).
            self.followups[extra] = item.url
        elif item.attempts:
            self.recorder.add(target.results)
        # Not requested: nothing was learnt, the run's judging (outage or not) may still
        # change it, and an interrupted run redoes it without a request: stored once, with
        # the rest, when the run is settled.
        # Read above; the item is kept until the run ends (outage, suggestions, interruption
        # read its verdict only): its body was most of the RSS, its headers ~0.4 KB a page.
        item.body, item.headers = b"", {}

    def _tick(self, result: CheckResult | None) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, len(self.plan.targets), result)

    async def follow_up(self) -> None:
        """Known-site follow-ups (arXiv abstract, oEmbed) complete the pages' metadata."""
        if self.finished and self.followups:
            self.finished = await fetch_until_stopped(
                list(self.followups),
                self.settings,
                self._on_followup,
                {},
                self.stop,
                fetch_followups,
                self.on_throttle,
            )
        for origin in self.followups.values():
            self.recorder.add(self.plan.targets[origin].results)

    def _on_followup(self, item: FetchResult) -> None:
        origin = self.followups.get(item.url)
        if origin is not None:
            merge_followup_into(self.plan.targets[origin], item)

    def judge(self) -> None:
        """What the whole run means: an outage judges nothing, suggestions, interruptions."""
        fetched, plan, unrequested = self.fetched, self.plan, self.unrequested
        if fetched:
            evidence, hosts = outage_evidence(fetched, plan.targets)
            self.outage = is_outage(evidence, self.settings.outage_ratio, hosts=hosts)
        # The results not deferred (unrequested.defer): when every target's are (an
        # outage seen before the first request), the untargeted ones only; they have no
        # page (no title) and take the outage's mark as they are applied.
        others = plan.untargeted if unrequested.took_all(len(plan.targets)) else None
        marks: OutageMarks = {}
        if self.outage:
            mark_not_judged(plan.results if others is None else others, marks)
        unrequested.apply_deferred(plan.targets, outage=self.outage, marks=marks)
        judge_suggestions(plan, fetched, self.reused)
        if any(r.title or r.description for r in (plan.results if others is None else others)):
            # What several pages of a host share is the site's: such values fall through
            # (only titles and descriptions are shared: without one, meta is not loaded).
            from linkhealth.meta.sitewide import reject_sitewide

            self.sitewide = True
            self.recorder.record(reject_sitewide(self.plan.results, self.fallbacks))
        if not self.finished:
            mark_interrupted(self.plan, self.pending, fetched)

    def settle(self) -> None:
        """Every result is read against the history of earlier runs (stored rows that
        changed are rewritten), then the ones not stored yet are stored, once."""
        self.finished_at = utcnow()
        self.recorder.apply_history(self.plan.results, now=self.finished_at, outage=self.outage)
        alike = self.alike()
        if self.outage and self.json_ahead:
            # An outage's results are final now (no archive, nothing else to judge): the
            # JSON report's results are written beside the store's record of them.
            from linkhealth.report import ahead, jsonfmt

            self.results_text = ahead.start(
                self.plan.results,
                partial(jsonfmt.result_pieces, alike=alike),
                jsonfmt.BETWEEN_PARTS,
            )
        self.recorder.add_rest(self.plan.results, outage=self.outage, alike=alike)

    def alike(self) -> frozenset[int]:
        """The results (ids) of one shape for certain, as the run wrote them, for the
        writers of an outage's results (:class:`~linkhealth.models.ShapeText`): when every
        target's were written with one dict of values (``Unrequested.apply_deferred``),
        their other fields are the plan's one template's objects (``planned_result``: no
        local link mapped to a target, ``adopt_mapped``), and nothing wrote them since
        but the history, whose fields are checked here (the very objects in all; the
        run finished and ``reject_sitewide`` did not run). Else none."""
        plan = self.plan
        if (
            not self.outage
            or not self.finished
            or self.sitewide
            or plan.local
            or not self.unrequested.every_target_alike
        ):
            return frozenset()
        results = list(chain.from_iterable(map(_RESULTS, plan.targets.values())))
        dicts = list(map(_FIELDS, results))
        for getter in _HISTORY_FIELDS:
            values = list(map(getter, dicts))
            if values and not all(map(is_, values, repeat(values[0]))):
                return frozenset()
        return frozenset(map(id, results))

    async def archive(self) -> None:
        """``--archive``: Wayback copies of the failing links (never a verdict)."""
        if not self.settings.archive or self.outage or not self.finished:
            return
        from linkhealth.archive import find_copies

        archived = await find_copies(
            self.plan.results,
            self.settings,
            self.recorder.store,
            run_id=self.recorder.run_id,
            now=self.finished_at,
            stop=self.stop,
        )
        self.warnings.extend(archived.warnings)
        self.requests += archived.requests
        self.recorder.record([r for r in self.plan.results if r.archive_url])

    def record(self) -> RunOutcome:
        """The report, and the run closed in the store with its summary."""
        report = build_report(
            self.plan.results,
            self.parsed,
            self.settings,
            started=self.started,
            finished=self.finished_at,
            partial=not self.finished or self.outage,
            outage=self.outage,
            run_id=self.recorder.run_id,
        )
        self.recorder.finish(
            report, finished_at=self.finished_at, keep_runs=self.settings.keep_runs
        )
        return RunOutcome(
            report=report,
            warnings=self.warnings,
            requests=self.requests,
            cache_hits=len(self.reused),
            results_text=self.results_text,
            kept=(self.plan, self.fetched),
        )


async def _read_inputs(paths: list[str], settings: Settings) -> ParseResult:
    """The lists on disk (and stdin), then the documents named by http(s) URL."""
    from linkhealth.inputs.web import is_web_url, read_web_documents

    web = [p for p in paths if is_web_url(p)]
    local = [p for p in paths if not is_web_url(p)]
    parsed = extract_paths(local, settings) if local or not web else ParseResult()
    if web:
        parsed.extend(await read_web_documents(web, settings))
    return parsed


async def run_check(
    settings: Settings,
    *,
    paths: Sequence[str] | None = None,
    stop: asyncio.Event | None = None,
    progress: ProgressCallback | None = None,
    parsed: ParseResult | None = None,
    root: Path | None = None,
    fetcher: Fetcher | None = None,
    on_throttle: OnThrottle | None = None,
    json_ahead: bool = False,
) -> RunOutcome:
    """Run a whole check and return the aggregate every report renders.

    Without a ``fetcher``, the one ``settings`` ask for (a cluster with
    ``workers``/``cluster``, else the local one). ``on_throttle(host, seconds)`` hears
    when a host throttles (429/503) and pauses; a fetcher may ignore it (the cluster's
    workers cannot report it). ``json_ahead``: the caller writes the report as JSON; an
    outage's results may then be written by a second process while the run stores them
    (the outcome's ``results_text``: the caller closes it).
    """
    if fetcher is None:
        async with chosen_fetcher(settings) as chosen:
            return await run_check(
                settings,
                paths=paths,
                stop=stop,
                progress=progress,
                parsed=parsed,
                root=root,
                fetcher=chosen,
                on_throttle=on_throttle,
                json_ahead=json_ahead,
            )
    started = utcnow()
    root = root or settings.root_folder()
    if parsed is None:
        # What the lists make (an occurrence a link) is kept for the run: frozen, then
        # given back however the run ends (below). Collected as the parse ended, the
        # 200,000 occurrences of a big list were walked twice (~0.08 s).
        with _kept_for_the_run(frozen_if_failed=False):
            parsed = await _read_inputs(list(paths or settings.paths), settings)
    try:  # what the parse and the plan froze is given back however the run ends
        run = _Run(
            settings,
            parsed,
            root,
            started=started,
            stop=stop,
            progress=progress,
            fetcher=fetcher,
            on_throttle=on_throttle,
            json_ahead=json_ahead,
        )
        return await run.execute(list(paths or settings.paths))
    finally:
        _collected_again()
