"""One URL parser for the whole project: yarl's, the one aiohttp sends requests with.

Planning, the URL policy, the dedupe key, the fetcher's per-host slots and its
address guard all read a URL's scheme, host and port here, so they cannot disagree
(``http://☕.example/`` is ``xn--53h.example`` everywhere: IDNA 2008 with UTS 46,
else IDNA 2003, as yarl encodes it). httpx's ``URL.host`` decodes punycode with
strict IDNA 2008 and raises for such a name: never ask it for the host.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:  # yarl is imported by the first URL that needs parsing (not by plain ones)
    from yarl import URL

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}
# A URL whose key needs no parser: lower-case http(s), a host of lower-case letter-digit-
# hyphen labels (no "--", so no punycode; ending in a letter, so no IP address) that every
# yarl and IDNA codec keeps as it is, no port, no userinfo, no whitespace.
_PLAIN_RE = re.compile(
    r"(https?://(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?)"
    r"([/?#]\S*)?"
)


def parse_url(text: str) -> URL:
    """``text`` parsed; raises :class:`ValueError` for a malformed URL (bad port, ``[``)."""
    from yarl import URL

    try:
        return URL(text.strip())
    # yarl lets a few odd hosts through as these ("http://[]@" as an IndexError)
    except (TypeError, UnicodeError, IndexError) as exc:
        raise ValueError(str(exc)) from None


def host_key(url: str | URL) -> str:
    """The host as requests use it: ASCII (punycode), lower case, no trailing dot;
    ``""`` when there is none. Raises :class:`ValueError` for a malformed URL."""
    parsed = parse_url(url) if isinstance(url, str) else url
    return (parsed.raw_host or "").lower().rstrip(".")


def normalise_url(url: str) -> str:
    """The dedupe key of a URL: lowercase scheme and host, IDN as punycode, no default
    port, ``/`` for an empty path; path, query and fragment kept as written. Never raises."""
    plain = _PLAIN_RE.fullmatch(url)
    if plain is not None and "--" not in plain.group(1):
        return _plain_key(plain.group(1), plain.group(2) or "")
    return _parsed_key(url)


def _parsed_key(url: str) -> str:
    text = url.strip()
    try:
        parsed = parse_url(text)
        parts = urlsplit(text)  # the rest exactly as written: yarl would re-encode it
    except ValueError:
        return text
    scheme = parts.scheme.lower()
    netloc = parts.netloc
    if netloc:
        userinfo, at, _ = netloc.rpartition("@")
        host = (parsed.raw_host or "").lower().rstrip(".")
        if ":" in host:  # IPv6 literal
            host = f"[{host}]"
        port = parsed.explicit_port
        if port is not None and DEFAULT_PORTS.get(scheme) != port:
            host = f"{host}:{port}"
        netloc = f"{userinfo}{at}{host}"
    path = parts.path or ("/" if netloc else "")
    trailing = "#" if text.endswith("#") and not parts.fragment else ""
    return urlunsplit((scheme, netloc, path, parts.query, parts.fragment)) + trailing


def _plain_key(origin: str, rest: str) -> str:
    """:func:`normalise_url` of ``origin + rest`` when the origin is already its own key:
    the rest split and joined as :func:`urlsplit` and :func:`urlunsplit` do."""
    before, _, fragment = rest.partition("#")
    path, _, query = before.partition("?")
    key = origin + (path or "/")
    if query:
        key += "?" + query
    if fragment:
        key += "#" + fragment
    elif rest.endswith("#"):
        key += "#"
    return key


def ascii_host(name: str) -> str:
    """A host name as :func:`host_key` spells it (``bücher.de`` → ``xn--bcher-kva.de``),
    for names written without a URL: ``--resolve`` and ``[hosts."…"]`` keys."""
    text = name.strip()
    try:
        from yarl import URL

        return host_key(URL.build(scheme="http", host=text))
    except (ValueError, TypeError, UnicodeError):
        return text.lower().rstrip(".")
