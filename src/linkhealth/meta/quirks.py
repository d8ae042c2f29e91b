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
from dataclasses import dataclass
from urllib.parse import quote

from linkhealth.meta.charset import decode_body
from linkhealth.meta.document import parse_page
from linkhealth.meta.fields import normalise_date, page_meta
from linkhealth.meta.kinds import page_kind
from linkhealth.meta.urls import host_of, resolve_http_url
from linkhealth.models import PageMeta
from linkhealth.sanitize import DEFAULT_DESCRIPTION_MAX, DEFAULT_TITLE_MAX, clean_text

MAX_OEMBED_BYTES = 256 * 1024
OEMBED_TYPE = "application/json+oembed"
_NO_BASE = (
    "https://invalid./"  # oEmbed URLs are absolute; a relative one resolves to nothing useful
)


@dataclass(frozen=True)
class Followup:
    """A URL pattern and the URL (``str.format`` of the named groups) holding its metadata."""

    name: str
    pattern: re.Pattern[str]
    template: str


@dataclass(frozen=True)
class OEmbedEndpoint:
    """A site's oEmbed endpoint; ``{url}`` is the canonical page URL, percent-encoded."""

    name: str
    pattern: re.Pattern[str]
    page_template: str
    endpoint_template: str


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
    """A host whose titles pack more than the title (GitHub: ``owner/repo: description``)."""

    host: str
    title: re.Pattern[str]
    description_suffix: re.Pattern[str] | None = None


_ARXIV_ID = r"(?:\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(?:v\d+)?"

FOLLOWUPS: tuple[Followup, ...] = (
    Followup(
        "arxiv-pdf",
        re.compile(
            rf"^https?://(?:www\.|export\.)?arxiv\.org/pdf/(?P<id>{_ARXIV_ID})(?:\.pdf)?/?(?:[?#].*)?$",
            re.IGNORECASE,
        ),
        "https://arxiv.org/abs/{id}",
    ),
)

OEMBED_ENDPOINTS: tuple[OEmbedEndpoint, ...] = (
    OEmbedEndpoint(
        "youtube",
        re.compile(
            r"^https?://(?:(?:www|m|music)\.)?(?:youtube\.com/(?:watch\?(?:[^#]*&)?v=|shorts/|live/|embed/)"
            r"|youtu\.be/)(?P<id>[A-Za-z0-9_-]{11})(?![A-Za-z0-9_-])",
            re.IGNORECASE,
        ),
        "https://www.youtube.com/watch?v={id}",
        "https://www.youtube.com/oembed?format=json&url={url}",
    ),
    OEmbedEndpoint(
        "vimeo",
        re.compile(r"^https?://(?:www\.)?vimeo\.com/(?P<id>\d{4,12})(?![0-9])", re.IGNORECASE),
        "https://vimeo.com/{id}",
        "https://vimeo.com/api/oembed.json?url={url}",
    ),
)

FOLLOWUP_PAGES: tuple[FollowupPage, ...] = (
    FollowupPage(
        "arxiv-abs",
        re.compile(rf"^https?://(?:www\.|export\.)?arxiv\.org/abs/{_ARXIV_ID}", re.IGNORECASE),
        title_meta=("citation_title", "og:title", "twitter:title"),
        description_meta=("citation_abstract", "og:description", "twitter:description"),
        published_meta=("citation_date", "citation_online_date"),
        site_name="arXiv",
        title_prefix=re.compile(r"^\s*\[[^\]]{1,40}\]\s*"),
    ),
)

TITLE_RULES: tuple[TitleRule, ...] = (
    TitleRule(
        "github.com",
        re.compile(r"^(?P<title>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)(?::\s+(?P<rest>.+))?$"),
        re.compile(r"\s+-\s+[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"),
    ),
)


def followup_url(url: str, meta: PageMeta, body: bytes, content_type: str | None) -> str | None:
    """The URL whose metadata describes ``url`` better, or ``None``."""
    for rule in FOLLOWUPS:
        match = rule.pattern.match(url)
        if match:
            return rule.template.format(**match.groupdict())
    endpoint = oembed_endpoint(url)
    if endpoint:
        return endpoint
    if meta.title is None:
        advertised = advertised_oembed(url, body, content_type)
        if advertised and advertised != url:
            return advertised
    return None


def oembed_endpoint(url: str) -> str | None:
    for site in OEMBED_ENDPOINTS:
        match = site.pattern.match(url)
        if match:
            page = site.page_template.format(**match.groupdict())
            return site.endpoint_template.format(url=quote(page, safe=""))
    return None


def advertised_oembed(url: str, body: bytes, content_type: str | None) -> str | None:
    """The JSON oEmbed URL a page advertises in its head, resolved; http(s) only."""
    if page_kind(body, content_type) != "html":
        return None
    page = parse_page(decode_body(body, content_type), url)
    for href in page.link_hrefs(("alternate",), OEMBED_TYPE):
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
    if _looks_like_json(body, content_type):
        return _merge_oembed(primary, body)
    other = _html_meta(body, content_type, followup_url)
    merged = primary.model_copy()
    for name in ("title", "description", "site_name", "lang", "published", "image"):
        if getattr(merged, name) is None:
            setattr(merged, name, getattr(other, name))
    return merged


def _html_meta(body: bytes, content_type: str | None, url: str) -> PageMeta:
    if page_kind(body, content_type) != "html":
        return PageMeta()
    return refine(url, page_meta(parse_page(decode_body(body, content_type), url), content_type))


def _looks_like_json(body: bytes, content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media.endswith("json") or body.lstrip()[:1] == b"{"


def _merge_page(
    primary: PageMeta, rule: FollowupPage, url: str, body: bytes, content_type: str | None
) -> PageMeta:
    if page_kind(body, content_type) != "html":
        return primary
    page = parse_page(decode_body(body, content_type), url)
    general = page_meta(page, content_type)
    raw_title = page.meta(rule.title_meta) or page.title
    title = clean_text(rule.title_prefix.sub("", raw_title or ""), DEFAULT_TITLE_MAX)
    description = clean_text(page.meta(rule.description_meta), DEFAULT_DESCRIPTION_MAX)
    merged = primary.model_copy()
    merged.title = title or general.title or primary.title
    merged.description = description or general.description or primary.description
    merged.site_name = rule.site_name
    merged.published = normalise_date(page.meta(rule.published_meta)) or primary.published
    merged.lang = primary.lang or general.lang
    merged.image = primary.image or general.image
    return merged


def _merge_oembed(primary: PageMeta, body: bytes) -> PageMeta:
    """oEmbed: title; author_name as the site (a channel, an account), else provider_name."""
    if len(body) > MAX_OEMBED_BYTES:
        return primary
    try:
        data = json.loads(decode_body(body, "application/json; charset=utf-8"))
    except (ValueError, RecursionError):
        return primary
    if not isinstance(data, dict):
        return primary
    merged = primary.model_copy()
    merged.title = clean_text(data.get("title"), DEFAULT_TITLE_MAX) or primary.title
    author = clean_text(data.get("author_name"), DEFAULT_TITLE_MAX)
    provider = clean_text(data.get("provider_name"), DEFAULT_TITLE_MAX)
    merged.site_name = author or provider or primary.site_name
    if merged.image is None:
        thumb = data.get("thumbnail_url")
        merged.image = resolve_http_url(
            "https://invalid./", thumb if isinstance(thumb, str) else None
        )
    return merged


def refine(url: str, meta: PageMeta) -> PageMeta:
    """Apply :data:`TITLE_RULES` for the page's host to freshly extracted metadata."""
    host = host_of(url)
    for rule in TITLE_RULES:
        if host != rule.host or meta.title is None:
            continue
        match = rule.title.match(meta.title)
        if not match:
            continue
        meta.title = match.group("title")
        if meta.description and rule.description_suffix is not None:
            meta.description = rule.description_suffix.sub("", meta.description) or None
        if meta.description is None and match.group("rest"):
            meta.description = clean_text(match.group("rest"), DEFAULT_DESCRIPTION_MAX)
    return meta


__all__ = [
    "FOLLOWUPS",
    "FOLLOWUP_PAGES",
    "OEMBED_ENDPOINTS",
    "TITLE_RULES",
    "followup_url",
    "merge_followup",
    "refine",
]
