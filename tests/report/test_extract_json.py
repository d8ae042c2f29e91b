"""extract's JSON: each occurrence written by one template, the same text as the general
record writer (``json_records`` of ``as_json()``) and the encoder write, escapes included."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from linkhealth import textsafe
from linkhealth.records import LinkKind, Occurrence
from linkhealth.report.extractfmt import render_json

NASTY = st.sampled_from(
    ["##[", "#", "\ud800", "\udfff", "\u202e", "\u200b", "\x7f", "\x85", "\u2028", "\x00", "\n",
     '"', "\\", "é", "日本", "\U0001f600", "::warning::", "a", " ", "null", "}"]
)  # fmt: skip
TEXTS = st.one_of(st.text(max_size=20), st.lists(NASTY, max_size=8).map("".join))
NUMBERS = st.integers(min_value=0, max_value=10**12)
OCCURRENCES = st.builds(
    Occurrence,
    url=TEXTS,
    file=st.one_of(st.sampled_from(["lists/a.md", "b c.md"]), TEXTS),
    line=NUMBERS,
    column=NUMBERS,
    end_line=NUMBERS,
    end_column=NUMBERS,
    text=st.none() | TEXTS,
    kind=st.sampled_from(list(LinkKind)),
    section=st.none() | st.sampled_from(["Tools", "é"]) | TEXTS,
    in_comment=st.booleans(),
)


def _reference(value: Any) -> str:
    return textsafe._json_piece(
        json.dumps(textsafe._clean_tree(value), ensure_ascii=False, indent=2)
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(OCCURRENCES, max_size=20), st.integers(min_value=0, max_value=2))
def test_template_writes_what_the_record_writer_writes(
    occurrences: list[Occurrence], copies: int
) -> None:
    """Also over several batches (``copies`` of 300 more rows) and with no row at all."""
    occurrences = occurrences + occurrences[:1] * 300 * copies
    written = "".join(render_json(occurrences))
    records = [o.as_json() for o in occurrences]
    assert written == "".join(textsafe.json_records(records)) + "\n"
    assert written == _reference(records) + "\n"
    assert json.loads(written) == json.loads(_reference(records))


def test_examples() -> None:
    one = Occurrence(
        url='https://x.org/"q"', file="a.md", line=1, column=2, end_line=1, end_column=9,
        text=None, kind=LinkKind.BARE, section=None, in_comment=True,
    )  # fmt: skip
    assert "".join(render_json([one])) == (
        "[\n  {\n"
        '    "url": "https://x.org/\\"q\\"",\n    "file": "a.md",\n    "line": 1,\n'
        '    "column": 2,\n    "end_line": 1,\n    "end_column": 9,\n    "text": null,\n'
        '    "kind": "bare",\n    "section": null,\n    "in_comment": true\n  }\n]\n'
    )
    assert "".join(render_json([])) == "[]\n"
