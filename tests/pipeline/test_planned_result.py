"""A planned result is copied from one validated template: the same object validation makes."""

from __future__ import annotations

import pickle

import pytest

from linkhealth.models import CheckResult, LinkKind, Occurrence, Redirect, Verdict
from linkhealth.pipeline import plan as plan_module
from linkhealth.pipeline.plan import planned_result, scheme_of


def occurrence(url: str, line: int) -> Occurrence:
    return Occurrence(
        url=url, file="a.md", line=line, column=1, end_line=line, end_column=9, kind=LinkKind.BARE
    )


def test_a_planned_result_is_the_validated_one() -> None:
    occ = occurrence("http://a.test/x", 3)
    made = planned_result("http://a.test/x", occ)
    validated = CheckResult(url="http://a.test/x", verdict=Verdict.SKIPPED, occurrences=[occ])
    assert made == validated
    assert made.__dict__ == validated.__dict__
    assert list(made.__dict__) == list(validated.__dict__)  # the fields' order: the dumps'
    assert made.model_fields_set == validated.model_fields_set
    assert made.__pydantic_extra__ is None and made.__pydantic_private__ is None
    assert made.model_dump_json(indent=2) == validated.model_dump_json(indent=2)
    assert made.occurrences[0] is occ  # validation keeps the occurrence as it is, too
    assert validated.occurrences[0] is occ
    assert pickle.loads(pickle.dumps(made)) == validated
    assert made.model_copy(update={"detail": "x"}).detail == "x"


def test_planned_results_share_no_list_and_no_field() -> None:
    first = planned_result("http://a.test/1", occurrence("http://a.test/1", 1))
    second = planned_result("http://a.test/2", occurrence("http://a.test/2", 2))
    first.occurrences.append(occurrence("http://a.test/1", 9))
    first.redirects.append(Redirect(url="http://b.test/", status=301))
    first.verdict, first.detail = Verdict.BROKEN, "gone"
    assert len(second.occurrences) == 1 and second.redirects == []
    assert second.verdict is Verdict.SKIPPED and second.detail == ""
    third = planned_result("http://a.test/3", occurrence("http://a.test/3", 3))
    assert third.redirects == [] and third.verdict is Verdict.SKIPPED and third.detail == ""


def test_the_shared_fields_set_is_never_changed_in_place() -> None:
    first = planned_result("http://a.test/1", occurrence("http://a.test/1", 1))
    second = planned_result("http://a.test/2", occurrence("http://a.test/2", 2))
    before = set(second.model_fields_set)
    first.detail, first.title = "x", "t"  # CheckResult's own assignment
    copied = first.model_copy(update={"description": "d"})
    assert "description" in copied.model_fields_set
    assert pickle.loads(pickle.dumps(first)).model_fields_set == before
    assert first.model_fields_set == second.model_fields_set == before


@pytest.mark.parametrize(
    "url",
    ["http://a.test/", "https://a.test/", "HTTP://a.test/", "Https://a.test/", " https://a/",
     "http:/a", "https:a", "httpx://a", "https+x://a", "http", "", "mailto:a@b", "./a.md"],
)  # fmt: skip
def test_a_links_scheme_is_the_patterns(url: str) -> None:
    match = plan_module._SCHEME_RE.match(url)
    assert scheme_of(url) == (match.group(1).lower() if match else "")
