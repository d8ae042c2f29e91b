"""The view every renderer reads: its rows, in order, worked out once."""

from __future__ import annotations

from linkhealth.models import CheckResult, Judging, RunReport, Verdict
from linkhealth.records import LinkKind, Occurrence
from linkhealth.report.view import View
from report.reportdata import build_report


def _occ(url: str, file: str, line: int, column: int) -> Occurrence:
    return Occurrence(
        url=url, file=file, line=line, column=column, end_line=line, end_column=column + 1,
        kind=LinkKind.INLINE,
    )  # fmt: skip


def test_rows_sorted_by_place_then_url_stably_with_a_row_for_a_result_without_places() -> None:
    results = [
        CheckResult(url="https://b.test/", verdict=Verdict.BROKEN,
                    occurrences=[_occ("x", "b.md", 2, 1), _occ("x", "a.md", 9, 3)]),
        CheckResult(url="https://a.test/", verdict=Verdict.OK,
                    occurrences=[_occ("x", "b.md", 2, 1), _occ("x", "b.md", 1, 5)]),
        CheckResult(url="https://c.test/", verdict=Verdict.BLOCKED),  # no occurrence
    ]  # fmt: skip
    report = build_report().model_copy(update={"results": results})
    view = View(report.model_copy(update={"judged_with": Judging(strict=True)}))
    rows = view.rows()
    got = [(r.file, r.line, r.column, r.result.url, r.failing) for r in rows]
    assert got == [
        ("", 0, 0, "https://c.test/", True),
        ("a.md", 9, 3, "https://b.test/", True),
        ("b.md", 1, 5, "https://a.test/", False),
        ("b.md", 2, 1, "https://a.test/", False),
        ("b.md", 2, 1, "https://b.test/", True),
    ]
    assert [r.result.url for r in view.failing_rows()] == [
        "https://c.test/", "https://b.test/", "https://b.test/",
    ]  # fmt: skip
    assert view.failing_count() == 2
    rows.clear()  # a caller's list is its own: the view's rows stay
    assert len(view.rows()) == 5
    view.failing_results().clear()
    assert view.failing_count() == 2


def test_rows_follow_the_judging_of_each_view() -> None:
    report: RunReport = build_report()
    plain = View(report)
    strict = View(report.model_copy(update={"judged_with": Judging(strict=True)}))
    blocked = [r for r in plain.rows() if r.result.verdict is Verdict.BLOCKED]
    assert blocked and not any(r.failing for r in blocked)
    assert all(r.failing for r in strict.rows() if r.result.verdict is Verdict.BLOCKED)
