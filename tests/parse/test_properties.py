"""Hypothesis: extraction never raises, and every span slices back to its URL."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it.common.utils import unescapeAll

from linkhealth.config import CommentMode
from linkhealth.models import LinkKind
from linkhealth.parse import extract_text

PIECES = st.sampled_from(
    [
        "[", "]", "(", ")", "<", ">", "!", "`", "```\n", "    ", "\t", "\n", "\r\n", "\r", " ",
        "> ", "- ", "1. ", "# ", "|", "---", "\\", "&amp;", "&#x41;", "\"", "'", "*", "_",
        "https://", "http://", "www.", "a.example", "/p", "?q=1", "#f", ":", "@", "mailto:",
        "<!--", "-->", '<a href="', '<img src=\'', "[x]: ", "htps://", "javascript:", "ü", "例",
        "\ufeff", "\x00", "x", "y z",
    ]
)  # fmt: skip
TEXT = st.one_of(st.text(max_size=200), st.lists(PIECES, max_size=40).map("".join))


def _slice(text: str, line: int, col: int, end_line: int, end_col: int) -> str:
    text = text.replace("\x00", "\ufffd")  # as CommonMark reads it
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if line == end_line:
        return lines[line - 1][col - 1 : end_col - 1]
    parts = [
        lines[line - 1][col - 1 :],
        *lines[line : end_line - 1],
        lines[end_line - 1][: end_col - 1],
    ]
    return "\n".join(parts)


def _expected_url(kind: LinkKind, raw: str) -> set[str]:
    import html

    if kind is LinkKind.HTML:
        return {html.unescape(raw)}
    if kind is LinkKind.BARE:
        return {raw, "http://" + raw, "mailto:" + raw}
    if kind is LinkKind.AUTOLINK:
        return {raw, "mailto:" + raw}
    return {unescapeAll(raw)}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT, st.sampled_from(list(CommentMode)))
def test_extract_never_raises_and_spans_slice_back(text: str, mode: CommentMode) -> None:
    result = extract_text(text, "p.md", comments=mode)
    for o in result.occurrences:
        assert (o.line, o.column) <= (o.end_line, o.end_column)
        if o.kind is LinkKind.REFERENCE:
            continue  # reported at the use site: the span is "[text][label]"
        raw = _slice(text, o.line, o.column, o.end_line, o.end_column)
        assert o.url in _expected_url(o.kind, raw), (raw, o)
    for f in result.findings:
        if f.end_line is not None and f.end_column is not None and f.raw is not None:
            assert _slice(text, f.line, f.column, f.end_line, f.end_column) == f.raw


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_inline_link_destinations_slice_back_exactly(dest: str) -> None:
    text = f"- [t]({dest})\n"
    for o in extract_text(text, "p.md").occurrences:
        if o.kind is LinkKind.INLINE and "\\" not in dest and "&" not in dest:
            assert _slice(text, o.line, o.column, o.end_line, o.end_column) == o.url
