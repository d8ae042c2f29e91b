"""Fetches that made no request set on their results what :func:`apply_fetch` sets, their
fields made once for a run of them with the very same values (an outage's)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from linkhealth.config import Settings
from linkhealth.fetch import FetchResult
from linkhealth.fetch.classify import is_outage
from linkhealth.models import CheckResult, ErrorKind, Redirect, Verdict
from linkhealth.parse import extract_text
from linkhealth.pipeline import run as pipeline_run
from linkhealth.pipeline import run_check
from linkhealth.pipeline.judge import (
    OutageMarks,
    Unrequested,
    apply_fetch,
    mark_not_judged,
    outage_evidence,
    outage_mark,
)
from linkhealth.pipeline.plan import Target, planned_result
from linkhealth.weburl import host_key

from .test_planned_result import occurrence

AT = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
DETAIL = "cannot connect: not requested: the network looks down"


def _target(n: int, fragment: str | None = None) -> Target:
    url = f"http://h{n}.test/p"
    key = url if fragment is None else f"{url}#{fragment}"
    second = planned_result(key, occurrence(key, n))
    second.redirects.append(Redirect(url="http://old.test/", status=302))  # replaced
    return Target(url, [planned_result(url, occurrence(url, n)), second], {key: fragment})


def _same(n: int) -> FetchResult:
    return FetchResult(
        f"http://s{n}.test/p", Verdict.TIMEOUT, None, DETAIL, ErrorKind.CONNECT, checked_at=AT
    )


def _fetches() -> list[FetchResult]:
    """Runs of fetches with the very same values, each run followed by one that differs
    from them in one field (a value equal but another object, another value, redirects,
    ok), then a run again."""
    equal_detail = "".join(["cannot connect: ", DETAIL[16:]])  # == DETAIL, not the same str
    later = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)  # == AT, not the same object
    fields = {"verdict": Verdict.TIMEOUT, "detail": DETAIL, "error_kind": ErrorKind.CONNECT,
              "checked_at": AT}  # fmt: skip
    changes = [
        {"detail": equal_detail},
        {"checked_at": later},
        {"verdict": Verdict.BROKEN},
        {"error_kind": ErrorKind.DNS},
        {"elapsed_ms": -0.0},
        {"permanent": True},
        {"http_status": 599},
        {"final_url": "http://x.test/"},
        {"attempts": 1},
        {"etag": "e"},
        {"last_modified": "m"},
        {"redirects": [Redirect(url="http://x.test/", status=301)]},
        {"verdict": Verdict.OK},
    ]
    made = [_same(0), _same(1)]
    for n, change in enumerate(changes):
        made.append(FetchResult(url=f"http://c{n}.test/p", **{**fields, **change}))
        made.extend([_same(10 * n + 2), _same(10 * n + 3)])
    return made


@pytest.mark.parametrize("fragments", [False, True])
def test_results_of_fetches_that_made_no_request_are_apply_fetchs(fragments: bool) -> None:
    settings = Settings(check_fragments=fragments)
    fetches = _fetches()
    by_each = [_target(n, "top" if fragments else None) for n in range(len(fetches))]
    by_run = [_target(n, "top" if fragments else None) for n in range(len(fetches))]
    unrequested = Unrequested(settings)
    for fetched, each, run in zip(fetches, by_each, by_run, strict=True):
        apply_fetch(each, fetched, settings, None)
        unrequested.apply(run, fetched)
    for each, run in zip(by_each, by_run, strict=True):
        for one, other in zip(each.results, run.results, strict=True):
            assert list(one.__dict__) == list(other.__dict__)
            for name, value in one.__dict__.items():
                assert other.__dict__[name] is value or (
                    name in ("url", "redirects", "occurrences") and other.__dict__[name] == value
                ), name
            assert one.model_dump_json() == other.model_dump_json()
    every = [result for target in by_run for result in target.results]
    assert len({id(result.redirects) for result in every}) == len(every)  # a list each


@pytest.mark.parametrize("fragments", [False, True])
def test_a_hosts_fetches_applied_at_once_are_apply_of_each(fragments: bool) -> None:
    # apply_all of a fetch to a host's targets (the network seen down before any request)
    # sets what apply of it to each sets: the runs of _fetches grouped by their fetch.
    settings = Settings(check_fragments=fragments)
    fetches = _fetches()
    by_each = [_target(n, "top" if fragments else None) for n in range(len(fetches))]
    by_host = [_target(n, "top" if fragments else None) for n in range(len(fetches))]
    each, at_once = Unrequested(settings), Unrequested(settings)
    for n, fetched in enumerate(fetches):
        each.apply(by_each[n], fetched)
        each.apply(by_each[n], fetched)  # twice: as apply_all's second target of it
    for n, fetched in enumerate(fetches):
        at_once.apply_all([by_host[n], by_host[n]], fetched)
    for one, other in zip(by_each, by_host, strict=True):
        assert [r.model_dump_json() for r in one.results] == [
            r.model_dump_json() for r in other.results
        ]
    every = [result for target in by_host for result in target.results]
    assert len({id(result.redirects) for result in every}) == len(every)  # a list each


@pytest.mark.parametrize("outage", [False, True])
def test_deferred_fetches_are_applied_as_at_once_then_marked(outage: bool) -> None:
    # defer + apply_deferred (the run's judging) sets what apply_all as the URLs are handed
    # over, then mark_not_judged in an outage, sets: the same values, the same objects
    # (one marked detail a detail, shared with mark_not_judged's of the other results).
    settings = Settings()
    fetches = _fetches()
    at_once = [_target(n) for n in range(len(fetches))]
    deferred = {f"http://d{n}.test/p": _target(n) for n in range(len(fetches))}
    now, later = Unrequested(settings), Unrequested(settings)
    kept = []
    for (url, target), fetched, other in zip(deferred.items(), fetches, at_once, strict=True):
        now.apply_all([other, other], fetched)
        if not later.defer(fetched, [url]):
            assert fetched.redirects or fetched.verdict.is_ok()
            later.apply_all([target], fetched)
            kept.append(target)
    assert later.deferred_urls == len(fetches) - len(kept) == len(fetches) - 2
    one = [r for t in at_once for r in t.results]
    marks: OutageMarks = {}
    if outage:
        mark_not_judged(one)
        mark_not_judged([r for t in kept for r in t.results], marks)
    later.apply_deferred(deferred, outage=outage, marks=marks)
    assert later.deferred == []
    other = [r for t in deferred.values() for r in t.results]
    assert [r.model_dump_json() for r in one] == [r.model_dump_json() for r in other]
    if outage:
        assert {r.verdict for r in other} >= {Verdict.SKIPPED, Verdict.TIMEOUT}  # some marked
        marked = [r.detail for r in other if r.detail.startswith("not judged")]
        assert len(marked) > len(fetches) and len({id(d) for d in marked}) == len(set(marked))
    assert len({id(result.redirects) for result in other}) == len(other)  # a list each


@pytest.mark.parametrize("outage", [False, True])
@pytest.mark.parametrize("alike", [False, True])
def test_every_target_deferred_is_applied_as_at_once(outage: bool, alike: bool) -> None:
    # Every target deferred: in the plan's order when the fetches' values are the very
    # same (one outage verdict), else by fetch; either way as apply_all then the mark.
    settings = Settings()
    fetches = [_same(n) for n in range(4)]
    if not alike:  # a value equal but another object: another run of fields
        fetches[2] = FetchResult(
            "http://c.test/p", Verdict.TIMEOUT, None, DETAIL, ErrorKind.DNS, checked_at=AT
        )
    at_once = [[_target(n), _target(n + 4)] for n in range(4)]
    deferred = {f"http://d{n}.test/p": _target(n) for n in range(8)}
    urls = list(deferred)
    now, later = Unrequested(settings), Unrequested(settings)
    for n, fetched in enumerate(fetches):
        now.apply_all(at_once[n], fetched)
        assert later.defer(fetched, [urls[n], urls[n + 4]])
    one = [r for n in range(4) for t in at_once[n] for r in t.results]
    if outage:
        mark_not_judged(one)
    later.apply_deferred(deferred, outage=outage, marks={})
    other = [r for n in range(4) for u in (urls[n], urls[n + 4]) for r in deferred[u].results]
    assert [r.model_dump_json() for r in one] == [r.model_dump_json() for r in other]


def test_the_outage_mark_is_one_rule_for_both_writers() -> None:
    # outage_mark decides which results the outage marks and what it sets; mark_not_judged
    # and apply_deferred both ask it, and share one mark a detail.
    settings = Settings()
    down, reached = _target(0), _target(1)
    Unrequested(settings).apply(down, _same(0))
    page = FetchResult("http://h1.test/p", Verdict.BROKEN, 404, "HTTP 404", checked_at=AT)
    apply_fetch(reached, page, settings, None)
    marks: OutageMarks = {}
    assert outage_mark(reached.results[0], marks) is None and marks == {}
    mark = outage_mark(down.results[0], marks)
    assert mark == {"verdict": Verdict.SKIPPED, "detail": f"not judged (network outage): {DETAIL}"}
    assert outage_mark(down.results[1], marks) is mark  # one a detail
    mark_not_judged([*down.results, *reached.results], marks)
    assert [r.verdict for r in down.results] == [Verdict.SKIPPED] * 2
    assert reached.results[0].verdict is Verdict.BROKEN
    deferred = Unrequested(settings)
    later = {"http://d0.test/p": _target(0)}
    assert deferred.took_all(0) and not deferred.took_all(1)
    assert deferred.defer(_same(0), list(later)) and deferred.took_all(1)
    deferred.apply_deferred(later, outage=True, marks=marks)
    assert [r.detail for r in later["http://d0.test/p"].results] == [mark["detail"]] * 2


def test_a_hosts_urls_ended_as_one_fetch_are_the_outage_evidence_of_each() -> None:
    # _Run._on_unrequested keeps a host's one fetch for each of its URLs: the evidence
    # reads it once a host, and says what a fetch a URL would.
    shared: dict[str, FetchResult] = {}
    one_each: dict[str, FetchResult] = {}
    for h in range(3):
        urls = [f"http://h{h}.test/{n}" for n in range(5)]
        first = _same(h)
        first.url = urls[0]
        shared.update(dict.fromkeys(urls, first))
        for url in urls:
            one_each[url] = FetchResult(
                url, first.verdict, None, first.detail, first.error_kind, checked_at=AT
            )
    targets = {url: Target(url, host=host_key(url)) for url in shared}
    evidence, hosts = outage_evidence(shared, targets)
    assert [item.url for item in evidence] == [f"http://h{h}.test/0" for h in range(3)]
    assert hosts == {item.url: host_key(item.url) for item in evidence}
    every = {url: host_key(url) for url in one_each}
    for ratio in (0.5, 1.0):
        assert is_outage(evidence, ratio, hosts=hosts) is is_outage(
            list(one_each.values()), ratio, hosts=every
        )


def test_a_run_of_the_same_values_is_made_once() -> None:
    unrequested = Unrequested(Settings())
    fetches = [_same(n) for n in range(4)]
    targets = [_target(n) for n in range(4)]
    for fetched, target in zip(fetches, targets, strict=True):
        unrequested.apply(target, fetched)
    assert unrequested.last is fetches[0]
    assert all(target.results[1].detail is DETAIL for target in targets)


FETCHES = st.lists(
    st.tuples(
        st.sampled_from(["a.example", "b.example", "c.test", "127.0.0.1", "localhost", "d.org"]),
        st.sampled_from(list(Verdict)),
        st.sampled_from([None, 200, 404, 503]),
        st.sampled_from([None, *ErrorKind]),
        st.integers(0, 2),
        st.booleans(),  # the target knows the host
    ),
    max_size=40,
)


_A, _B = "a.example", "b.example"


@settings(max_examples=400, deadline=None)
@given(runs=FETCHES, ratio=st.sampled_from([0.5, 0.8, 1.0]))
# a host answered by its second fetch, alike in all but one field to its first
@example(
    runs=[
        (_A, Verdict.ERROR, None, ErrorKind.DNS, 1, True),
        (_A, Verdict.ERROR, None, None, 1, True),
        (_B, Verdict.ERROR, None, ErrorKind.DNS, 1, True),
    ],
    ratio=1.0,
)
@example(
    runs=[
        (_A, Verdict.ERROR, None, ErrorKind.CONNECT, 1, True),
        (_A, Verdict.ERROR, 503, ErrorKind.CONNECT, 1, True),
        (_B, Verdict.ERROR, None, ErrorKind.DNS, 1, True),
    ],
    ratio=1.0,
)
@example(
    runs=[
        (_A, Verdict.SKIPPED, None, None, 0, True),
        (_A, Verdict.ERROR, None, None, 1, True),
        (_B, Verdict.ERROR, None, ErrorKind.DNS, 1, True),
        ("d.org", Verdict.ERROR, None, ErrorKind.DNS, 1, True),
    ],
    ratio=1.0,
)
def test_the_outage_evidence_gives_the_verdict_of_every_fetch(
    runs: list[tuple[str, Verdict, int | None, ErrorKind | None, int, bool]], ratio: float
) -> None:
    fetched: dict[str, FetchResult] = {}
    targets: dict[str, Target] = {}
    for n, (host, verdict, status, kind, attempts, known) in enumerate(runs):
        url = f"http://{host}/{n}"
        fetched[url] = FetchResult(
            url, verdict, status, "d", kind, attempts=attempts, checked_at=AT
        )
        targets[url] = Target(url, host=host_key(url) if known else None)
    every = {url: t.host for url, t in targets.items() if t.host is not None}
    evidence, hosts = outage_evidence(fetched, targets)
    assert is_outage(evidence, ratio, hosts=hosts) is is_outage(
        list(fetched.values()), ratio, hosts=every
    )


def test_the_outage_evidence_is_a_fetch_a_host_for_an_outage() -> None:
    fetched = {f"http://h{n % 3}.test/{n}": _same(n) for n in range(30)}
    for url, item in fetched.items():
        item.url = url
    targets = {url: Target(url, host=host_key(url)) for url in fetched}
    evidence, hosts = outage_evidence(fetched, targets)
    assert [item.url for item in evidence] == ["http://h0.test/0", "http://h1.test/1",
                                               "http://h2.test/2"]  # fmt: skip
    assert hosts == {item.url: host_key(item.url) for item in evidence}


class _LookedUp:
    """The run's look-ups ahead, started (nothing looked up): the run asks the fetcher to
    hand over a host's URLs ended before any request."""

    def start(self, hosts: object, settings: object) -> None:
        pass

    def stop(self) -> None:
        pass


@pytest.mark.parametrize("progress", [False, True])
def test_urls_handed_over_are_heard_by_a_progress_callback_as_they_come(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, progress: bool
) -> None:
    # A host's URLs ended before any request: a run with a progress callback (the bar,
    # --verbose) hears each as it is handed over, the fetch's values set; one without
    # leaves them to its judging (Unrequested.defer). The report is the same.
    async def hand_over(
        urls: Sequence[str], settings: Settings, **kwargs: object
    ) -> list[FetchResult]:
        bulk = kwargs["on_unrequested"]
        assert callable(bulk)
        hosts: dict[str, list[str]] = {}
        for url in urls:
            hosts.setdefault(host_key(url), []).append(url)
        for group in hosts.values():
            bulk(
                FetchResult(
                    group[0], Verdict.ERROR, None, DETAIL, ErrorKind.CONNECT, checked_at=AT
                ),
                group,
            )
        return []

    monkeypatch.setattr(pipeline_run, "fetch_all", hand_over)
    monkeypatch.setattr(pipeline_run, "LookupProbe", _LookedUp)
    heard: list[tuple[int, int, str | None, ErrorKind | None]] = []

    def tick(done: int, total: int, result: CheckResult | None) -> None:
        assert result is not None
        heard.append((done, total, result.url, result.error_kind))

    urls = [f"http://h{n % 2}.test/p{n}" for n in range(5)]
    outcome = asyncio.run(
        run_check(
            Settings(store=str(tmp_path / "state.sqlite")),
            parsed=extract_text("".join(f"- <{url}>\n" for url in urls), "list.md"),
            root=tmp_path,
            fetcher=hand_over,
            progress=tick if progress else None,
        )
    )
    order = [u for u in urls if u.startswith("http://h0")] + [u for u in urls if "h1" in u]
    assert heard == (
        [(n + 1, 5, url, ErrorKind.CONNECT) for n, url in enumerate(order)] if progress else []
    )
    assert outcome.report.network == "outage"
    assert [(r.url, r.verdict, r.error_kind) for r in outcome.report.results] == [
        (url, Verdict.SKIPPED, ErrorKind.CONNECT) for url in urls
    ]
