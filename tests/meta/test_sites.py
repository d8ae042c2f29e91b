"""Table-driven: heads that mimic real sites → the title and description a person would write."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkhealth.meta import extract_meta
from linkhealth.models import PageMeta

FIXTURES = Path(__file__).parent / "fixtures"

TRANSFORMERS = (
    "🤗 Transformers: the model-definition framework for state-of-the-art machine learning "
    "models in text, vision, audio, and multimodal models, for both inference and training."
)
FINE_TUNING = (
    "The Ultimate Guide to Fine-Tuning LLMs from Basics to Breakthroughs: An Exhaustive Review "
    "of Technologies, Research, Best Practices, Applied Research Challenges and Opportunities"
)
ARXIV_ABSTRACT = (
    "This report examines the fine-tuning of Large Language Models (LLMs), integrating "
    "theoretical insights with practical applications. It outlines the historical evolution of "
    "LLMs from traditional Natural Language Processing (NLP) models to their pivotal role in AI."
)

# (fixture, content type, page URL, expected fields)
CASES: list[tuple[str, str | None, str, dict[str, str | None]]] = [
    (
        "github_repo.html",
        "text/html; charset=utf-8",
        "https://github.com/huggingface/transformers",
        {
            "title": "huggingface/transformers",
            "description": TRANSFORMERS,
            "site_name": "GitHub",
            "canonical_url": "https://github.com/huggingface/transformers",
            "lang": "en",
            "image": "https://opengraph.githubassets.com/5c7c/huggingface/transformers",
        },
    ),
    (
        "arxiv_abs.html",
        "text/html; charset=utf-8",
        "https://arxiv.org/abs/2408.13296",
        {
            "title": FINE_TUNING,
            "description": ARXIV_ABSTRACT,
            "site_name": "arXiv.org",
            "canonical_url": "https://arxiv.org/abs/2408.13296v3",
            "image": "https://arxiv.org/static/browse/0.3.4/images/arxiv-logo-fb.png",
            "published": "2024-08-23",
        },
    ),
    (
        "youtube_watch.html",
        "text/html; charset=utf-8",
        "https://www.youtube.com/watch?v=kCc8FmEb1nY",
        {
            "title": "Let's build GPT: from scratch, in code, spelled out.",
            "description": (
                "We build a Generatively Pretrained Transformer (GPT), following the paper "
                '"Attention is All You Need" and OpenAI\'s GPT-2 / GPT-3. '
                "We talk about connections t..."
            ),
            "site_name": "YouTube",
            "published": "2023-01-17",
            "canonical_url": "https://www.youtube.com/watch?v=kCc8FmEb1nY",
        },
    ),
    (
        "medium_post.html",
        "text/html; charset=utf-8",
        "https://towardsdatascience.com/understanding-lora-5f2a9d3b1c2e",
        {
            "title": "Understanding LoRA: Low-Rank Adaptation Explained",
            "description": (
                "How a pair of small matrices lets you fine-tune a billion-parameter model "
                "on one GPU"
            ),
            "site_name": "Medium",
            "published": "2023-06-02",
            "lang": "en",
        },
    ),
    (
        "substack_post.html",
        "text/html; charset=utf-8",
        "https://simonw.substack.com/p/things-we-learned-about-llms-in-2024",
        {
            "title": "Things we learned about LLMs in 2024",
            "description": (
                "A lot has happened in the world of Large Language Models over the course of "
                "2024. Here’s a review of things we figured out about the field in the past "
                "twelve months."
            ),
            "site_name": "Simon Willison’s Newsletter",
            "published": "2024-12-31",
            "image": "https://substackcdn.com/image/fetch/w_1200,h_600,c_fill/abc.png",
        },
    ),
    (
        "hf_blog.html",
        "text/html; charset=utf-8",
        "https://huggingface.co/blog/dpo-trl",
        {
            "title": "Fine-tune Llama 2 with DPO",
            # No og:description: the site-wide meta description is what the page declares.
            "description": (
                "We’re on a journey to advance and democratize artificial intelligence through "
                "open source and open science."
            ),
            "site_name": None,
            "lang": None,
            "canonical_url": "https://huggingface.co/blog/dpo-trl",
        },
    ),
    (
        "docs_title_only.html",
        "text/html",
        "https://requests.readthedocs.io/en/latest/user/quickstart/",
        {
            "title": "Quickstart — Requests 2.32.3 documentation",
            "description": (
                "This page gives a good introduction in how to get started with Requests. First, "
                "make sure that Requests is installed and up-to-date."
            ),
            "site_name": None,
            "canonical_url": None,
            "image": None,
        },
    ),
    (
        "jsonld_only.html",
        "text/html; charset=utf-8",
        "https://blog.example.org/2024/queue",
        {
            "title": "Why We Moved Our Queue to Postgres",
            "description": (
                "Two years of running a job queue in Postgres: what broke, what did not, "
                "and the numbers."
            ),
            "site_name": "Example Engineering Blog",
            "published": "2024-03-05",
            "image": "https://blog.example.org/img/queue.png",
            "lang": "en-GB",
        },
    ),
    (
        "svg_title.html",
        "text/html; charset=utf-8",
        "https://acme.example/releases/3.0",
        {"title": "Release notes for Acme 3.0", "description": None},
    ),
    (
        "bom_meta.html",
        "text/html",
        "https://ru.example/notes",
        {
            "title": "Привет, мир — заметки",
            "description": "Заметки о кодировках: BOM важнее, чем meta.",
            "lang": "ru",
        },
    ),
]


@pytest.mark.parametrize(
    ("fixture", "content_type", "url", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_site_fixture(
    fixture: str, content_type: str | None, url: str, expected: dict[str, str | None]
) -> None:
    meta = extract_meta((FIXTURES / fixture).read_bytes(), content_type, url)
    got = {name: getattr(meta, name) for name in expected}
    assert got == expected
    assert meta.content_type == "text/html"


def test_every_fixture_has_a_title_and_only_http_urls() -> None:
    for fixture, content_type, url, _ in CASES:
        meta = extract_meta((FIXTURES / fixture).read_bytes(), content_type, url)
        assert meta.title, fixture
        for value in (meta.canonical_url, meta.image):
            assert value is None or value.startswith(("http://", "https://"))


@pytest.mark.parametrize(
    ("title", "site", "url", "expected"),
    [
        ("Page | Site", "Site", "https://x.example/", "Page"),
        ("Site - A Page", "Site", "https://x.example/", "A Page"),
        # never cut down to a single word the title did not start with
        ("Site - Page", "Site", "https://x.example/", "Site - Page"),
        ("Issue 12 · owner/repo · GitHub", None, "https://github.com/o/r/issues/12", None),
        ("Deep dive – The Verge", None, "https://www.theverge.com/x", "Deep dive"),
        ("Hugging Face – The AI community", None, "https://huggingface.co/", None),
        ("Only | Title", None, "https://unrelated.example/", "Only | Title"),
        ("Site", "Site", "https://x.example/", "Site"),
    ],
)
def test_site_name_trimmed_from_title(
    title: str, site: str | None, url: str, expected: str | None
) -> None:
    site_tag = f'<meta property="og:site_name" content="{site}">' if site else ""
    body = f"<html><head><title>{title}</title>{site_tag}</head></html>".encode()
    meta = extract_meta(body, "text/html", url)
    if expected is None:  # the host repeats the site: only that part goes
        assert meta.title is not None and meta.title != title
        assert "GitHub" not in meta.title and "Hugging Face –" not in meta.title
    else:
        assert meta.title == expected


def test_github_issue_keeps_its_title_without_site() -> None:
    body = "<html><head><title>Bug in parser · Issue #12 · owner/repo · GitHub</title>".encode()
    meta = extract_meta(body, "text/html; charset=utf-8", "https://github.com/owner/repo/issues/12")
    assert meta.title == "Bug in parser · Issue #12 · owner/repo"


def test_single_h1_only_when_single() -> None:
    one = b"<html><head></head><body><h1>Only heading</h1><p>x</p>"
    two = b"<html><head></head><body><h1>First</h1><h1>Second</h1>"
    assert extract_meta(one, "text/html", "https://a.example/").title == "Only heading"
    assert extract_meta(two, "text/html", "https://a.example/").title is None


def test_relative_and_unsafe_urls() -> None:
    body = (
        b'<html><head><base href="https://cdn.example/base/">'
        b'<link rel="canonical" href="javascript:alert(1)">'
        b'<meta property="og:url" content="/canonical/page">'
        b'<meta property="og:image" content="data:image/png;base64,AAAA">'
        b'<meta name="twitter:image" content="img/card.png">'
    )
    meta = extract_meta(body, "text/html", "https://site.example/a/b")
    assert meta.canonical_url == "https://cdn.example/canonical/page"
    assert meta.image == "https://cdn.example/base/img/card.png"


def test_double_encoded_entities_and_lang_forms() -> None:
    body = (
        b'<html lang="EN_us"><head><meta property="og:title" content="It&amp;#39;s &amp;amp; more">'
    )
    meta = extract_meta(body, "text/html", "https://a.example/")
    assert meta == PageMeta(title="It's & more", lang="en-US", content_type="text/html")
