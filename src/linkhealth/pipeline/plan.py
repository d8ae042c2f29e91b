"""Planning a check run: every link grouped and judged as far as it can be before a request.

Occurrences are grouped by normalised URL; unsafe schemes, non-HTTP links,
excluded URLs and hosts are decided here; malformed links (lint findings) become
``invalid`` results whose suggested fix is fetched too. What remains is one
:class:`Target` per unique URL without its fragment.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from types import MappingProxyType

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
from linkhealth.weburl import HostReads

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
_WEB_PREFIXES = ("https://", "http://")


def scheme_of(url: str) -> str:
    """The URL's scheme, lower case (``""`` without one). ``http://`` and ``https://``
    written so (most links) are read without the pattern, which reads them alike."""
    if url.startswith("https://"):
        return "https"
    if url.startswith("http://"):
        return "http"
    match = _SCHEME_RE.match(url)
    return match.group(1).lower() if match else ""


@dataclass(slots=True)
class Target:
    """One unique network URL (fragment removed) and the results that depend on it."""

    fetch_url: str
    results: list[CheckResult] = field(default_factory=list)
    #: result url -> its fragment, for the results linked with one (``""`` included); a
    #: target with none shares one empty, read-only mapping (a dict each was ~200 bytes)
    fragments: Mapping[str, str | None] = field(default_factory=dict)
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
    #: The results that no target judges (refused, malformed; the run adds the local
    #: ones): with the targets' results, every result of ``results``, each once.
    untargeted: list[CheckResult] = field(default_factory=list)
    #: The targets linked with a fragment (one of their ``fragments`` not empty).
    fragmented: set[str] = field(default_factory=set)

    def add_api_target(self, result: CheckResult, api_url: str) -> None:
        """``result`` is judged by an API request (a github.com link with a token)."""
        target = self.targets.setdefault(api_url, Target(fetch_url=api_url))
        target.results.append(result)

    def add_target(self, result: CheckResult, key: str, host: str | None = None) -> None:
        """``result`` (normalised URL ``key``, whose host is ``host`` when known: the URL
        policy passed ``key``) is judged by fetching ``key`` minus its fragment."""
        base, fragment = split_fragment(key)
        passed = fragment is None and host is not None
        # (made whole, and asked for once: a list's 100,000 targets are new)
        fragments = _NO_FRAGMENTS if fragment is None else {key: fragment}
        made = Target(base, [result], fragments, host, passed)
        target = self.targets.setdefault(base, made)
        if fragment:
            self.fragmented.add(base)
        if target is made:
            return
        target.results.append(result)
        if fragment is not None:
            kept = target.fragments
            if not isinstance(kept, dict):  # (the shared empty one)
                kept = target.fragments = {}
            kept[key] = fragment
        if passed:
            target.passed = True


#: The fragments of a target whose results were linked without one.
_NO_FRAGMENTS: Mapping[str, str | None] = MappingProxyType({})


@dataclass
class LinkKeys:
    """A run's links read once (:func:`link_keys`), for the look-ahead's count of the
    busiest hosts and for the plan: local links apart, every other link's key (the URL it
    is judged by: normalised and remapped when it is http(s)), each distinct key once."""

    keys: list[str]  # each distinct key, in first-occurrence order
    firsts: list[int]  # the index of each key's first occurrence
    #: each key's :func:`~linkhealth.weburl.scheme_and_host`, read when an http(s) link
    #: has the key; else (or when it raises: a malformed URL) ``None``
    reads: list[tuple[str, str] | None]
    later: list[tuple[int, int]]  # (occurrence, key) index of each key's later occurrences
    local: list[int]  # the local links' occurrences (relative paths, fragments)
    #: the keys of http(s) links (their indexes), in the order of their first such link
    network: list[int]


def plan_run(
    parsed: ParseResult,
    settings: Settings,
    ignore: UrlIgnore | None = None,
    keys: LinkKeys | None = None,
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


def link_keys(parsed: ParseResult, settings: Settings) -> LinkKeys:
    """``parsed``'s links read once a run: see :class:`LinkKeys`."""
    keyed = LinkKeys([], [], [], [], [], [])
    keys, firsts, reads, later = keyed.keys, keyed.firsts, keyed.reads, keyed.later
    network = keyed.network
    index: dict[str, int] = {}  # key -> its index
    unread: set[int] = set()  # keys whose first link is not http(s)
    key_of = parsed.key  # (the parse made most keys already: its duplicate-url rule's)
    made = parsed.keys.get  # (the same, without a call a link)
    read_of = HostReads()
    remap = settings.remap
    for at, occ in enumerate(parsed.occurrences):
        url = occ.url
        # (scheme_of's own first look, without a call for most links)
        scheme = "http" if url.startswith(_WEB_PREFIXES) else scheme_of(url)
        web = scheme in HTTP_SCHEMES
        if web:
            key = made(url) or key_of(url)
            if remap:
                key = remapped(key, remap)
        elif not scheme and is_local(url):
            keyed.local.append(at)
            continue
        else:
            key = url.strip()
        known = index.get(key)
        if known is None:
            known = index[key] = len(keys)
            keys.append(key)
            firsts.append(at)
            if web:
                network.append(known)
                try:
                    reads.append(read_of(key))
                except ValueError:  # malformed: the policy says how
                    reads.append(None)
            else:
                reads.append(None)
                unread.add(known)
            continue
        later.append((at, known))
        if web and unread and known in unread:  # (a key a remap made, written out too)
            unread.discard(known)
            network.append(known)
            with suppress(ValueError):  # malformed: the policy says how
                reads[known] = read_of(key)
    return keyed


def _plan_occurrences(
    plan: Plan,
    parsed: ParseResult,
    settings: Settings,
    ignore: UrlIgnore | None,
    keys: LinkKeys | None,
) -> None:
    policy = UrlPolicy(settings, ignore=ignore)
    keyed = link_keys(parsed, settings) if keys is None else keys
    occurrences = parsed.occurrences
    results = [
        planned_result(key, occurrences[at])
        for key, at in zip(keyed.keys, keyed.firsts, strict=True)
    ]
    for at, known in keyed.later:
        results[known].occurrences.append(occurrences[at])
    plan.results.extend(results)
    plan.local.extend(occurrences[at] for at in keyed.local)
    token = settings.github_token  # (loads the GitHub module: a run with a token only)
    for result, key, read in zip(results, keyed.keys, keyed.reads, strict=True):
        # the host read once, for the look-ahead and the policy alike
        checked = policy.check(key) if read is None else policy.check_read(key, read)
        if isinstance(checked, Refusal):
            result.verdict, result.detail = checked.verdict, checked.detail
            result.error_kind = checked.error_kind
            plan.untargeted.append(result)
        elif token:
            _add_network_target(plan, result, key, settings, checked)
        else:
            plan.add_target(result, key, checked)


def planned_result(
    url: str,
    occurrence: Occurrence,
    _new: Callable[[type[CheckResult]], CheckResult] = object.__new__,  # (locals: read fast)
    _set: Callable[[object, str, object], None] = object.__setattr__,
) -> CheckResult:
    """``CheckResult(url=url, verdict=Verdict.SKIPPED, occurrences=[occurrence])``, the same
    object (fields, lists of its own, fields set) copied from one validated template, as
    pydantic's ``model_construct`` does, without validating each: a list's 100,000 links
    took ~6 us each. Both arguments are what validation would keep as they are: a ``str``
    and an :class:`Occurrence` (tests compare the two). The set of fields set is one for
    every planned result: nothing changes it in place (``CheckResult`` assigns its fields
    without it; pydantic's copies copy it), and a set a result was ~200 bytes and an
    allocation (37 MB of an outage's 200,000)."""
    result = _new(CheckResult)
    fields = (_TEMPLATE[0] if _TEMPLATE else _planned_template()).copy()
    fields["url"] = url
    fields["redirects"] = []
    fields["occurrences"] = [occurrence]
    _set(result, "__dict__", fields)
    _set(result, "__pydantic_fields_set__", _FIELDS_SET)
    _set(result, "__pydantic_extra__", None)
    _set(result, "__pydantic_private__", None)
    return result


_TEMPLATE: list[dict[str, object]] = []
_FIELDS_SET = {"url", "verdict", "occurrences"}  # every planned result's (see planned_result)


def _planned_template() -> dict[str, object]:
    if not _TEMPLATE:  # built at the first plan: the model's schema is built then
        _TEMPLATE.append(dict(CheckResult(url="", verdict=Verdict.SKIPPED).__dict__))
    return _TEMPLATE[0]


def busiest_hosts(
    parsed: ParseResult,
    settings: Settings,
    ignore: UrlIgnore | None,
    limit: int,
    keys: LinkKeys | None = None,
) -> list[str]:
    """The ``limit`` hosts with the most distinct network links, most first (ties: first
    named first): those the fetch starts with, as it serves the hosts with the most URLs
    first. A host is left out when the plan's policy refuses its first link. ``keys``:
    :func:`link_keys` of ``parsed``, when the run made them already."""
    count: Counter[str] = Counter()
    first: dict[str, str] = {}  # host -> its first link's key
    keyed = link_keys(parsed, settings) if keys is None else keys
    keys_, reads = keyed.keys, keyed.reads
    for known in keyed.network:
        read = reads[known]
        if read is not None:
            host = read[1]
            count[host] += 1
            if host not in first:
                first[host] = keys_[known]
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
    by_url: dict[str, CheckResult] | None = None  # made at the first such finding (most
    # lists have none: a dict of 200,000 results made for nothing took ~0.1 s)
    for finding in findings:
        if finding.rule not in UNSAFE_RULES and finding.rule not in MALFORMED_RULES:
            continue
        if by_url is None:
            by_url = {result.url: result for result in plan.results}
        result = _invalid_result(finding)
        same = by_url.get(result.url)
        if same is not None:
            same.occurrences.extend(result.occurrences)
            continue
        by_url[result.url] = result
        plan.results.append(result)
        plan.untargeted.append(result)
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
    mapped = [
        result
        for result in local_results
        if result.verdict is Verdict.SKIPPED and scheme_of(result.url) in HTTP_SCHEMES
    ]
    if not mapped:  # (most runs: no dict of every result made for nothing, ~0.2 s at 200,000)
        return mapped
    local = {id(result) for result in local_results}
    by_url: dict[str, CheckResult] = {}
    for result in plan.results:
        if id(result) not in local:
            by_url.setdefault(result.url, result)
    joined: set[int] = set()
    for result in mapped:
        key = normalise_url(result.url)
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
    return mapped


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
