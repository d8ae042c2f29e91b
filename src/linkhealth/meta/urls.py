"""URLs found in a page: resolved against the page, only http(s) kept, sanitised."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from linkhealth.textsafe import clean_url

HTTP_SCHEMES = ("http", "https")


def resolve_http_url(base: str, href: str | None) -> str | None:
    """``href`` resolved against ``base``; ``None`` unless it is a well-formed http(s) URL."""
    cleaned = clean_url(href)
    if cleaned is None:
        return None
    try:
        joined = urljoin(base, cleaned)
        parts = urlsplit(joined)
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in HTTP_SCHEMES or not parts.hostname:
        return None
    return clean_url(joined)


def host_of(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.lower().removeprefix("www.")
