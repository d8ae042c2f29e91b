"""Entry points: fetched bytes to :class:`PageMeta` and to anchors."""

from __future__ import annotations

from html.parser import HTMLParser

from selectolax.lexbor import LexborHTMLParser

from linkhealth.htmlanchor import element_anchors
from linkhealth.meta import quirks
from linkhealth.meta.charset import decode_source
from linkhealth.meta.document import MAX_REGION_CHARS, hostile_offset, read_page
from linkhealth.meta.fields import Fallbacks, fallback_key, page_fields
from linkhealth.meta.kinds import page_kind, reported_type
from linkhealth.meta.pdf import pdf_title
from linkhealth.models import PageMeta
from linkhealth.textsafe import DEFAULT_TITLE_MAX, clean_text

MAX_ANCHORS = 100_000


def extract_meta(
    body: bytes,
    content_type: str | None,
    url: str,
    fallbacks: dict[str, Fallbacks] | None = None,
) -> PageMeta:
    """The page's metadata; never raises.

    HTML gets every field (then the host's :data:`~linkhealth.meta.quirks.TITLE_RULES`);
    a PDF gets its document-information title when it is in ``body``; anything
    else only ``content_type``. A page whose metadata cannot be read at all (a
    bug, not bad input) also gets ``content_type`` only. When ``fallbacks`` is
    given, an HTML page's next title and description candidates are put there
    under :func:`~linkhealth.meta.sitewide.fallback_key` of ``url`` (only when it
    has some), for :func:`~linkhealth.meta.sitewide.reject_sitewide` after the fetch.
    """
    try:
        return _extract(body, content_type, url, fallbacks)
    except Exception:  # hostile bytes must never cost the run; tests call _extract directly
        return PageMeta(content_type=_safe_type(body, content_type))


def _extract(
    body: bytes,
    content_type: str | None,
    url: str,
    fallbacks: dict[str, Fallbacks] | None = None,
) -> PageMeta:
    kind = page_kind(body, content_type)
    if kind == "html":
        page = read_page(body, content_type, url)
        meta, more = page_fields(page, content_type)
        if fallbacks is not None and (more.titles or more.descriptions):
            fallbacks[fallback_key(url)] = more
        return quirks.refine(url, meta)
    meta = PageMeta(content_type=clean_text(reported_type(body, content_type), 255))
    if kind == "pdf":
        meta.content_type = meta.content_type or "application/pdf"
        meta.title = clean_text(pdf_title(body), DEFAULT_TITLE_MAX)
    return meta


def _safe_type(body: bytes, content_type: str | None) -> str | None:
    try:
        return clean_text(reported_type(body, content_type), 255)
    except Exception:  # pragma: no cover - reported_type is total
        return None


def page_anchors(body: bytes, content_type: str | None) -> set[str]:
    """Every ``id`` and ``<a name>`` in the bytes read (exact values, for fragment checks)."""
    if page_kind(body, content_type) != "html":
        return set()
    whole, is_utf8 = decode_source(body, content_type)
    text = whole[:MAX_REGION_CHARS]
    if hostile_offset(text) is not None:
        # Tree building is quadratic in nesting depth and in attributes per tag;
        # the standard library's tokenizer is linear.
        return _anchors_by_tokenizer(text)
    # The parser reads the bytes as they are when they are the text's UTF-8 (none cut).
    tree = LexborHTMLParser(body if is_utf8 and len(text) == len(whole) else text)
    anchors: set[str] = set()
    for node in tree.css("[id], a[name]"):
        anchors.update(element_anchors(node.tag or "", node.attributes.items()))
        if len(anchors) >= MAX_ANCHORS:
            break
    return anchors


class _AnchorCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if len(self.anchors) < MAX_ANCHORS:
            self.anchors.update(element_anchors(tag, attrs))


def _anchors_by_tokenizer(text: str) -> set[str]:
    collector = _AnchorCollector()
    collector.feed(text)
    collector.close()
    return collector.anchors
