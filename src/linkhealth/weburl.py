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
# A URL whose key needs no parser (the project's one "plain URL" pattern: parse/urls.py and
# meta/urls.py read scheme, host and port through plain_url too): lower-case http(s), a
# host that every yarl and IDNA codec, and urlsplit, keeps as it is — lower-case
# letter-digit-hyphen labels (no "--", so no punycode; ending in a letter, so no IP
# address) or an IPv4 address in its canonical dotted form — maybe a port (1-65535
# without leading zeros), no userinfo, no whitespace.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_PLAIN_RE = re.compile(  # possessive: what follows a label or a port never backtracks
    r"(?P<scheme>https?)://(?P<host>"
    r"(?:(?!-)[a-z0-9-]{1,63}+(?<!-)\.)*+[a-z](?:[a-z0-9-]{0,62}+(?<!-))?"
    rf"|{_OCTET}(?:\.{_OCTET}){{3}})"
    r"(?::(?P<port>[1-9][0-9]{0,4}+))?"
    r"(?P<rest>[/?#]\S*+)?"
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
    if isinstance(url, str):
        return scheme_and_host(url)[1]
    return (url.raw_host or "").lower().rstrip(".")


def scheme_and_host(url: str) -> tuple[str, str]:
    """The scheme (lower case, ``""`` when there is none) and :func:`host_key` of ``url``.
    Raises :class:`ValueError` for a malformed URL."""
    plain = plain_url(url)
    if plain is not None:
        scheme, host = plain.group("scheme", "host")
        return scheme, host
    parsed = parse_url(url)
    return (parsed.scheme or "").lower(), (parsed.raw_host or "").lower().rstrip(".")


_SPACE = re.compile(r"\s")  # what the plain pattern's rest (``\S*``) may not hold


class HostReads:
    r""":func:`scheme_and_host` of many URLs, the plain ones read once an origin: a call
    with a URL that starts as a plain URL read before (the same text up to the first
    ``/`` after its ``scheme://``) and holds no whitespace is that URL's read (the very
    same tuple). The pattern's verdict and groups on such a URL are the earlier one's:
    its scheme, host and port stop before that ``/`` and before any of ``?#`` (a host and
    a port hold none), and what follows them is a rest (``[/?#]\S*``) in both, since
    neither holds whitespace. A list's 200,000 links on 200 hosts were 200,000 matches
    of the pattern (~1.5 us each) and as many host strings kept."""

    __slots__ = ("_origins",)

    def __init__(self) -> None:
        self._origins: dict[str, tuple[str, str]] = {}  # origin text -> its plain read

    def __call__(self, url: str) -> tuple[str, str]:
        end = url.find("/", 8)  # (after "https://": the first "/" that can end an origin)
        if end < 0:
            return scheme_and_host(url)
        origin = url[:end]
        read = self._origins.get(origin)
        if read is not None and _SPACE.search(url) is None:
            return read
        plain = plain_url(url)
        if plain is None:
            return scheme_and_host(url)
        scheme, host = plain.group("scheme", "host")
        read = self._origins[origin] = (scheme, host)
        return read


def plain_url(url: str) -> re.Match[str] | None:
    """The match of a URL every parser keeps as written (see ``_PLAIN_RE``), else ``None``:
    groups ``scheme``, ``host`` (already its :func:`host_key`, and urlsplit's ``hostname``),
    ``port`` (1-65535 or ``None``) and ``rest`` (path, query and fragment, or ``None``)."""
    plain = _PLAIN_RE.fullmatch(url)
    if plain is None:
        return None
    return plain if _kept(*plain.group("host", "port")) else None


def _kept(host: str, port: str | None) -> bool:
    """Whether a URL the plain pattern takes, with this host and port (None or "" when it
    has none), is plain: no punycode-like "--" in the host, a port of at most 65535."""
    return "--" not in host and (not port or int(port) <= 65535)


def normalise_url(url: str) -> str:
    """The dedupe key of a URL: lowercase scheme and host, IDN as punycode, no default
    port, ``/`` for an empty path; path, query and fragment kept as written. Never raises."""
    return matched_key(url, plain_url(url))


def matched_key(url: str, plain: re.Match[str] | None) -> str:
    """:func:`normalise_url` of ``url``, given ``plain``: :func:`plain_url` of ``url``
    (for a caller that matched it already)."""
    if plain is None:
        return _parsed_key(url)
    return _matched_key(url, *plain.group("scheme", "host", "port", "rest"))


def _matched_key(url: str, scheme: str, host: str, port: str | None, rest: str | None) -> str:
    """:func:`matched_key` of a plain URL given its groups (``port`` and ``rest``: None or
    "" when it has none)."""
    # a path (the rest starts with one of "/?#") and nothing else to split: as written
    if rest and "?" not in rest and "#" not in rest and not port:
        return url
    origin = f"{scheme}://{host}"
    if port and DEFAULT_PORTS[scheme] != int(port):
        origin = f"{origin}:{port}"
    return _plain_key(origin, rest or "")


# The plain pattern over URLs joined a line each: a line it takes whole (its groups), or
# any other line (no group). Each match ends at its line's end: one match a line, in order.
_PLAIN_LINES_RE = re.compile(rf"(?:{_PLAIN_RE.pattern})\n|[^\n]*\n")


def plain_keys(urls: list[str]) -> list[str | None]:
    """For each of ``urls``, :func:`normalise_url` of it if it is plain (:func:`plain_url`
    takes it), else None: one pass of the pattern over them all, no match object (a list
    of 200,000 links: ~1.5 us a URL matched and read one at a time)."""
    joined = "\n".join(urls)
    if joined.count("\n") != len(urls) - 1:  # a URL of several lines (none is plain)
        return [None if (p := plain_url(u)) is None else matched_key(u, p) for u in urls]
    rows = _PLAIN_LINES_RE.findall(joined + "\n") if urls else []
    return [
        _matched_key(url, scheme, host, port, rest) if scheme and _kept(host, port) else None
        for url, (scheme, host, port, rest) in zip(urls, rows, strict=True)
    ]


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
