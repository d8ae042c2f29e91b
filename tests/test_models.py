"""CheckResult filled in field by field, as a run fills it, is the same result as one
built with those values (its dumps, the store's packed form, copies)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkhealth.models import (
    PAGE_META_FIELDS,
    CheckResult,
    ErrorKind,
    Judging,
    PageMeta,
    Redirect,
    Verdict,
    fails_run,
    summarise,
)

VALUES = {
    "verdict": Verdict.BROKEN,
    "http_status": 404,
    "error_kind": ErrorKind.NOT_FOUND,
    "redirects": [Redirect(url="https://b.example/", status=301)],
    "checked_at": datetime(2026, 1, 1, tzinfo=UTC),
    "title": "Gone",
    "failing_runs": 2,
    "suggestion_ok": False,
}


def test_assigned_fields_make_the_same_result_as_built_ones() -> None:
    built = CheckResult(url="https://a.example/", **VALUES)  # type: ignore[arg-type]
    filled = CheckResult(url="https://a.example/", verdict=Verdict.OK)
    for name, value in VALUES.items():
        setattr(filled, name, value)
    assert filled == built
    assert filled.model_dump_json() == built.model_dump_json()
    assert filled.model_dump_json(exclude_defaults=True) == built.model_dump_json(
        exclude_defaults=True
    )
    assert CheckResult.model_validate_json(filled.model_dump_json()) == built
    copy = filled.model_copy(update={"title": "Moved"})
    assert copy.title == "Moved" and filled.title == "Gone" and copy.http_status == 404


def test_an_unknown_field_is_still_refused() -> None:
    result = CheckResult(url="https://a.example/", verdict=Verdict.OK)
    with pytest.raises(ValueError, match="no field"):
        result.titel = "typo"  # type: ignore[attr-defined]


def test_page_metadata_lands_in_the_result_fields_of_the_same_name() -> None:
    assert set(PAGE_META_FIELDS) <= set(CheckResult.model_fields)
    assert tuple(f.name for f in dataclasses.fields(PageMeta)) == PAGE_META_FIELDS
    meta = PageMeta(title="T", description="D", lang="en", content_type="text/html")
    assert set(vars(meta)) == set(PAGE_META_FIELDS)  # apply_meta copies vars(meta)
    result = CheckResult(url="https://a.example/", verdict=Verdict.OK, title="old", image="i")
    result.apply_meta(meta)
    built = CheckResult(url="https://a.example/", verdict=Verdict.OK, **dataclasses.asdict(meta))
    assert result == built  # every metadata field replaced, `None` ones too (the image)
    assert result.model_dump_json(exclude_defaults=True) == built.model_dump_json(
        exclude_defaults=True
    )
    assert result.meta() == meta


def test_page_meta_refuses_unknown_fields_and_copies_apart() -> None:
    with pytest.raises(TypeError):
        PageMeta(titel="typo")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        PageMeta("positional")  # type: ignore[misc]
    meta = PageMeta(title="T", lang="en")
    copy = dataclasses.replace(meta)
    copy.title = "changed"
    assert meta.title == "T" and copy == PageMeta(title="changed", lang="en")
    result = CheckResult(url="https://a.example/", verdict=Verdict.OK)
    result.apply_meta(meta)
    back = result.meta()
    back.title = "other"
    assert result.title == "T" and result.meta() == meta


@settings(max_examples=200, deadline=None)
@given(
    verdicts=st.lists(st.sampled_from(list(Verdict)), max_size=30),
    kinds=st.lists(st.sampled_from([None, *ErrorKind]), min_size=30, max_size=30),
    runs=st.lists(st.integers(0, 3), min_size=30, max_size=30),
    strict=st.booleans(),
    fail_after=st.integers(1, 3),
    outage=st.booleans(),
)
def test_the_summary_counts_what_each_result_says(
    verdicts: list[Verdict],
    kinds: list[ErrorKind | None],
    runs: list[int],
    strict: bool,
    fail_after: int,
    outage: bool,
) -> None:
    results = [
        CheckResult(url=f"https://a.test/{i}", verdict=v, error_kind=kinds[i], failing_runs=runs[i])
        for i, v in enumerate(verdicts)
    ]
    judging = Judging(strict=strict, fail_after=fail_after)
    summary = summarise(results, judging, outage=outage)
    by_verdict: dict[str, int] = {}
    for result in results:  # first seen first, as the JSON lists them
        by_verdict[result.verdict.value] = by_verdict.get(result.verdict.value, 0) + 1
    assert list(summary.by_verdict.items()) == list(by_verdict.items())
    assert all(type(key) is str for key in summary.by_verdict)
    assert summary.failing == sum(fails_run(r, judging, outage=outage) for r in results)
    assert summary.urls == len(results)
