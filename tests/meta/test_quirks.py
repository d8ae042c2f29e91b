"""Known-site rules: arXiv PDFs take their abstract page, YouTube and advertised oEmbed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkhealth.meta import extract_meta
from linkhealth.meta import quirks as quirks_module
from linkhealth.meta.quirks import followup_url, merge_followup
from linkhealth.meta.urls import host_of
from linkhealth.models import PageMeta

FIXTURES = Path(__file__).parent / "fixtures"
PDF_META = PageMeta(content_type="application/pdf")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://arxiv.org/pdf/2408.13296", "https://arxiv.org/abs/2408.13296"),
        ("https://arxiv.org/pdf/2408.13296v3", "https://arxiv.org/abs/2408.13296v3"),
        ("http://arxiv.org/pdf/1706.03762v7.pdf", "https://arxiv.org/abs/1706.03762v7"),
        ("https://www.arxiv.org/pdf/2401.00001.pdf", "https://arxiv.org/abs/2401.00001"),
        ("https://export.arxiv.org/pdf/hep-th/9901001v2", "https://arxiv.org/abs/hep-th/9901001v2"),
        ("https://arxiv.org/pdf/2408.13296?download=1", "https://arxiv.org/abs/2408.13296"),
        ("https://arxiv.org/abs/2408.13296", None),
        ("https://notarxiv.org/pdf/2408.13296", None),
        ("https://arxiv.org.evil.example/pdf/2408.13296", None),
        ("https://arxiv.org/pdf/2408.13296/../../etc", None),
    ],
)
def test_arxiv_pdf_followup(url: str, expected: str | None) -> None:
    assert followup_url(url, PDF_META, b"%PDF-1.5", "application/pdf") == expected


def _oembed_target(endpoint: str | None) -> str:
    assert endpoint is not None
    query = parse_qs(urlsplit(endpoint).query)
    assert query["format"] == ["json"]
    return query["url"][0]


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/watch?v=kCc8FmEb1nY",
        "https://youtube.com/watch?feature=share&v=kCc8FmEb1nY&t=42s",
        "https://m.youtube.com/watch?v=kCc8FmEb1nY",
        "https://youtu.be/kCc8FmEb1nY?si=abc",
        "https://www.youtube.com/shorts/kCc8FmEb1nY",
    ],
)
def test_youtube_uses_oembed_even_unadvertised(url: str) -> None:
    good = PageMeta(title="Already a good title", content_type="text/html")
    endpoint = followup_url(url, good, b"<html><head></head></html>", "text/html")
    assert endpoint is not None and endpoint.startswith("https://www.youtube.com/oembed?")
    assert _oembed_target(endpoint) == "https://www.youtube.com/watch?v=kCc8FmEb1nY"


def test_not_a_video_url() -> None:
    meta = PageMeta(title="Channel", content_type="text/html")
    assert followup_url("https://www.youtube.com/@karpathy", meta, b"", "text/html") is None
    assert followup_url("https://www.youtube.com/watch?v=short", meta, b"", "text/html") is None


ADVERTISING = (
    b'<html><head><link rel="alternate" type="application/json+oembed" '
    b'href="/oembed?url=https%3A%2F%2Fvideos.example%2Fv%2F1&amp;format=json" title="x">'
    b'<link rel="alternate" type="text/xml+oembed" href="/oembed.xml"></head><body>'
)


def test_advertised_oembed_followed_when_the_page_has_no_title() -> None:
    url = "https://videos.example/v/1"
    meta = extract_meta(ADVERTISING, "text/html", url)
    assert meta.title is None
    assert followup_url(url, meta, ADVERTISING, "text/html") == (
        "https://videos.example/oembed?url=https%3A%2F%2Fvideos.example%2Fv%2F1&format=json"
    )


def test_advertised_oembed_ignored_when_the_page_describes_itself() -> None:
    body = ADVERTISING.replace(b"</head>", b"<title>Own title</title></head>")
    meta = extract_meta(body, "text/html", "https://blog.example/post")
    assert followup_url("https://blog.example/post", meta, body, "text/html") is None


def test_advertised_oembed_must_be_http() -> None:
    body = b'<link rel=alternate type=application/json+oembed href="javascript:alert(1)">'
    meta = PageMeta(content_type="text/html")
    assert followup_url("https://a.example/", meta, body, "text/html") is None


def test_merge_youtube_oembed() -> None:
    primary = extract_meta(
        (FIXTURES / "youtube_watch.html").read_bytes(),
        "text/html",
        "https://www.youtube.com/watch?v=kCc8FmEb1nY",
    )
    oembed = {
        "title": "Let's build GPT: from scratch, in code, spelled out.\n",
        "author_name": "Andrej Karpathy",
        "author_url": "https://www.youtube.com/@AndrejKarpathy",
        "type": "video",
        "provider_name": "YouTube",
        "thumbnail_url": "https://i.ytimg.com/vi/kCc8FmEb1nY/hqdefault.jpg",
        "html": "<iframe></iframe>",
    }
    body = json.dumps(oembed).encode()
    merged = merge_followup(
        primary, "https://www.youtube.com/oembed?url=x", body, "application/json"
    )
    assert merged.title == "Let's build GPT: from scratch, in code, spelled out."
    assert merged.site_name == "Andrej Karpathy"
    assert merged.description == primary.description
    assert merged.published == "2023-01-17"
    assert merged.image == primary.image


def test_merge_oembed_fills_a_consent_page() -> None:
    primary = PageMeta(title=None, content_type="text/html")
    body = (
        b'{"title": "\\u001b[2JVideo\\u202e", "provider_name": "Vimeo", "thumbnail_url": "ftp://x"}'
    )
    merged = merge_followup(primary, "https://vimeo.com/api/oembed.json?url=x", body, None)
    assert (merged.title, merged.site_name, merged.image) == ("Video", "Vimeo", None)


@pytest.mark.parametrize("body", [b"", b"not json", b"[1, 2]", b"{" * 100_000, b'{"title": 5}'])
def test_merge_bad_oembed_keeps_primary(body: bytes) -> None:
    primary = PageMeta(title="Kept", site_name="Site", content_type="text/html")
    assert merge_followup(primary, "https://x.example/oembed", body, "application/json") == primary


def test_merge_arxiv_abstract_page() -> None:
    primary = extract_meta(b"%PDF-1.5\n", "application/pdf", "https://arxiv.org/pdf/2408.13296")
    body = (FIXTURES / "arxiv_abs.html").read_bytes()
    merged = merge_followup(primary, "https://arxiv.org/abs/2408.13296", body, "text/html")
    assert merged.title is not None
    assert merged.title.startswith("The Ultimate Guide to Fine-Tuning LLMs")
    assert "[2408.13296]" not in merged.title
    assert merged.description is not None
    assert merged.description.startswith("This report examines the fine-tuning")
    assert merged.site_name == "arXiv"
    assert merged.published == "2024-08-23"
    assert merged.content_type == "application/pdf"


def test_merge_arxiv_title_prefix_dropped_when_only_title_tag() -> None:
    body = b"<html><head><title>[2408.13296] A Paper Title</title></head></html>"
    merged = merge_followup(PDF_META, "https://arxiv.org/abs/2408.13296", body, "text/html")
    assert merged.title == "A Paper Title"


def test_merge_generic_page_fills_only_missing_fields() -> None:
    primary = PageMeta(title="Own", content_type="text/html")
    body = b'<title>Other</title><meta name="description" content="From the other page">'
    merged = merge_followup(primary, "https://other.example/", body, "text/html")
    assert (merged.title, merged.description) == ("Own", "From the other page")


# --- issue 17: one case per quirk-table entry, against page shapes written here -------

X_NOTICE = (
    "We've detected that JavaScript is disabled in this browser. Please enable JavaScript "
    "or switch to a supported browser to continue using x.com."
)
X_PAGE = (
    '<html><head><title>Ada Example on X: "Shipping the parser today. Thread below." / X'
    f'</title><meta name="description" content="{X_NOTICE}"></head><body></body></html>'
).encode()
X_POST_OEMBED = {
    "url": "https://twitter.com/adaexample/status/1790000000000000001",
    "author_name": "Ada Example",
    "author_url": "https://twitter.com/adaexample",
    "html": '<blockquote class="twitter-tweet"><p lang="en" dir="ltr">Shipping the parser '
    'today. Thread below. <a href="https://t.co/abc">pic.twitter.com/abc</a></p>&mdash; Ada '
    'Example (@adaexample) <a href="https://twitter.com/adaexample/status/1">May 1</a>'
    "</blockquote>",
    "type": "rich",
    "provider_name": "Twitter",
    "version": "1.0",
}
X_PROFILE_OEMBED = {
    "url": "https://twitter.com/adaexample",
    "author_name": "Ada Example",
    "author_url": "https://twitter.com/adaexample",
    "html": '<a class="twitter-timeline" href="https://twitter.com/adaexample">Tweets by '
    "adaexample</a>",
    "type": "rich",
    "provider_name": "Twitter",
}
TIKTOK_OEMBED = {
    "title": "Three knots every climber should know #climbing",
    "author_name": "Rope Lab",
    "author_unique_id": "ropelab",
    "provider_name": "TikTok",
    "type": "video",
    "thumbnail_url": "https://p16.tiktokcdn.example/thumb.jpg",
}
SPOTIFY_OEMBED = {
    "title": "Deep Work Focus Mix",
    "provider_name": "Spotify",
    "type": "rich",
    "thumbnail_url": "https://i.scdn.example/image/ab67",
}
REDDIT_OEMBED = {
    "title": "What finally made backpropagation click for you?",
    "author_name": "gradient_fan",
    "provider_name": "reddit",
    "type": "rich",
}

# (entry name, page URL, expected follow-up URL start, oEmbed JSON, expected fields)
OEMBED_CASES = [
    (
        "x-post",
        "https://x.com/adaexample/status/1790000000000000001?s=20",
        "https://publish.twitter.com/oembed?url=https%3A%2F%2Ftwitter.com%2Fadaexample%2F"
        "status%2F1790000000000000001&",
        X_POST_OEMBED,
        {
            "title": "Ada Example (@adaexample)",
            "description": "Shipping the parser today. Thread below. pic.twitter.com/abc",
            "site_name": "X",
        },
    ),
    (
        "x-profile",
        "https://twitter.com/adaexample",
        "https://publish.twitter.com/oembed?url=https%3A%2F%2Ftwitter.com%2Fadaexample&",
        X_PROFILE_OEMBED,
        {"title": "Ada Example (@adaexample)", "site_name": "X"},
    ),
    (
        "tiktok",
        "https://www.tiktok.com/@ropelab/video/7300000000000000001?lang=en",
        "https://www.tiktok.com/oembed?url=https%3A%2F%2Fwww.tiktok.com%2F%40ropelab%2Fvideo"
        "%2F7300000000000000001",
        TIKTOK_OEMBED,
        {"title": "Three knots every climber should know #climbing", "site_name": "Rope Lab"},
    ),
    (
        "spotify",
        "https://open.spotify.com/intl-de/playlist/37i9dQZF1DX8NTLI2TtZa6?si=abc",
        "https://open.spotify.com/oembed?url=https%3A%2F%2Fopen.spotify.com%2Fplaylist%2F"
        "37i9dQZF1DX8NTLI2TtZa6",
        SPOTIFY_OEMBED,
        {"title": "Deep Work Focus Mix", "site_name": "Spotify"},
    ),
    (
        "reddit",
        "https://old.reddit.com/r/MachineLearning/comments/1abcde/what_finally_made/",
        "https://www.reddit.com/oembed?url=https%3A%2F%2Fwww.reddit.com%2Fr%2FMachineLearning"
        "%2Fcomments%2F1abcde%2F",
        REDDIT_OEMBED,
        {
            "title": "What finally made backpropagation click for you?",
            "site_name": "r/MachineLearning",
        },
    ),
]


@pytest.mark.parametrize(
    ("name", "url", "endpoint", "data", "expected"), OEMBED_CASES, ids=[c[0] for c in OEMBED_CASES]
)
def test_oembed_quirks(
    name: str, url: str, endpoint: str, data: dict[str, str], expected: dict[str, str]
) -> None:
    page = X_PAGE if name.startswith("x-") else b"<html><head><title>App</title></head></html>"
    primary = extract_meta(page, "text/html", url)
    follow = followup_url(url, primary, page, "text/html")
    assert follow is not None and follow.startswith(endpoint), follow
    merged = merge_followup(primary, follow, json.dumps(data).encode(), "application/json")
    assert {k: getattr(merged, k) for k in expected} == expected


def test_x_page_without_oembed_reads_like_a_person_wrote_it() -> None:
    meta = extract_meta(X_PAGE, "text/html", "https://x.com/adaexample/status/1790000000000000001")
    assert meta.title == "Ada Example"
    assert meta.description == "Shipping the parser today. Thread below."


@pytest.mark.parametrize(
    "url",
    [
        "https://x.com/home",
        "https://x.com/search?q=x",
        "https://x.com/i/flow/login",
        "https://twitter.com/explore",
        "https://x.com/adaexample/likes",
    ],
)
def test_x_site_paths_are_not_accounts(url: str) -> None:
    meta = PageMeta(title="X", content_type="text/html")
    assert followup_url(url, meta, b"", "text/html") is None


GITHUB_PAGE = (
    b"<html><head><title>GitHub - ada/ropes: Ropes for text editors, in Rust.</title>"
    b'<meta property="og:title" content="GitHub - ada/ropes: Ropes for text editors, in Rust.">'
    b'<meta property="og:description" content="Ropes for text editors, in Rust. Contribute to '
    b'ada/ropes development by creating an account on GitHub.">'
    b'<meta property="og:site_name" content="GitHub"></head></html>'
)


def test_github_contribute_sentence_dropped() -> None:
    meta = extract_meta(GITHUB_PAGE, "text/html", "https://github.com/ada/ropes")
    assert (meta.title, meta.description) == ("ada/ropes", "Ropes for text editors, in Rust.")
    bare = GITHUB_PAGE.replace(b"Ropes for text editors, in Rust. Contribute", b"Contribute")
    bare = bare.replace(b": Ropes for text editors, in Rust.", b"")
    meta = extract_meta(bare, "text/html", "https://github.com/ada/empty")
    assert (meta.title, meta.description) == ("ada/ropes", None)


def amazon_page(title: str, product: str | None, filler: int = 300_000) -> bytes:
    """A shop page shape: banner <title>, then a long body before the product title span."""
    span = (
        f'<span id="productTitle" class="a-size-large product-title-word-break">\n   {product}'
        "   \n</span>"
        if product
        else ""
    )
    return (
        f"<html><head><title>{title}</title></head><body>"
        + '<div class="nav">'
        + "<a href='/x'>Deals</a>" * (filler // 24)
        + "</div>"
        + f'<div id="titleSection"><h1 id="title">{span}</h1></div></body></html>'
    ).encode()


@pytest.mark.parametrize(
    ("title", "followed"),
    [
        ("Amazon.com", True),
        ("Amazon.com. Spend less. Smile more.", True),
        ("Amazon.co.uk: Low Prices in Electronics, Books, Sports Equipment & more", True),
        ("Amazon.com: Walnut Desk, 120 cm : Home & Kitchen", False),
    ],
)
def test_amazon_banner_title_reads_the_product_title_element(title: str, followed: bool) -> None:
    url = "https://www.amazon.com/Walnut-Desk-120/dp/B0TESTDESK/ref=sr_1_1?keywords=desk"
    head = amazon_page(title, None)
    primary = extract_meta(head, "text/html", url)
    follow = followup_url(url, primary, head, "text/html")
    if not followed:
        assert follow is None
        assert primary.title == "Walnut Desk, 120 cm"
        return
    assert follow == "https://www.amazon.com/dp/B0TESTDESK"
    full = amazon_page(title, "Walnut Desk, 120 cm, Oiled")
    merged = merge_followup(primary, follow, full, "text/html; charset=utf-8")
    assert merged.title == "Walnut Desk, 120 cm, Oiled"
    # A full page without the element keeps what the page had.
    assert merge_followup(primary, follow, head, "text/html").title == primary.title


def test_every_quirk_entry_has_a_case_here() -> None:
    from linkhealth.meta import quirks

    named = {e.name for e in quirks.OEMBED_ENDPOINTS} | {s.name for s in quirks.PRODUCT_PAGES}
    covered = {c[0] for c in OEMBED_CASES} | {"youtube", "vimeo", "amazon"}
    assert named <= covered


_SITE_RULES = [
    *quirks_module.FOLLOWUPS,
    *quirks_module.OEMBED_ENDPOINTS,
    *quirks_module.PRODUCT_PAGES,
]


@pytest.mark.parametrize("rule", _SITE_RULES, ids=[r.name for r in _SITE_RULES])
def test_a_site_rule_matches_only_urls_of_its_hosts(rule: Any) -> None:
    """A site's pattern is tried only on URLs whose host is one of the rule's hosts: every
    URL the pattern matches (generated from the pattern itself) has one, so skipping the
    others never loses a match."""
    pattern = re.compile(rule.pattern.pattern, rule.pattern.flags)

    @settings(max_examples=300, deadline=None)
    @given(st.from_regex(pattern))
    def matched_urls_are_on_its_hosts(url: str) -> None:
        assert pattern.match(url)
        assert host_of(url) in rule.hosts, url

    matched_urls_are_on_its_hosts()


@pytest.mark.parametrize(
    "url",
    [
        "https://vımeo.com/12345",  # dotless i: IGNORECASE alone folds it to "i"
        "https://open.ſpotify.com/track/abcdefghijklmnopqrstuv",  # long s
        "https://arxıv.org/pdf/2101.00001",
        "https://vimeo.com/١٢٣٤٥",  # Arabic-Indic digits: \d alone matches them
        "https://x.com/jack/status/２０",  # fullwidth digits
    ],
)
def test_a_look_alike_url_matches_no_site_rule(url: str) -> None:
    """The site patterns read URLs as ASCII (review10 F2): a look-alike host or non-ASCII
    digits match no rule, as the rules' host sets already say (so the rule's host and its
    pattern agree)."""
    assert all(rule.pattern.flags & re.ASCII for rule in _SITE_RULES)
    assert not any(rule.pattern.match(url) for rule in _SITE_RULES)
    assert not quirks_module.FOLLOWUP_PAGES[0].pattern.match(url)


def test_pages_of_no_known_site_compile_no_site_pattern() -> None:
    """The sites' patterns are compiled for the first URL of one of their hosts: a run
    whose pages are on none of them never compiles one (~7 ms a run)."""
    code = (
        "from linkhealth.meta import quirks\n"
        "from linkhealth.models import PageMeta\n"
        "rules = [*quirks.FOLLOWUPS, *quirks.OEMBED_ENDPOINTS, *quirks.PRODUCT_PAGES]\n"
        "meta = PageMeta(content_type='text/html')\n"
        "for url in ('http://127.0.0.1:8/a', 'https://example.org/watch?v=kCc8FmEb1nY'):\n"
        "    assert quirks.followup_url(url, meta, b'', 'text/html') is None\n"
        "print(sorted(r.name for r in rules if 'match' in vars(r.pattern)))\n"
        "url = 'https://youtu.be/kCc8FmEb1nY'\n"
        "assert quirks.followup_url(url, meta, b'', 'text/html') is not None\n"
        "print(sorted(r.name for r in rules if 'match' in vars(r.pattern)))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.splitlines() == ["[]", "['youtube']"]
