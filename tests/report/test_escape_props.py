"""Property tests (hypothesis) for each escaper in ``linkhealth.textsafe``."""

from __future__ import annotations

import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from jinja2 import Environment
from markdown_it import MarkdownIt

from linkhealth import textsafe as escape

# Text biased towards the characters that matter: Markdown/HTML punctuation, controls,
# escape sequences, bidi marks, surrogates, whitespace.
SPECIAL = list("\\`*_[]<>|#!(){}&~@$:/.-+=\"' \t\n\r\x00\x07\x1b\x7f\x85\x9b\x9d\u202e\u2066")
special_text = st.lists(
    st.one_of(
        st.sampled_from(SPECIAL),
        st.sampled_from(["https://", "www.", "javascript:", "\x1b[2J", "\x1b]8;;", "```", "&amp;"]),
        st.characters(),
    ),
    max_size=40,
).map("".join)
PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_MD = MarkdownIt("gfm-like")


def _expected_text(s: str) -> str:
    return escape.one_line(s)


@PROPS
@given(special_text)
@example("1. x")
@example("- x")
@example("    code")
@example("a  ")
@example("\\")
@example("---")
@example("1) x")
@example("> q")
@example("0www.AC")
def test_md_text_renders_as_plain_text(s: str) -> None:
    out = escape.md_text(s)
    assert "\n" not in out
    tokens = _MD.parse("x " + out)
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]
    children = tokens[1].children or []
    assert {c.type for c in children} <= {"text", "text_special"}
    assert "".join(c.content for c in children) == ("x " + _expected_text(s)).strip()
    if out:  # at the start of a line, too: no list, heading, quote, rule or code block
        alone = _MD.parse(out)
        assert [t.type for t in alone] == ["paragraph_open", "inline", "paragraph_close"]
        assert {c.type for c in alone[1].children or []} <= {"text", "text_special"}


@PROPS
@given(st.lists(special_text, min_size=1, max_size=4))
def test_md_text_never_breaks_a_table_row(cells: list[str]) -> None:
    n = len(cells)
    row = "| " + " | ".join(escape.md_text(c) or "-" for c in cells) + " |"
    table = "| " + " | ".join(f"h{i}" for i in range(n)) + " |\n|" + "---|" * n + "\n" + row
    tokens = _MD.parse(table)
    assert sum(t.type == "td_open" for t in tokens) == n
    assert sum(t.type == "tr_open" for t in tokens) == 2


@PROPS
@given(special_text)
def test_md_url_is_a_single_http_link_or_none(s: str) -> None:
    url = "https://example.com/" + s
    dest = escape.md_url(url)
    assert dest is not None
    tokens = _MD.parse(f"[t]({dest})")
    links = [c for c in tokens[1].children or [] if c.type == "link_open"]
    assert len(links) == 1
    assert str(links[0].attrs["href"]).startswith("https://example.com/")
    assert escape.md_url("javascript:" + s) is None


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.data = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.data += data


_ENV = Environment(autoescape=True)


@PROPS
@given(special_text)
def test_html_text_autoescaped_is_text(s: str) -> None:
    out = _ENV.from_string("<p title='{{ v }}'>{{ v }}</p>").render(v=escape.html_text(s))
    parser = _Collect()
    parser.feed(out)
    parser.close()
    assert parser.tags == ["p"]
    assert parser.data == escape.html_text(s)


@PROPS
@given(special_text)
def test_xml_text_is_well_formed(s: str) -> None:
    el = ET.Element("a", {"attr": escape.xml_text(s)})
    el.text = escape.xml_text(s)
    parsed = ET.fromstring(ET.tostring(el, "unicode").encode())
    assert parsed.text in (escape.xml_text(s).replace("\r", "\n"), None) or parsed.text == (
        escape.xml_text(s).replace("\r\n", "\n").replace("\r", "\n")
    )


@PROPS
@given(st.recursive(special_text, lambda inner: st.lists(inner, max_size=3), max_leaves=5))
def test_json_text_is_valid_utf8_and_round_trips(value: object) -> None:
    out = escape.json_text({"v": value})
    out.encode("utf-8")
    assert not re.search("[\x00-\x1f\x7f-\x9f\u202a-\u202e]", out.replace("\n", ""))
    loaded = json.loads(out)["v"]
    assert json.loads(escape.json_text({"v": loaded}))["v"] == loaded


@PROPS
@given(special_text)
def test_terminal_has_no_control_or_escape(s: str) -> None:
    out = escape.terminal(s)
    assert not _CONTROL.search(out)
    assert "\x1b" not in out and "\n" not in out
    out.encode("utf-8")


def _gh_unescape(s: str) -> str:
    for enc, ch in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        s = s.replace(enc, ch)
    return s


@PROPS
@given(special_text)
def test_github_property_and_data(s: str) -> None:
    prop, data = escape.gh_property(s), escape.gh_data(s)
    assert not set(prop) & {",", ":", "\n", "\r"}
    assert not set(data) & {"\n", "\r"}
    assert "\x1b" not in prop + data
    # Reversible for text without controls, invisible format characters or escapes.
    plain = "".join(ch for ch in s if not _CONTROL.match(ch) and unicodedata.category(ch) != "Cf")
    assert _gh_unescape(escape.gh_property(plain)) == escape.clean(plain)


@PROPS
@given(special_text)
def test_csv_cell_is_never_a_formula(s: str) -> None:
    out = escape.csv_cell(s)
    assert not out.startswith(("=", "+", "-", "@"))
    assert not _CONTROL.search(out)


# Issue 17: escape only what can change the structure; these read as a person wrote them.
READABLE = [
    ("snake_case_name", "snake_case_name"),
    ("Name (@handle)", "Name (\\@handle)"),  # @name is a GitHub mention: stays escaped
    ("Deepseek_Ai (@deepseek_ai)", "Deepseek_Ai (\\@deepseek_ai)"),
    ("Title (2024)", "Title (2024)"),
    ("AT&T, R&D & more", "AT&T, R&D & more"),
    ("a__b 3_000 été_là", "a__b 3_000 été_là"),
    ("C. 2) done", "C. 2) done"),
]
# Still escaped: each would open something (or render differently) without its backslash.
STILL_ESCAPED = [
    ("_x_", "\\_x\\_"),  # emphasis
    ("__init__", "\\_\\_init\\_\\_"),
    ("a_ b _c", "a\\_ b \\_c"),
    ("a*b*c", "a\\*b\\*c"),  # intraword * is emphasis
    ("&amp; &#65; &x;", "\\&amp; \\&\\#65; \\&x;"),  # entity and character references
    ("(http://x)", "\\(http\\://x)"),  # after a caller's "]": a link destination
    ("Yahoo!", "Yahoo\\!"),  # before a caller's "[": an image
    ("1) item", "1\\) item"),  # an ordered list item
    ("1. item", "1\\. item"),
    ("a@b.example", "a\\@b.example"),  # an e-mail autolink
]


@pytest.mark.parametrize(("text", "expected"), READABLE + STILL_ESCAPED)
def test_md_text_escapes_only_what_matters(text: str, expected: str) -> None:
    out = escape.md_text(text)
    assert out == expected
    # And it renders as the text, opening nothing, wherever the escaper's output goes:
    # alone (line start), after a caller's "[x]", before a caller's link, mid-sentence.
    contexts = (("", "", ""), ("[x]", "[y](https://y.example/)", "y"), ("x ", " y", " y"))
    for before, after, after_shown in contexts:
        tokens = _MD.parse(before + out + after)
        assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]
        children = tokens[1].children or []
        kinds = [c.type for c in children if c.type not in ("text", "text_special")]
        assert kinds == (["link_open", "link_close"] if after.startswith("[") else [])
        shown = "".join(c.content for c in children if c.type in ("text", "text_special"))
        assert shown == before + text + after_shown
    linked = _MD.parse(escape.md_link(text, "https://z.example/"))[1].children or []
    assert [c.type for c in linked if c.type not in ("text", "text_special")] == [
        "link_open",
        "link_close",
    ]
    assert "".join(c.content for c in linked if c.type != "link_open") == text


PLAINISH = st.lists(
    st.sampled_from(["a", "Z", "0", " ", "  ", "#", "##[", "::", ":", "=", "~", "\t", "\x1b[2J",
                     "\x7f", "é", "\u200b", "\ud800", "https://x.org/p?q=1", "\n", "—", "ж",
                     "\u00a0", "\u3000", "\x85", "\u2028", "\U0001f600", "\U000e0041", "\x9b"]),
    max_size=10,
).map("".join)  # fmt: skip


def _without_fast_path(patterns: str, call: Callable[[], str | None]) -> str | None:
    """``call()`` with the fast paths that ``patterns`` (regexes of textsafe, by name,
    space-separated) open closed."""
    with pytest.MonkeyPatch.context() as m:
        for pattern in patterns.split():
            m.setattr(escape, pattern, re.compile(r"(?!)"))
        return call()


@settings(max_examples=1000, deadline=None)
@given(PLAINISH | special_text)
def test_one_line_fast_path_as_the_rules(text: str) -> None:
    """Plain printable ASCII, returned as it is, is what every rule would make of it."""
    slow = _without_fast_path("_PLAIN_LINE _PLAIN_TEXT_LINE", lambda: escape.one_line(text))
    assert escape.one_line(text) == slow, repr(text)


URLISH = st.lists(
    st.sampled_from(["https://x.org/p?q=1&r=2#f", "a", "~", "%", "[", "]", " ", "<", ">", '"', "'",
                     "|", "`", "\\", "\x7f", "\t", "é", "\u200b", "\ud800", "\U0001fffe", "\n"]),
    max_size=10,
).map("".join)  # fmt: skip


@settings(max_examples=1000, deadline=None)
@given(URLISH | special_text, st.sampled_from(["", "()", "&", "#~"]))
def test_percent_encode_fast_path_as_the_rules(url: str, extra: str) -> None:
    """A URL returned as it is (printable ASCII, no delimiter, nothing of ``extra``) is
    what the character-by-character rule makes of it."""
    slow = _without_fast_path("_URL_AS_WRITTEN", lambda: escape.percent_encode(url, extra))
    assert escape.percent_encode(url, extra) == slow, repr(url)


def _md_text_every_rule(text: str, limit: int | None = None) -> str:
    """md_text with each of its rules applied unconditionally, as they were written."""
    text = escape.one_line(text)
    if limit is not None:
        text = escape.shorten(text, limit)
    text = escape._MD_SPECIAL.sub(escape._md_escape, text)
    if text.endswith("!"):
        text = text[:-1] + "\\!"
    text = escape._MD_SCHEME.sub(r"\1\\:", text)
    text = escape._MD_WWW.sub(r"\1\\.", text)
    text = escape._MD_LINE_START.sub(r"\\\1", text)
    return escape._MD_ORDERED.sub(r"\1\\\2", text)


MDISH = st.lists(
    st.sampled_from(["1", "12", "\u0663", "\u00b2", ".", ")", "-", "+", "=", "(", "www", "WwW",
                     ".", "http", "://", ":", "/", "a", " ", "!", "_", "é", "\u202e", "\n"]),
    max_size=8,
).map("".join)  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(MDISH | special_text, st.sampled_from([None, 5, 300]))
def test_md_text_skips_only_rules_that_cannot_match(text: str, limit: int | None) -> None:
    assert escape.md_text(text, limit) == _md_text_every_rule(text, limit), repr(text)


LINKISH = st.lists(
    st.sampled_from(["http://", "HTTPS://", "https:/", "hTtp://", "ftp://", "[", "]", "::1",
                     "x.org", "/p", "?q=1", "#f", " ", "\t", "\x00", "é", "\u2100", "@", ":"]),
    max_size=6,
).map("".join)  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(LINKISH | special_text)
def test_md_url_fast_path_as_urlsplit(url: str) -> None:
    """A URL md_url takes for http(s) without asking urlsplit is one urlsplit reads so."""
    slow = _without_fast_path("_HTTP_START", lambda: escape.md_url(url))
    assert escape.md_url(url) == slow, repr(url)


JSONISH = st.lists(
    st.sampled_from(["a", " ", "\n", '"', "\\\\", "##[", "é", "—", "ж", "\x00", "\x08", "\x0e",
                     "\x1b", "\x1f", "\x7f", "\x85", "\x9f", "\u00ad", "\u200b", "\u2028",
                     "\u202e", "\ud800", "\udfff", "\ufeff", "\U0001f600", "\U000e0041",
                     "\U000110bd", "\U0010ffff"]),
    max_size=12,
).map("".join)  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(JSONISH | special_text)
def test_json_escapes_screen_as_the_rule(text: str) -> None:
    """Non-ASCII text (or ASCII with DEL) that _json_piece returns as it is (nothing the
    class finds in its UTF-8 without the ASCII the class never finds) is what the escapes
    make of it. (Printable ASCII is returned as it is before: an encoder's C0 escaped.)"""
    replaced = text.replace("##[", "#\\u0023[")
    every_rule = (
        replaced
        if replaced.isascii() and "\x7f" not in replaced
        else escape._JSON_INVISIBLE.sub(lambda m: escape._json_escape(m.group()), replaced)
    )
    assert escape._json_piece(text) == every_rule, repr(text)
