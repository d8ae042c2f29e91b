"""Results pydantic encodes for the JSON report are encoded together, a list at a time: the
text is the one each result encoded alone, screened and redacted gives (fuzzed here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkhealth.models import CheckResult, ErrorKind, LinkKind, Occurrence, Redirect, Verdict
from linkhealth.report import jsonfmt
from linkhealth.report.redact import redacted_json

TOKEN = "ghp_" + "a" * 36
#: Printable ASCII, credentials and tokens, what JSON escapes, controls, invisible and
#: non-BMP characters, ``##[``, and lone surrogates.
_CHARACTERS = 'a/@:#"\\ \t\n\x00\x1f\x7f\x85\u2028\u202e\u200b\xe9\u2014\U0001f389\ud800'
PIECES = st.sampled_from([*_CHARACTERS, "##[", TOKEN, "http://user:secret@h.test/"])
TEXT = st.one_of(st.text(max_size=8), st.lists(PIECES, max_size=5).map("".join))
MAYBE = st.none() | TEXT


def _occurrence(url: str, text: str | None, section: str | None, line: int) -> Occurrence:
    return Occurrence(
        url=url, file="docs/list.md", line=line, column=2, end_line=line, end_column=9,
        text=text, kind=LinkKind.INLINE, section=section,
    )  # fmt: skip


RESULTS = st.builds(
    CheckResult,
    url=TEXT,
    verdict=st.sampled_from(list(Verdict)),
    http_status=st.none() | st.integers(100, 599),
    detail=TEXT,
    error_kind=st.none() | st.sampled_from(list(ErrorKind)),
    final_url=MAYBE,
    redirects=st.lists(st.builds(Redirect, url=TEXT, status=st.integers(300, 399)), max_size=2),
    elapsed_ms=st.floats(allow_nan=True, allow_infinity=True),
    checked_at=st.none()
    | st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-3))])),
    title=MAYBE,
    description=MAYBE,
    occurrences=st.lists(
        st.builds(_occurrence, TEXT, MAYBE, MAYBE, st.integers(1, 10**6)), max_size=2
    ),
)


def _each_alone(results: list[CheckResult]) -> str:
    return jsonfmt._as_items([redacted_json(result) for result in results])


@settings(max_examples=400, deadline=None)
@given(results=st.lists(RESULTS, min_size=1, max_size=4))
def test_results_encoded_together_are_the_text_of_each_alone(results: list[CheckResult]) -> None:
    assert jsonfmt._items_of(results) == _each_alone(results)


def test_a_list_with_nothing_to_redact_is_one_encoding(monkeypatch: pytest.MonkeyPatch) -> None:
    at = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    results = [
        CheckResult(
            url=f"http://h{n}.test/p", verdict=Verdict.OK, http_status=200, checked_at=at,
            title=f"Page {n} — ##[a] \u202e", occurrences=[_occurrence("u", "t", "s", n + 1)],
        )
        for n in range(5)
    ]  # fmt: skip
    calls = []
    real = CheckResult.model_dump_json

    def counted(self: CheckResult, **kwargs: object) -> str:
        calls.append(self)
        return real(self, **kwargs)  # type: ignore[arg-type]

    expected = _each_alone(results)
    monkeypatch.setattr(CheckResult, "model_dump_json", counted)
    assert jsonfmt._items_of(results) == expected
    assert calls == []  # the results were encoded as the list's items, not one by one
    assert "#\\u0023[a]" in expected and "\\u202e" in expected
