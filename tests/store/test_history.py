"""Failing streaks, --fail-after, failing_since, flaky links and outage runs."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from linkhealth.models import CheckResult, Judging, Verdict, fails_run
from linkhealth.store import HISTORY_FIELDS, Store, core
from linkhealth.store.history import (
    FLAKY_WINDOW,
    HISTORY_WINDOW,
    PastResult,
    decided_by,
    is_flaky,
    prior_streak,
    streak,
)

T0 = datetime(2026, 1, 10, 3, 0, tzinfo=UTC)
MakeResult = Callable[..., CheckResult]
URL = "https://a.example/page"


def _night(
    store: Store,
    make: MakeResult,
    day: int,
    verdicts: Sequence[str],
    *,
    outage: bool = False,
    fail_after: int = 1,
) -> list[CheckResult]:
    """One nightly run as the pipeline does it: history applied per batch, then recorded."""
    when = T0 + timedelta(days=day)
    run = store.begin_run(when, judging=Judging(fail_after=fail_after))
    results = [make(f"{URL}{i}", v, checked_at=when) for i, v in enumerate(verdicts)]
    store.apply_history(results, now=when, outage=outage, run_id=run)
    store.record(run, results)
    store.finish_run(run, finished_at=when, partial=False, network="outage" if outage else "ok")
    return results


def _one(store: Store, make: MakeResult, day: int, verdict: str, **kw: bool | int) -> CheckResult:
    return _night(store, make, day, [verdict], **kw)[0]  # type: ignore[arg-type]


def test_fail_after_two_fails_only_on_the_second_failing_run(
    store: Store, result: MakeResult
) -> None:
    first = _one(store, result, 0, "broken", fail_after=2)
    assert first.failing_runs == 1
    assert not fails_run(first, Judging(fail_after=2, strict=False))
    second = _one(store, result, 1, "broken", fail_after=2)
    assert second.failing_runs == 2
    assert fails_run(second, Judging(fail_after=2, strict=False))
    report = store.last_run()
    assert report is not None and report.summary.failing == 1
    assert store.failing_history(10) == [0, 1]


def test_recovery_resets_the_streak(store: Store, result: MakeResult) -> None:
    _one(store, result, 0, "broken")
    _one(store, result, 1, "timeout")
    ok = _one(store, result, 2, "ok")
    assert (ok.failing_runs, ok.failing_since) == (0, None)
    again = _one(store, result, 3, "error")
    assert again.failing_runs == 1
    assert again.failing_since == T0 + timedelta(days=3)


def test_failing_since_is_the_start_of_the_streak(store: Store, result: MakeResult) -> None:
    _one(store, result, 0, "ok")
    for day in (1, 2, 3):
        latest = _one(store, result, day, "broken")
    assert latest.failing_runs == 3
    assert latest.failing_since == T0 + timedelta(days=1)
    stored = store.latest_result(f"{URL}0")
    assert stored is not None and stored.failing_since == T0 + timedelta(days=1)


def test_outage_runs_count_for_nothing(store: Store, result: MakeResult) -> None:
    _one(store, result, 0, "broken")
    during = _one(store, result, 1, "timeout", outage=True)
    assert during.failing_runs == 1  # carried over, not incremented
    after = _one(store, result, 2, "broken")
    assert after.failing_runs == 2
    assert after.failing_since == T0
    # An outage on a healthy link neither starts a streak nor breaks one.
    _one(store, result, 3, "ok")
    _one(store, result, 4, "error", outage=True)
    fresh_failure = _one(store, result, 5, "broken")
    assert fresh_failure.failing_runs == 1


def test_outage_between_ok_runs_does_not_make_a_link_flaky(
    store: Store, result: MakeResult
) -> None:
    for day in range(6):
        last = _one(store, result, day, "timeout" if day % 2 else "ok", outage=bool(day % 2))
    assert last.flaky is False


def test_flaky_after_two_flips(store: Store, result: MakeResult) -> None:
    assert _one(store, result, 0, "ok").flaky is False
    assert _one(store, result, 1, "broken").flaky is False  # one flip
    assert _one(store, result, 2, "ok").flaky is True  # two flips
    # Ten steady runs later the flips have left the window.
    for day in range(3, 13):
        steady = _one(store, result, day, "ok")
    assert steady.flaky is False


def test_history_after_outages_only_or_runs_without_results(
    store: Store, result: MakeResult
) -> None:
    # The history is read only when a run it may read holds a result: outages before the
    # first real run, or runs that recorded nothing, are no history...
    _one(store, result, 0, "broken", outage=True)
    store.begin_run(T0 + timedelta(days=1))  # begun, nothing recorded, never finished
    first = _one(store, result, 2, "broken")
    assert (first.failing_runs, first.failing_since) == (1, T0 + timedelta(days=2))
    # ...and once one does, every URL's history is read, through outages after it.
    _one(store, result, 3, "timeout", outage=True)
    second = _one(store, result, 4, "broken")
    assert (second.failing_runs, second.failing_since) == (2, T0 + timedelta(days=2))
    assert _night(store, result, 5, ["ok", "broken"])[1].failing_runs == 1  # a new URL


@pytest.mark.parametrize("verdict", list(Verdict))
def test_an_outage_without_history_leaves_every_result_without_one(
    store: Store, result: MakeResult, verdict: Verdict
) -> None:
    # What streak() and is_flaky() say for an empty past in a run that counts for
    # nothing, whatever the result held before (the pass skips them for such results).
    assert streak(verdict, T0, [], outage=True) == (0, None)
    assert is_flaky(None, []) is False
    run = store.begin_run(T0)
    stale = result(f"{URL}0", verdict, failing_runs=4, failing_since=T0, flaky=True)
    store.apply_history([stale], now=T0, outage=True, run_id=run)
    assert (stale.failing_runs, stale.failing_since, stale.flaky) == (0, None, False)


def test_history_reads_only_earlier_runs(store: Store, result: MakeResult) -> None:
    _one(store, result, 0, "broken")
    run = store.begin_run(T0 + timedelta(days=1))
    batch = [result(f"{URL}0", "broken")]
    store.record(run, batch)  # recorded first (e.g. a retried batch)...
    store.apply_history(batch, now=T0, outage=False, run_id=run)
    assert batch[0].failing_runs == 2  # ...still counts this run once


def test_streak_survives_pruning(store: Store, result: MakeResult) -> None:
    for day in range(40):
        last = _one(store, result, day, "broken")
    assert last.failing_runs == 40  # longer than the 30-result window
    store.prune(keep_runs=3)
    after = _one(store, result, 40, "broken")
    assert after.failing_runs == 41
    assert after.failing_since == T0


def test_blocked_builds_a_streak_but_fails_only_when_strict(
    store: Store, result: MakeResult
) -> None:
    _one(store, result, 0, "blocked")
    second = _one(store, result, 1, "blocked")
    assert second.failing_runs == 2
    assert not fails_run(second, Judging(fail_after=2, strict=False))
    assert fails_run(second, Judging(fail_after=2, strict=True))


@pytest.mark.parametrize(
    ("verdict", "failing_runs", "fail_after", "strict", "expected"),
    [
        (Verdict.BROKEN, 0, 1, False, True),  # no history applied: its own run counts
        (Verdict.BROKEN, 1, 2, False, False),
        (Verdict.BROKEN, 2, 2, False, True),
        (Verdict.OK, 5, 1, False, False),
        (Verdict.SKIPPED, 0, 1, True, False),
        (Verdict.BLOCKED, 3, 1, False, False),
        (Verdict.BLOCKED, 3, 3, True, True),
        (Verdict.INVALID, 1, 1, False, True),
    ],
)
def test_fails_run_table(
    verdict: Verdict, failing_runs: int, fail_after: int, strict: bool, expected: bool
) -> None:
    result = CheckResult(url="https://x.example/", verdict=verdict, failing_runs=failing_runs)
    assert fails_run(result, Judging(fail_after=fail_after, strict=strict)) is expected


def _past(*verdicts: str) -> list[PastResult]:
    return [
        PastResult(verdict=Verdict(v), at=T0 - timedelta(days=n)) for n, v in enumerate(verdicts)
    ]


def test_pure_streak_and_flaky_rules() -> None:
    assert prior_streak(_past("broken", "timeout", "ok", "broken")) == (2, T0 - timedelta(days=1))
    assert prior_streak(_past("ok", "broken")) == (0, None)
    assert prior_streak(_past("skipped", "broken")) == (0, None)
    assert streak(Verdict.OK, T0, _past("broken"), outage=False) == (0, None)
    assert streak(Verdict.ERROR, T0, [], outage=False) == (1, T0)
    assert streak(Verdict.ERROR, T0, [], outage=True) == (0, None)
    assert is_flaky(Verdict.OK, _past("broken", "ok")) is True
    assert is_flaky(Verdict.OK, _past("skipped", "broken", "skipped", "ok")) is True
    assert is_flaky(Verdict.OK, _past("ok", "ok", "broken", "broken")) is False
    assert is_flaky(None, _past("broken", "ok")) is False


def _night_history_last(
    store: Store, make: MakeResult, day: int, verdicts: Sequence[str], *, fail_after: int
) -> list[CheckResult]:
    """The other order: record as results arrive, apply history at the end (no run_id)."""
    when = T0 + timedelta(days=day)
    run = store.begin_run(when, judging=Judging(fail_after=fail_after))
    results = [make(f"{URL}{i}", v, checked_at=when) for i, v in enumerate(verdicts)]
    store.record(run, results[:1])
    store.record(run, results[1:])
    store.apply_history(results, now=when, outage=False)
    store.finish_run(run, finished_at=when, partial=False, network="ok")
    return results


def test_history_applied_after_recording_updates_the_stored_rows(
    store: Store, result: MakeResult
) -> None:
    first = _night_history_last(store, result, 0, ["broken", "ok"], fail_after=2)
    assert first[0].failing_runs == 1  # this run is not read as its own history
    assert store.failing_history(5) == [0]  # fail_after=2: the first failure does not fail
    second = _night_history_last(store, result, 1, ["broken", "broken"], fail_after=2)
    assert [r.failing_runs for r in second] == [2, 1]
    assert store.failing_history(5) == [0, 1]
    report = store.last_run()
    assert report is not None
    assert report.results == second  # order and history fields kept for `report`
    assert report.results[0].failing_since == T0
    assert report.summary.failing == 1


def test_history_pass_rewrites_the_rows_whose_result_changed_since_recorded(
    store: Store, result: MakeResult, store_path: Path
) -> None:
    """Fields set after a result was recorded (a suggestion judged, an interruption
    marked) reach the store with the history; a row whose result is unchanged is not
    rewritten."""
    when = T0
    run = store.begin_run(when, judging=Judging())
    results = [result(f"{URL}{i}", "ok", checked_at=when) for i in range(3)]
    results[2] = result(f"{URL}2", "broken", checked_at=when, suggestion="https://b.example/")
    store.record(run, results)
    results[1].detail = "interrupted: not checked again"
    results[2].suggestion_ok = True
    with closing(sqlite3.connect(store_path)) as conn:  # counts the rows rewritten
        conn.execute("CREATE TABLE rewritten (url TEXT)")
        conn.execute(
            "CREATE TRIGGER count_updates AFTER UPDATE ON results"
            " BEGIN INSERT INTO rewritten VALUES (new.url); END"
        )
        conn.commit()
        store.apply_history(results, now=when, outage=False, run_id=run)
        rewritten = sorted(url for (url,) in conn.execute("SELECT url FROM rewritten"))
    store.finish_run(run, finished_at=when, partial=False, network="ok")
    # the third changed twice over: a suggestion judged and a failing streak begun
    assert rewritten == [f"{URL}1", f"{URL}2"]
    report = store.last_run()
    assert report is not None
    assert report.results == results
    assert report.results[1].detail == "interrupted: not checked again"
    assert report.results[2].suggestion_ok is True and report.results[2].failing_runs == 1


VERDICTS = st.sampled_from(list(Verdict))
# Histories biased to flips and to long failing streaks (the case that reads on), cut
# most often about FLAKY_WINDOW (what is_flaky reads).
HISTORIES = st.lists(
    st.one_of(VERDICTS, st.sampled_from([Verdict.OK, Verdict.BROKEN, Verdict.SKIPPED])),
    max_size=HISTORY_WINDOW,
)
CUTS = st.one_of(st.integers(0, HISTORY_WINDOW), st.integers(FLAKY_WINDOW - 2, FLAKY_WINDOW + 1))


@settings(max_examples=3000, deadline=None)
@given(HISTORIES, CUTS, st.one_of(st.none(), VERDICTS), st.booleans())
# An outage run's is_flaky reads FLAKY_WINDOW past results, another run's one fewer.
@example([Verdict.OK] * 8 + [Verdict.BROKEN, Verdict.OK], 9, None, True)
@example([Verdict.OK] * 7 + [Verdict.BROKEN, Verdict.OK], 8, Verdict.OK, False)
def test_a_history_that_decides_says_what_any_longer_one_does(
    verdicts: list[Verdict], cut: int, current: Verdict | None, outage: bool
) -> None:
    """decided_by(past) -> streak and flakiness are those of every history starting with
    past (a history pass then reads no further)."""
    whole = [
        PastResult(v, T0 - timedelta(days=n), failing_runs=n % 4, failing_since=None)
        for n, v in enumerate(verdicts)
    ]
    start = whole[:cut]
    if decided_by(start):
        verdict = current or Verdict.OK
        assert streak(verdict, T0, start, outage=outage) == streak(
            verdict, T0, whole, outage=outage
        )
        assert is_flaky(current, start) == is_flaky(current, whole)


def _history_everything_read(
    store: Store, results: list[CheckResult], monkeypatch: pytest.MonkeyPatch
) -> list[tuple[int, datetime | None, bool]]:
    """The history fields of ``results`` as a pass reading HISTORY_WINDOW results of every
    URL at once gives them (the first read is as long as the second)."""
    copies = [result.model_copy(deep=True) for result in results]
    with monkeypatch.context() as m:
        m.setattr(core, "FLAKY_WINDOW", HISTORY_WINDOW)
        store.apply_history(copies, now=T0 + timedelta(days=60), outage=False)
    return [(r.failing_runs, r.failing_since, r.flaky) for r in copies]


def test_history_read_in_two_steps_as_read_whole(
    store: Store, result: MakeResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    """URLs failing for 5 to 40 nights, ok or flipping before: a pass that reads each
    URL's FLAKY_WINDOW newest results first gives what reading 30 gives, rows of a
    verdict this version does not know (skipped by both) included."""
    names = ["broken", "ok", "timeout", "blocked", "skipped", "redirected"]
    for day in range(45):
        verdicts = []
        for i in range(24):
            failing_from = 45 - (5 + (i * 7) % 36)
            if day >= failing_from:
                verdicts.append("broken" if i % 3 else "timeout")
            else:
                verdicts.append(names[(day * (i + 1)) % len(names)] if i % 2 else "ok")
        _night(store, result, day, verdicts)
    with closing(sqlite3.connect(store.path)) as conn, conn:
        conn.execute(  # a newer version's verdict in some rows of URLs 0-7
            "UPDATE results SET verdict = 'quarantined' WHERE run_id % 4 = 0"
            " AND CAST(substr(url, length(?) + 1) AS INTEGER) < 8",
            (URL,),
        )
    when = T0 + timedelta(days=60)
    run = store.begin_run(when, judging=Judging())
    results = [result(f"{URL}{i}", "broken" if i % 4 else "ok", checked_at=when) for i in range(24)]
    expected = _history_everything_read(store, results, monkeypatch)
    store.apply_history(results, now=when, outage=False, run_id=run)
    assert [(r.failing_runs, r.failing_since, r.flaky) for r in results] == expected
    assert max(r.failing_runs for r in results) > HISTORY_WINDOW  # streaks beyond the window
    assert any(r.flaky for r in results) and any(0 < r.failing_runs < 10 for r in results)


def test_an_outage_judged_through_another_store_object_rewrites_the_runs_rows(
    store: Store, store_path: Path, result: MakeResult
) -> None:
    # Rows this object did not write are rewritten with the history (only a run begun
    # and not yet written here has none to rewrite).
    _one(store, result, 0, "broken")
    run = store.begin_run(T0 + timedelta(days=1))
    first = result(f"{URL}0", "broken", checked_at=T0 + timedelta(days=1))
    store.apply_history([first], now=T0, outage=False, run_id=run)
    store.record(run, [first])
    assert first.failing_runs == 2
    with Store.open(store_path) as other:
        again = result(f"{URL}0", "broken", checked_at=T0 + timedelta(days=1))
        other.apply_history([again], now=T0, outage=True, run_id=run)
        assert again.failing_runs == 1  # the run counts for nothing
        report = other.last_run()
    assert report is not None
    assert [r.failing_runs for r in report.results] == [1]


@pytest.mark.parametrize("outage", [False, True])
def test_the_history_writes_only_its_fields(store: Store, result: MakeResult, outage: bool) -> None:
    # HISTORY_FIELDS is what apply_history writes of a result, and all it writes: the run's
    # vouch for an outage's results alike (pipeline.run._Run.alike) checks those alone.
    _night(store, result, 0, ["broken", "ok"])
    when = T0 + timedelta(days=1)
    run = store.begin_run(when, judging=Judging())
    fresh = [result(f"{URL}{i}", "timeout", checked_at=when) for i in range(3)]
    before = [dict(r.__dict__) for r in fresh]
    store.apply_history(fresh, now=when, outage=outage, run_id=run)
    changed = {
        name
        for old, new in zip(before, fresh, strict=True)
        for name, value in new.__dict__.items()
        if old[name] is not value
    }
    assert changed and changed <= set(HISTORY_FIELDS)
    assert list(fresh[0].__dict__) == list(before[0])  # no field added, none moved
