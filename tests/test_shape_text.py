"""ShapeText makes a result's shape only when it may be the kept one or the one before:
which results share a shape is what making every shape said (fuzzed against it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkhealth import models
from linkhealth.models import CheckResult, Redirect, ShapeText, Verdict, result_shape

AT = datetime(2026, 12, 2, 7, 30, tzinfo=UTC)
#: A few times, one instant in two offsets among them: equal, but not one shape.
TIMES = [None, AT, AT + timedelta(seconds=1), AT.astimezone(timezone(timedelta(hours=2)))]


class EveryShape:
    """ShapeText as it was: every result's shape made."""

    def __init__(self) -> None:
        self.last: tuple[object, ...] = ()
        self.kept: tuple[object, ...] = ()
        self.text: str | None = None

    def of(self, result: CheckResult) -> str | None:
        if result.redirects:
            return None
        shape = result_shape(result)
        if shape != self.kept:
            if shape != self.last:
                self.last = shape
                return None
            self.kept, self.text = shape, result.model_dump_json()
        return self.text


def _copy(at: datetime | None) -> datetime | None:
    """An equal time, another object (results of one shape need not share their times)."""
    return None if at is None else at + timedelta(0)


RESULTS = st.builds(
    lambda n, at, detail, verdict, hop: CheckResult(
        url=f"http://h{n}.test/",
        verdict=verdict,
        detail=detail,
        checked_at=at,
        redirects=[Redirect(url="http://x.test/", status=301)] if hop else [],
    ),
    st.integers(0, 9),
    st.sampled_from(TIMES).map(_copy),
    st.sampled_from(["", "down"]),
    st.sampled_from([Verdict.SKIPPED, Verdict.BROKEN]),
    st.booleans(),
)


@settings(max_examples=1000, deadline=None)
@given(results=st.lists(RESULTS, max_size=12))
def test_the_shapes_met_are_those_making_every_shape_finds(results: list[CheckResult]) -> None:
    lazy = ShapeText(lambda result: result.model_dump_json())
    eager = EveryShape()
    for result in results:
        assert lazy.of(result) == eager.of(result)


def test_a_result_of_the_kept_shape_after_one_of_another_time_is_of_it() -> None:
    shapes = ShapeText(lambda result: result.model_dump_json())
    kept = [
        CheckResult(url=f"k{n}", verdict=Verdict.SKIPPED, checked_at=_copy(AT)) for n in range(3)
    ]
    other = CheckResult(url="o", verdict=Verdict.OK, checked_at=AT + timedelta(seconds=1))
    found = [shapes.of(result) for result in (kept[0], kept[1], other, kept[2])]
    assert [text is not None for text in found] == [False, True, False, True]


def test_results_checked_at_times_of_their_own_make_no_shape(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[Any] = []
    real = models.result_shape
    monkeypatch.setattr(models, "result_shape", lambda r: made.append(r) or real(r))
    shapes = ShapeText(lambda result: result.model_dump_json())
    for n in range(100):
        at = AT + timedelta(milliseconds=n)
        assert shapes.of(CheckResult(url=f"u{n}", verdict=Verdict.OK, checked_at=at)) is None
    assert made == []
    same = [CheckResult(url=f"v{n}", verdict=Verdict.SKIPPED, checked_at=AT) for n in range(3)]
    assert [shapes.of(result) is not None for result in same] == [False, True, True]
