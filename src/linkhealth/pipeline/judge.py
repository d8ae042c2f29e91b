"""Judging after the fetch: metadata, soft 404s, fragments, follow-ups, outages.

A fetch answers for a :class:`~linkhealth.pipeline.plan.Target`; these functions
copy it onto every result that shares the target and decide what the answer
means. Pure apart from parsing the fetched body; the store is the run's business.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from linkhealth.config import Settings
from linkhealth.fetch import FetchResult
from linkhealth.fetch.classify import missing_fragment, soft_404
from linkhealth.mediatypes import HTML_CONTENT_TYPES, media_type
from linkhealth.models import CheckResult, ErrorKind, PageMeta, Verdict
from linkhealth.parse import split_fragment
from linkhealth.pipeline.plan import Plan, Target

if TYPE_CHECKING:  # meta (selectolax, the quirks' tables) loads with the first page judged
    from linkhealth.meta.sitewide import Fallbacks


def _content_kind(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def page_meta(
    target: Target,
    fetched: FetchResult,
    previous: PageMeta | None,
    fallbacks: dict[str, Fallbacks] | None = None,
) -> PageMeta | None:
    """The page's metadata: the stored one (``previous``) for a 304, else from the body
    (its next title/description candidates go to ``fallbacks``, for the site-wide pass)."""
    if fetched.not_modified:
        return previous
    if fetched.body and fetched.verdict.is_ok():
        from linkhealth.meta import extract_meta

        return extract_meta(
            fetched.body, fetched.content_type, fetched.final_url or target.fetch_url, fallbacks
        )
    if fetched.content_type:
        return PageMeta(content_type=_content_kind(fetched.content_type) or None)
    return None


def apply_fetch(
    target: Target, fetched: FetchResult, settings: Settings, meta: PageMeta | None
) -> None:
    """Copy one fetch onto the results that share it; soft 404, fragments."""
    # The fetch's fields, set on each result as CheckResult's own assignment sets them
    # (straight into __dict__): one update instead of a dozen assignments a result.
    fields = _fetch_fields(fetched)
    verdict = fetched.verdict
    if verdict.is_ok() and not fetched.not_modified:
        reason = soft_404(fetched, meta.title if meta else None, target.fetch_url)
        if reason:
            verdict = Verdict.BROKEN
            fields.update(verdict=verdict, detail=reason, error_kind=ErrorKind.SOFT_404)

    anchors: set[str] | None = None
    for result in target.results:
        fields["redirects"] = list(fetched.redirects)  # a list of its own
        result.__dict__.update(fields)
        if meta is not None:
            result.apply_meta(meta)
        fragment = target.fragments.get(result.url)
        if (
            settings.check_fragments
            and fragment
            and verdict.is_ok()
            and media_type(fetched.content_type) in HTML_CONTENT_TYPES
        ):
            if anchors is None:
                from linkhealth.meta import page_anchors

                anchors = page_anchors(fetched.body, fetched.content_type)
            if missing_fragment(fragment, anchors):
                result.verdict = Verdict.BROKEN
                result.error_kind = ErrorKind.FRAGMENT
                result.detail = f"fragment #{fragment} not found in the page"


class Unrequested:
    """:func:`apply_fetch` of fetches that made no request (no page: no metadata, no
    fragment to look for) and are not ok, for a run of them with the very same values but
    their URL (an outage's 200,000, ended by one verdict at one moment): the fields they
    set are made once, from the first of the run, and each result takes them in one update.
    A fetch with other values (or ok, or with redirects) goes through :func:`apply_fetch`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.last: FetchResult | None = None  # the fetch whose fields are kept
        self.fields: dict[str, object] = {}
        #: Hosts' URLs handed over before any request (:meth:`defer`), applied when the run
        #: is judged (:meth:`apply_deferred`), and how many URLs they are.
        self.deferred: list[tuple[FetchResult, Sequence[str]]] = []
        self.deferred_urls = 0
        #: :meth:`apply_deferred` wrote every target's results with one dict of values
        #: (every target deferred, with one fetch's values): the very objects in each.
        self.every_target_alike = False

    def apply(self, target: Target, fetched: FetchResult) -> None:
        self.apply_all((target,), fetched)

    def apply_all(self, targets: Iterable[Target], fetched: FetchResult) -> None:
        """:meth:`apply` of ``fetched`` to each of ``targets`` (a host's URLs that ended
        alike: the fetch is looked at once)."""
        last = self.last
        if last is None or not _same_values(fetched, last):
            if _through_apply_fetch(fetched):
                self.last = None
                for target in targets:
                    apply_fetch(target, fetched, self.settings, None)
                return
            self.last, self.fields = fetched, _fetch_fields(fetched)
        fields = self.fields
        for target in targets:
            for result in target.results:
                values = result.__dict__
                values.update(fields)
                values["redirects"] = []  # a list of its own

    def defer(self, fetched: FetchResult, urls: Sequence[str]) -> bool:
        """:meth:`apply_all` of ``fetched`` to the targets of ``urls`` (a host's URLs that
        ended alike before any request) left to :meth:`apply_deferred`, when the run is
        judged: a result is then written once, its fields and the outage's mark together
        (an outage's 200,000 results were written twice and walked three times, ~0.6 s).
        False (nothing kept) for a fetch that :func:`apply_fetch` must apply (ok, or with
        redirects). Nothing may read the results of ``urls`` before they are applied."""
        if _through_apply_fetch(fetched):
            return False
        self.deferred.append((fetched, urls))
        self.deferred_urls += len(urls)
        return True

    def took_all(self, n_targets: int) -> bool:
        """Whether the URLs handed over (:meth:`defer`) are every one of the run's
        ``n_targets`` targets (an outage seen before the first request)."""
        return self.deferred_urls == n_targets

    def apply_deferred(
        self, targets: Mapping[str, Target], *, outage: bool, marks: OutageMarks
    ) -> None:
        """:meth:`apply_all` of each deferred fetch to its URLs' targets, then, in an
        outage, :func:`outage_mark` of their results (``marks``: shared with
        :func:`mark_not_judged`'s call for the other results), in one write a result."""
        deferred, self.deferred = self.deferred, []
        runs: Iterable[tuple[FetchResult, Iterable[Target]]] = (
            (fetched, map(targets.__getitem__, urls)) for fetched, urls in deferred
        )
        if self.took_all(len(targets)) and deferred:
            first = deferred[0][0]
            if all(_same_values(fetched, first) for fetched, _ in deferred):
                # Every target, with one fetch's values (an outage seen before the first
                # request): in the plan's order, the order they were made in (by host, the
                # targets' look-ups were most of the time).
                runs = ((first, targets.values()),)
                self.every_target_alike = True
        written: dict[str, object] | None = None  # the kept fields, marked in an outage
        for fetched, run in runs:
            last = self.last
            if last is None or not _same_values(fetched, last):
                self.last, self.fields, written = fetched, _fetch_fields(fetched), None
            for target in run:
                for result in target.results:
                    values = result.__dict__
                    if written is None:
                        written = fields = self.fields
                        if outage:  # asked of the first result as applied (one rule)
                            values.update(fields)
                            mark = outage_mark(result, marks)
                            if mark is not None:
                                written = {**fields, **mark}
                    values.update(written)
                    if values["redirects"]:  # a list of its own: the planned one, empty
                        values["redirects"] = []


def _through_apply_fetch(fetched: FetchResult) -> bool:
    """Whether ``fetched`` must go through :func:`apply_fetch` itself (a page to read, or
    redirects: each result's own), not :class:`Unrequested`'s shared fields."""
    return bool(fetched.redirects) or fetched.verdict.is_ok()


def _same_values(fetched: FetchResult, other: FetchResult) -> bool:
    """Whether two fetches set the very same objects on a result (no redirects in either
    once ``other``'s fields were kept)."""
    return (
        fetched.verdict is other.verdict
        and fetched.detail is other.detail
        and fetched.error_kind is other.error_kind
        and fetched.checked_at is other.checked_at
        and fetched.http_status is other.http_status
        and fetched.final_url is other.final_url
        and fetched.permanent is other.permanent
        and fetched.attempts is other.attempts
        and fetched.elapsed_ms is other.elapsed_ms
        and fetched.etag is other.etag
        and fetched.last_modified is other.last_modified
        and not fetched.redirects
    )


def _fetch_fields(fetched: FetchResult) -> dict[str, object]:
    """The fields a fetch sets on its results (:func:`apply_fetch`: but a soft 404's
    verdict, and ``redirects``, each result's own list)."""
    return {
        "verdict": fetched.verdict,
        "http_status": fetched.http_status,
        "detail": fetched.detail,
        "error_kind": fetched.error_kind,
        "final_url": fetched.final_url,
        "permanent": fetched.permanent,
        "attempts": fetched.attempts,
        "elapsed_ms": fetched.elapsed_ms,
        "checked_at": fetched.checked_at,
        "etag": fetched.etag,
        "last_modified": fetched.last_modified,
    }


def outage_evidence(
    fetched: Mapping[str, FetchResult], targets: Mapping[str, Target]
) -> tuple[list[FetchResult], dict[str, str]]:
    """The fetches :func:`~linkhealth.fetch.classify.is_outage` is asked about, and the
    host of each whose target knows it: of a host's fetches alike in what it reads of one
    (verdict, status, error kind), the first only (the others can change nothing: a host
    counts as reached when any of its fetches was answered). An outage's 200,000 fetches
    are a few hundred (tests compare the verdicts on fuzzed runs)."""
    chosen: list[FetchResult] = []
    hosts: dict[str, str] = {}
    seen: set[tuple[object, ...]] = set()
    last: FetchResult | None = None
    for url, item in fetched.items():
        if item is last:  # a host's URLs ended as one (``_Run._on_unrequested``): its host
            continue
        last = item
        host = targets[url].host
        if host is None:
            chosen.append(item)
            continue
        alike = (host, item.verdict, item.http_status, item.error_kind)
        if alike not in seen:
            seen.add(alike)
            chosen.append(item)
            hosts[url] = host
    return chosen, hosts


def followup_of(fetched: FetchResult, meta: PageMeta | None) -> str | None:
    """The known-site follow-up (arXiv abstract, oEmbed) that completes this page's metadata."""
    if meta is None or not fetched.verdict.is_ok() or fetched.not_modified:
        return None
    from linkhealth.meta.quirks import followup_url

    return followup_url(fetched.final_url or fetched.url, meta, fetched.body, fetched.content_type)


def merge_followup_into(target: Target, fetched: FetchResult) -> None:
    """Merge a follow-up's metadata into the results of the page it completes."""
    if not fetched.verdict.is_ok() or not fetched.body or not target.results:
        return
    from linkhealth.meta.quirks import merge_followup

    merged = merge_followup(
        target.results[0].meta(), fetched.url, fetched.body, fetched.content_type
    )
    for result in target.results:
        result.apply_meta(merged)


def take_cached(result: CheckResult, cached: CheckResult) -> None:
    """Take a stored result's findings, keeping this run's URL and occurrences."""
    for name in CheckResult.model_fields:
        if name not in ("url", "occurrences"):
            setattr(result, name, getattr(cached, name))
    result.from_cache = True


#: The outage's marks made so far: a result's detail -> what the mark sets on a result
#: of that detail (one dict a detail, shared by its results).
OutageMarks = dict[str, dict[str, object]]


def outage_mark(result: CheckResult, marks: OutageMarks) -> dict[str, object] | None:
    """What the outage's mark sets on ``result``: in an outage, a link the network failed
    to reach was not judged (never ``broken``): its verdict ``skipped`` and a detail that
    says so (the error kind and the first detail stay, so the report still says what
    happened). None for a result the network did not fail to reach."""
    if not result.is_network_level():
        return None
    detail: str = result.__dict__["detail"]
    mark = marks.get(detail)
    if mark is None:
        marked = f"not judged (network outage): {detail}"
        mark = marks[detail] = {"verdict": Verdict.SKIPPED, "detail": marked}
    return mark


def mark_not_judged(results: Iterable[CheckResult], marks: OutageMarks | None = None) -> None:
    """:func:`outage_mark` on each of ``results`` (``marks``: those made so far)."""
    if marks is None:
        marks = {}
    for result in results:
        mark = outage_mark(result, marks)
        if mark is not None:
            # Set as CheckResult's own assignment sets them (an outage's 50,000 results).
            result.__dict__.update(mark)


def judge_suggestions(plan: Plan, fetched: Mapping[str, FetchResult], reused: set[str]) -> None:
    """Does the suggested fix of each malformed link work?"""
    for url, results in plan.suggestion_of.items():
        base, _ = split_fragment(url)
        item = fetched.get(base)
        cached_ok = base in reused
        for result in results:
            result.suggestion_ok = cached_ok or bool(item and item.verdict.is_ok())


def mark_interrupted(
    plan: Plan, pending: Iterable[str], fetched: Mapping[str, FetchResult]
) -> None:
    """Links the interrupted run never reached are ``skipped``, and say why."""
    for url in pending:
        if url in fetched:
            continue
        for result in plan.targets[url].results:
            result.verdict = Verdict.SKIPPED
            result.detail = "not checked: the run was interrupted"
