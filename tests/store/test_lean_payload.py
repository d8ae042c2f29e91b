"""A row's payload is written by json's C encoder where it spells the values as pydantic
does, by pydantic elsewhere: the bytes are pydantic's either way (fuzzed here)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkhealth.models import CheckResult, LinkKind, Occurrence, Verdict
from linkhealth.store import core

#: Printable ASCII, what JSON escapes, controls, invisible, non-BMP and lone surrogates.
_CHARS = 'ab/:@#[?%"\\ \t\n\r\x00\x08\x0c\x1f\x7f\x85\u2028\u202e\u200b\xe9\ufeff\U0001f389'
HOSTILE = st.text(alphabet=st.sampled_from([*_CHARS, "\ud800", "\udfff"]), max_size=10)
TEXT = st.one_of(st.text(max_size=12), HOSTILE)
MAYBE_TEXT = st.none() | TEXT
TIMES = st.none() | st.datetimes(
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=2))]),
)

OCCURRENCES = st.lists(
    st.builds(
        Occurrence,
        url=TEXT,
        file=TEXT,
        line=st.integers(1, 10**9),
        column=st.integers(1, 10**6),
        end_line=st.integers(1, 10**9),
        end_column=st.integers(1, 10**6),
        text=MAYBE_TEXT,
        kind=st.sampled_from(list(LinkKind)),
        section=MAYBE_TEXT,
        in_comment=st.booleans(),
    ),
    max_size=3,
)

#: Every field a payload of fields without a column holds, and a few that a column holds.
FIELDS = st.fixed_dictionaries(
    {
        "url": TEXT,
        "verdict": st.sampled_from(list(Verdict)),
        "occurrences": OCCURRENCES,
    },
    optional={
        "permanent": st.booleans(),
        "description": MAYBE_TEXT,
        "site_name": MAYBE_TEXT,
        "published": MAYBE_TEXT,
        "image": MAYBE_TEXT,
        "suggestion_ok": st.none() | st.booleans(),
        "archive_url": MAYBE_TEXT,
        "archived_at": TIMES,
        "title": MAYBE_TEXT,
        "checked_at": TIMES,
    },
)


def _written(write: Callable[[CheckResult], bytes], result: CheckResult) -> bytes | type:
    """What ``write`` makes of ``result``: its bytes, or that it refused it (ValueError)."""
    try:
        return write(result)
    except ValueError:
        return ValueError


def _pydantic(result: CheckResult) -> bytes | type:
    return _written(core._pydantic_lean_payload, result)


def _fast(result: CheckResult) -> bytes | type:
    return _written(core._lean_payload, result)


def _occurrences_by_pydantic(result: CheckResult) -> bytes | type:
    return _written(
        lambda r: core._occurrences_adapter().dump_json(r.occurrences, exclude_defaults=True),
        result,
    )


def _occurrences_fast(result: CheckResult) -> bytes | type:
    return _written(core._occurrences_payload, result)


@settings(max_examples=600, deadline=None)
@given(fields=FIELDS)
def test_a_lean_payload_is_pydantics_bytes(fields: dict[str, Any]) -> None:
    result = CheckResult(**fields)
    assert _fast(result) == _pydantic(result)
    assert _occurrences_fast(result) == _occurrences_by_pydantic(result)


@settings(max_examples=300, deadline=None)
@given(
    fields=FIELDS,
    name=st.sampled_from(["permanent", "description", "suggestion_ok", "occurrences"]),
    odd=st.sampled_from([0, 1, 0.0, "", b"x", Verdict.OK, (), [None]]),
)
def test_values_of_another_type_are_left_to_pydantic(
    fields: dict[str, Any], name: str, odd: object
) -> None:
    # Set without validation, as a stage's assignment sets a field: json's encoder would
    # spell these otherwise (or not at all), so pydantic writes the payload.
    result = CheckResult(**fields)
    result.__dict__[name] = odd
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydantic warns of the type it did not expect
        assert _fast(result) == _pydantic(result)


def test_occurrence_fields_of_another_type_are_left_to_pydantic() -> None:
    occ = Occurrence(
        url="http://a.test/", file="a.md", line=1, column=1, end_line=1, end_column=9,
        kind=LinkKind.BARE,
    )  # fmt: skip
    for name, odd in (("line", True), ("in_comment", 0), ("kind", "bare"), ("text", 5)):
        changed = Occurrence(**{**occ.as_json(), "kind": occ.kind})
        setattr(changed, name, odd)
        result = CheckResult(url="u", verdict=Verdict.OK, occurrences=[changed])
        assert core._occurrences_json(result.occurrences) is None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert _fast(result) == _pydantic(result)


def test_a_real_result_takes_the_fast_way(monkeypatch: pytest.MonkeyPatch) -> None:
    result = CheckResult(
        url="http://a.test/p",
        verdict=Verdict.OK,
        description="Ünïcode — text \u202e",
        site_name="a.test",
        permanent=True,
        suggestion_ok=False,
        checked_at=datetime(2026, 12, 2, 10, 0, tzinfo=UTC),
        occurrences=[
            Occurrence(
                url="http://a.test/p", file="a.md", line=2, column=3, end_line=2,
                end_column=18, text="A page", kind=LinkKind.INLINE, section="S",
            )
        ],
    )  # fmt: skip
    expected = core._pydantic_lean_payload(result)
    monkeypatch.setattr(core, "_pydantic_lean_payload", None)  # not called
    assert core._lean_payload(result) == expected
