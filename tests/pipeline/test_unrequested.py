"""Fetches that made no request set on their results what :func:`apply_fetch` sets, their
fields made once for a run of them with the very same values (an outage's)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from linkhealth.config import Settings
from linkhealth.fetch import FetchResult
from linkhealth.models import ErrorKind, Redirect, Verdict
from linkhealth.pipeline.judge import Unrequested, apply_fetch
from linkhealth.pipeline.plan import Target, planned_result

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


def test_a_run_of_the_same_values_is_made_once() -> None:
    unrequested = Unrequested(Settings())
    fetches = [_same(n) for n in range(4)]
    targets = [_target(n) for n in range(4)]
    for fetched, target in zip(fetches, targets, strict=True):
        unrequested.apply(target, fetched)
    assert unrequested.last is fetches[0]
    assert all(target.results[1].detail is DETAIL for target in targets)
