"""Known-site rules: arXiv PDFs take their abstract page, YouTube and advertised oEmbed."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from linkhealth.meta import extract_meta
from linkhealth.meta.quirks import followup_url, merge_followup
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
