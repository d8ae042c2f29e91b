"""The plan reads each link once (:func:`link_keys`: its key, and each distinct key's
scheme and host) for the look-ahead and the plan alike. These tests hold the plan and the
busiest hosts to the rule read link by link, as the plan read them before: one result
per key in first-occurrence order, every occurrence kept, and what the URL policy's
:meth:`~linkhealth.urlpolicy.UrlPolicy.check` says of the key."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkhealth.config import Settings, remapped
from linkhealth.inputs import UrlIgnore
from linkhealth.local import is_local
from linkhealth.models import HTTP_SCHEMES, Occurrence, Verdict
from linkhealth.parse import ParseResult, extract_text, normalise_url
from linkhealth.pipeline.plan import (
    Plan,
    busiest_hosts,
    link_keys,
    plan_run,
    scheme_of,
)
from linkhealth.urlpolicy import Refusal, UrlPolicy
from linkhealth.weburl import scheme_and_host

URLS = st.sampled_from(
    ["https://a.org/x", "HTTPS://A.ORG/x", "http://b.org:80/p?q=1#f", "http://b.org/p?q=1",
     "https://c.org", "http://Bücher.example/", "http://xn--bcher-kva.example/x",
     "https://e.org/a#frag", "https://e.org/a", "https://e.org/a#", "www.f.org/x",
     "mailto:me@g.org", "ftp://h.org/f", "https://h.org/g", "/local.md", "docs/x.md",
     "#heading", "//proto.example/x", "javascript:x", "data:text/html,x", "https://j.org/a b",
     "http://exa mple.org/", "http://127.0.0.1/x", "http://[::1]:81/z", "http://localhost/x",
     "http://10.1.2.3/a#f", "http://2130706433/", "http://a.org:99999/", "http://a.org./dot",
     "https://skip.example/y", "https://x.org/doc.pdf", "https://old.example/z",
     "http://excluded.example/a", "http://sub.excluded.example/b", "https://ignored.example/p/1",
     "http://xn--zz.example/", "http://-bad-.org/", "http://a..b/"]
)  # fmt: skip
FORMS = st.sampled_from(
    ["- [t]({})\n", "<{}>\n", "{}\n", "[r]: {}\n\n[r]\n", "<!-- [c]({}) -->\n", "[t] ({})\n"]
)
DOCUMENTS = st.lists(st.tuples(FORMS, URLS), max_size=14).map(
    lambda pairs: "".join(form.format(url) for form, url in pairs)
)
SETTINGS = st.sampled_from(
    [
        {},
        {"allow_private": True},
        {"exclude": ["skip\\.example", "\\.pdf$", "#f$"]},
        {"include": ["\\.org", "example"], "allow_private": True},
        {"offline": True},
        {"hosts": {"excluded.example": {"exclude": True}, "a.org": {"concurrency": 2}}},
        # remaps: onto another link's key, onto a key written out as a non-http link
        {"remap": ["^https://old\\.example/ https://a.org/", "^https://x\\.org/.* ftp://h.org/f"]},
        {"remap": ["^https://c\\.org mailto:me@g.org", "^http://b\\.org/ https://e.org/"]},
    ]
)
IGNORES = st.sampled_from(
    [None, UrlIgnore(), UrlIgnore.parse(["https://ignored.example/p/*", "re:#frag$"])]
)


def _parsed(texts: list[str]) -> ParseResult:
    parsed = ParseResult()
    for number, text in enumerate(texts):
        parsed.extend(extract_text(text, f"f{number}.md"))
    return parsed


def _key(url: str, config: Settings) -> tuple[str, str]:
    scheme = scheme_of(url)
    if scheme not in HTTP_SCHEMES:
        return scheme, url.strip()
    return scheme, remapped(normalise_url(url), config.remap)


def _link_by_link(
    parsed: ParseResult, config: Settings, ignore: UrlIgnore | None
) -> tuple[list[tuple[str, list[Occurrence], Refusal | str]], list[Occurrence]]:
    """Each key's occurrences and what the policy says of it, the links read one by one."""
    policy = UrlPolicy(config, ignore=ignore)
    groups: dict[str, list[Occurrence]] = {}
    local: list[Occurrence] = []
    for occ in parsed.occurrences:
        scheme, key = _key(occ.url, config)
        if not scheme and is_local(occ.url):
            local.append(occ)
            continue
        groups.setdefault(key, []).append(occ)
    return [(key, occs, policy.check(key)) for key, occs in groups.items()], local


def _busiest_link_by_link(
    parsed: ParseResult, config: Settings, ignore: UrlIgnore | None, limit: int
) -> list[str]:
    """The busiest hosts counted as the look-ahead counted them before it read the keys
    once: every http(s) link's key once, in link order."""
    count: Counter[str] = Counter()
    first: dict[str, str] = {}
    seen: set[str] = set()
    for occ in parsed.occurrences:
        scheme, key = _key(occ.url, config)
        if scheme not in HTTP_SCHEMES or key in seen:
            continue
        seen.add(key)
        try:
            host = scheme_and_host(key)[1]
        except ValueError:
            continue
        count[host] += 1
        first.setdefault(host, key)
    policy = UrlPolicy(config, ignore=ignore)
    return [h for h, _ in count.most_common() if policy.check(first[h]) == h][:limit]


def _assert_the_links_rule(
    plan: Plan, parsed: ParseResult, config: Settings, ignore: UrlIgnore | None
) -> None:
    expected, local = _link_by_link(parsed, config, ignore)
    assert [id(o) for o in plan.local] == [id(o) for o in local]
    # every result is a target's or untargeted, once (the run's judging reads the
    # untargeted alone when every target's results were deferred)
    targeted = [id(r) for t in plan.targets.values() for r in t.results]
    assert sorted(targeted + [id(r) for r in plan.untargeted]) == sorted(map(id, plan.results))
    # the targets whose pages are read whole with --check-fragments
    assert plan.fragmented == {u for u, t in plan.targets.items() if any(t.fragments.values())}
    results = plan.results[: len(expected)]  # (the findings' results follow)
    assert len(results) == len(expected)
    for result, (key, occs, checked) in zip(results, expected, strict=True):
        assert result.url == key
        # (a malformed form of the same URL, a lint finding, joins it after them)
        assert [id(o) for o in result.occurrences[: len(occs)]] == [id(o) for o in occs]
        if isinstance(checked, Refusal):
            assert (result.verdict, result.detail, result.error_kind) == (
                checked.verdict,
                checked.detail,
                checked.error_kind,
            )
            assert all(r is not result for t in plan.targets.values() for r in t.results)
            continue
        assert (result.verdict, result.detail, result.error_kind) == (Verdict.SKIPPED, "", None)
        base, _, _ = key.partition("#")
        target = plan.targets[base]
        assert any(r is result for r in target.results)
        assert target.host == checked  # the first key's host: every key of a base has it
        assert target.passed == any(r.url == base for r in target.results)
        assert dict(target.fragments) == {
            r.url: r.url.partition("#")[2] for r in target.results if "#" in r.url
        }


@settings(max_examples=200, deadline=None)
@given(st.lists(DOCUMENTS, min_size=1, max_size=3), SETTINGS, IGNORES)
def test_the_plan_is_the_policys_word_on_each_key(
    texts: list[str], values: dict[str, object], ignore: UrlIgnore | None
) -> None:
    parsed = _parsed(texts)
    config = Settings(**values)
    keys = link_keys(parsed, config)
    _assert_the_links_rule(plan_run(parsed, config, ignore, keys), parsed, config, ignore)
    _assert_the_links_rule(plan_run(parsed, config, ignore), parsed, config, ignore)


@settings(max_examples=200, deadline=None)
@given(st.lists(DOCUMENTS, min_size=1, max_size=3), SETTINGS, IGNORES, st.integers(1, 6))
def test_the_busiest_hosts_are_counted_as_link_by_link(
    texts: list[str], values: dict[str, object], ignore: UrlIgnore | None, limit: int
) -> None:
    parsed = _parsed(texts)
    config = Settings(**values)
    expected = _busiest_link_by_link(parsed, config, ignore, limit)
    assert busiest_hosts(parsed, config, ignore, limit) == expected
    assert busiest_hosts(parsed, config, ignore, limit, link_keys(parsed, config)) == expected


def test_a_remapped_key_written_out_as_another_scheme_counts_from_its_http_link() -> None:
    # ftp://h.org/f is written first (not counted: no http(s) link), then a link remapped
    # onto it, then https://h.org/g: h.org's first counted key is the remapped one, which
    # the policy refuses (ftp:), so h.org is not among the busiest.
    config = Settings(remap=["^https://x\\.org/.* ftp://h.org/f"])
    parsed = _parsed(["[f](ftp://h.org/f)\nhttps://x.org/doc.pdf\nhttps://h.org/g\n"])
    assert _busiest_link_by_link(parsed, config, None, 5) == []
    assert busiest_hosts(parsed, config, None, 5) == []
    keys = link_keys(parsed, config)
    assert keys.keys == ["ftp://h.org/f", "https://h.org/g"]
    assert [keys.keys[k] for k in keys.network] == ["ftp://h.org/f", "https://h.org/g"]
    # https://h.org/g before the remapped link: it is h.org's first, h.org is counted
    parsed = _parsed(["[f](ftp://h.org/f)\nhttps://h.org/g\nhttps://x.org/doc.pdf\n"])
    assert _busiest_link_by_link(parsed, config, None, 5) == ["h.org"]
    assert busiest_hosts(parsed, config, None, 5) == ["h.org"]
    keys = link_keys(parsed, config)
    assert [keys.keys[k] for k in keys.network] == ["https://h.org/g", "ftp://h.org/f"]
    assert keys.reads == [("ftp", "h.org"), ("https", "h.org")]


@pytest.mark.parametrize(
    "lines",
    [
        ["http://a.org/x#f", "http://a.org/x", "http://a.org/x#g"],
        ["http://a.org/x", "http://a.org/x#f"],
    ],
)
def test_keys_of_one_base_share_a_target_that_the_policy_passed(lines: list[str]) -> None:
    parsed = _parsed(["\n".join(lines) + "\n"])
    plan = plan_run(parsed, Settings())
    assert list(plan.targets) == ["http://a.org/x"]
    target = plan.targets["http://a.org/x"]
    assert [r.url for r in target.results] == lines
    # (the links with a fragment: one without has none to look for)
    assert target.fragments == {url: url.partition("#")[2] for url in lines if "#" in url}
    assert (target.host, target.passed) == ("a.org", True)
    only_fragments = plan_run(_parsed(["http://a.org/x#f\nhttp://a.org/x#g\n"]), Settings())
    assert only_fragments.targets["http://a.org/x"].passed is False


def test_later_occurrences_join_their_keys_result_in_order() -> None:
    parsed = _parsed(
        ["- [a](https://A.org/x)\n- <mailto:m@x.org>\n", "https://a.org/x\nmailto:m@x.org\n"]
    )
    keys = link_keys(parsed, Settings())
    assert keys.keys == ["https://a.org/x", "mailto:m@x.org"]
    assert keys.firsts == [0, 1] and keys.later == [(2, 0), (3, 1)]
    assert keys.reads == [("https", "a.org"), None]
    plan = plan_run(parsed, Settings(), None, keys)
    assert [[o.file for o in r.occurrences] for r in plan.results] == [["f0.md", "f1.md"]] * 2
