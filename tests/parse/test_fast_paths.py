"""The fast paths for plain http(s) URLs decide exactly what the full rules decide."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkhealth.parse import extract, extract_text, lint, markdown, walk
from linkhealth.parse.extract import _bare_matches, _linkified
from linkhealth.parse.urls import _diagnose, diagnose, scheme_typo
from linkhealth.weburl import _parsed_key, host_key, normalise_url, parse_url, scheme_and_host

SCHEMES = st.sampled_from(
    ["http://", "https://", "HTTP://", "Https://", "http:/", "http:///", "https:\\\\", "htps://",
     "http//", " http://", "ftp://", "javascript:", ""]
)  # fmt: skip
HOST_PIECES = st.sampled_from(
    ["a", "h1", "bench", "test", "x", "Z", ".", "-", "--", "xn--", "xn--bcher-kva", "xn--zz",
     "1", "127.0.0.1", "08", "例", "ü", "_", ":", ":80", ":443", ":8080", ":x", "@", "u:p@",
     "[", "]", "[::1]", "%", "a" * 63, "b" * 64, "\t", " "]
)  # fmt: skip
REST_PIECES = st.sampled_from(
    ["/", "//", "?", "#", "?#", "#?", "%", "%20", "%zz", "p", "q=1", "&", "=", "\\", "..", ":",
     "@", ";", "ü", "例", " ", "\t", "\n", "\x00", "\x7f", "\x85", "\u00a0", "\u2028", "~",
     "(", ")", "[", "]", "'", '"', "<", ">", "|", "^", "`", "{", "}"]
)  # fmt: skip
URLS = st.builds(
    lambda s, h, r: s + "".join(h) + "".join(r),
    SCHEMES,
    st.lists(HOST_PIECES, max_size=6),
    st.lists(REST_PIECES, max_size=6),
)
# Near the fast paths' edge: http(s), host labels of letters, digits and hyphens.
LABELS = st.text(alphabet="abz019-AX", min_size=0, max_size=5) | st.sampled_from(["xn--", "a" * 63])
NEAR = st.builds(
    lambda s, h, r: s + ".".join(h) + "".join(r),
    st.sampled_from(["http://", "https://"]),
    st.lists(LABELS, min_size=1, max_size=4),
    st.lists(REST_PIECES, max_size=6),
)
# IPv4 literals and ports, canonical or not.
OCTETS = st.sampled_from(["0", "1", "9", "10", "99", "100", "199", "249", "250", "255", "256",
                          "01", "00", "300", "a"])  # fmt: skip
PORTS = st.sampled_from(["", ":0", ":1", ":80", ":443", ":8080", ":65535", ":65536", ":099",
                         ":99999", ":", ":1x"])  # fmt: skip
NEAR_ADDRESS = st.builds(
    lambda s, h, p, r: s + ".".join(h) + p + "".join(r),
    st.sampled_from(["http://", "https://"]),
    st.lists(OCTETS, min_size=1, max_size=5),
    PORTS,
    st.lists(REST_PIECES, max_size=4),
)
EXAMPLES = [
    "https://h1.bench.test/p/0/tutorial-797926",
    "http://x.org",
    "http://x.org?",
    "http://x.org/p?#",
    "http://x.org/p?",
    "http://x.org#",
    "http://x.org/#",
    "http://x.org/a#b#",
    "http://x.org/a#b?c",
    "http://x.org?q#f",
    "https://xn--bcher-kva.de/",
    "https://xn--zz.de/",
    "https://a--b.de/",
    "https://1.2.3.4/",
    "https://x.org./",
    "https://x.org:443/",
    "https://u@x.org/",
    "https://x.org/ a",
    "https://" + "a" * 64 + ".org/",
    "http://[]@",  # yarl raised IndexError here: the key is the text itself
    "http://127.0.0.2:8080/x",
    "http://127.0.0.2:80/x",
    "https://127.0.0.2:443",
    "http://127.0.0.1:8080?q#f",
    "http://1.2.3.4:65536/",
    "http://a.b:0080/",
    "http://01.2.3.4/",
    "http://a-.b/",
    "http://a.b-/",
    "http://-a.b/",
    "http://" + "a" * 63 + ".b/",
    "http://" + "a" * 64 + ".b/",
    "http://b." + "a" * 63 + "/",
    "http://1.2.3.4.5/",
]


def _same(url: str) -> None:
    for destination in (True, False):
        assert diagnose(url, destination=destination) == _diagnose(url, destination=destination), (
            url
        )
    assert normalise_url(url) == _parsed_key(url), url
    assert _origin(url, fast=True) == _origin(url, fast=False), url


def _origin(url: str, *, fast: bool) -> tuple[str, str] | None:
    """(scheme, host key) of ``url`` by the fast path or by the parser; None: malformed."""
    try:
        if fast:
            return scheme_and_host(url)
        parsed = parse_url(url)
        return (parsed.scheme or "").lower(), host_key(parsed)
    except ValueError:
        return None


def test_examples() -> None:
    for url in EXAMPLES:
        _same(url)


@settings(max_examples=1000, deadline=None)
@given(URLS)
def test_generated_urls(url: str) -> None:
    _same(url)


@settings(max_examples=1000, deadline=None)
@given(NEAR)
def test_urls_near_the_fast_paths(url: str) -> None:
    _same(url)


@settings(max_examples=1000, deadline=None)
@given(NEAR_ADDRESS)
def test_addresses_and_ports_near_the_fast_paths(url: str) -> None:
    _same(url)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=60).map(lambda t: "https://x.org/" + t))
def test_any_text_after_a_plain_origin(url: str) -> None:
    _same(url)


@settings(max_examples=1000, deadline=None)
@given(st.sampled_from(["http://", "https://"]), st.text(max_size=30))
def test_right_prefixes_are_no_scheme_typo(prefix: str, rest: str) -> None:
    # lint's scanner skips a word whose scheme-and-slashes part is exactly "http://" or
    # "https://" (no third slash or backslash) without asking scheme_typo
    assert scheme_typo(prefix + rest.lstrip("/\\")) is None
    assert scheme_typo(prefix + "/x.org") is not None  # a third slash: asked, and a typo


BARE_PIECES = st.sampled_from(
    ["https://", "http://", "HTTP://", "a", "b0", "-", ".", "..", "/", "_", "é", "x.org", "co",
     ".test", "h0.bench", " ", "\t", "\n", "\u00a0", "\u2003", "\x1f", "—", ",", ";", ".", ":",
     "?", "#", "(", ")", "[", "]", "<", ">", "'", '"', "*", "~", "|", "!", "&", "=", "%20",
     "@", "www.", "WWW.", "mailto:", "ftp:", "//"]
)  # fmt: skip


@settings(max_examples=1000, deadline=None)
@given(st.lists(BARE_PIECES, max_size=14).map("".join))
def test_plain_bare_urls_as_linkify_finds_them(run: str) -> None:
    assert _bare_matches(run) == _linkified(run), run


NEAR_BARE = st.builds(
    lambda pre, scheme, labels, tld, path, post: (
        f"{pre}{scheme}{'.'.join(labels)}{tld}{path}{post}"
    ),
    st.lists(BARE_PIECES, max_size=3).map("".join) | st.sampled_from(["", " ", "x ", "\n"]),
    st.sampled_from(["https://", "http://", "Https://"]),
    st.lists(
        st.text(alphabet="ab0", min_size=1, max_size=4)
        | st.text(alphabet="ab0-_A", min_size=0, max_size=4),
        min_size=1,
        max_size=3,
    ),
    st.sampled_from([".org", ".test", ".org", ".c", ".co", ".x1", ""]),
    st.lists(
        st.text(alphabet="aZ0_-", max_size=4).map("/".__add__)
        | st.text(alphabet="/aZ0_-.,;!?()[]'é~#%", max_size=4),
        max_size=4,
    ).map("".join),
    st.lists(BARE_PIECES, max_size=3).map("".join) | st.sampled_from(["", " ", " y", "\n"]),
)


@settings(max_examples=1000, deadline=None)
@given(NEAR_BARE)
def test_near_plain_bare_urls_as_linkify_finds_them(run: str) -> None:
    assert _bare_matches(run) == _linkified(run), run


def test_plain_bare_url_examples() -> None:
    for run in [
        "https://h0.bench.test/p/1/attention-681098 retrieval agents",
        "x https://a.bc/ y",
        "see https://a.bc/c_d-e/\nnext",
        "https://a.bc/c. and",
        "(https://a.bc/c)",
        "https://a.bc/x—y",
    ]:
        assert _bare_matches(run) == _linkified(run), run


# lint's scanners: the pattern that skips right "http(s)://" prefixes and the quick hint
# before the split-host pattern find what the plain pattern and no hint found.
_OLD_TYPO_WORD_RE = re.compile(r"(?<![\w/.:@\\-])[A-Za-z]{3,8}(?::[/\\]*|;[/\\]*|//)(?=[\w.-])")
LINT_PIECES = st.sampled_from(
    ["https://", "http://", "http:///", "htps://", "https:/", "http//", "hhttps://", "HTTP://",
     "http:\\\\", "ftp://", "x", "a.org", "simonwil", " ", "\t", "lison.net", "/p", ".", "-",
     "(", ")", "[", "]", "](", "<", ">", "'", "é", "\u212a", "\u017f", "localhost", ":8080",
     "\n", "@", "www.", "ttp://", "https;//"]
)  # fmt: skip


@settings(max_examples=1000, deadline=None)
@given(st.lists(LINT_PIECES, max_size=16).map("".join))
def test_lint_scanners_find_what_the_plain_patterns_find(text: str) -> None:
    fast = lint.scan_text(text, lambda pos: False)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(lint, "_TYPO_WORD_RE", _OLD_TYPO_WORD_RE)
        m.setattr(lint, "_SPLIT_HOST_HINT", re.compile(""))
        assert lint.scan_text(text, lambda pos: False) == fast, text


LINK_PIECES = st.sampled_from(
    ["[", "]", "(", ")", "!", "a", "b c", " ", "\t", "\n", "\\", "`", "<", ">", "&amp;", "&",
     "é", "\x00", "\x7f", '"t"', "'", "https://x.org/p", "?q=1", "#f", "_", "*"]
)  # fmt: skip
LINKS = st.builds(
    lambda bang, label, dest: f"{bang}[{label}]{dest}",
    st.sampled_from(["", "!"]),
    st.lists(LINK_PIECES, max_size=5).map("".join),
    st.one_of(
        st.lists(LINK_PIECES, max_size=5).map(lambda p: "(" + "".join(p) + ")"),
        st.lists(LINK_PIECES, max_size=5).map(lambda p: "[" + "".join(p) + "]"),
        st.just(""),
    ),
)


@settings(max_examples=1500, deadline=None)
@given(LINKS)
def test_plain_links_as_the_close_reading_finds_them(text: str) -> None:
    plain = markdown.plain_link(text, 0, len(text))
    if plain is None:
        return
    first = 1 if text.startswith("!") else 0
    end = markdown.label_end(text, first, len(text), [])
    dest = markdown.inline_destination(text, end + 1, len(text))
    assert plain[0] == end, text
    assert plain[1] == dest, text
    # verbatim: no emphasis, strikethrough, entity, line end or NUL in the label
    assert plain[3] == (re.search(r"[*_~&\n\x00]", text[first + 1 : end]) is None), text
    if dest is None:  # a reference: the label it uses
        key = markdown.reference_key(text, first + 1, end, len(text))
        assert markdown.normalize_reference(plain[2]) == key, text


PARAGRAPH_PIECES = st.sampled_from(
    ["[t](https://a.org/x)", "[t] (https://b.org)", "[t](htps://c.org)", "](", "[", "]", "(",
     ")", "<https://d.org>", "`code`", "`", "<b>", "</b>", "https://e.org", "htps://f.org",
     "http//g.org", "https:/h.org", "https://simonwil lison.net/x", ";", ":", "/", "//", " ",
     "\n", "me@i.org", "www.j.org", "![i](k.png)", "[r]", "[r]: https://r.org\n\n", "—", "x"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(PARAGRAPH_PIECES, max_size=12).map("".join))
def test_scanning_only_where_a_hit_can_start_finds_the_same(text: str) -> None:
    fast = extract_text(text, "f.md")
    with pytest.MonkeyPatch.context() as m:
        m.setattr(extract, "SCAN_HINT", re.compile(""))
        m.setattr(extract, "ANY_HINT", re.compile(""))
        m.setattr(walk, "ANY_HINT", re.compile(""))  # (the plain lines' text after a link)
        full = extract_text(text, "f.md")
    assert fast.findings == full.findings and fast.occurrences == full.occurrences, text


PLAIN_TAILS = st.sampled_from(
    ["", " ", " x", " - see https://e.org/p", " me@g.org", " www.f.org", " htps://t.org",
     " a: b", " a;b", " 1.5", " /x/", " http//g.org", " https:/h.org", " (https://i.org",
     " https://simonwil lison.net/x", " —", " qavascript:x", " javascript:x", " ftp://f.org"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(PLAIN_TAILS, min_size=1, max_size=8))
def test_plain_lines_scanned_only_where_a_hit_can_start_find_the_same(tails: list[str]) -> None:
    # every line plain (parse/walk.py's _plain_lines): the text after each link is scanned
    # only where it has a hint
    text = "# T\n" + "".join(f"- [t{i}](https://a.org/{i}){t}\n" for i, t in enumerate(tails))
    fast = extract_text(text, "f.md")
    with pytest.MonkeyPatch.context() as m:
        m.setattr(walk, "ANY_HINT", re.compile(""))
        full = extract_text(text, "f.md")
        m.setattr(walk, "_PLAIN_CHUNKS", False)
        tree = extract_text(text, "f.md")
    assert fast.findings == full.findings == tree.findings, text
    assert fast.occurrences == full.occurrences == tree.occurrences, text


LABEL_PIECES = st.sampled_from(
    ["a", "B c", " ", "  ", "\t", "\n", "*", "**", "_", "~", "~~", "&amp;", "&#106;", "&", "!",
     "é", "\u00a0", "\u2003", "qavascript:", "javascript:", "|", ":", "@", "www.x.org", "#",
     "$", "^", "=", "+", "-", "\ufffd", "'", '"', "(", ")"]
)  # fmt: skip
LABEL_CONTEXTS = st.sampled_from(
    ["{}", "- {} tail", "1. x {}", "> {}", "# {}", "| h |\n|---|\n| {} |", "*{}*", "t\n{}\nt"]
)


@settings(max_examples=1000, deadline=None)
@given(st.lists(LABEL_PIECES, max_size=6).map("".join), LABEL_CONTEXTS)
def test_plain_link_texts_as_the_tree_says_them(label: str, context: str) -> None:
    """A plain label's text read from the source is the text of the tree's nodes."""
    text = context.format(f"[{label}](https://x.org/p) [{label}][r]\n\n[r]: https://r.org/\n")
    fast = extract_text(text, "f.md")
    with pytest.MonkeyPatch.context() as m:
        m.setattr(walk, "_VERBATIM_LABELS", False)
        tree = extract_text(text, "f.md")
    assert fast.occurrences == tree.occurrences and fast.findings == tree.findings, text


@settings(max_examples=1000, deadline=None)
@given(st.lists(LABEL_PIECES | st.sampled_from(["\x0b", "\x1c", "K", "\u212a", "ß"]), max_size=6))
def test_plain_reference_labels_normalised_as_the_rule(pieces: list[str]) -> None:
    label = "".join(pieces)
    fast = markdown.normalize_reference(label)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(markdown, "_PLAIN_LABEL_RE", re.compile(r"(?!)"))
        assert markdown.normalize_reference(label) == fast, repr(label)


@settings(max_examples=1000, deadline=None)
@given(st.text(), st.integers(min_value=0, max_value=30))
def test_word_end_as_the_character_loop(text: str, pos: int) -> None:
    pos = min(pos, len(text))  # where a scheme's match ends
    end = pos
    while end < len(text) and not text[end].isspace() and text[end] not in "<>[]()":
        end += 1
    assert lint.word_end(text, pos) == end, repr(text)


TYPO_PIECES = LINT_PIECES | st.sampled_from(
    ["abcdefgh", "abcdefghi", "ab", "Xhttps://", "a;", ";/", ":\\", "1", "_", "\u00e9tps://",
     "s://", "//", ";", ":", "tp://x", "https://-", "http://."]
)  # fmt: skip


@settings(max_examples=2000, deadline=None)
@given(st.lists(TYPO_PIECES, max_size=12).map("".join))
def test_typo_words_tried_at_separators_as_the_pattern_finds_them(text: str) -> None:
    """lint.typo_words tries the scheme-typo pattern only where a word ends at a
    separator: the same matches as trying it at every position."""
    fast = [(m.span(), m.group()) for m in lint.typo_words(text)]
    assert fast == [(m.span(), m.group()) for m in lint._TYPO_WORD_RE.finditer(text)], text
