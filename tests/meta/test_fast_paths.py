"""meta/'s fast paths decide exactly what the full rules decide."""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser, LexborNode

from linkhealth.meta.document import _BLOCK_TAG, _in_foreign_content, deep_nesting_offset
from linkhealth.meta.fields import _SEPARATOR, same_key
from linkhealth.meta.notices import (
    _APOSTROPHES,
    _MEANINGFUL,
    _NOTICE,
    _NOTICE_WORDS,
    _PLACEHOLDER,
    not_about_page,
)
from linkhealth.meta.selectors import TITLE_SEPARATORS
from linkhealth.meta.urls import (
    _PLAIN_ROOT_PATH,
    _host_of,
    _resolve,
    host_of,
    plain_origin,
    resolve_http_url,
)
from linkhealth.textsafe import clean_url
from linkhealth.weburl import plain_url

BASES = st.builds(
    lambda s, h, r: s + "".join(h) + "".join(r),
    st.sampled_from(
        ["http://", "https://", "HTTP://", "Https://", "http:", "http:/", "http:///", "ftp://",
         "mailto:", " http://", "\thttp://", "//", ""]
    ),
    st.lists(
        st.sampled_from(
            ["a.example", "H.Example", "www.x", "u:p@", ":", ":80", ":8080", ":99999", ":x",
             "[::1]", "[::1", "127.0.0.2", "例", "%41", "\t", " "]
        ),
        max_size=4,
    ),
    st.lists(st.sampled_from(["/", "/p", "/a/b", "?q=1", "#f", ";p", "/..", "\\"]), max_size=4),
)  # fmt: skip
PATH_PIECES = st.sampled_from(
    ["/", "//", "a", "ok", "5", ".", "..", "/.", "/..", "./", "-", "_", "~", "%20", "%", ";", "?",
     "#", ":", "@", "\\", " ", "\t", "é", "例", "&", "=", "+", "'", "(", "!", "*", "$", ","]
)  # fmt: skip
HREFS = st.builds(lambda p: "/" + "".join(p), st.lists(PATH_PIECES, max_size=8)) | st.builds(
    "".join, st.lists(PATH_PIECES, max_size=8)
)


@settings(max_examples=1500, deadline=None)
@given(BASES, HREFS)
@example("http://a.example/x/y", "/ok/5")
@example("HTTP://A.example:80/", "/a//b")
@example("http://h:99999/", "/a")
@example("http://h:/", "/a")
@example("http://h:065535", "/a")
@example("http://[::1/", "/a")
@example("", "/a")
@example("http:///x", "/a")
@example("https://h/", "/a/./b")
@example("https://h/", "/a/../b")
@example("https://h/", "/a/b/..")
@example("http://a.example/", "/" + "x" * 2031)  # joined: 2,048 characters, kept
@example("http://a.example/", "/" + "x" * 2032)  # 2,049: refused
def test_resolve_of_a_root_path_equals_urljoin(base: str, href: str) -> None:
    cleaned = clean_url(href)
    expected = None if cleaned is None else _resolve(base, cleaned)
    assert resolve_http_url(base, href) == expected


def test_the_root_path_shape() -> None:
    for plain in ["/", "/ok/5", "/a//b", "/a.b/c.", "/%7Euser", "/a-b_c~d!$&'()*+,=@"]:
        assert _PLAIN_ROOT_PATH.fullmatch(plain), plain
    for other in ["", "a", "//h/p", "/.", "/./a", "/a/..", "/a?", "/a#", "/a;p", "/a:b", "/a\\b"]:
        assert not _PLAIN_ROOT_PATH.fullmatch(other), other


URL_PIECES = st.sampled_from(
    ["http://", "https://", "HTTP://", "http:/", "ftp://", " ", "\t", "www.", "a", "B", "0", ".",
     "-", "_", "例", "%41", "@", "u:p@", ":", ":80", ":x", "[::1]", "[", "/", "?", "#", "\\", "\n"]
)  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(st.lists(URL_PIECES, max_size=8).map("".join))
@example("http://127.0.0.2:8080/ok/5")
@example("https://WWW.Example.COM")
@example("http://a.example:80?q")
@example("http://a\t.example/")
@example("http://a.example:x/")
def test_host_of_a_plain_url_equals_urlsplits(url: str) -> None:
    host_of.cache_clear()
    assert host_of(url) == _host_of(url)


@settings(max_examples=2000, deadline=None)
@given(st.lists(URL_PIECES, max_size=8).map("".join), st.lists(URL_PIECES, max_size=4).map("".join))
@example("http://127.0.0.2:8080", "/ok/5")
@example("https://a.example", "/x")
@example("https://a.example", "/x y")
@example("https://a.example", "?q=\u00a0")
@example("https://a.example:65536", "/")
@example("http://", "/a")
@example("https://a--b.example", "#f")
def test_plain_origin_equals_plain_urls_own(origin: str, rest: str) -> None:
    url = origin + rest
    plain = plain_url(url)
    expected = None
    if plain is not None:
        port = plain.group("port")
        host = plain.group("host")
        expected = (f"{plain.group('scheme')}://{host}{':' + port if port else ''}", host)
    assert plain_origin(url) == expected


TITLE_PIECES = st.sampled_from(
    ["Page", " ", "|", " | ", "-", " - ", "–", " – ", "—", " — ", "·", " · ", "•", " • ", ":",
     " : ", "::", " :: ", "»", " » ", "«", " « ", "/", " / ", "a", "\u00a0", "\t"]
)  # fmt: skip


@settings(max_examples=2000, deadline=None)
@given(st.lists(TITLE_PIECES, max_size=8).map("".join))
@example("Title — Site")
@example("a|b")
@example("a - b")
@example("a -b")
def test_the_separator_pattern_finds_exactly_the_separators(title: str) -> None:
    expected = any(sep in title for sep in TITLE_SEPARATORS)
    assert (_SEPARATOR.search(title) is not None) == expected


IDENTITY_PIECES = st.sampled_from(
    ["http://", "https://", "HTTP://", "http:/", "ftp://", " ", "\t", "\x00", "www.", "WWW.", "a",
     "B", "0", "1.2.3.4", "127.0.0.2", ".", "-", "--", "_", "例", "%41", "@", "u:p@", ":", ":80",
     ":8080", ":99999", ":0", ":x", "[::1]", "[", "/", "//", "/a/", "?", "#", "?q=/x/", "#/f/",
     ";p", "\\", "\n"]
)  # fmt: skip


@settings(max_examples=2000, deadline=None)
@given(st.lists(IDENTITY_PIECES, max_size=9).map("".join))
@example("http://127.0.0.2:8080/ok/5/")
@example("https://www.example.com/a/b//?q=1#f")
@example("https://www.example.com#a/b?c")
@example("http://a.example:80?q/")
@example("http://a--b.example/x/")
@example("http://a.example:65536/x/")
def test_page_identity_of_a_plain_url_equals_urlsplits(url: str) -> None:
    from linkhealth.meta.sitewide import page_identity, url_identity
    from linkhealth.models import CheckResult, Verdict

    for fields in ({"url": url}, {"final_url": url}, {"canonical_url": url}):
        result = CheckResult(**{"url": "http://x.example/", "verdict": Verdict.OK, **fields})
        chosen = result.canonical_url or result.final_url or result.url
        assert page_identity(result) == url_identity(chosen)


def _utf16_by_loop(body: bytes) -> str | None:
    """utf16_without_bom's rule, byte by byte."""
    sample = body[:2048]
    pairs = len(sample) // 2
    if pairs < 4:
        return None
    even_zero = sum(1 for i in range(0, pairs * 2, 2) if sample[i] == 0)
    odd_zero = sum(1 for i in range(1, pairs * 2, 2) if sample[i] == 0)
    if even_zero > pairs * 0.3 and odd_zero < pairs * 0.05:
        return "utf-16-be"
    if odd_zero > pairs * 0.3 and even_zero < pairs * 0.05:
        return "utf-16-le"
    return None


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(st.sampled_from([b"\x00", b"a", b"\x00a", b"a\x00", b"\x00\x00", b"<", b"\xff"]))
    .map(b"".join)
    .map(lambda b: b * (1 + 4100 // (len(b) + 1)) if len(b) % 3 == 0 else b)
)
@example("<title>t</title>".encode("utf-16-le") * 200)
@example("<title>t</title>".encode("utf-16-be") * 200 + b"x")
@example(b"\x00aaaaaaa\x00")  # an odd byte at the end is no pair's
def test_utf16_zero_counts_equal_the_byte_loop(body: bytes) -> None:
    from linkhealth.meta.charset import utf16_without_bom

    assert utf16_without_bom(body) == _utf16_by_loop(body)


@settings(max_examples=500, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["og:title", "twitter:title", "description", "author", "x", "dc.title"]),
        st.sampled_from(["", " ", "v", " w "]),
    ),
    st.lists(st.sampled_from(["og:title", "twitter:title", "description", "y", "dc.title"])),
)
def test_meta_lookups_skip_pages_without_the_keys_exactly(
    metas: dict[str, str], keys: list[str]
) -> None:
    from linkhealth.meta.document import Page

    page = Page(url="http://a.example/", base_url="http://a.example/", metas=metas)
    wanted = tuple(keys)
    every = [metas[k] for k in wanted if k in metas and metas[k].strip()]
    assert page.meta_values(wanted) == every
    assert page.meta(wanted) == (every[0] if every else None)


def _add_meta_by_key_list(metas: dict[str, str], attrs: dict[str, str | None]) -> None:
    """document._add_meta's rule as first written: every key of the element, then each kept
    unless an earlier element gave it."""
    from linkhealth.meta.document import MAX_TEXT_CHARS, unescape_twice

    content = attrs.get("content")
    if content is None:
        return
    content = unescape_twice(content[:MAX_TEXT_CHARS])
    keys: list[str] = []
    for attr, prefix in (("property", ""), ("name", ""), ("itemprop", "itemprop:")):
        value = attrs.get(attr)
        if value:
            keys.extend(prefix + token for token in value.lower().split())
    equiv = attrs.get("http-equiv")
    if equiv:
        keys.append("http-equiv:" + equiv.strip().lower())
    for key in keys:
        metas.setdefault(key, content)


_META_ATTRS = st.dictionaries(
    st.sampled_from(["property", "name", "itemprop", "http-equiv", "content", "charset"]),
    st.one_of(
        st.none(),
        st.sampled_from(["", " ", "og:title", "OG:Title description", " a  b ", "x &amp;amp; y"]),
    ),
)


@settings(max_examples=1000, deadline=None)
@given(st.lists(_META_ATTRS, max_size=6))
def test_meta_keys_are_read_as_the_key_list_reads_them(
    elements: list[dict[str, str | None]],
) -> None:
    from linkhealth.meta.document import _add_meta

    fast: dict[str, str] = {}
    rule: dict[str, str] = {}
    for attrs in elements:
        _add_meta(fast, attrs)
        _add_meta_by_key_list(rule, attrs)
    assert fast == rule
    assert list(fast) == list(rule)


def _run_by_pattern(text: str, char: str, length: int) -> bool:
    import re

    return re.search(f"[^{re.escape(char)}]{{{length}}}", text) is not None


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(st.sampled_from([">", "<", "a", "é", "<p>", "x" * 7, ">" * 3, "\n"])).map("".join),
    st.integers(min_value=1, max_value=12),
)
@example("", 1)
@example("abc", 3)  # the whole text is the run
@example("ab>", 3)
@example(">abc", 3)  # a run right after the last ">" of the first window
@example("ab>cd>efg", 3)
@example("ab>cd>ef", 3)
def test_run_without_equals_the_pattern(text: str, length: int) -> None:
    from linkhealth.meta.document import run_without

    assert run_without(text, ">", length) == _run_by_pattern(text, ">", length)


def _crowded_by_pattern(text: str, limit: int) -> int | None:
    from linkhealth.meta.document import _LONG_TAG, _crowded

    for match in _LONG_TAG.finditer(text):
        if _crowded(match.group(0), limit):
            return match.start()
    return None


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["<meta a=1 b=2 c=3>", "<p>", "x" * 700, " d=4" * 300, ">", "<i", " e" * 1100, "é"]
        ),
        max_size=12,
    ).map("".join),
    st.integers(min_value=0, max_value=300),
)
@example("<m" + " a" * 1024 + ">", 3)  # 2,048 characters after "<m": a long tag
@example("<m" + " a" * 1023 + " >", 3)  # 2,047: not long
@example("<m" + " a" * 1024, 3)  # not closed
def test_crowded_tag_offset_equals_the_pattern(text: str, limit: int) -> None:
    from linkhealth.meta.document import crowded_tag_offset

    assert crowded_tag_offset(text, limit) == _crowded_by_pattern(text, limit)


NAME_TEXTS = st.sampled_from(
    ["", " ", "Site", " Site ", "@site", " @Site", "@", "site.example", "Example", "www", "a.b",
     "Ünï", "x" * 600, "Blog", "docs"]
)  # fmt: skip
SITE_HOSTS = st.sampled_from(
    ["http://a.example/p", "https://www.site.example/", "http://blog.site.co.uk/x",
     "http://127.0.0.2:8080/ok/5", "http://localhost/", "https://WWW.Example.COM/a",
     "http://[::1]/", "mailto:x@y", "", "http://a--b.example/", "https://m.docs.site.org/"]
)  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "og:site_name",
                "application-name",
                "apple-mobile-web-app-title",
                "twitter:site",
                "al:ios:app_name",
                "al:android:app_name",
                "x",
            ]
        ),
        NAME_TEXTS,
    ),
    st.lists(
        st.fixed_dictionaries(
            {"@type": st.sampled_from(["WebSite", "Article", "Organization"]), "name": NAME_TEXTS}
        ),
        max_size=2,
    ),
    SITE_HOSTS,
    st.none() | NAME_TEXTS,
)
@example({}, [], "http://x" + "y" * 1000 + ".example/", None)  # a host past the cache bound
def test_site_keys_equal_the_keys_of_site_names(
    metas: dict[str, str], jsonld: list[dict[str, str]], url: str, site_name: str | None
) -> None:
    from linkhealth.meta import fields
    from linkhealth.meta.document import Page

    page = Page(url=url, base_url=url, metas=metas, jsonld=list(jsonld))
    expected = fields._keys(fields.site_names(page, site_name))
    assert fields._site_keys(page, site_name) == expected
    assert fields._site_keys(page, site_name) == expected  # from the per-host cache


# --- round 11: the block-tag pattern grouped, the foreign-content walk, folded keys ----

# document._BLOCK_TAG as first written: every name in one alternation.
_BLOCK_TAG_BY_NAME = re.compile(
    r"<(/?)(?:div|section|article|aside|nav|header|footer|main|ul|ol|dl|blockquote|fieldset"
    r"|figure|figcaption|form|table|details|summary|address|center|menu|hgroup|dialog|search"
    r"|pre|listing|h[1-6])[\s/>]",
    re.IGNORECASE,
)
_TAG_PIECES = st.sampled_from(
    ["<", "</", "/", ">", " ", "\t", "\u3000", "x", "p", "d", "div", "DIV", "Div", "dl", "dlx",
     "details", "dialog", "section", "ſection", "summary", "search", "article", "aside",
     "address", "nav", "header", "hgroup", "h1", "H6", "h7", "h", "footer", "fieldset",
     "figure", "figcaption", "figcaptionx", "fig", "form", "main", "menu", "ul", "ol", "UL",
     "blockquote", "table", "center", "pre", "listing", "İ", "K", "<p>", "<!--"]
)  # fmt: skip


@settings(max_examples=2000, deadline=None)
@given(st.lists(_TAG_PIECES, max_size=30))
@example(["<", "figcaption", ">", "<", "fig", "ure", " ", "</", "dl", "/"])
@example(["<", "ſection", ">", "<", "DIV", "\t", "</", "h6", ">"])
def test_the_grouped_block_pattern_matches_as_the_list_of_names(pieces: list[str]) -> None:
    text = "".join(pieces)
    grouped = [(m.span(), m.group(1)) for m in _BLOCK_TAG.finditer(text)]
    assert grouped == [(m.span(), m.group(1)) for m in _BLOCK_TAG_BY_NAME.finditer(text)]
    assert deep_nesting_offset(text, 2) == _deep_by_name(text, 2)


def test_the_grouped_block_pattern_knows_every_name() -> None:
    names = _BLOCK_TAG_BY_NAME.pattern.split("(?:", 1)[1].split(")", 1)[0].split("|")
    names = [n for n in names if n != "h[1-6]"] + [f"h{k}" for k in range(1, 7)]
    assert len(names) == 33
    for name in names:
        for text in (
            f"<{name}>",
            f"</{name.upper()} ",
            f"<{name}/",
            f"<{name}x>",
            f"<{name[:-1]}>",
        ):
            grouped = [(m.span(), m.group(1)) for m in _BLOCK_TAG.finditer(text)]
            assert grouped == [(m.span(), m.group(1)) for m in _BLOCK_TAG_BY_NAME.finditer(text)]


def _deep_by_name(text: str, limit: int) -> int | None:
    depth = 0
    for match in _BLOCK_TAG_BY_NAME.finditer(text):
        depth = max(0, depth - 1) if match.group(1) else depth + 1
        if depth > limit:
            return match.start()
    return None


def _in_foreign_by_root_walk(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag in ("svg", "math"):
            return True
        parent = parent.parent
    return False


_DOC_PIECES = st.sampled_from(
    ["<svg>", "</svg>", "<math>", "</math>", "<mi>", "<foreignObject>", "<desc>", "<head>",
     "</head>", "<body>", "</body>", "<html>", "<title>t</title>", "<h1>h</h1>", "<p>",
     "<template>", "</template>", "<frameset>", "<annotation-xml encoding=text/html>",
     "<table>", "<td>", "x"]
)  # fmt: skip


@settings(max_examples=1000, deadline=None)
@given(st.lists(_DOC_PIECES, max_size=25))
def test_the_foreign_content_walk_stops_where_the_root_walk_agrees(pieces: list[str]) -> None:
    tree = LexborHTMLParser("".join(pieces))
    for name in ("title", "h1", "p", "head", "body", "desc", "td"):
        for node in tree.tags(name):
            assert _in_foreign_content(node) == _in_foreign_by_root_walk(node)


_ANY_TEXT = st.text(
    st.sampled_from(
        " \t\n\r\x0b\x0c\x1c\x85\xa0\u1680\u2000\u2028\u202f\u3000\x00\u200bß\u0130ſKa.|"
    )
    | st.characters(),
    max_size=40,
)


@settings(max_examples=3000, deadline=None)
@given(_ANY_TEXT)
@example(" a")
@example("a ")
@example("a\xa0b")
@example("")
def test_folded_keys_and_notices_equal_the_split_rules(text: str) -> None:
    assert same_key(text) == " ".join(text.casefold().split())
    assert not_about_page(text) == _not_about_by_split(text)


def _not_about_by_split(text: str) -> bool:
    """notices.not_about_page as first written: whitespace always collapsed by split."""
    lowered = text.casefold()
    if len(lowered) <= 200:
        bare = " ".join(lowered.split()).strip(" .…!?-–—|:·•*_#")
        if not _MEANINGFUL.search(bare) or _PLACEHOLDER.match(bare):
            return True
    if not any(word in lowered for word in _NOTICE_WORDS):
        return False
    return bool(_NOTICE.search(" ".join(lowered.translate(_APOSTROPHES).split())))


def test_printable_text_holds_no_whitespace_but_the_space() -> None:
    # What both fast paths rest on, for every code point.
    found = [c for c in range(sys.maxunicode + 1) if chr(c).isprintable() and chr(c).isspace()]
    assert found == [ord(" ")]


@pytest.mark.parametrize(
    "text",
    ["a b", " a b", "a b ", "a  b", "a\tb", "a\u00a0b", "a\u2028b", "a\x85b", "", " ", "ab", "é ü"],
)
def test_single_spaced_is_the_split_rule(text: str) -> None:
    """textsafe.single_spaced (candidate keys, placeholder notices) is `" ".join(split())`,
    the text itself where that already is it."""
    from linkhealth.textsafe import single_spaced

    assert single_spaced(text) == " ".join(text.split())


def test_single_spaced_over_every_code_point() -> None:
    from linkhealth.textsafe import single_spaced

    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        for text in (f"a{ch}b", f"{ch}a", f"a {ch}"):
            assert single_spaced(text) == " ".join(text.split()), hex(cp)


def test_placeholder_alternatives_fit_the_length_guard() -> None:
    """not_about_page tries the placeholder pattern only on texts of at most
    _PLACEHOLDER_WORD_MAX characters or starting "lorem ipsum": every other alternative
    must fit (a longer one added to the pattern fails here)."""
    from re import _parser  # type: ignore[attr-defined]

    from linkhealth.meta.notices import _LOREM, _PLACEHOLDER_WORD_MAX

    body = _PLACEHOLDER.pattern.removeprefix("^(?:").removesuffix(")$")
    branches = _parser.parse(body).data[0][1][1]  # the alternation's branches
    longest = 0
    for branch in branches:
        rendered = "".join(chr(v) for op, v in branch.data if op is _parser.LITERAL)
        if rendered.startswith(_LOREM):
            continue
        longest = max(longest, branch.getwidth()[1])
    assert longest == _PLACEHOLDER_WORD_MAX
    assert not_about_page("Untitled Document") and not_about_page("lorem ipsum dolor sit amet, x")
    assert not not_about_page("untitled documents")


@pytest.mark.parametrize("text", ["Cookie — accept all cookies", "é we use cookies", "javascript"])
def test_notice_words_are_found_in_wide_texts(text: str) -> None:
    # The words are looked for among the ASCII characters of a text that holds others.
    from linkhealth.meta.notices import _NOTICE_WORDS

    assert all(word.isascii() for word in _NOTICE_WORDS)
    assert not_about_page(text) == _not_about_by_split(text)
    assert not_about_page("We use cookies — a notice")


def test_title_rules_are_tried_only_for_their_hosts() -> None:
    from linkhealth.meta.quirks import _TITLE_RULE_HOSTS, TITLE_RULES, refine
    from linkhealth.models import PageMeta

    assert {host for rule in TITLE_RULES for host in rule.hosts} == _TITLE_RULE_HOSTS
    meta = refine("https://github.com/a/b", PageMeta(title="GitHub - a/b: Does things"))
    assert (meta.title, meta.description) == ("a/b", "Does things")
    kept = refine("https://example.com/a/b", PageMeta(title="GitHub - a/b: Does things"))
    assert kept.title == "GitHub - a/b: Does things"


@pytest.mark.parametrize(
    "content",
    ["x" * 70_000, "&amp;amp;" + "x" * 70_000, "x" * 70_000 + "&amp;amp;", "a &amp;amp; b"],
)
def test_meta_contents_are_cut_and_decoded_as_the_key_list_reads_them(content: str) -> None:
    from linkhealth.meta.document import _add_meta

    fast: dict[str, str] = {}
    rule: dict[str, str] = {}
    _add_meta(fast, {"name": "description", "content": content})
    _add_meta_by_key_list(rule, {"name": "description", "content": content})
    assert fast == rule


def test_a_long_rel_is_read_as_a_short_one() -> None:
    from linkhealth.meta.document import parse_page

    rel = "x " * 100 + "Canonical"
    page = parse_page(f"<link rel='{rel}' href=/c><link rel=canonical href=/d>", "http://a/")
    assert page.link_hrefs(("canonical",)) == ["/c", "/d"]
