"""Page metadata: what a careful person would write about a link.

Public API::

    decode_body(body, content_type) -> str
    extract_meta(body, content_type, url, fallbacks=None) -> PageMeta
    sitewide.reject_sitewide(results, fallbacks) -> changed results  (after the fetch)
    page_anchors(body, content_type) -> set[str]
    quirks.followup_url(url, meta, body, content_type) -> str | None
    quirks.merge_followup(primary, followup_url, body, content_type) -> PageMeta

Only this package imports selectolax. ``body`` is what the fetcher kept: the
content-decoded first bytes of the response (the head and a little more, or the whole
page for fragment checks); metadata reads the same region of either
(:mod:`linkhealth.pageregion`). What a title or description must not be (notices,
placeholders) is decided in ``notices``; where each field comes from, and in which
order, is data in ``selectors``.
"""

from __future__ import annotations

from linkhealth.meta import quirks
from linkhealth.meta.charset import decode_body
from linkhealth.meta.extract import extract_meta, page_anchors

__all__ = ["decode_body", "extract_meta", "page_anchors", "quirks"]
