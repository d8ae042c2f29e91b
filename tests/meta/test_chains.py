"""Table-driven: (head, expected title and description) for the source chains, the
notices that fall through, and site-name trimming. Heads are written for these tests
in the shapes the sites use; none is copied from a real page."""

from __future__ import annotations

import pytest

from linkhealth.meta import extract_meta
from linkhealth.meta.fields import Fallbacks
from linkhealth.meta.notices import not_about_page


def _meta(head: str, url: str = "https://site.example/page", body: str = "") -> tuple:
    html = f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"
    meta = extract_meta(html.encode(), "text/html; charset=utf-8", url)
    return meta.title, meta.description


def m(key: str, value: str) -> str:
    attr = "property" if key.startswith(("og:", "article:")) else "name"
    return f'<meta {attr}="{key}" content="{value}">'


LONG_P = "A paragraph long enough to describe the page on its own, well over eighty characters."

# (case id, head, body, url, expected (title, description))
SOURCES = [
    ("og first", m("og:title", "OG") + "<title>Doc</title>", "", None, ("OG", None)),
    (
        "twitter when no og",
        m("twitter:title", "Card title")
        + m("twitter:description", "Card text")
        + "<title>T</title>",
        "",
        None,
        ("Card title", "Card text"),
    ),
    (
        "highwire citation_*",
        m("citation_title", "Sparse Attention at Scale")
        + m("citation_abstract", "We show that sparse attention scales.")
        + "<title>Sparse Attention at Scale | Journal of Examples</title>",
        "",
        None,
        ("Sparse Attention at Scale", "We show that sparse attention scales."),
    ),
    (
        "dublin core, upper and lower case",
        m("DC.title", "A Thesis on Rivers") + m("DC.Description", "Rivers, measured."),
        "",
        None,
        ("A Thesis on Rivers", "Rivers, measured."),
    ),
    (
        "dcterms",
        m("dcterms.title", "Dataset of Birds") + m("dcterms.abstract", "Ten thousand birds."),
        "",
        None,
        ("Dataset of Birds", "Ten thousand birds."),
    ),
    (
        "json-ld in @graph, main entity before WebSite",
        '<script type="application/ld+json">{"@context":"https://schema.org","@graph":['
        '{"@type":"WebSite","name":"Example Site","description":"All about examples"},'
        '{"@type":"BlogPosting","headline":"Graphs in JSON-LD",'
        '"description":"How @graph nests things."}]}</script>',
        "",
        None,
        ("Graphs in JSON-LD", "How @graph nests things."),
    ),
    (
        "h1 when there is no title at all",
        m("description", "Only a description"),
        "<h1>The Only Heading</h1><p>x</p>",
        None,
        ("The Only Heading", "Only a description"),
    ),
    (
        "h1 not used when a title exists",
        "<title>Real Title</title>",
        "<h1>Heading</h1>",
        None,
        ("Real Title", None),
    ),
    (
        "first paragraph last",
        "<title>Paragraphs</title>",
        f"<p>short</p><p>{LONG_P}</p>",
        None,
        ("Paragraphs", LONG_P),
    ),
    (
        "description repeating the title skipped",
        "<title>Same words here</title>" + m("description", "Same words here"),
        f"<p>{LONG_P}</p>",
        None,
        ("Same words here", LONG_P),
    ),
]

NOTICES = [
    (
        "javascript notice falls through to the meta description",
        m(
            "og:description",
            "We've detected that JavaScript is disabled in this browser. "
            "Please enable JavaScript or switch to a supported browser to continue.",
        )
        + m("description", "The actual summary.")
        + "<title>A Post</title>",
        ("A Post", "The actual summary."),
    ),
    (
        "cookie banner as og:description",
        m("og:description", "This website uses cookies to improve your experience.")
        + "<title>Recipes</title>",
        ("Recipes", None),
    ),
    (
        "consent interstitial title falls to og:title",
        "<title>Before you continue to Example</title>" + m("twitter:title", "The Video"),
        ("The Video", None),
    ),
    ("bot challenge title", "<title>Just a moment...</title>", (None, None)),
    (
        "checking your browser",
        "<title>Checking your browser before accessing</title>",
        (None, None),
    ),
    (
        "empty-ish og:title falls to <title>",
        m("og:title", " – ") + "<title>Real</title>",
        ("Real", None),
    ),
    (
        "placeholder",
        m("og:title", "Untitled") + "<title>Notes on Ropes</title>",
        ("Notes on Ropes", None),
    ),
    ("loading", "<title>Loading…</title>" + m("dc.title", "Loaded Title"), ("Loaded Title", None)),
]

TRIMS = [
    (
        "suffix after |",
        "<title>Intro | Example Site</title>" + m("og:site_name", "Example Site"),
        "https://a.example/",
        "Intro",
    ),
    (
        "prefix before ' - '",
        "<title>Example Site - The Guide</title>" + m("og:site_name", "Example Site"),
        "https://a.example/",
        "The Guide",
    ),
    (
        "» separator",
        "<title>Title of Post » My Website</title>" + m("og:site_name", "My Website"),
        "https://mywebsite.example/",
        "Title of Post",
    ),
    (
        "site name first",
        "<title>Site Name | Title Here</title>" + m("og:site_name", "Site Name"),
        "https://s.example/",
        "Title Here",
    ),
    (
        "host label, different case",
        "<title>Licenses | creativecommons</title>",
        "https://creativecommons.at/licenses",
        "Licenses",
    ),
    (
        "host label spelt with spaces",
        "<title>About the Licenses · Creative Commons</title>",
        "https://creativecommons.at/about",
        "About the Licenses",
    ),
    (
        "application-name",
        "<title>Board Settings — Tasky</title>" + m("application-name", "Tasky"),
        "https://app.example/b/1",
        "Board Settings",
    ),
    (
        "stacked Medium affixes",
        "<title>Notes on LoRA | by Jane Doe | Medium</title>" + m("og:site_name", "Medium"),
        "https://medium.com/@jane/notes-1",
        "Notes on LoRA",
    ),
    (
        "stacked with publication from the host",
        "<title>Notes on LoRA | by Jane Doe | Towards Data Science | Medium</title>"
        + m("og:site_name", "Medium"),
        "https://towardsdatascience.com/notes-1",
        "Notes on LoRA",
    ),
    (
        "en dash and em dash",
        "<title>Release 2.0 — Changelog – Acme</title>",
        "https://acme.example/r",
        "Release 2.0 — Changelog",
    ),
    (
        ":: and ·",
        "<title>Widgets :: Docs · Acme</title>",
        "https://acme.example/w",
        "Widgets :: Docs",
    ),
    (
        "':' only with spaces",
        "<title>Acme: The Definitive Guide</title>",
        "https://acme.example/g",
        "Acme: The Definitive Guide",
    ),
    (
        "' : ' with spaces",
        "<title>Acme : The Definitive Guide</title>",
        "https://acme.example/g",
        "The Definitive Guide",
    ),
    ("never to nothing", "<title>Acme</title>", "https://acme.example/", "Acme"),
    (
        "a repeated site name goes once",
        "<title>Acme | Acme</title>",
        "https://acme.example/",
        "Acme",
    ),
    (
        "never to a single word it did not start with",
        "<title>Acme - Pricing</title>",
        "https://acme.example/p",
        "Acme - Pricing",
    ),
    (
        "a single word it started with is fine",
        "<title>Pricing - Acme</title>",
        "https://acme.example/p",
        "Pricing",
    ),
    (
        "an unrelated suffix stays",
        "<title>Pricing | Plans and Tiers</title>",
        "https://acme.example/p",
        "Pricing | Plans and Tiers",
    ),
    (
        "'by' in a title is not a byline",
        "<title>Stand by me | Acme</title>",
        "https://acme.example/s",
        "Stand by me",
    ),
    (
        "lower-case 'by' phrase stays",
        "<title>Physics by the numbers | Acme</title>",
        "https://acme.example/s",
        "Physics by the numbers",
    ),
]


@pytest.mark.parametrize(
    ("head", "body", "url", "expected"),
    [c[1:] for c in SOURCES],
    ids=[c[0] for c in SOURCES],
)
def test_source_chains(head: str, body: str, url: str | None, expected: tuple) -> None:
    assert _meta(head, url or "https://site.example/page", body) == expected


@pytest.mark.parametrize(
    ("head", "expected"), [c[1:] for c in NOTICES], ids=[c[0] for c in NOTICES]
)
def test_notices_fall_through(head: str, expected: tuple) -> None:
    assert _meta(head) == expected


@pytest.mark.parametrize(
    ("head", "url", "expected"), [c[1:] for c in TRIMS], ids=[c[0] for c in TRIMS]
)
def test_site_names_trimmed(head: str, url: str, expected: str) -> None:
    assert _meta(head, url)[0] == expected


@pytest.mark.parametrize(
    ("text", "rejected"),
    [
        ("Please enable JS and disable any ad blocker", False),  # "JS" alone: not our phrase
        ("You need to enable JavaScript to run this app.", True),
        ("JavaScript is required", True),
        ("We use cookies", True),
        ("Attention Required! | Cloudflare", True),
        ("Verify you are human by completing the action below.", True),
        ("Robot Check", True),
        ("   ", True),
        ("—", True),
        ("null", True),
        ("X", False),
        ("How JavaScript engines work", False),
        ("Cookies and cream: a recipe", False),
        ("Just a moment in history", True),  # a challenge's opening words: too risky to keep
    ],
)
def test_not_about_page(text: str, rejected: bool) -> None:
    assert not_about_page(text) is rejected


def test_fallbacks_are_recorded_for_the_site_wide_pass() -> None:
    head = (
        m("og:title", "Share Title")
        + "<title>Doc Title | Site</title>"
        + m("description", "Site-wide blurb.")
        + m("dc.description", "Page summary.")
    )
    sink: dict[str, Fallbacks] = {}
    html = f"<html><head>{head}</head><body><p>{LONG_P}</p></body></html>".encode()
    meta = extract_meta(html, "text/html", "https://site.example/a#frag", sink)
    assert (meta.title, meta.description) == ("Share Title", "Site-wide blurb.")
    assert sink == {"https://site.example/a": Fallbacks(("Doc Title",), ("Page summary.", LONG_P))}
    lone = b"<html><head><title>Only</title></head></html>"
    extract_meta(lone, "text/html", "https://site.example/b", sink)
    assert "https://site.example/b" not in sink  # nothing to fall through to: nothing kept
