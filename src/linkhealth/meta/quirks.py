"""Known-site rules where a page's own metadata is poor, as data.

* :data:`FOLLOWUPS` — URLs whose metadata lives at another URL (an arXiv PDF's
  abstract page);
* :data:`OEMBED_ENDPOINTS` — sites whose oEmbed endpoint is known (YouTube,
  Vimeo), used even when the page does not advertise it;
* a page that advertises oEmbed (``<link rel=alternate type=application/json+oembed>``)
  is followed only when its own metadata has no title — WordPress advertises
  oEmbed on every post, and its Open Graph tags are as good;
* :data:`TITLE_RULES` — per-host clean-ups of the extracted title and description.

The pipeline calls :func:`followup_url` after the first fetch, fetches that URL
the same way (guard, retries), and calls :func:`merge_followup` with its bytes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, quote, urlsplit

from selectolax.lexbor import LexborHTMLParser

from linkhealth.lazyre import lazy_compile
from linkhealth.meta import selectors as sel
from linkhealth.meta.charset import decode_body
from linkhealth.meta.document import read_page
from linkhealth.meta.fields import normalise_date, page_meta
from linkhealth.meta.kinds import page_kind
from linkhealth.meta.notices import not_about_page
from linkhealth.meta.urls import host_of, resolve_http_url
from linkhealth.models import PageMeta
from linkhealth.textsafe import DEFAULT_DESCRIPTION_MAX, DEFAULT_TITLE_MAX, clean_text

MAX_OEMBED_BYTES = 256 * 1024
MAX_PRODUCT_TITLE_HTML = 4096  # HTML parsed from the product title element's start
_HANDLE_IN_URL = lazy_compile(
    r"^https?://(?:www\.|mobile\.)?(?:x|twitter)\.com/([A-Za-z0-9_]{1,15})/?$"
)
OEMBED_TYPE = "application/json+oembed"
_NO_BASE = (
    "https://invalid./"  # oEmbed URLs are absolute; a relative one resolves to nothing useful
)


@dataclass(frozen=True)
class Followup:
    """A URL pattern and the URL (``str.format`` of the named groups) holding its metadata.
    ``hosts``: every :func:`~linkhealth.meta.urls.host_of` a URL the pattern matches can
    have (see :func:`_site_rule`)."""

    name: str
    hosts: frozenset[str]
    pattern: re.Pattern[str]
    template: str


@dataclass(frozen=True)
class OEmbedEndpoint:
    """A site's oEmbed endpoint; ``{url}`` is the canonical page URL, percent-encoded.

    ``reader`` says how the JSON becomes metadata: ``"media"`` (title; the author, a
    channel or an account, as the site; else the provider), ``"post"`` (X/Twitter:
    ``Author (@handle)`` as the title, the post's text as the description).
    ``site_template``, when set, is the site name (``r/{sub}``) from the page URL.
    ``hosts`` as :class:`Followup`'s.
    """

    name: str
    hosts: frozenset[str]
    pattern: re.Pattern[str]
    page_template: str
    endpoint_template: str
    reader: str = "media"
    site_template: str | None = None


@dataclass(frozen=True)
class FollowupPage:
    """How to read a follow-up HTML page: ``<meta>`` keys first, then a title prefix to drop."""

    name: str
    pattern: re.Pattern[str]
    title_meta: tuple[str, ...]
    description_meta: tuple[str, ...]
    published_meta: tuple[str, ...]
    site_name: str
    title_prefix: re.Pattern[str]


@dataclass(frozen=True)
class TitleRule:
    """Hosts whose titles pack more than the title (GitHub: ``owner/repo: description``).

    ``title`` must match the extracted title; its ``title`` group becomes the title
    and its optional ``rest`` group the description when the page has none.
    ``description_drop`` removes boilerplate from the description (an empty
    result is no description).
    """

    hosts: tuple[str, ...]
    title: re.Pattern[str]
    description_drop: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True)
class ProductPage:
    """A shop whose ``<title>`` may be a store banner: the product title element, read
    from the same page in full (a follow-up), names the product instead. ``hosts`` as
    :class:`Followup`'s."""

    name: str
    hosts: frozenset[str]
    pattern: re.Pattern[str]
    banner: re.Pattern[str]
    page_template: str
    element: re.Pattern[str]  # where the product title element starts in the HTML


_ARXIV_ID = r"(?:\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(?:v\d+)?"
# An X/Twitter handle that is not one of the site's own paths.
_X_HANDLE = (
    r"(?!(?:home|search|explore|i|settings|hashtag|intent|share|login|signup|notifications"
    r"|messages|tos|privacy|compose|account|logout)(?:[/?#]|$))(?P<handle>[A-Za-z0-9_]{1,15})"
)
# The shops' endings: the hosts of the product-page rule and, as one alternation in this
# order, its patterns' (the shorter "com" first, as a regex tries them).
_AMAZON_TLDS = (
    *("com", "ca", "de", "fr", "it", "es", "nl", "se", "pl", "in", "sg", "ae", "sa", "eg"),
    *("com.au", "com.br", "com.mx", "com.tr", "com.be", "co.uk", "co.jp"),
)
_AMAZON_TLD = "(?:" + "|".join(map(re.escape, _AMAZON_TLDS)) + ")"
_X_HOSTS = frozenset({"x.com", "twitter.com", "mobile.x.com", "mobile.twitter.com"})
_AMAZON_HOST = rf"amazon\.{_AMAZON_TLD}"

FOLLOWUPS: tuple[Followup, ...] = (
    Followup(
        "arxiv-pdf",
        frozenset({"arxiv.org", "export.arxiv.org"}),
        lazy_compile(
            rf"^https?://(?:www\.|export\.)?arxiv\.org/pdf/(?P<id>{_ARXIV_ID})(?:\.pdf)?/?(?:[?#].*)?$",
            re.IGNORECASE | re.ASCII,
        ),
        "https://arxiv.org/abs/{id}",
    ),
)

OEMBED_ENDPOINTS: tuple[OEmbedEndpoint, ...] = (
    OEmbedEndpoint(
        "youtube",
        frozenset(
            {"youtube.com", "m.youtube.com", "music.youtube.com"}
            | {"youtu.be", "m.youtu.be", "music.youtu.be"}
        ),
        lazy_compile(
            r"^https?://(?:(?:www|m|music)\.)?(?:youtube\.com/(?:watch\?(?:[^#]*&)?v=|shorts/|live/|embed/)"
            r"|youtu\.be/)(?P<id>[A-Za-z0-9_-]{11})(?![A-Za-z0-9_-])",
            re.IGNORECASE | re.ASCII,
        ),
        "https://www.youtube.com/watch?v={id}",
        "https://www.youtube.com/oembed?format=json&url={url}",
    ),
    OEmbedEndpoint(
        "vimeo",
        frozenset({"vimeo.com"}),
        lazy_compile(
            r"^https?://(?:www\.)?vimeo\.com/(?P<id>\d{4,12})(?![0-9])", re.IGNORECASE | re.ASCII
        ),
        "https://vimeo.com/{id}",
        "https://vimeo.com/api/oembed.json?url={url}",
    ),
    # X/Twitter pages say "JavaScript is disabled" to a crawler; the public oEmbed
    # endpoint gives the author and, for a post, its text (developer.x.com, oEmbed API).
    OEmbedEndpoint(
        "x-post",
        _X_HOSTS,
        lazy_compile(
            rf"^https?://(?:www\.|mobile\.)?(?:x|twitter)\.com/{_X_HANDLE}"
            r"/status(?:es)?/(?P<id>\d{1,20})(?![0-9])",
            re.IGNORECASE | re.ASCII,
        ),
        "https://twitter.com/{handle}/status/{id}",
        "https://publish.twitter.com/oembed?url={url}&omit_script=true&dnt=true",
        reader="post",
    ),
    OEmbedEndpoint(
        "x-profile",
        _X_HOSTS,
        lazy_compile(
            rf"^https?://(?:www\.|mobile\.)?(?:x|twitter)\.com/{_X_HANDLE}"
            r"(?:/(?:highlights|media|with_replies|articles))?/?(?:[?#].*)?$",
            re.IGNORECASE | re.ASCII,
        ),
        "https://twitter.com/{handle}",
        "https://publish.twitter.com/oembed?url={url}&omit_script=true&dnt=true",
        reader="post",
    ),
    OEmbedEndpoint(
        "tiktok",
        frozenset({"tiktok.com", "m.tiktok.com"}),
        lazy_compile(
            r"^https?://(?:www\.|m\.)?tiktok\.com/@(?P<user>[A-Za-z0-9_.]{1,24})"
            r"/video/(?P<id>\d{1,20})(?![0-9])",
            re.IGNORECASE | re.ASCII,
        ),
        "https://www.tiktok.com/@{user}/video/{id}",
        "https://www.tiktok.com/oembed?url={url}",
    ),
    OEmbedEndpoint(
        "spotify",
        frozenset({"open.spotify.com"}),
        lazy_compile(
            r"^https?://open\.spotify\.com/(?:intl-[a-z]{2}(?:-[a-z]{2})?/)?"
            r"(?P<kind>track|album|playlist|episode|show|artist)/(?P<id>[A-Za-z0-9]{22})(?![A-Za-z0-9])",
            re.IGNORECASE | re.ASCII,
        ),
        "https://open.spotify.com/{kind}/{id}",
        "https://open.spotify.com/oembed?url={url}",
    ),
    OEmbedEndpoint(
        "reddit",
        frozenset({"reddit.com", "old.reddit.com", "new.reddit.com", "np.reddit.com"}),
        lazy_compile(
            r"^https?://(?:www\.|old\.|new\.|np\.)?reddit\.com/r/(?P<sub>[A-Za-z0-9_]{2,21})"
            r"/comments/(?P<id>[a-z0-9]{1,12})(?:/(?P<slug>[^/?#]{0,200}))?",
            re.IGNORECASE | re.ASCII,
        ),
        "https://www.reddit.com/r/{sub}/comments/{id}/",
        "https://www.reddit.com/oembed?url={url}",
        site_template="r/{sub}",
    ),
)

PRODUCT_PAGES: tuple[ProductPage, ...] = (
    ProductPage(
        "amazon",
        frozenset(f"{shop}amazon.{tld}" for shop in ("", "smile.") for tld in _AMAZON_TLDS),
        lazy_compile(
            rf"^https?://(?:www\.|smile\.)?(?P<host>{_AMAZON_HOST})/(?:[^/?#]+/)?"
            r"(?:dp|gp/product|gp/aw/d)/(?P<asin>[A-Z0-9]{10})(?![A-Za-z0-9])",
            re.IGNORECASE | re.ASCII,
        ),
        # "Amazon.com", "Amazon.com. Spend less. Smile more.", "Amazon.co.uk: Low
        # Prices in Electronics, Books…": the store, not the product.
        lazy_compile(
            rf"^\s*amazon(?:\.{_AMAZON_TLD})?\s*(?:$|[.!]|:\s*(?:online shopping|low prices)"
            r"|\|\s*(?:online shopping|official site))",
            re.IGNORECASE,
        ),
        "https://www.{host}/dp/{asin}",
        lazy_compile(r"<span[^>]*\bid\s*=\s*[\"']?productTitle\b", re.IGNORECASE),
    ),
)

FOLLOWUP_PAGES: tuple[FollowupPage, ...] = (
    FollowupPage(
        "arxiv-abs",
        lazy_compile(
            rf"^https?://(?:www\.|export\.)?arxiv\.org/abs/{_ARXIV_ID}", re.IGNORECASE | re.ASCII
        ),
        title_meta=("citation_title", "og:title", "twitter:title"),
        description_meta=("citation_abstract", "og:description", "twitter:description"),
        published_meta=("citation_date", "citation_online_date"),
        site_name="arXiv",
        title_prefix=lazy_compile(r"^\s*\[[^\]]{1,40}\]\s*"),
    ),
)

TITLE_RULES: tuple[TitleRule, ...] = (
    TitleRule(
        ("github.com",),
        lazy_compile(
            r"^(?:GitHub - )?(?P<title>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)(?::\s+(?P<rest>.+))?$"
        ),
        (
            lazy_compile(r"\s+-\s+[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"),
            # The sentence GitHub appends to every repository's description.
            lazy_compile(
                r"\s*Contribute to [A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+ development by creating an"
                r" account on GitHub\.?\s*$"
            ),
        ),
    ),
    # When oEmbed is not reachable: 'Name on X: "the post"' (the " / X" already trimmed).
    TitleRule(
        ("x.com", "twitter.com", "mobile.twitter.com"),
        lazy_compile(r'^(?P<title>.{1,100}?) on (?:X|Twitter): [“"](?P<rest>.+)[”"]$', re.DOTALL),
    ),
    # "Amazon.com: Walnut Desk, 120 cm : Home & Kitchen": the product between store and aisle.
    TitleRule(
        tuple(f"amazon.{tld}" for tld in ("com", "co.uk", "de", "fr", "ca", "co.jp", "in", "es")),
        lazy_compile(
            r"^Amazon\.[a-z.]{2,6}\s*:(?!\s*(?:online shopping|low prices)\b)\s*"
            r"(?P<title>.+?)(?:\s+:\s+[^:]{1,60})?$",
            re.IGNORECASE,
        ),
    ),
)


def followup_url(url: str, meta: PageMeta, body: bytes, content_type: str | None) -> str | None:
    """The URL whose metadata describes ``url`` better, or ``None``. A site's pattern is
    tried only on a URL of one of its hosts (compiled for the first such URL: a run
    with no link to a known site never compiles one)."""
    host = host_of(url)
    for rule in FOLLOWUPS:
        match = rule.pattern.match(url) if host in rule.hosts else None
        if match:
            return rule.template.format(**match.groupdict())
    endpoint = oembed_endpoint(url, host)
    if endpoint:
        return endpoint
    product = product_page(url, host, meta)
    if product:
        return product
    if meta.title is None:
        advertised = advertised_oembed(url, body, content_type)
        if advertised and advertised != url:
            return advertised
    return None


def oembed_endpoint(url: str, host: str) -> str | None:
    """The known oEmbed endpoint's URL for ``url`` (whose :func:`host_of` is ``host``)."""
    for site in OEMBED_ENDPOINTS:
        match = site.pattern.match(url) if host in site.hosts else None
        if match:
            page = site.page_template.format(**match.groupdict())
            return site.endpoint_template.format(url=quote(page, safe=""))
    return None


def _endpoint_of(followup: str) -> tuple[OEmbedEndpoint, dict[str, str]] | None:
    """The known endpoint a follow-up URL calls, and the groups of the page it asks about."""
    for site in OEMBED_ENDPOINTS:
        if followup.startswith(site.endpoint_template.split("?", 1)[0] + "?"):
            page = parse_qs(urlsplit(followup).query).get("url", [""])[0]
            match = site.pattern.match(page)
            if match:
                return site, {k: v for k, v in match.groupdict().items() if v is not None}
    return None


def product_page(url: str, host: str, meta: PageMeta) -> str | None:
    """The full product page to read when a shop's ``<title>`` is only its banner
    (``host``: :func:`host_of` ``url``)."""
    for shop in PRODUCT_PAGES:
        match = shop.pattern.match(url) if host in shop.hosts else None
        if match and (meta.title is None or shop.banner.match(meta.title)):
            return shop.page_template.format(**match.groupdict())
    return None


def advertised_oembed(url: str, body: bytes, content_type: str | None) -> str | None:
    """The JSON oEmbed URL a page advertises in its head, resolved; http(s) only."""
    if page_kind(body, content_type) != "html":
        return None
    page = read_page(body, content_type, url)
    for href in page.link_hrefs(sel.OEMBED_LINK_RELS, OEMBED_TYPE):
        resolved = resolve_http_url(page.base_url, href)
        if resolved:
            return resolved
    return None


def merge_followup(
    primary: PageMeta, followup_url: str, body: bytes, content_type: str | None
) -> PageMeta:
    """``primary`` completed or corrected with what the follow-up response says."""
    for rule in FOLLOWUP_PAGES:
        if rule.pattern.match(followup_url):
            return _merge_page(primary, rule, followup_url, body, content_type)
    for shop in PRODUCT_PAGES:
        if shop.pattern.match(followup_url):
            return _merge_product(primary, shop, body, content_type)
    if _looks_like_json(body, content_type):
        return _merge_oembed(primary, body, _endpoint_of(followup_url))
    other = _html_meta(body, content_type, followup_url)
    merged = replace(primary)
    for name in ("title", "description", "site_name", "lang", "published", "image"):
        if getattr(merged, name) is None:
            setattr(merged, name, getattr(other, name))
    return merged


def _merge_product(
    primary: PageMeta, shop: ProductPage, body: bytes, content_type: str | None
) -> PageMeta:
    if page_kind(body, content_type) != "html":
        return primary
    text = decode_body(body, content_type)
    start = shop.element.search(text)
    if start is None:
        return primary
    node = LexborHTMLParser(text[start.start() : start.start() + MAX_PRODUCT_TITLE_HTML])
    element = node.css_first("#productTitle")
    title = clean_text(
        element.text(deep=True, separator=" ") if element else None, DEFAULT_TITLE_MAX
    )
    if not title or not_about_page(title):
        return primary
    merged = replace(primary)
    merged.title = title
    return merged


def _html_meta(body: bytes, content_type: str | None, url: str) -> PageMeta:
    if page_kind(body, content_type) != "html":
        return PageMeta()
    return refine(url, page_meta(read_page(body, content_type, url), content_type))


def _looks_like_json(body: bytes, content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media.endswith("json") or body.lstrip()[:1] == b"{"


def _merge_page(
    primary: PageMeta, rule: FollowupPage, url: str, body: bytes, content_type: str | None
) -> PageMeta:
    if page_kind(body, content_type) != "html":
        return primary
    page = read_page(body, content_type, url)
    general = page_meta(page, content_type)
    raw_title = page.meta(rule.title_meta) or page.title
    title = clean_text(rule.title_prefix.sub("", raw_title or ""), DEFAULT_TITLE_MAX)
    description = clean_text(page.meta(rule.description_meta), DEFAULT_DESCRIPTION_MAX)
    merged = replace(primary)
    merged.title = title or general.title or primary.title
    merged.description = description or general.description or primary.description
    merged.site_name = rule.site_name
    merged.published = normalise_date(page.meta(rule.published_meta)) or primary.published
    merged.lang = primary.lang or general.lang
    merged.image = primary.image or general.image
    return merged


def _merge_oembed(
    primary: PageMeta, body: bytes, known: tuple[OEmbedEndpoint, dict[str, str]] | None
) -> PageMeta:
    """oEmbed: title; author_name as the site (a channel, an account), else provider_name."""
    if len(body) > MAX_OEMBED_BYTES:
        return primary
    try:
        data = json.loads(decode_body(body, "application/json; charset=utf-8"))
    except (ValueError, RecursionError):
        return primary
    if not isinstance(data, dict):
        return primary
    merged = replace(primary)
    author = clean_text(_text(data, "author_name"), DEFAULT_TITLE_MAX)
    provider = clean_text(_text(data, "provider_name"), DEFAULT_TITLE_MAX)
    if known is not None and known[0].reader == "post":
        return _merge_post(merged, data, author, provider)
    merged.title = clean_text(_text(data, "title"), DEFAULT_TITLE_MAX) or primary.title
    merged.site_name = author or provider or primary.site_name
    if known is not None and known[0].site_template:
        merged.site_name = known[0].site_template.format(**known[1])
    if merged.image is None:
        merged.image = resolve_http_url(_NO_BASE, _text(data, "thumbnail_url"))
    return merged


def _text(data: dict[str, object], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _merge_post(
    merged: PageMeta, data: dict[str, object], author: str | None, provider: str | None
) -> PageMeta:
    """X/Twitter: ``Author (@handle)``; a post's text (the embed's first paragraph)."""
    author_url = _text(data, "author_url") or ""
    handle = _HANDLE_IN_URL.search(author_url)
    if author and handle:
        merged.title = f"{author} (@{handle.group(1)})"
    elif author:
        merged.title = author
    html = _text(data, "html")
    if html and len(html) <= MAX_OEMBED_BYTES:
        paragraph = LexborHTMLParser(html).css_first("blockquote p")
        text = clean_text(
            paragraph.text(deep=True, separator="") if paragraph else None,
            DEFAULT_DESCRIPTION_MAX,
        )
        if text and not not_about_page(text):
            merged.description = text
    merged.site_name = "X" if provider in (None, "Twitter", "X") else provider
    return merged


_TITLE_RULE_HOSTS = frozenset(host for rule in TITLE_RULES for host in rule.hosts)


def refine(url: str, meta: PageMeta) -> PageMeta:
    """Apply :data:`TITLE_RULES` for the page's host to freshly extracted metadata."""
    host = host_of(url)
    if host not in _TITLE_RULE_HOSTS:  # nearly every page: no rule is tried
        return meta
    for rule in TITLE_RULES:
        if host not in rule.hosts:
            continue
        if meta.description:
            for drop in rule.description_drop:
                meta.description = drop.sub("", meta.description)
            meta.description = meta.description.strip() or None
        match = rule.title.match(meta.title or "")
        if not match:
            continue
        meta.title = match.group("title").strip()
        rest = match.groupdict().get("rest")
        if meta.description is None and rest:
            meta.description = clean_text(rest, DEFAULT_DESCRIPTION_MAX)
    return meta


__all__ = [
    "FOLLOWUPS",
    "FOLLOWUP_PAGES",
    "OEMBED_ENDPOINTS",
    "PRODUCT_PAGES",
    "TITLE_RULES",
    "followup_url",
    "merge_followup",
    "refine",
]
