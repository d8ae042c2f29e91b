"""Planning a check run: every link grouped and judged as far as it can be before a request.

Occurrences are grouped by normalised URL; unsafe schemes, non-HTTP links,
excluded URLs and hosts are decided here; malformed links (lint findings) become
``invalid`` results whose suggested fix is fetched too. What remains is one
:class:`Target` per unique URL without its fragment.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from linkhealth.config import Settings, remapped
from linkhealth.inputs import UrlIgnore
from linkhealth.local import is_local
from linkhealth.models import (
    HTTP_SCHEMES,
    CheckResult,
    ErrorKind,
    Finding,
    LinkKind,
    Occurrence,
    Verdict,
)
from linkhealth.parse import ParseResult, normalise_url, split_fragment
from linkhealth.urlpolicy import Refusal, UrlPolicy
from linkhealth.weburl import scheme_and_host

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


_SCHEME_RE = re.compile(r"\s*([A-Za-z][A-Za-z0-9+.\-]*):")


def scheme_of(url: str) -> str:
    """The URL's scheme, lower case (``""`` without one). ``http://`` and ``https://``
    written so (most links) are read without the pattern, which reads them alike."""
    if url.startswith("https://"):
        return "https"
    if url.startswith("http://"):
        return "http"
    match = _SCHEME_RE.match(url)
    return match.group(1).lower() if match else ""


@dataclass
class Target:
    """One unique network URL (fragment removed) and the results that depend on it."""

    fetch_url: str
    results: list[CheckResult] = field(default_factory=list)
    fragments: dict[str, str | None] = field(default_factory=dict)  # result url -> fragment
    host: str | None = None  # fetch_url's host_key, when the policy read it already
    # The URL policy passed fetch_url itself (a link to it without a fragment; patterns
    # see the fragment): the fetcher need not ask again.
    passed: bool = False


@dataclass
class Plan:
    """The run's work, decided before any request."""

    results: list[CheckResult]  # every result, in first-occurrence order
    targets: dict[str, Target]  # fetch url -> target
    local: list[Occurrence]
    suggestion_of: dict[str, list[CheckResult]]  # suggested url -> invalid results

    def add_api_target(self, result: CheckResult, api_url: str) -> None:
        """``result`` is judged by an API request (a github.com link with a token)."""
        target = self.targets.setdefault(api_url, Target(fetch_url=api_url))
        target.results.append(result)
        target.fragments[result.url] = None

    def add_target(self, result: CheckResult, key: str, host: str | None = None) -> None:
        """``result`` (normalised URL ``key``, whose host is ``host`` when known: the URL
        policy passed ``key``) is judged by fetching ``key`` minus its fragment."""
        base, fragment = split_fragment(key)
        target = self.targets.get(base)
        if target is None:  # (made whole: a list's 100,000 targets)
            passed = fragment is None and host is not None
            self.targets[base] = Target(base, [result], {key: fragment}, host, passed)
            return
        target.results.append(result)
        target.fragments[key] = fragment
        if fragment is None and host is not None:
            target.passed = True


def plan_run(
    parsed: ParseResult,
    settings: Settings,
    ignore: UrlIgnore | None = None,
    keys: list[tuple[str, str]] | None = None,
) -> Plan:
    """Group occurrences by normalised URL and decide how each is judged.

    What is never requested is decided by :class:`~linkhealth.urlpolicy.UrlPolicy`
    (schemes, excludes, ``ignore`` = ``.linkhealthignore``, excluded hosts, private
    literals), the same policy the fetcher applies. ``keys``: :func:`link_keys` of
    ``parsed``, when the run made them already.
    """
    plan = Plan(results=[], targets={}, local=[], suggestion_of={})
    _plan_occurrences(plan, parsed, settings, ignore, keys)
    _plan_findings(plan, parsed.findings)
    return plan


def link_keys(parsed: ParseResult, settings: Settings) -> list[tuple[str, str]]:
    """Each occurrence's scheme (:func:`scheme_of`) and the URL it is judged by, in order:
    made once a run (the look-ahead's count of the busiest hosts and the plan read them)."""
    keys: list[tuple[str, str]] = []
    for occ in parsed.occurrences:
        scheme = scheme_of(occ.url)
        keys.append((scheme, _key(occ.url, scheme, parsed, settings)))
    return keys


def _plan_occurrences(
    plan: Plan,
    parsed: ParseResult,
    settings: Settings,
    ignore: UrlIgnore | None,
    keys: list[tuple[str, str]] | None,
) -> None:
    policy = UrlPolicy(settings, ignore=ignore)
    by_url: dict[str, CheckResult] = {}
    keyed = link_keys(parsed, settings) if keys is None else keys
    for occ, (scheme, key) in zip(parsed.occurrences, keyed, strict=True):
        if not scheme and is_local(occ.url):
            plan.local.append(occ)
            continue
        result = by_url.get(key)
        if result is not None:
            result.occurrences.append(occ)
            continue
        result = planned_result(key, occ)
        by_url[key] = result
        plan.results.append(result)
        checked = policy.check(key)
        if isinstance(checked, Refusal):
            result.verdict, result.detail = checked.verdict, checked.detail
            result.error_kind = checked.error_kind
        else:
            _add_network_target(plan, result, key, settings, checked)


def planned_result(url: str, occurrence: Occurrence) -> CheckResult:
    """``CheckResult(url=url, verdict=Verdict.SKIPPED, occurrences=[occurrence])``, the same
    object (fields, lists of its own, fields set) copied from one validated template, as
    pydantic's ``model_construct`` does, without validating each: a list's 100,000 links
    took ~6 us each. Both arguments are what validation would keep as they are: a ``str``
    and an :class:`Occurrence` (tests compare the two)."""
    result = _new_result(CheckResult)
    fields = _planned_template().copy()
    fields["url"] = url
    fields["redirects"] = []
    fields["occurrences"] = [occurrence]
    _set(result, "__dict__", fields)
    _set(result, "__pydantic_fields_set__", {"url", "verdict", "occurrences"})
    _set(result, "__pydantic_extra__", None)
    _set(result, "__pydantic_private__", None)
    return result


_new_result = object.__new__
_set = object.__setattr__
_TEMPLATE: list[dict[str, object]] = []


def _planned_template() -> dict[str, object]:
    if not _TEMPLATE:  # built at the first plan: the model's schema is built then
        _TEMPLATE.append(dict(CheckResult(url="", verdict=Verdict.SKIPPED).__dict__))
    return _TEMPLATE[0]


def _key(url: str, scheme: str, parsed: ParseResult, settings: Settings) -> str:
    """The URL a link is judged by (normalised and remapped when it is http(s))."""
    if scheme not in HTTP_SCHEMES:
        return url.strip()
    key = parsed.key(url)  # (the parse made most keys already: its duplicate-url rule's)
    return remapped(key, settings.remap) if settings.remap else key


def busiest_hosts(
    parsed: ParseResult,
    settings: Settings,
    ignore: UrlIgnore | None,
    limit: int,
    keys: list[tuple[str, str]] | None = None,
) -> list[str]:
    """The ``limit`` hosts with the most distinct network links, most first (ties: first
    named first): those the fetch starts with, as it serves the hosts with the most URLs
    first. A host is left out when the plan's policy refuses its first link. ``keys``:
    :func:`link_keys` of ``parsed``, when the run made them already."""
    count: Counter[str] = Counter()
    first: dict[str, str] = {}  # host -> its first link's key
    seen: set[str] = set()
    for scheme, key in link_keys(parsed, settings) if keys is None else keys:
        if scheme not in HTTP_SCHEMES:
            continue
        if key in seen:
            continue
        seen.add(key)
        try:
            host = scheme_and_host(key)[1]
        except ValueError:
            continue
        count[host] += 1
        first.setdefault(host, key)
    policy = UrlPolicy(settings, ignore=ignore)
    hosts: list[str] = []
    for host, _ in count.most_common():
        if len(hosts) >= limit:
            break
        if policy.check(first[host]) == host:
            hosts.append(host)
    return hosts


def _add_network_target(
    plan: Plan, result: CheckResult, key: str, settings: Settings, host: str
) -> None:
    api = None
    if settings.github_token:  # loaded only for a run with a token
        from linkhealth.github import github_api_url

        api = github_api_url(key, settings.github_api_endpoint)
    if api is not None:
        plan.add_api_target(result, api)
    else:
        plan.add_target(result, key, host)


def _plan_findings(plan: Plan, findings: Iterable[Finding]) -> None:
    """Malformed links become ``invalid`` results (their suggestion is fetched), refused
    schemes ``unsafe`` ones. One result per URL, as for every other link: the same
    malformed text written twice is one result with two occurrences (the store keeps one
    row per URL and run, and ``report`` must list what ``check`` listed)."""
    by_url = {result.url: result for result in plan.results}
    for finding in findings:
        if finding.rule not in UNSAFE_RULES and finding.rule not in MALFORMED_RULES:
            continue
        result = _invalid_result(finding)
        same = by_url.get(result.url)
        if same is not None:
            same.occurrences.extend(result.occurrences)
            continue
        by_url[result.url] = result
        plan.results.append(result)
        if finding.rule in UNSAFE_RULES:
            result.verdict = Verdict.UNSAFE
            result.error_kind = ErrorKind.POLICY
            result.suggestion = None
            continue
        suggestion = finding.suggestion
        if suggestion and scheme_of(suggestion) in HTTP_SCHEMES:
            key = normalise_url(suggestion)
            plan.suggestion_of.setdefault(key, []).append(result)
            base, _ = split_fragment(key)
            plan.targets.setdefault(base, Target(fetch_url=base))


def adopt_mapped(plan: Plan, local_results: Sequence[CheckResult]) -> list[CheckResult]:
    """Root-relative links mapped to ``--base-url`` are checked over HTTP like any URL.

    One whose URL the lists also write out joins that URL's result (one result per URL,
    as the store keeps them) and leaves ``plan.results``. Returns every mapped result."""
    local = {id(result) for result in local_results}
    by_url: dict[str, CheckResult] = {}
    for result in plan.results:
        if id(result) not in local:
            by_url.setdefault(result.url, result)
    adopted: list[CheckResult] = []
    joined: set[int] = set()
    for result in local_results:
        if result.verdict is not Verdict.SKIPPED or scheme_of(result.url) not in HTTP_SCHEMES:
            continue
        key = normalise_url(result.url)
        adopted.append(result)
        same = by_url.get(key)
        if same is not None:
            same.occurrences.extend(result.occurrences)
            joined.add(id(result))
            continue
        result.url = key
        plan.add_target(result, key)
        by_url[key] = result
    if joined:
        plan.results[:] = [result for result in plan.results if id(result) not in joined]
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


def links_to_check(paths: list[str], settings: Settings) -> list[str]:
    """What ``check --dump`` prints (lychee's ``--dump``): every link a run would check,
    after excludes, remaps and ``.linkhealthignore``, in first-occurrence order; local
    links as written. No request is made."""
    from linkhealth.inputs import extract_paths, load_url_ignore

    parsed = extract_paths(paths, settings)
    plan = plan_run(parsed, settings, load_url_ignore(settings.root_folder()))
    planned = {id(r) for t in plan.targets.values() for r in t.results}
    out = [r.url for r in plan.results if id(r) in planned]
    out.extend(dict.fromkeys(o.url for o in plan.local))
    return out
