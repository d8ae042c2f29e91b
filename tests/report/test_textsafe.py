"""One set of invisible characters, one percent-encoder: every output agrees on them."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from linkhealth import textsafe

# Every character of the one set (surrogates aside: they never survive clean()).
_CLASS = re.compile(f"[{textsafe.INVISIBLE}]")
HIDDEN = [
    chr(c)
    for c in range(0x110000)
    if not 0xD800 <= c <= 0xDFFF and _CLASS.match(chr(c)) and chr(c) not in textsafe.SPACE_LIKE
]


def test_the_set_holds_the_usual_suspects() -> None:
    for ch in "\u202e\u2066\u200b\u200e\ufeff\u2060\x00\x1b\x9b\U000e0041":
        assert ch in HIDDEN, f"U+{ord(ch):04X}"
    for ch in "\u200c\u200d a\u00e9":  # ZWNJ/ZWJ are needed by scripts and emoji
        assert ch not in HIDDEN


@pytest.mark.parametrize("ch", HIDDEN, ids=lambda ch: f"U+{ord(ch):04X}")
def test_every_output_hides_or_encodes_each_invisible_character(ch: str) -> None:
    text = f"ab{ch}"  # last: ESC and 8-bit CSI/OSC swallow what follows them
    assert textsafe.clean_text(text) == "ab"
    assert textsafe.clean_url(f"https://x.test/a{ch}b") is None
    assert ch not in textsafe.terminal(text)
    assert ch not in textsafe.md_text(text)
    assert ch not in textsafe.gh_data(text)
    encoded = "".join(f"%{b:02X}" for b in ch.encode("utf-8"))
    url = f"https://x.test/{text}"
    assert textsafe.md_url(url) == f"<https://x.test/ab{encoded}>"
    assert textsafe.md_destination(url) == f"https://x.test/ab{encoded}"
    assert textsafe.html_attribute_url(url) == f"https://x.test/ab{encoded}"
    dumped = textsafe.json_text({"v": text})
    assert ch not in dumped and json.loads(dumped)["v"] == text


def test_one_percent_encoder_for_reports_and_annotate() -> None:
    url = "https://x.test/a b<c>\"d'e|f`g\\h\u00a0i"
    encoded = "https://x.test/a%20b%3Cc%3E%22d%27e%7Cf%60g%5Ch%C2%A0i"
    assert textsafe.percent_encode(url) == encoded
    assert textsafe.md_url(url) == f"<{encoded}>"
    assert textsafe.md_autolink(url) == f"<{encoded}>"


COMMANDS = [
    "##[stop-commands]token",  # a GitHub runner reads "##[" anywhere in a log line
    "see https://a.example/##[error]forged",
    "::error file=README.md,line=1::forged",  # and "::" at the start of one
    "  ::add-mask::x",
]


@pytest.mark.parametrize("text", COMMANDS)
def test_no_text_output_can_hold_a_workflow_command(text: str) -> None:
    """Issue 20: text, JSON and CSV go to CI logs; none may carry a workflow command."""
    for out in (textsafe.terminal(text), textsafe.csv_cell(text)):
        assert "##[" not in out and not out.lstrip().startswith("::"), out
    as_json = textsafe.json_text({"v": text, "u": f"https://x.example/{text}"})
    assert "##[" not in as_json and json.loads(as_json)["v"] == text  # same value
    url = textsafe.md_url(f"https://x.example/{text}")
    assert url is not None and "##[" not in url
    assert textsafe.terminal("http://[::1]/ and a::b") == "http://[::1]/ and a::b"


def test_json_text_of_a_big_value_is_escaped_in_every_batch() -> None:
    # Thousands of strings: the encoder's pieces are escaped a batch at a time.
    value = {
        "results": [
            {"title": f"t{i} ##[x \u202e \x85 \u2028 \U000e0001", "n": i, "ok": None}
            for i in range(3000)
        ]
    }
    text = textsafe.json_text(value)
    assert json.loads(text) == value
    assert "##[" not in text
    assert not re.search("[\x85\u202e\u2028\U000e0001]", text)

    assert textsafe.json_text(value).startswith('{\n  "results": [\n    {\n      "title": "t0 #')


def test_xml_text_removes_exactly_what_xml_1_0_forbids() -> None:
    """Every code point, against the XML 1.0 Char production written as the spec writes
    it (the allowed ranges, negated)."""
    allowed = re.compile("[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
    every = "".join(map(chr, range(0x110000)))
    forbidden = {ch for ch in every if not allowed.fullmatch(ch)}
    assert {ch for ch in every if textsafe._XML_FORBIDDEN.fullmatch(ch)} == forbidden
    assert len(forbidden) == 2079  # 29 controls, 2,048 surrogates, U+FFFE and U+FFFF
    assert textsafe.xml_text("a\x00b\x0bc\ufffed\U0001f600") == "abcd\U0001f600"


def test_clean_text_fast_path_skips_only_what_the_rule_keeps() -> None:
    """clean_text returns printable text without double spaces as it is (stripped, NFC):
    every character the full rule removes or turns into a space is unprintable, save " "."""
    for code in range(0x110000):
        ch = chr(code)
        if not ch.isprintable():
            continue
        assert textsafe.ESCAPE_SEQUENCE.search(ch) is None, f"U+{code:04X}"
        assert textsafe._INVISIBLE.search(ch) is None, f"U+{code:04X}"
        assert textsafe._NONCHAR_PLANES.search(ch) is None, f"U+{code:04X}"
        assert ch == " " or textsafe._WHITESPACE.search(ch) is None, f"U+{code:04X}"


_PRINTABLE_PIECES = [
    "a",
    "Page",
    " ",
    "  ",
    "e\u0301",
    "\u0301",
    "\u212b",
    "\uac00",
    "\u1100\u1161",
    "é",
    "例",
    "—",
    "|",
    "…",
    "🙂",
    "\u200d",
    "x" * 90,
]
_OTHER_PIECES = [
    "\t",
    "\n",
    "\u00a0",
    "\u3000",
    "\x1b[31m",
    "\x9b1m",
    "\x1b]8;;x\x07",
    "\u200b",
    "\u202e",
    "\ufeff",
    "\ufdd0",
    "\U0001fffe",
    "\ud800",
    "\x00",
    "\x85",
    "\u2028",
]
# Mostly printable texts (the fast path's side of the line), some with anything in them.
_TEXTS = st.lists(st.sampled_from(_PRINTABLE_PIECES), max_size=12).map("".join) | st.lists(
    st.sampled_from(_PRINTABLE_PIECES + _OTHER_PIECES), max_size=12
).map("".join)


@settings(max_examples=600, deadline=None)
@given(_TEXTS, st.sampled_from([1, 2, 5, 40, 200]))
def test_clean_text_equals_its_full_rule(text: str, limit: int) -> None:
    cap = limit * textsafe._INPUT_FACTOR + textsafe._INPUT_SLACK
    expected = textsafe._clean_full(text[:cap], limit, len(text) > cap)
    assert textsafe.clean_text(text, limit) == expected


_URL_PIECES = ["https://", "h.example", "/a", "?q=1", "#f", "%20", "\\", "x" * 700]


@settings(max_examples=600, deadline=None)
@given(
    st.lists(st.sampled_from(_URL_PIECES + _PRINTABLE_PIECES + _OTHER_PIECES), max_size=8).map(
        "".join
    ),
    st.sampled_from([1, 5, 40, 2048]),
)
@example("https://h.example/a", 2048)
@example("", 2048)
@example("x" * 41, 40)
@example("x" * 40, 40)
def test_clean_url_equals_its_full_rule(url: str, limit: int) -> None:
    assert textsafe.clean_url(url, limit) == textsafe._clean_url_full(url, limit)


def test_the_json_escapes_fast_screen_misses_no_character_they_escape() -> None:
    """_json_piece returns non-ASCII text as it is when the class finds nothing in what is
    left of its UTF-8 without the ASCII characters the class never finds: every character
    the escapes rewrite is left (ASCII controls and DEL too, a lone surrogate too), next
    to another non-ASCII character and among ASCII (and the set's two halves are split where
    the BMP ends)."""
    bmp = re.compile(f"[{textsafe._INVISIBLE_BMP}]")
    astral = re.compile(f"[{textsafe._INVISIBLE_ASTRAL}]")
    escaped = 0
    for code in range(0x110000):
        ch = chr(code)
        assert bmp.match(ch) is None or code < 0x10000, f"U+{code:04X}"
        assert astral.match(ch) is None or code > 0xFFFF, f"U+{code:04X}"
        if textsafe._JSON_INVISIBLE.match(ch):
            escaped += 1
            assert textsafe._json_piece(f"é{ch}") != f"é{ch}", f"U+{code:04X}"
            assert textsafe._json_piece(f"a{ch}bé") != f"a{ch}bé", f"U+{code:04X}"
    assert escaped > 2000
    kept = {chr(byte) for byte in range(0x80)} - set(textsafe._JSON_ASCII_UNESCAPED.decode())
    assert kept == {chr(c) for c in range(0x80) if textsafe._JSON_INVISIBLE.match(chr(c))}
    assert {"\x00", "\x08", "\x0e", "\x1b", "\x7f"} <= kept and "\n" not in kept
    assert textsafe._json_piece("é \U0001f389 \u200c") == "é \U0001f389 \u200c"
