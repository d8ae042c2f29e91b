"""Planning and judging through the pipeline's ``Fetcher`` seam, without sockets.

A fake fetcher answers from a table of :class:`FetchResult` records and notes what
it was asked; the real store (a temporary SQLite file) and every stage of
:func:`run_check` run as in ``check``.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sqlite3
import zlib
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from linkhealth.config import Settings
from linkhealth.errors import StoreError
from linkhealth.fetch import FetchResult, OnThrottle
from linkhealth.fetch.probe import LookupProbe
from linkhealth.models import CheckResult, ErrorKind, Verdict
from linkhealth.parse import ParseResult, extract_text
from linkhealth.pipeline import RunOutcome, run_check
from linkhealth.store import Store
from linkhealth.weburl import host_key
from support.servers import html_page

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def page(url: str, title: str, body_extra: str = "") -> FetchResult:
    return FetchResult(
        url=url,
        verdict=Verdict.OK,
        http_status=200,
        attempts=1,
        checked_at=NOW,
        content_type="text/html; charset=utf-8",
        body=html_page(title, body_extra),
        etag='"v1"',
    )


def down(url: str, status: int | None = None, kind: ErrorKind | None = None) -> FetchResult:
    return FetchResult(
        url=url,
        verdict=Verdict.BROKEN if status else Verdict.ERROR,
        http_status=status,
        error_kind=kind,
        detail=f"HTTP {status}" if status else "connection refused",
        attempts=1,
        checked_at=NOW,
    )


class FakeFetcher:
    """Answers each URL from ``answers``; records the batches and validators asked for."""

    def __init__(self, answers: Mapping[str, FetchResult], gate: asyncio.Event | None = None):
        self.answers = dict(answers)
        self.gate = gate  # when set: answer the first URL, then wait for it forever
        self.batches: list[list[str]] = []
        self.validators: dict[str, tuple[str | None, str | None]] = {}
        self.full_body: list[Collection[str] | None] = []
        self.hosts: list[dict[str, str]] = []

    async def __call__(
        self,
        urls: Sequence[str],
        settings: Settings,
        *,
        on_result: Callable[[FetchResult], None] | None = None,
        validators: Mapping[str, tuple[str | None, str | None]] | None = None,
        on_throttle: OnThrottle | None = None,
        full_body: Collection[str] | None = None,
        hosts: Mapping[str, str] | None = None,
        ahead: LookupProbe | None = None,
        hung_before: Collection[str] | None = None,
    ) -> list[FetchResult]:
        self.batches.append(list(urls))
        self.hosts.append(dict(hosts or {}))
        self.full_body.append(full_body)
        self.validators.update(validators or {})
        out = []
        for i, url in enumerate(urls):
            if self.gate is not None and i == 1:
                await self.gate.wait()
            item = self.answers[url]
            out.append(item)
            if on_result is not None:
                on_result(item)
        return out

    @property
    def asked(self) -> list[str]:
        return [u for batch in self.batches for u in batch]


def parsed_list(text: str) -> ParseResult:
    return extract_text(text, "list.md")


def check(
    tmp_path: Path,
    text: str,
    fetcher: FakeFetcher,
    stop: asyncio.Event | None = None,
    **settings: object,
) -> RunOutcome:
    config = Settings(store=str(tmp_path / "state.sqlite"), **settings)  # type: ignore[arg-type]
    return asyncio.run(
        run_check(config, parsed=parsed_list(text), root=tmp_path, fetcher=fetcher, stop=stop)
    )


def by_url(outcome: RunOutcome) -> dict[str, CheckResult]:
    return {r.url: r for r in outcome.report.results}


def test_plan_groups_and_filters_before_any_request(tmp_path: Path) -> None:
    text = (
        "- https://a.example/x\n"
        "- https://A.example/x\n"  # same URL once normalised
        "- https://a.example/page#one\n"
        "- https://a.example/page#two\n"  # same fetch as #one
        "- https://skip.example/y\n"
        "- mailto:someone@example.com\n"
        "- [bad](javascript:alert(1))\n"
    )
    fake = FakeFetcher(
        {
            "https://a.example/x": page("https://a.example/x", "X"),
            "https://a.example/page": page("https://a.example/page", "Page"),
        }
    )
    outcome = check(tmp_path, text, fake, exclude=["skip\\.example"])
    assert sorted(fake.asked) == ["https://a.example/page", "https://a.example/x"]
    results = by_url(outcome)
    assert len(results["https://a.example/x"].occurrences) == 2
    assert results["https://a.example/page#one"].verdict is Verdict.OK
    assert results["https://a.example/page#two"].title == "Page"
    assert results["https://skip.example/y"].verdict is Verdict.EXCLUDED
    assert results["mailto:someone@example.com"].verdict is Verdict.SKIPPED
    assert any(r.verdict is Verdict.UNSAFE for r in outcome.report.results)
    assert outcome.requests == 2 and outcome.cache_hits == 0


def test_malformed_link_is_invalid_and_its_suggestion_is_fetched(tmp_path: Path) -> None:
    fixed = "https://a.example/fixed"
    fake = FakeFetcher({fixed: page(fixed, "Fixed")})
    outcome = check(tmp_path, "- [t](htps://a.example/fixed)\n", fake)
    assert fake.asked == [fixed]
    (invalid,) = [r for r in outcome.report.results if r.verdict is Verdict.INVALID]
    assert invalid.suggestion == fixed and invalid.suggestion_ok is True
    assert outcome.report.summary.failing == 1


def test_judging_soft_404_and_missing_fragment(tmp_path: Path) -> None:
    text = (
        "- https://a.example/gone\n"
        "- https://a.example/doc#present\n"
        "- https://a.example/doc#absent\n"
    )
    doc = page("https://a.example/doc", "Doc", '<h2 id="present">Here</h2>')
    fake = FakeFetcher(
        {
            "https://a.example/gone": page("https://a.example/gone", "Page Not Found"),
            "https://a.example/doc": doc,
        }
    )
    results = by_url(check(tmp_path, text, fake, check_fragments=True))
    gone = results["https://a.example/gone"]
    assert gone.verdict is Verdict.BROKEN and gone.error_kind is ErrorKind.SOFT_404
    assert results["https://a.example/doc#present"].verdict is Verdict.OK
    absent = results["https://a.example/doc#absent"]
    assert absent.verdict is Verdict.BROKEN and absent.error_kind is ErrorKind.FRAGMENT
    assert absent.detail == "fragment #absent not found in the page"
    # Only the page linked with a fragment is read whole; the others end at their head.
    assert fake.full_body == [{"https://a.example/doc"}]


def test_pages_are_read_whole_only_when_fragments_are_checked(tmp_path: Path) -> None:
    text = "- https://a.example/doc#present\n- https://a.example/other\n"
    answers = {
        "https://a.example/doc": page("https://a.example/doc", "Doc", '<h2 id="present">x</h2>'),
        "https://a.example/other": page("https://a.example/other", "Other"),
    }
    fake = FakeFetcher(answers)
    check(tmp_path, text, fake)  # without --check-fragments
    assert fake.full_body == [None]  # the fetcher's own rule: every page up to its head


def count_writes(store_path: Path) -> None:
    """From now on, each row inserted into or updated in ``results`` adds ``(url, kind)``
    to the table ``writes``."""
    with closing(sqlite3.connect(store_path)) as conn:
        conn.execute("CREATE TABLE writes (url TEXT, kind TEXT)")
        for kind in ("INSERT", "UPDATE"):
            conn.execute(
                f"CREATE TRIGGER count_{kind} AFTER {kind} ON results"
                f" BEGIN INSERT INTO writes VALUES (new.url, '{kind}'); END"
            )
        conn.commit()


def test_a_network_outage_judges_nothing(tmp_path: Path) -> None:
    urls = ["https://a.example/", "https://b.example/", "https://c.example/"]
    fake = FakeFetcher({u: down(u, kind=ErrorKind.CONNECT) for u in urls})
    outcome = check(tmp_path, "".join(f"- {u}\n" for u in urls), fake)
    assert outcome.report.network == "outage" and outcome.report.partial
    for result in outcome.report.results:
        assert result.verdict is Verdict.SKIPPED
        assert result.detail.startswith("not judged (network outage)")
    assert outcome.report.summary.failing == 0


def test_the_plan_is_kept_out_of_the_collectors_sight_for_the_run(tmp_path: Path) -> None:
    # Planned results live for the whole run: made without a collection and frozen (the
    # collector walked each one two or three times), then given back when the run ends.
    urls = [f"https://h{i}.example/p{i}" for i in range(50)]
    seen: list[tuple[int, bool]] = []

    class Watching(FakeFetcher):
        async def __call__(self, *args: Any, **kwargs: Any) -> list[FetchResult]:
            seen.append((gc.get_freeze_count(), gc.isenabled()))
            return await super().__call__(*args, **kwargs)

    assert gc.get_freeze_count() == 0 and gc.isenabled()
    check(tmp_path, "".join(f"- {u}\n" for u in urls), Watching({u: page(u, "T") for u in urls}))
    ((frozen, enabled),) = seen
    assert frozen > 2 * len(urls) and enabled  # each result and its occurrence at least
    assert gc.get_freeze_count() == 0 and gc.isenabled()


def test_the_plan_is_given_back_to_the_collector_when_the_store_cannot_open(
    tmp_path: Path,
) -> None:
    # The plan is frozen before the store opens: a store that refuses (here its path is a
    # directory) must not leave every object of the process frozen (review7 F1).
    (tmp_path / "state.sqlite").mkdir()
    urls = [f"https://h{i}.example/p{i}" for i in range(50)]
    with pytest.raises(StoreError):
        check(tmp_path, "".join(f"- {u}\n" for u in urls), FakeFetcher({}))
    assert gc.get_freeze_count() == 0 and gc.isenabled()


def test_an_outage_is_judged_with_the_hosts_the_plan_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The plan read every planned URL's host already: judging the outage reads none again.
    import linkhealth.fetch.classify as classify

    asked: list[str] = []

    def counted(url: str) -> str:
        asked.append(url)
        return host_key(url)

    monkeypatch.setattr(classify, "host_key", counted)
    urls = [f"https://h{i}.example/p{i}" for i in range(12)]
    fake = FakeFetcher({u: down(u, kind=ErrorKind.DNS) for u in urls})
    outcome = check(tmp_path, "".join(f"- {u}#part\n" for u in urls), fake)
    assert outcome.report.network == "outage"
    assert asked == []


def test_an_outage_stores_each_link_not_requested_once_with_its_history(
    tmp_path: Path,
) -> None:
    """The links the fetcher never requested (the network went down first) are stored
    once, judged (skipped) and with the streak the outage carries over, as one record of
    the run (not a row each); the requested ones may have been stored as they arrived and
    are then rewritten once judged."""
    urls = [f"https://h{i}.example/" for i in range(6)]
    text = "".join(f"- {u}\n" for u in urls)
    check(tmp_path, text, FakeFetcher({u: down(u, 404) for u in urls}))  # all broken once
    store_path = tmp_path / "state.sqlite"
    count_writes(store_path)
    requested = {u: down(u, kind=ErrorKind.DNS) for u in urls[:2]}
    not_requested = {
        u: FetchResult(
            u,
            Verdict.ERROR,
            detail="not requested: the network looks down",
            error_kind=ErrorKind.CONNECT,
            checked_at=NOW,
        )
        for u in urls[2:]
    }
    outcome = check(tmp_path, text, FakeFetcher(requested | not_requested))
    assert outcome.report.network == "outage"
    with closing(sqlite3.connect(store_path)) as conn:
        writes = sorted(conn.execute("SELECT url, kind FROM writes"))
        records = conn.execute("SELECT urls FROM unreached").fetchall()
    inserts = [u for u, kind in writes if kind == "INSERT"]
    updates = [u for u, kind in writes if kind == "UPDATE"]
    assert sorted(inserts) == sorted(requested)  # a row each, written once...
    assert set(updates) <= set(requested)  # ...or again if stored before judging
    assert [sorted(json.loads(zlib.decompress(urls))) for (urls,) in records] == [
        sorted(not_requested)
    ]  # the others: one record
    with Store.open(store_path) as store:
        stored = store.last_run()
    assert stored is not None and stored.results == outcome.report.results
    for result in stored.results:
        assert result.verdict is Verdict.SKIPPED
        assert result.failing_runs == 1  # the outage carries the streak over


def test_rows_stored_during_the_fetch_are_not_rewritten_by_their_history(
    tmp_path: Path,
) -> None:
    """A batch committed as results arrive carries its history already (a run that is
    no outage): settling the run rewrites none of those rows (it rewrote each whose
    streak went on: here every row of a run of 120 broken links but the last 20)."""
    urls = [f"https://h{i % 7}.example/{i}" for i in range(120)]
    text = "".join(f"- {u}\n" for u in urls)
    fake = FakeFetcher({u: down(u, 404) for u in urls})
    check(tmp_path, text, fake)
    store_path = tmp_path / "state.sqlite"
    count_writes(store_path)
    outcome = check(tmp_path, text, FakeFetcher({u: down(u, 404) for u in urls}))
    with closing(sqlite3.connect(store_path)) as conn:
        kinds = [kind for (kind,) in conn.execute("SELECT kind FROM writes")]
    assert kinds.count("INSERT") == len(urls) and kinds.count("UPDATE") == 0
    assert {(r.failing_runs, r.failing_since) for r in outcome.report.results} == {(2, NOW)}
    with Store.open(store_path) as store:
        stored = store.last_run()
    assert stored is not None and stored.results == outcome.report.results


def test_an_interrupted_run_keeps_what_finished(tmp_path: Path) -> None:
    urls = ["https://a.example/1", "https://a.example/2"]
    stop = asyncio.Event()
    fake = FakeFetcher({u: page(u, "T") for u in urls}, gate=asyncio.Event())

    async def run() -> RunOutcome:
        config = Settings(store=str(tmp_path / "state.sqlite"))
        task = asyncio.ensure_future(
            run_check(
                config,
                parsed=parsed_list("".join(f"- {u}\n" for u in urls)),
                root=tmp_path,
                fetcher=fake,
                stop=stop,
            )
        )
        while not fake.batches:
            await asyncio.sleep(0.01)
        stop.set()
        return await task

    outcome = asyncio.run(run())
    results = by_url(outcome)
    assert outcome.report.partial
    assert results[urls[0]].verdict is Verdict.OK
    assert results[urls[1]].verdict is Verdict.SKIPPED
    assert results[urls[1]].detail == "not checked: the run was interrupted"


def test_fresh_results_are_reused_and_stale_ones_revalidated(tmp_path: Path) -> None:
    url = "https://a.example/x"
    first = FakeFetcher({url: page(url, "The Rust Async Book")})
    check(tmp_path, f"- {url}\n", first, max_age="100000d")
    assert first.asked == [url]

    reused = FakeFetcher({})
    outcome = check(tmp_path, f"- {url}\n", reused, max_age="100000d")
    assert reused.asked == [] and outcome.cache_hits == 1
    assert by_url(outcome)[url].from_cache and by_url(outcome)[url].title == "The Rust Async Book"

    not_modified = FetchResult(
        url=url, verdict=Verdict.OK, http_status=304, attempts=1, not_modified=True
    )
    revalidated = FakeFetcher({url: not_modified})
    outcome = check(tmp_path, f"- {url}\n", revalidated, max_age="0")
    assert revalidated.validators == {url: ('"v1"', None)}
    # A 304 has no body: the stored page's metadata is kept.
    assert by_url(outcome)[url].title == "The Rust Async Book"


def test_the_fetcher_is_given_the_host_the_plan_passed_each_url_as_fetched(
    tmp_path: Path,
) -> None:
    # The plan's URL policy saw the URL with its fragment: a pattern may read the
    # fragment, so a URL linked only with one is asked again by the fetcher.
    text = (
        "- https://a.example/x\n"
        "- https://b.example/page#one\n"
        "- https://c.example/both#two\n"
        "- https://c.example/both\n"
    )
    urls = ["https://a.example/x", "https://b.example/page", "https://c.example/both"]
    fake = FakeFetcher({u: page(u, "T") for u in urls})
    check(tmp_path, text, fake)
    assert fake.hosts == [
        {"https://a.example/x": "a.example", "https://c.example/both": "c.example"}
    ]


def test_a_fetch_that_counted_no_attempt_but_read_a_page_is_judged_as_a_page(
    tmp_path: Path,
) -> None:
    # Only a result with nothing read (no attempt, no page) skips the page's judging.
    url = "https://a.example/x"
    item = page(url, "Read anyway")
    item.attempts = 0
    outcome = check(tmp_path, f"- {url}\n", FakeFetcher({url: item}))
    result = by_url(outcome)[url]
    assert (result.verdict, result.title, result.content_type) == (
        Verdict.OK,
        "Read anyway",
        "text/html",
    )


def test_the_hosts_looked_up_ahead_are_the_busiest_the_plan_will_pass() -> None:
    # Those the fetch starts with (the most links first), not the first named: a list
    # whose first hosts are dead and whose busy hosts live must not look like an outage.
    from linkhealth.pipeline.plan import busiest_hosts

    parsed = parsed_list(
        "- [local](docs/a.md)\n"
        "- mailto:someone@example.com\n"
        "- https://dead1.example/x\n"
        "- https://skip.example/y\n"
        "- https://skip.example/y2\n"
        "- https://a.example/x\n"
        "- https://B.example/x\n"
        "- https://b.example/x\n"
        "- https://b.example/again\n"
        "- https://old.example/z\n"
        "- https://old.example/z2\n"
        "- https://old.example/z3\n"
        "- https://a.example/y\n"
    )
    config = Settings(exclude=["skip\\.example"], remap=["old\\.example new.example"])
    busiest = ["new.example", "a.example", "b.example", "dead1.example"]
    assert busiest_hosts(parsed, config, None, 10) == busiest
    assert busiest_hosts(parsed, config, None, 2) == busiest[:2]
