"""Media types: the one reading of a ``Content-Type`` header and the kinds we tell apart.

Ground floor (standard library only): the fetcher decides what to read by it, metadata
and judging what a body is.
"""

from __future__ import annotations

import re
from functools import lru_cache

HTML_CONTENT_TYPES = ("text/html", "application/xhtml+xml")
PDF_CONTENT_TYPES = ("application/pdf", "application/x-pdf")

_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")


# A run's responses carry a few Content-Type values, each asked for several times (the
# fetcher, the page's kind, its metadata): kept once read, if short (the header is the
# server's to size).
_CACHED_CHARS = 256


def media_type(content_type: str | None) -> str | None:
    """``text/html`` from ``text/html; charset=utf-8``; ``None`` if absent or malformed."""
    if not content_type:
        return None
    if len(content_type) > _CACHED_CHARS:
        return _media_type.__wrapped__(content_type)
    return _media_type(content_type)


@lru_cache(maxsize=64)
def _media_type(content_type: str) -> str | None:
    value = content_type.split(";", 1)[0].strip().lower()
    return value if _MEDIA_TYPE.match(value) else None
