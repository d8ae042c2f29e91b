"""A list of flat records (extract's occurrences, lint's findings) is written by its own
fast path: the same text as the indenting encoder writes, escapes included."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from linkhealth import textsafe


def _reference(value: Any) -> str:
    """The encoder's own text, cleaned and escaped as :func:`textsafe.json_text` does."""
    return textsafe._json_piece(
        json.dumps(textsafe._clean_tree(value), ensure_ascii=False, indent=2)
    )


NASTY = st.sampled_from(
    ["##[", "#", "\ud800", "\udfff", "\u202e", "\u200b", "\x7f", "\x85", "\u2028", "\x00", "\n",
     '"', "\\", "é", "日本", "\U0001f600", "::warning::", "a", " "]
)  # fmt: skip
TEXTS = st.one_of(st.text(max_size=20), st.lists(NASTY, max_size=8).map("".join))
SCALARS = st.one_of(TEXTS, st.integers(), st.booleans(), st.none())
RECORDS = st.dictionaries(TEXTS, SCALARS, min_size=1, max_size=6)


@settings(max_examples=400, deadline=None)
@given(st.lists(RECORDS, max_size=30))
def test_flat_records_as_the_encoder_writes_them(rows: list[dict[str, Any]]) -> None:
    assert textsafe.json_text(rows) == _reference(rows)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            RECORDS,
            st.dictionaries(TEXTS, st.lists(SCALARS, max_size=2) | st.floats(), min_size=1),
            st.just({}),
            SCALARS,
        ),
        max_size=6,
    )
)
def test_other_lists_take_the_encoder(rows: list[Any]) -> None:
    assert textsafe.json_text(rows) == _reference(rows)


def test_many_records_cross_batches() -> None:
    rows = [
        {"url": f"https://x.org/{i}##[", "line": i, "in_comment": i % 2 == 0} for i in range(1500)
    ]
    text = textsafe.json_text(rows)
    assert text == _reference(rows)
    assert json.loads(text)[1499]["url"] == "https://x.org/1499##["


def test_records_read_from_an_iterator() -> None:
    rows = ({"n": i, "nested": [i]} if i % 3 else {"n": i} for i in range(1100))
    text = "".join(textsafe.json_records(rows))
    assert text == _reference([{"n": i, "nested": [i]} if i % 3 else {"n": i} for i in range(1100)])
    assert "".join(textsafe.json_records(iter([]))) == "[]" == _reference([])
