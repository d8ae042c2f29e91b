"""Archive look-ups (``check --archive``) against a loopback Wayback stand-in.

Each test runs :func:`linkhealth.archive.find_copies` with a real store and the real
fetcher; the stand-in (``support/wayback.py``) answers like the documented APIs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from linkhealth.archive import (
    MAX_FAILURES_IN_A_ROW,
    ArchiveStats,
    find_copies,
)
from linkhealth.config import HostSettings, Settings
from linkhealth.models import CheckResult, ErrorKind, Judging, Verdict
from linkhealth.store import Store
from support.servers import Reply, Request, ServerPool
from support.wayback import Wayback

NOW = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)
GONE = "https://gone.test/post"


def settings_for(wb: Wayback, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "archive": True,
        "archive_endpoint": wb.endpoint,
        # The stand-in is reached through --resolve only: loopback stays refused otherwise.
        "resolve": {"archive.test": wb.server.target},
        "hosts": {"archive.test": HostSettings(interval=0.0)},
        "timeout": 3.0,
        "url_deadline": 6.0,
        "retries": 1,
        "backoff_base": 0.01,
    }
    values.update(overrides)
    return Settings(**values)


def broken(url: str = GONE, verdict: Verdict = Verdict.BROKEN, **fields: Any) -> CheckResult:
    fields.setdefault("http_status", 404 if verdict is Verdict.BROKEN else None)
    return CheckResult(url=url, verdict=verdict, checked_at=NOW, failing_runs=1, **fields)


def seen_ok(store: Store, url: str, at: datetime) -> None:
    """An earlier run in which ``url`` answered ok at ``at``."""
    run = store.begin_run(at, paths=["lists/"], judging=Judging(fail_after=1, strict=False))
    store.record(run, [CheckResult(url=url, verdict=Verdict.OK, http_status=200, checked_at=at)])
    store.finish_run(run, finished_at=at, partial=False, network="ok")


def look_up(
    store: Store, settings: Settings, results: list[CheckResult], now: datetime = NOW
) -> ArchiveStats:
    run = store.begin_run(now, paths=["lists/"], judging=Judging(fail_after=1, strict=False))
    store.record(run, results)
    return asyncio.run(find_copies(results, settings, store, run_id=run, now=now))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "state.sqlite") as s:
        yield s


def test_no_capture_is_a_miss_asked_once_and_cached(wb: Wayback, store: Store) -> None:
    result = broken()
    stats = look_up(store, settings_for(wb), [result])
    assert result.archive_url is None and result.archived_at is None
    assert (stats.found, stats.failed, stats.warnings) == (0, 0, [])
    assert wb.asked("/wayback/available") == 1
    assert wb.asked("/cdx/search/cdx") == 0  # nothing captured at all: no second question

    again = broken()
    stats = look_up(store, settings_for(wb), [again])
    assert stats.cached == 1 and wb.server.hits() == 1  # the miss is remembered


def test_newest_200_capture_without_history(wb: Wayback, store: Store) -> None:
    wb.capture(GONE, "20190101120000", 200).capture(GONE, "20230101120000", 200)
    result = broken()
    look_up(store, settings_for(wb), [result])
    assert result.archive_url == f"{wb.endpoint}/web/20230101120000/{GONE}"
    assert result.archived_at == datetime(2023, 1, 1, 12, 0, tzinfo=UTC)
    assert wb.asked("/cdx/search/cdx") == 0  # the closest capture already fits
    assert "timestamp" not in wb.queries("/wayback/available")[0]


def test_only_non_200_captures_give_no_copy(wb: Wayback, store: Store) -> None:
    wb.capture(GONE, "20200101000000", 404).capture(GONE, "20210101000000", 301)
    result = broken()
    stats = look_up(store, settings_for(wb), [result])
    assert result.archive_url is None
    assert wb.asked("/cdx/search/cdx") == 1  # asked for a 200 capture, there is none
    assert wb.queries("/cdx/search/cdx")[0]["filter"] == "statuscode:200"
    assert stats.found == 0 and stats.failed == 0


def test_newest_non_200_falls_back_to_the_last_200(wb: Wayback, store: Store) -> None:
    wb.capture(GONE, "20190101000000", 200).capture(GONE, "20240101000000", 404)
    result = broken()
    look_up(store, settings_for(wb), [result])
    assert result.archived_at == datetime(2019, 1, 1, tzinfo=UTC)
    assert result.archive_url == f"{wb.endpoint}/web/20190101000000/{GONE}"


def test_a_capture_newer_than_the_last_ok_is_not_chosen(wb: Wayback, store: Store) -> None:
    # Last seen ok on 2025-06-01; the closest capture (2025-07-01) was taken after it
    # (likely the error page already), so the last 200 capture before it is chosen.
    wb.capture(GONE, "20240101000000", 200).capture(GONE, "20250701000000", 200)
    seen_ok(store, GONE, datetime(2025, 6, 1, tzinfo=UTC))
    result = broken()
    look_up(store, settings_for(wb), [result])
    assert result.archived_at == datetime(2024, 1, 1, tzinfo=UTC)
    available = wb.queries("/wayback/available")[0]
    assert available["timestamp"] == "20250601000000"
    assert wb.queries("/cdx/search/cdx")[0]["to"] == "20250601000000"


def test_the_closest_capture_before_the_last_ok_costs_one_request(
    wb: Wayback, store: Store
) -> None:
    wb.capture(GONE, "20250520000000", 200).capture(GONE, "20260201000000", 200)
    seen_ok(store, GONE, datetime(2025, 6, 1, tzinfo=UTC))
    result = broken()
    look_up(store, settings_for(wb), [result])
    assert result.archived_at == datetime(2025, 5, 20, tzinfo=UTC)
    assert wb.server.hits() == 1


def test_only_failing_gone_links_are_looked_up(wb: Wayback, store: Store) -> None:
    wb.capture("https://a.test/", "20200101000000").capture("https://b.test/", "20200101000000")
    ok = CheckResult(url="https://a.test/", verdict=Verdict.OK, checked_at=NOW)
    blocked = broken("https://b.test/", Verdict.BLOCKED, http_status=403)
    waiting = broken(GONE, Verdict.TIMEOUT, error_kind=ErrorKind.TIMEOUT)
    stats = look_up(store, settings_for(wb, fail_after=2), [ok, blocked, waiting])
    # fail-after 2: a first timeout does not fail the run yet, so it gets no copy either.
    assert stats.wanted == 0 and wb.server.hits() == 0


def test_429_then_an_answer_is_retried(wb: Wayback, store: Store, pool: ServerPool) -> None:
    wb.capture(GONE, "20200101000000")
    answers = iter([Reply(429, headers={"Retry-After": "0"}, content_type="text/plain")])
    real = wb._available

    def flaky(req: Request) -> Reply:
        return next(answers, None) or real(req)

    wb.server.route("/wayback/available", flaky)
    result = broken()
    stats = look_up(store, settings_for(wb), [result])
    assert result.archived_at == datetime(2020, 1, 1, tzinfo=UTC)
    assert stats.requests == 2 and stats.warnings == []


@pytest.mark.parametrize("status", [429, 503])
def test_an_archive_that_refuses_stops_early_and_changes_nothing(
    wb: Wayback, store: Store, status: int
) -> None:
    wb.server.route("/wayback/available", Reply(status, content_type="text/plain"))
    results = [broken(f"https://gone{i}.test/") for i in range(6)]
    # No backoff: the host's next start is due at once when the third refusal comes in.
    stats = look_up(store, settings_for(wb, retries=0, backoff_base=0.0), results)
    assert all(r.archive_url is None and r.verdict is Verdict.BROKEN for r in results)
    # Three look-ups in a row failed: the archive is taken to be down, nothing more asked.
    assert wb.server.hits() == MAX_FAILURES_IN_A_ROW
    assert stats.failed == 6 and "verdicts are unchanged" in stats.warnings[0]
    assert f"{status}" in stats.warnings[0]

    # Failures are not cached: the next run asks again.
    wb.server.route("/wayback/available", Reply(200, body=b'{"archived_snapshots": {}}'))
    look_up(store, settings_for(wb), [broken("https://gone0.test/")])
    assert wb.server.hits() == MAX_FAILURES_IN_A_ROW + 1


def test_a_slow_archive_ends_on_the_deadline(wb: Wayback, store: Store) -> None:
    wb.capture(GONE, "20200101000000")
    wb.server.route("/wayback/available", Reply(200, body=b"{}", delay=20))
    result = broken()
    began = time.monotonic()
    stats = look_up(store, settings_for(wb, timeout=0.5, url_deadline=1.0, retries=0), [result])
    assert time.monotonic() - began < 10
    assert result.archive_url is None and result.verdict is Verdict.BROKEN
    assert stats.failed == 1 and stats.warnings


def test_a_50_mb_answer_is_not_read(wb: Wayback, store: Store) -> None:
    big = Reply(200, stream_size=50 * 1024 * 1024, content_type="application/json")
    wb.server.route("/wayback/available", big)
    result = broken()
    began = time.monotonic()
    stats = look_up(store, settings_for(wb), [result])
    assert time.monotonic() - began < 10
    assert result.archive_url is None
    assert stats.failed == 1 and "larger" in stats.warnings[0]


@pytest.mark.parametrize(
    "answer",
    [
        "javascript:alert(document.domain)//http://x/web/20200101000000/",
        "http://10.0.0.7/web/20200101000000/https://gone.test/post",
        "http://127.0.0.1/web/20200101000000/https://gone.test/post",
        "http://localhost/web/20200101000000/https://gone.test/post",
        "http://[::ffff:192.168.0.1]/web/20200101000000/https://gone.test/post",
        "/web/20200101000000/https://gone.test/post",
        "http://web.archive.org/web/2020\u202e0101/https://gone.test/post",
    ],
)
def test_hostile_archive_addresses_are_refused(wb: Wayback, store: Store, answer: str) -> None:
    wb.capture(GONE, "20200101000000")
    wb.answer_url[GONE] = answer
    result = broken()
    stats = look_up(store, settings_for(wb), [result])
    assert result.archive_url is None and result.archived_at is None
    assert stats.refused == 1 and "refused" in stats.warnings[-1]


def test_the_archive_is_reached_through_the_address_guard(pool: ServerPool, store: Store) -> None:
    # An endpoint on a loopback address nobody allowed: the guard refuses the request.
    wb = Wayback(pool.host("127.0.0.6"), name="127.0.0.6")
    wb.capture(GONE, "20200101000000")
    settings = settings_for(wb, resolve={}, hosts={})
    result = broken()
    stats = look_up(store, settings, [result])
    assert wb.server.hits() == 0 and result.archive_url is None
    assert stats.failed == 1


def test_web_archive_org_answers_become_https(wb: Wayback, store: Store) -> None:
    wb.capture(GONE, "20200101000000")
    wb.answer_url[GONE] = f"http://web.archive.org/web/20200101000000/{GONE}"
    result = broken()
    look_up(store, settings_for(wb), [result])
    assert result.archive_url == f"https://web.archive.org/web/20200101000000/{GONE}"
