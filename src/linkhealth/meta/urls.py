"""URLs found in a page: resolved against the page, only http(s) kept, sanitised."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from linkhealth.textsafe import DEFAULT_URL_MAX, clean_url
from linkhealth.weburl import plain_url  # its host is urlsplit's hostname

HTTP_SCHEMES = ("http", "https")
# A path from the root that urljoin keeps as written: no dot segment, parameters, query,
# fragment, backslash or colon (what most canonical and image links are).
_PLAIN_ROOT_PATH = re.compile(r"/(?![/.])(?:[A-Za-z0-9_~!$&'()*+,=@%-]|\.|/(?!\.))*")


def resolve_http_url(base: str, href: str | None) -> str | None:
    """``href`` resolved against ``base``; ``None`` unless it is a well-formed http(s) URL."""
    cleaned = clean_url(href)
    if cleaned is None:
        return None
    if _PLAIN_ROOT_PATH.fullmatch(cleaned):
        return _join_root_path(base, cleaned)
    return _resolve(base, cleaned)


def _resolve(base: str, cleaned: str) -> str | None:
    """The rule: urljoin, then only a well-formed http(s) URL with a host is kept."""
    try:
        joined = urljoin(base, cleaned)
        parts = urlsplit(joined)
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in HTTP_SCHEMES or not parts.hostname:
        return None
    return clean_url(joined)


def _join_root_path(base: str, path: str) -> str | None:
    """:func:`_resolve` for a path from the root: the base's scheme and host, then ``path``
    as written (urljoin keeps such a path whole; a test compares the two)."""
    origin = plain_origin(base)
    if origin is not None:
        joined = origin[0] + path
        # clean_url of ``joined``: a plain URL's scheme, host and port and a path clean_url
        # kept hold only printable ASCII without spaces (clean_url's fast path): only the
        # length can still refuse it.
        return joined if len(joined) <= DEFAULT_URL_MAX else None
    if not base:
        return None  # urljoin returns the bare path: not an http(s) URL
    try:
        parts = urlsplit(base)
        _ = parts.port
    except ValueError:
        return None
    if parts.scheme not in HTTP_SCHEMES or not parts.hostname:
        return None
    return clean_url(f"{parts.scheme}://{parts.netloc}{path}")


# Where a URL's authority ends, and whitespace (which no plain URL holds).
_AUTHORITY_END = re.compile(r"[/?#]")
_SPACE = re.compile(r"\s")


def plain_origin(url: str) -> tuple[str, str] | None:
    """``scheme://host[:port]`` and the host of a URL :func:`~linkhealth.weburl.plain_url`
    matches, else ``None``. plain_url matches a URL exactly when it matches the URL up to
    the first ``/``, ``?`` or ``#`` after the scheme (no host or port holds one) and the rest
    holds no whitespace: the answer is kept per origin, which a run's pages share (a test
    compares the two)."""
    if url.startswith("http://"):
        at = 7
    elif url.startswith("https://"):
        at = 8
    else:
        return None  # plain_url's scheme is lower-case http or https
    end = _AUTHORITY_END.search(url, at)
    if end is None:
        return _origin_of(url)
    if _SPACE.search(url, end.start()) is not None:
        return None
    return _origin_of(url[: end.start()])


@lru_cache(maxsize=1024)  # a run's pages come from a few hundred origins
def _origin_of(url: str) -> tuple[str, str] | None:
    """:func:`plain_origin` by :func:`~linkhealth.weburl.plain_url` itself."""
    plain = plain_url(url)
    if plain is None:
        return None
    scheme, host, port = plain.group("scheme", "host", "port")
    return f"{scheme}://{host}{':' + port if port is not None else ''}", host


# A page's URL is asked for its host by each field and quirk, and again by the site-wide
# pass after the run: kept for as many pages as a run of a few thousand links answers.
@lru_cache(maxsize=8192)
def host_of(url: str) -> str:
    """The URL's host, lower case, without ``www.`` (``""`` when it has none)."""
    origin = plain_origin(url)
    if origin is not None:
        return origin[1].removeprefix("www.")
    return _host_of(url)


def _host_of(url: str) -> str:
    """:func:`host_of`'s rule: the host urlsplit reads."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.lower().removeprefix("www.")
