"""Hostile pages and arbitrary bytes: sanitised output, bounded work, never an exception."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkhealth.meta import extract_meta, page_anchors
from linkhealth.meta.document import (
    MAX_BLOCK_DEPTH,
    crowded_tag_offset,
    deep_nesting_offset,
    drop_crowded_tags,
    head_region,
)
from linkhealth.meta.extract import _anchors_by_tokenizer, _extract
from linkhealth.textsafe import (
    DEFAULT_DESCRIPTION_MAX,
    DEFAULT_TITLE_MAX,
    ELLIPSIS,
    clean_text,
    clean_url,
    has_unsafe_chars,
)

URL = "https://hostile.example/page"


def _title_of(raw_title: str) -> str | None:
    body = f"<html><head><title>{raw_title}</title></head><body></body></html>".encode()
    return extract_meta(body, "text/html; charset=utf-8", URL).title


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("[click me](javascript:alert(1)) **bold** | `code`", None),
        ("&lt;script&gt;alert(1)&lt;/script&gt; &amp; <b>", "<script>alert(1)</script> & <b>"),
        ("\x1b[31mRed\x1b[0m alert \x1b]8;;http://evil\x07link\x1b]8;;\x07", "Red alert link"),
        ("line one\nline two\r\n\tline three\u2028four", "line one line two line three four"),
        ("safe\u202e\u2066txt.exe\u2069\u200b\u200f name", "safetxt.exe name"),
        # The HTML parser itself turns NUL into U+FFFD.
        ("nul\x00 bell\x07 del\x7f c1\x85\x9b31m end", "nul\ufffd bell del c1 end"),
        ("Cafe\u0301 NFC", "Café NFC"),
        ("   ", None),
    ],
)
def test_hostile_titles_are_sanitised(raw: str, expected: str | None) -> None:
    title = _title_of(raw)
    if raw.strip() == "":
        assert title is None
        return
    assert title is not None
    assert not has_unsafe_chars(title)
    assert "\n" not in title and "\x1b" not in title
    assert title == unicodedata.normalize("NFC", title)
    if expected is not None:
        assert title == expected
    else:  # Markdown stays text: escaping is the reporters' job
        assert title == raw


def test_one_megabyte_title_is_cut_on_a_word_boundary() -> None:
    words = ("lorem ipsum dolor sit amet " * 40_000)[: 1024 * 1024]
    title = _title_of(words)
    assert title is not None
    assert len(title) <= DEFAULT_TITLE_MAX
    assert title.endswith(ELLIPSIS)
    assert title[:-1].split(" ")[-1] in {"lorem", "ipsum", "dolor", "sit", "amet"}


def test_unterminated_huge_title_as_the_fetcher_cut_it() -> None:
    body = b"<html><head><title>" + b"A" * (512 * 1024)
    meta = extract_meta(body, "text/html", URL)
    assert meta.title is not None and len(meta.title) <= DEFAULT_TITLE_MAX


def test_ten_thousand_titles_first_wins() -> None:
    body = ("<html><head>" + "".join(f"<title>T{i}</title>" for i in range(10_000))).encode()
    assert extract_meta(body, "text/html", URL).title == "T0"


def test_huge_description_is_capped() -> None:
    # As long as the fetcher's 512 KiB allows.
    body = ('<meta name="description" content="' + "word " * 100_000 + '">').encode()
    description = extract_meta(body, "text/html", URL).description
    assert description is not None and len(description) <= DEFAULT_DESCRIPTION_MAX


def test_forty_thousand_nested_divs_are_not_parsed() -> None:
    deep = "<div>" * 40_000 + "<h1 id=deep>deep</h1>" + "</div>" * 40_000
    text = "<html><head><title>Nested</title></head><body><h1 id=top>Top</h1>" + deep
    region = head_region(text)
    assert deep_nesting_offset(text) is not None
    assert region.count("<div>") == MAX_BLOCK_DEPTH
    body = text.encode()
    assert extract_meta(body, "text/html", URL).title == "Nested"
    # The <h1> before the deep part is still read: the title of the same page without <title>.
    untitled = text.replace("<title>Nested</title>", "").encode()
    assert extract_meta(untitled, "text/html", URL).title == "Top"
    # Anchors come from a linear tokenizer, and still see every id.
    assert page_anchors(body, "text/html") == {"top", "deep"}


def test_deep_nesting_in_the_head_itself() -> None:
    text = "<html><head>" + "<div>" * 40_000 + "<title>late</title></head>"
    region = head_region(text)
    assert len(region) < 12 + 5 * (MAX_BLOCK_DEPTH + 1)


def test_anchor_paths_agree() -> None:
    text = (
        '<html><head></head><body><h2 id="intro">x</h2><a name="old-anchor">y</a>'
        '<a id="both" name="both-name"></a><span name="not-an-anchor"></span>'
        '<div id="caf\u00e9"></div><!-- <p id="commented"> --><script>var s="<p id=inscript>"'
        "</script></body></html>"
    )
    expected = {"intro", "old-anchor", "both", "both-name", "café"}
    assert page_anchors(text.encode(), "text/html; charset=utf-8") == expected
    assert _anchors_by_tokenizer(text) == expected
    assert page_anchors(b"%PDF-1.7", "application/pdf") == set()


CONTENT_TYPES = st.sampled_from(
    [
        None,
        "text/html",
        "text/html; charset=utf-7",
        "text/html; charset=utf-16",
        "application/pdf",
        "application/octet-stream",
        "image/png",
        "text/plain; charset=koi8-r",
        "text/html; charset=\x00\u202e",
        "garbage",
    ]
)


@settings(max_examples=150, deadline=None)
@given(body=st.binary(max_size=4096), content_type=CONTENT_TYPES)
def test_extract_never_raises_on_arbitrary_bytes(body: bytes, content_type: str | None) -> None:
    meta = _extract(body, content_type, URL)
    _assert_clean(meta.title, meta.description, meta.site_name, meta.lang)
    page_anchors(body, content_type)


_HTML_BITS = st.sampled_from(
    [
        "<html>",
        "<head>",
        "</head>",
        "<title>",
        "</title>",
        "<meta property=og:title content='",
        "'>",
        '<meta charset="',
        'shift_jis">',
        "<svg>",
        "<h1>",
        "</h1>",
        "<p>",
        "<div>",
        '<script type="application/ld+json">',
        '{"@type":"Article","headline":',
        '"x"}',
        "</script>",
        "<link rel=canonical href=",
        "javascript:x",
        "//evil",
        "&amp;",
        "&#0;",
        "\x00",
        "\x1b[2J",
        "\u202e",
        "\n",
        "%PDF-1.4 /Title (",
        ")",
        "<FEFF00410042>",
        "\ufeff",
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(st.one_of(_HTML_BITS, st.text(max_size=20)), max_size=40),
    content_type=CONTENT_TYPES,
)
def test_never_raises_on_html_like_input(parts: list[str], content_type: str | None) -> None:
    body = "".join(parts).encode("utf-8", "surrogatepass")
    meta = _extract(body, content_type, URL)
    _assert_clean(meta.title, meta.description, meta.site_name, meta.lang)
    for url in (meta.canonical_url, meta.image):
        assert url is None or (url.startswith(("http://", "https://")) and clean_url(url) == url)


def _assert_clean(*values: str | None) -> None:
    for value in values:
        if value is not None:
            assert value and not has_unsafe_chars(value)
            assert len(value) <= max(DEFAULT_TITLE_MAX, DEFAULT_DESCRIPTION_MAX)


@settings(max_examples=300, deadline=None)
@given(text=st.text(), limit=st.integers(min_value=1, max_value=400))
def test_sanitize_properties(text: str, limit: int) -> None:
    out = clean_text(text, limit)
    if out is None:
        return
    assert len(out) <= limit
    assert not has_unsafe_chars(out)
    assert out == out.strip() and "  " not in out
    for ch in out:
        assert unicodedata.category(ch) not in ("Cc", "Cs") or ch == ""
        assert ch not in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
    assert clean_text(out, limit) == out  # sanitising twice changes nothing


@settings(max_examples=100, deadline=None)
@given(text=st.text(alphabet=st.characters(codec="utf-8"), min_size=500, max_size=3000))
def test_sanitize_cap_on_long_text(text: str) -> None:
    out = clean_text(text, 120)
    assert out is None or len(out) <= 120


@pytest.mark.parametrize("attr", ["a{i}=x", "a{i}", "a{i}='v v'"])
def test_a_tag_with_forty_thousand_attributes_is_dropped_before_parsing(attr: str) -> None:
    # lexbor is quadratic in attributes per tag (40k took 2.7 s); such a tag is dropped.
    crowded = "<meta " + " ".join(attr.format(i=i) for i in range(40_000)) + ">"
    text = f"<html><head>{crowded}<title>Still here</title></head><body><p id=z>x</p></body>"
    assert crowded_tag_offset(text) == len("<html><head>")
    assert crowded not in head_region(text)
    body = text.encode()
    assert extract_meta(body, "text/html", URL).title == "Still here"
    assert page_anchors(body, "text/html") == {"z"}


def test_ordinary_long_tags_are_kept() -> None:
    long_content = "<meta name=description content='" + "word " * 5_000 + "'>"
    assert crowded_tag_offset(long_content) is None
    assert drop_crowded_tags(long_content) == long_content


def test_nesting_one_past_the_limit_is_found_where_it_starts() -> None:
    assert deep_nesting_offset("<DIV>" * 3, limit=2) == 10
    assert deep_nesting_offset("<div>" * 2 + "</div><p>", limit=2) is None
    assert deep_nesting_offset("<p>" * 50 + "<section>" * 3, limit=2) == 50 * 3 + 2 * 9


class _Recording:
    """Stands in for an lru_cache'd function: records what it is asked to keep."""

    def __init__(self, cached: Any) -> None:
        self.__wrapped__ = cached.__wrapped__
        self.kept: list[Any] = []

    def __call__(self, arg: Any) -> Any:
        self.kept.append(arg)
        return self.__wrapped__(arg)


def test_long_site_names_are_not_kept_by_the_name_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages naming their site with 60,000 characters must not fill the caches of normalised
    names (4,096 and 1,024 entries) with such texts; short names are kept."""
    from linkhealth.meta import fields

    norm = _Recording(fields._norm_kept)
    keys = _Recording(fields._names_keys)
    monkeypatch.setattr(fields, "_norm_kept", norm)
    monkeypatch.setattr(fields, "_names_keys", keys)
    for n, site in enumerate(["Short Site", "x" * 60_000, "Site " + "y" * 60_000]):
        body = (
            f'<html><head><meta property="og:site_name" content="{site}">'
            f"<title>Page {n} | Short Site</title></head></html>"
        ).encode()
        extract_meta(body, "text/html", f"https://h.example/{n}")
    assert norm.kept and keys.kept  # the short names went through the caches
    assert max(len(text) for text in norm.kept) <= fields._KEYS_CACHED_CHARS
    assert max(sum(map(len, names)) for names in keys.kept) <= fields._KEYS_CACHED_CHARS


def test_long_texts_are_not_kept_by_the_folded_keys_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """A candidate's folded key is kept per text (the site-wide pass folds each again), but
    never for a text longer than the caches keep: a 60,000-character title is folded as is."""
    from linkhealth.meta import fields

    same = _Recording(fields._same_kept)
    monkeypatch.setattr(fields, "_same_kept", same)
    long_title = "Long " + "z" * 60_000
    assert fields.same_key(long_title) == long_title.casefold()
    assert fields.same_key("Short  Title") == "short title"
    assert same.kept == ["Short  Title"]
