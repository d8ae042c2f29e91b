"""extract's JSON: each occurrence written by one template, the same text as the general
record writer (``json_records`` of ``as_json()``) and the encoder write, escapes included."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from linkhealth import textsafe
from linkhealth.records import LinkKind, Occurrence
from linkhealth.report import extractfmt
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


@settings(max_examples=150, deadline=None)
@given(
    st.lists(OCCURRENCES, max_size=12),
    st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), max_size=4),
    st.sampled_from(["json", "csv", "text"]),
)
def test_rendered_texts_in_their_places(
    occurrences: list[Occurrence], cuts: list[tuple[int, int]], fmt: str
) -> None:
    """Occurrences another process rendered (:func:`extractfmt.records` of a slice),
    given in their places, make the same output as all of them rendered here (parse/
    split.py's worker renders its half; the parent puts the texts after its own)."""
    n = len(occurrences)
    own: list[Occurrence] = []
    rendered: list[tuple[int, str]] = []
    at = 0
    for a, b in sorted((min(a, b, n), min(max(a, b), n)) for a, b in cuts):
        if a < at:
            continue
        own += occurrences[at:a]
        rendered.append((len(own), extractfmt.records(fmt, occurrences[a:b])))
        at = b
    own += occurrences[at:]
    whole = "".join(extractfmt.RENDERERS[fmt](occurrences))
    assert "".join(extractfmt.RENDERERS[fmt](own, rendered)) == whole


def test_long_rendered_texts_make_pieces_of_a_bounded_size() -> None:
    """A worker's rendered texts (a chunk's records each) are not joined into one piece
    of megabytes (what the command holds at once)."""
    one = Occurrence(
        url="https://x.org/" + "a" * 200, file="a.md", line=1, column=2, end_line=1,
        end_column=9, text="t", kind=LinkKind.BARE, section=None, in_comment=False,
    )  # fmt: skip
    block = extractfmt.records("json", [one] * 2000)  # ~0.8 MB
    pieces = list(render_json([one], [(1, block)] * 20))
    assert max(map(len, pieces)) < textsafe._JSON_PIECE_CHARS + len(block) + 16
    assert json.loads("".join(pieces)) == [one.as_json()] * 40001
