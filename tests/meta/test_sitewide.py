"""The site-wide pass: values several pages of one host share fall through to each page's
next candidate; an affix every titled page of a host carries is trimmed."""

from __future__ import annotations

from linkhealth.meta import extract_meta
from linkhealth.meta.fields import Fallbacks
from linkhealth.meta.sitewide import reject_sitewide, sitewide_choices
from linkhealth.models import CheckResult, Verdict

MISSION = (
    "We're on a journey to advance and democratize artificial intelligence through open "
    "source and open science."
)


def result(url: str, title: str | None, description: str | None, **kw: str) -> CheckResult:
    return CheckResult(
        url=url, verdict=Verdict.OK, final_url=url, title=title, description=description, **kw
    )


def hf_page(slug: str, summary: str | None) -> bytes:
    """A Hugging Face-shaped head: the mission as meta description, the page's own text
    only further down (a model card's first paragraph)."""
    para = f"<p>{summary}</p>" if summary else ""
    return (
        f"<html><head><title>{slug} · Hugging Face</title>"
        f'<meta name="description" content="{MISSION}">'
        f'<meta property="og:title" content="{slug} · Hugging Face">'
        f"</head><body><h1>{slug}</h1>{para}</body></html>"
    ).encode()


def test_shared_description_falls_through_to_each_pages_own_text() -> None:
    sink: dict[str, Fallbacks] = {}
    pages = {
        "https://huggingface.co/blog/dpo": "Direct preference optimisation explained step by "
        "step, with the trainer's settings and the numbers we measured on two GPUs.",
        "https://huggingface.co/org/model-a": "Model A is a seven-billion-parameter model "
        "tuned for code, released under an open licence with its training data listed.",
        "https://huggingface.co/org/empty": None,
    }
    results = []
    for url, summary in pages.items():
        meta = extract_meta(hf_page(url.rsplit("/", 1)[1], summary), "text/html", url, sink)
        assert meta.description == MISSION  # one page alone cannot tell
        r = result(url, meta.title, meta.description)
        results.append(r)
    changed = reject_sitewide(results, sink)
    assert [r.description for r in results] == [pages[u] for u in pages]
    assert changed == results  # every one changed: each must be recorded again
    assert [r.title for r in results] == ["dpo", "model-a", "empty"]


def test_shared_title_falls_through_and_other_hosts_are_untouched() -> None:
    results = [
        result("https://app.example/a", "React App", None),
        result("https://app.example/b", "React App", None),
        result("https://app.example/c", "React App", None),
        result("https://other.example/c", "React App", None),
    ]
    fallbacks = {"https://app.example/a": Fallbacks(titles=("Dashboard",))}
    choices = sitewide_choices(results, fallbacks)
    assert choices == {
        "https://app.example/a": {"title": "Dashboard"},
        "https://app.example/b": {"title": None},  # nothing later to fall to
        "https://app.example/c": {"title": None},
    }
    # Two pages sharing a title keep it (two links into one app); a description is
    # boilerplate already on its second page.
    two = [
        result("https://app.example/a", "React App", "Web site created using create-react-app"),
        result("https://app.example/b", "React App", "Web site created using create-react-app"),
    ]
    assert sitewide_choices(two, {}) == {
        "https://app.example/a": {"description": None},
        "https://app.example/b": {"description": None},
    }


def test_the_same_page_linked_twice_is_one_page() -> None:
    results = [
        result(
            "https://blog.example/post", "Post", "Text", canonical_url="https://blog.example/post"
        ),
        result(
            "https://blog.example/post?utm_source=x",
            "Post",
            "Text",
            canonical_url="https://blog.example/post",
        ),
        result("http://www.blog.example/post/", "Post", "Text"),
    ]
    assert sitewide_choices(results, {}) == {}


def test_fallback_that_is_itself_shared_is_skipped() -> None:
    results = [
        result("https://s.example/1", "One", "Boilerplate"),
        result("https://s.example/2", "Two", "Boilerplate"),
    ]
    fallbacks = {
        "https://s.example/1": Fallbacks(descriptions=("boilerplate", "Page one's summary.")),
    }
    choices = sitewide_choices(results, fallbacks)
    assert choices["https://s.example/1"] == {"description": "Page one's summary."}
    assert choices["https://s.example/2"] == {"description": None}


def test_affix_on_every_titled_page_of_the_host_is_trimmed() -> None:
    results = [
        result("https://docs.example/a", "Quickstart — Requests 2.32 documentation", None),
        result("https://docs.example/b", "Advanced Usage — Requests 2.32 documentation", None),
        result("https://docs.example/c", "API — Requests 2.32 documentation", None),
    ]
    assert [c["title"] for c in sitewide_choices(results, {}).values()] == [
        "Quickstart",
        "Advanced Usage",
        "API",  # a single word, but the one the title started with
    ]


def test_series_name_on_some_pages_only_is_kept() -> None:
    results = [
        result("https://video.example/1", "Lecture 1 | Course 229", None),
        result("https://video.example/2", "Lecture 2 | Course 229", None),
        result("https://video.example/3", "A talk about ropes", None),
    ]
    assert sitewide_choices(results, {}) == {}


def test_single_page_of_a_host_is_never_judged() -> None:
    results = [result("https://one.example/", "Home | One", "We use this text everywhere")]
    assert sitewide_choices(results, {}) == {}
