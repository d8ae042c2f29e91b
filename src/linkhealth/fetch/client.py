"""The HTTP client: httpx's API over a lean HTTP/1.1 transport (fetch/wire.py).

httpx builds each request (default headers, timeouts); the request goes straight
to the transport: :class:`~linkhealth.fetch.wire.Wire` (asyncio + httptools, a small
keep-alive pool per host), or, for runs with environment proxies or a cookie jar,
:mod:`~linkhealth.fetch.session` (httpx-aiohttp's aiohttp session with a body read one chunk at a
time). Both connect through the same address guard (its resolver for host names, its
socket factory right before every connect), the same TLS context and the same per-host
socket limit; everything above the transport is this module's, one path for both.
Measured on this machine (bench/RESULTS.md): httpx's own httpcore pool costs several ms
of CPU per request, httpx over aiohttp under one, the wire transport about half of that.

One :meth:`Client.attempt` follows redirects itself (never httpx's), re-checking every
hop, and reads a bounded, decoded body only from the final response.
"""

from __future__ import annotations

import asyncio
import operator
import re
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple

import httpx
from httpx._urlparse import ParseResult

from linkhealth.config import Settings, TlsVersion
from linkhealth.errors import ConfigError
from linkhealth.fetch.classify import (
    CHALLENGE_SNIFF_BYTES,
    DANGEROUS_SCHEMES,
    REDIRECT_STATUSES,
    THROTTLE_STATUSES,
    parse_retry_after,
)
from linkhealth.fetch.credentials import credentials_for
from linkhealth.fetch.decode import ACCEPT_ENCODING, BoundedDecoder
from linkhealth.fetch.guard import (
    Guard,
    GuardResolver,
    env_proxy_hosts,
    is_canonical_ip,
    make_socket_factory,
)
from linkhealth.fetch.resolver import DNS_THREADS, ThreadedResolver
from linkhealth.fetch.result import KEPT_HEADERS, Outcome
from linkhealth.fetch.wire import Body, Wire
from linkhealth.lazyre import lazy_compile
from linkhealth.mediatypes import HTML_CONTENT_TYPES, PDF_CONTENT_TYPES, media_type
from linkhealth.models import HTTP_SCHEMES, ErrorKind, Redirect
from linkhealth.pageregion import region_end
from linkhealth.weburl import DEFAULT_PORTS, host_key, plain_url

if TYPE_CHECKING:
    from aiohttp import CookieJar

#: Awaited before each redirect hop's request with the host it goes to (the engine takes
#: that host's slot: hops count against the host they are sent to; the first request's
#: slot is the caller's, taken before the attempt).
BeforeHop = Callable[[str], Awaitable[None]]

ACCEPT_HTML = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"
# Of a PDF, read this much: the document-information /Title is usually near the start.
PDF_READ_BYTES = 64 * 1024
# A JSON or plain-text body is read only when asked for (oEmbed follow-ups, archive
# look-ups: the Wayback CDX API answers text/plain lines).
JSON_READ_BYTES = 64 * 1024
# A head with neither </head> nor <title> in its first max_body_bytes (a shop page opening
# with a megabyte of inline script) is read on, streaming, up to LATE_READ_BYTES decoded
# bytes, for its <title>: past the cap only <title>, <meta>, <link> and <base> are kept,
# at most LATE_KEEP_BYTES of them, so the body stays under max_body_bytes + LATE_KEEP_BYTES.
LATE_READ_BYTES = 4 * 1024 * 1024
LATE_KEEP_BYTES = 64 * 1024
_LATE_HOLD = 8 * 1024  # an unfinished tag at a chunk's end is held back this far, no further
_HEAD_SEEN = re.compile(rb"<title[\s>/]|</head\s*>|<body[\s>/]", re.I)
# Elements whose content is not markup: skipped whole (their content can be megabytes).
_RAW_OPEN = lazy_compile(
    rb"<(script|style|noscript|textarea|xmp|iframe|noembed|noframes|template)(?=[\s>/])[^>]*>"
    rb"|<!--",
    re.I,
)
_LATE_TOKEN = re.compile(
    rb"<(script|style|noscript|textarea|xmp|iframe|noembed|noframes|template)(?=[\s>/])[^>]*>"
    rb"|<!--|<(?:meta|link|base)(?=[\s>/])[^>]*>|<title(?=[\s>/])[^>]*>|</head\s*>"
    rb"|<body(?=[\s>/])[^>]*>",
    re.I,
)


# The path and query characters httpx's parser keeps as written (a "%" always is); the
# rest of its safe set ("[", "]", "|", ...) is simply left to its parser.
_KEPT_AS_WRITTEN = re.compile(
    r"[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*(?:\?[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*)?"
)
_MAX_URL_LENGTH = 65536  # httpx refuses longer URLs


class Target(NamedTuple):
    """A request's URL and what the look at its text told (``None``: ask the URL): its
    host key, ``str(url)`` and ``url.netloc`` as text (the ``Host`` header)."""

    url: httpx.URL
    host: str | None = None
    text: str | None = None
    netloc: str | None = None


def request_url(text: str) -> httpx.URL:
    """``httpx.URL(text)``, without running httpx's parser (~20 µs, a request's largest
    cost above the transport) on a URL it would keep exactly as written: weburl's plain
    URL (lower-case http(s), a canonical host, a port without leading zero) whose path
    and query hold only characters httpx never escapes, with no ``.`` or ``..`` segment
    and no fragment. Anything else is httpx's to parse (and to refuse). A property test
    holds both to the same parse."""
    return request_target(text).url


def request_target(text: str) -> Target:
    """:func:`request_url` of ``text``; for a plain URL, its
    :func:`~linkhealth.weburl.host_key`, text and netloc from the same look at it."""
    plain = _plain_target(text)
    return plain if plain is not None else Target(httpx.URL(text))


def _plain_target(text: str) -> Target | None:
    """``httpx.URL(text)`` built directly, with its host key, text and netloc, when
    ``text`` is a URL httpx keeps exactly as written (see :func:`request_url`) but for a
    default port, which it drops; else ``None``."""
    plain = plain_url(text) if len(text) <= _MAX_URL_LENGTH else None
    if plain is None or not _KEPT_AS_WRITTEN.fullmatch(rest := plain.group("rest") or ""):
        return None
    path, mark, query = rest.partition("?")
    if "." in path:
        segments = path.split("/")
        if "." in segments or ".." in segments:  # httpx removes them
            return None
    scheme, host, port_text = plain.group("scheme"), plain.group("host"), plain.group("port")
    port = int(port_text) if port_text else None
    if port == DEFAULT_PORTS[scheme]:
        port = None
        text = f"{scheme}://{host}{rest}"
    url = httpx.URL.__new__(httpx.URL)
    url._uri_reference = ParseResult(scheme, "", host, port, path, query if mark else None, None)
    return Target(url, host, text, host if port is None else f"{host}:{port_text}")


def join_url(base: httpx.URL, location: str) -> Target:
    """``base.join(location)`` (a redirect's target), with what :func:`request_target`
    tells of a plain one. httpx joins by parsing three times
    (``URL(urljoin(str(base), str(URL(location))))``: ~0.1 ms for an IP address host, as
    much again for each ``copy_with``); a ``Location`` that is a plain absolute URL, or a
    plain absolute path on a plain base, makes a target that :func:`request_target` builds
    directly, and is taken so when ``urljoin`` would keep it as written: no empty query
    or parameters (``urlunparse`` drops a bare ``?`` or ``;``), no fragment, no ``.`` or
    ``..`` segment (one before the last segment's ``;params`` too), no ``//`` that would
    make it scheme-relative. Anything else is
    httpx's. A property test holds both to the same result."""
    if location[:1] == "/":
        if location[1:2] == "/" or base._uri_reference.userinfo:
            return Target(base.join(location))
        text = f"{base.scheme}://{base.netloc.decode('ascii')}{location}"
    elif location.startswith(("http://", "https://")):
        text = location
    else:
        return Target(base.join(location))
    path, mark, query = location.partition("?")
    if (mark and not query) or path.endswith(";") or _dot_before_params(location, path):
        return Target(base.join(location))
    plain = _plain_target(text)
    return plain if plain is not None else Target(base.join(location))


def _dot_before_params(location: str, path: str) -> bool:
    """Whether ``urljoin`` removes the last segment of a relative ``location`` as a dot
    segment: it splits ``;params`` off that segment first, so ``/app/..;id=1`` joins to
    ``/;id=1`` (an absolute ``Location`` is kept as written)."""
    if location[:1] != "/" or ";" not in path:
        return False
    return path.rpartition("/")[2].partition(";")[0] in (".", "..")


def _without_fragment(target: Target) -> str:
    """``str(url.copy_with(fragment=None))``, the key a hop is remembered by (httpx's URLs
    hash and compare as their text), without httpx's parse when there is no fragment."""
    url = target.url
    if url._uri_reference.fragment is None:
        return str(url) if target.text is None else target.text
    return str(url.copy_with(fragment=None))


def connection_limit_per_host(settings: Settings) -> int:
    """The most connections open to one host at once: the largest host concurrency."""
    overrides = (h.concurrency for h in settings.hosts.values() if h.concurrency)
    return max([settings.host_concurrency, *overrides])


_TLS_VERSIONS = {
    TlsVersion.TLS1_0: ssl.TLSVersion.TLSv1,
    TlsVersion.TLS1_1: ssl.TLSVersion.TLSv1_1,
    TlsVersion.TLS1_2: ssl.TLSVersion.TLSv1_2,
    TlsVersion.TLS1_3: ssl.TLSVersion.TLSv1_3,
}


def build_ssl_context(
    ca_bundle: str | None, *, insecure: bool = False, min_tls: TlsVersion | None = None
) -> ssl.SSLContext:
    """The default trust store (system + certifi) plus ``ca_bundle``; ``insecure`` accepts
    any certificate (``--insecure``), ``min_tls`` refuses older protocol versions. certifi
    is imported here: a run of plain http links never builds a context."""
    import certifi

    ctx = ssl.create_default_context()
    if min_tls is not None:
        ctx.minimum_version = _TLS_VERSIONS[min_tls]
    if insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    ctx.load_verify_locations(cafile=certifi.where())
    if ca_bundle:
        try:
            ctx.load_verify_locations(cafile=ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"ca-bundle {ca_bundle}: cannot load certificates ({exc})") from exc
    return ctx


def is_html(content_type: str | None) -> bool:
    if not content_type:
        return True  # unlabelled: treat as HTML (metadata will sniff)
    return media_type(content_type) in HTML_CONTENT_TYPES


# Each kept header's encoded lower-case name: its place in KEPT_HEADERS, and its name.
_KEPT_ORDER = {name.encode("ascii"): i for i, name in enumerate(KEPT_HEADERS)}
_KEPT_NAME = {name.encode("ascii"): name for name in KEPT_HEADERS}


def kept_headers(headers: httpx.Headers) -> dict[str, str]:
    """The response headers a result keeps (:data:`KEPT_HEADERS`, in that order; a header
    sent twice joined with ``", "`` as ``headers[name]`` joins it), from one pass over the
    encoded headers. Values are decoded as httpx decodes them (``Headers.encoding``:
    ASCII when every name and value is, which is one cheap check, else httpx's rule)."""
    raw = headers._list
    found = [
        (at, lower, value) for _, lower, value in raw if (at := _KEPT_ORDER.get(lower)) is not None
    ]
    if not found:
        return {}
    encoding = "ascii"
    for name, _, value in raw:
        if not (name.isascii() and value.isascii()):
            encoding = headers.encoding
            break
    if len(found) > 1:
        found.sort(key=_KEPT_PLACE)  # stable: a header sent twice keeps its values' order
    kept: dict[str, str] = {}
    for _, lower, value in found:
        key = _KEPT_NAME[lower]
        text = value.decode(encoding)
        kept[key] = f"{kept[key]}, {text}" if key in kept else text
    return kept


_KEPT_PLACE = operator.itemgetter(0)


def is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


def is_plain_text(content_type: str | None) -> bool:
    return bool(content_type) and str(content_type).split(";", 1)[0].strip().lower() == "text/plain"


def is_pdf(content_type: str | None) -> bool:
    if not content_type:
        return False
    return media_type(content_type) in PDF_CONTENT_TYPES


def _resolver(threads: int) -> ThreadedResolver:
    return ThreadedResolver(threads)


def run_guard(settings: Settings) -> Guard:
    """The address guard of a run's requests (and of the look-ups made ahead of them):
    ``--allow-private``, ``--resolve``, and the proxy's own hosts when environment proxies
    are used."""
    trusted = env_proxy_hosts() if settings.use_env_proxy else set()
    return Guard(
        allow_private=settings.allow_private, resolve=settings.resolve, trusted_hosts=trusted
    )


def run_resolver(guard: Guard, threads: int = DNS_THREADS) -> GuardResolver:
    """The look-ups a run's requests make: the system's resolver, checked by ``guard``
    (``threads``: how many at once)."""
    return GuardResolver(guard, inner=_resolver(threads))


class Client:
    """One run's HTTP machinery: an aiohttp session behind an httpx client."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.guard = run_guard(settings)
        # The TLS context is built when the first https connection needs it (loading the
        # trust store costs ~20 ms of CPU); a --ca-bundle is checked here, at start.
        self._ssl: ssl.SSLContext | None = None
        if settings.ca_bundle:
            self._ssl = self._tls()
        self._method = settings.method.value.upper()
        self._auth = bool(settings.github_token or settings.basic_auth)
        self._cookies: CookieJar | None = None
        self._http: httpx.AsyncClient | None = None
        self._transport: httpx.AsyncBaseTransport | None = None
        # The client's headers, for every request (set on entry): see __aenter__.
        self._headers: list[tuple[str, tuple[bytes, bytes, bytes]]] = []
        # Of those, what a request whose own headers have these names (in this order)
        # keeps: a handful of name lists in a run (Host; a validator; credentials).
        self._client_part: dict[tuple[str, ...], list[tuple[bytes, bytes, bytes]]] = {}
        self._extensions: dict[str, Any] = {}

    def _tls(self) -> ssl.SSLContext:
        """The run's TLS context (verification, --ca-bundle, --insecure, --min-tls)."""
        if self._ssl is None:
            s = self.settings
            self._ssl = build_ssl_context(s.ca_bundle, insecure=s.insecure, min_tls=s.min_tls)
        return self._ssl

    async def __aenter__(self) -> Client:
        s = self.settings
        if s.use_env_proxy or s.cookie_jar:
            self._transport = self._aiohttp_transport()
        else:
            self._transport = Wire(
                resolver=run_resolver(self.guard),
                socket_factory=make_socket_factory(self.guard),
                ssl_context=self._tls,
                limit_per_host=connection_limit_per_host(s),
            )
        self._http = httpx.AsyncClient(
            transport=self._transport,
            trust_env=False,  # env proxies are aiohttp's job, and only on request
            follow_redirects=False,
            timeout=httpx.Timeout(
                s.timeout, connect=s.connect_timeout, read=s.read_timeout, pool=s.timeout
            ),
            headers={
                "User-Agent": s.user_agent,
                "Accept": ACCEPT_HTML,
                "Accept-Encoding": ACCEPT_ENCODING,
                **s.headers,
            },
        )
        # Each as httpx keeps it (name, lower-case name, value: bytes) beside its lower-case
        # name as text (ASCII: httpx encoded it so).
        self._headers = [(item[1].decode("ascii"), item) for item in self._http.headers._list]
        self._extensions = {"timeout": self._http.timeout.as_dict()}
        return self

    def _aiohttp_transport(self) -> httpx.AsyncBaseTransport:
        """aiohttp's session, for runs with environment proxies or a cookie jar: the
        same guard (resolver, socket factory), TLS context and per-host limit. aiohttp
        is imported only for these runs."""
        from linkhealth.fetch.cookies import load_cookie_jar
        from linkhealth.fetch.session import session_transport

        s = self.settings
        if s.cookie_jar:
            self._cookies = load_cookie_jar(s.cookie_jar)
        return session_transport(
            resolver=run_resolver(self.guard),
            socket_factory=make_socket_factory(self.guard),
            ssl_context=self._tls(),
            limit_per_host=connection_limit_per_host(s),
            trust_env=s.use_env_proxy,
            cookies=self._cookies,
        )

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._http is not None:
            await self._http.aclose()  # closes the transport and the session
        if self._cookies is not None and self.settings.cookie_jar:
            from linkhealth.fetch.cookies import save_cookie_jar

            save_cookie_jar(self._cookies, self.settings.cookie_jar)

    async def attempt(
        self,
        url: str,
        *,
        headers: Mapping[str, str],
        want_full_body: bool,
        before_hop: BeforeHop | None = None,
    ) -> Outcome:
        """One attempt at ``url``: follow redirects, read the final body. Never raises
        for network errors (they are put on the outcome); cancellation propagates.
        ``before_hop(host)`` is awaited before each redirect hop's request."""
        out = Outcome(url=url)
        try:
            await self._follow(out, url, headers, want_full_body, before_hop)
        except Exception as exc:  # classified by type in classify.py
            out.error = exc
        return out

    async def _follow(
        self,
        out: Outcome,
        url: str,
        headers: Mapping[str, str],
        want_full_body: bool,
        before_hop: BeforeHop | None,
    ) -> None:
        assert self._transport is not None
        transport = self._transport
        s = self.settings
        target: Target | None = request_target(url)
        seen: set[str] = set()  # the hops so far (_without_fragment), once redirected
        hop_headers = dict(headers)
        while target is not None:
            current = target.url
            text = str(current) if target.text is None else target.text
            # Never httpx's .host: it raises on some IDNs.
            host = host_key(text) if target.host is None else target.host
            netloc = target.netloc
            self.guard.check_literal_host(host)
            if before_hop is not None and seen:  # a hop (seen: once redirected)
                await before_hop(host)
            if not is_canonical_ip(host) and _looks_numeric(host):  # the first is remembered
                # A legacy IPv4 form the policy allows: connect to its canonical address.
                from linkhealth.fetch.guard import parse_ip

                ip = parse_ip(host)
                if ip is not None:
                    current = current.copy_with(host=str(ip))
                    text, netloc = str(current), None
            # Host from the raw netloc: httpx would otherwise ask its own .host (see above).
            hop_headers["Host"] = current.netloc.decode("ascii") if netloc is None else netloc
            # A plain URL has no userinfo: without a token or basic-auth rules, no
            # credentials to look for.
            credentials = credentials_for(current, s) if netloc is None or self._auth else {}
            request = self._request(
                current, {**hop_headers, **credentials} if credentials else hop_headers
            )
            # Straight to the transport: the client's send() would parse every
            # Location itself (and raise on odd ones) to prepare a redirect we follow.
            response = await transport.handle_async_request(request)
            try:
                status = response.status_code
                if status in REDIRECT_STATUSES and (location := response.headers.get("location")):
                    if not seen:
                        seen.add(_without_fragment(target))
                    target = self._hop(out, current, text, status, location, seen)
                    # Conditional headers belong to the first URL only.
                    hop_headers.pop("If-None-Match", None)
                    hop_headers.pop("If-Modified-Since", None)
                    continue
                target = None
                await self._final(out, response, text, want_full_body)
            finally:
                kept = _close_now(response)
                if kept is None:
                    await response.aclose()
                if not kept:
                    # A connection dropped (its body unread) is closed by the event loop
                    # on its next turn: let that happen before the next hop or URL
                    # connects, or the host briefly sees one socket more than its limit.
                    # A connection back in the pool (wire's ``kept``) has nothing to close.
                    await asyncio.sleep(0)

    def _hop(
        self,
        out: Outcome,
        current: httpx.URL,
        text: str,
        status: int,
        location: str,
        seen: set[str],
    ) -> Target | None:
        """The redirect from ``current`` (``text``) to ``location``: its target, to be
        requested next, or ``None`` when it is not followed (the outcome says why)."""
        out.redirects.append(Redirect(url=text, status=status))
        try:
            target = join_url(current, location)
            if target.host is None and target.url.scheme in HTTP_SCHEMES:
                # Its host as the request asks it (a bad port raises). Only a target to be
                # requested: any other scheme is judged by its scheme (_redirect_problem).
                target = target._replace(host=host_key(str(target.url)))
        except (httpx.InvalidURL, ValueError):  # urllib's join raises ValueError itself
            out.redirect_problem = (
                ErrorKind.PROTOCOL,
                f"HTTP {status} to an invalid Location {location[:200]!r}",
            )
            out.final_url = text
            return None
        key = _without_fragment(target)
        max_redirects = self.settings.max_redirects
        problem = _redirect_problem(target.url, key in seen, len(out.redirects), max_redirects)
        if problem is not None:
            out.redirect_problem = problem
            out.final_url = str(target.url) if target.text is None else target.text
            out.status = status
            return None
        seen.add(key)
        return target

    def _request(self, url: httpx.URL, headers: dict[str, str]) -> httpx.Request:
        """The request ``AsyncClient.build_request`` makes for a GET or HEAD without a
        body, built directly: the client's headers updated with ``headers`` (which hold
        ``Host``, so httpx adds no header of its own), the client's timeouts, an empty
        body. No base URL, cookies or query parameters to merge (this client has none),
        and no header list built twice: the client's headers that ``headers`` does not
        name (any case), in order, then ``headers``, as ``Headers.update`` orders them.
        The client's headers are encoded once, on entry; only ``headers`` are encoded
        here (as httpx encodes them). The object is what ``httpx.Request(method, url, headers=...,
        extensions=..., stream=...)`` holds after ``read()`` (a test compares them), made
        without re-checking the URL and re-encoding every header."""
        names = tuple(headers)
        kept = self._client_part.get(names)
        if kept is None:  # the client's headers these names leave, worked out once
            named = {name.lower() for name in names}
            kept = [item for lower, item in self._headers if lower not in named]
            self._client_part[names] = kept
        merged = httpx.Headers.__new__(httpx.Headers)
        merged._list = items = kept.copy()
        # As httpx.Headers(headers) encodes str names and values (ASCII, or its error).
        for name, value in headers.items():
            raw = name.encode("ascii")
            items.append((raw, raw.lower(), value.encode("ascii")))
        merged._encoding = None
        request = httpx.Request.__new__(httpx.Request)
        request.method = self._method
        request.url = url
        request.headers = merged
        request.extensions = dict(self._extensions)
        request.stream = _NO_BODY
        request._content = b""  # what read() of the empty body sets
        return request

    async def _final(
        self, out: Outcome, response: httpx.Response, url: str, want_full_body: bool
    ) -> None:
        status = response.status_code
        out.status = status
        out.final_url = url
        # What the answer is read by below is among the kept headers (one pass over them).
        out.headers = headers = kept_headers(response.headers)
        if status in THROTTLE_STATUSES:
            out.retry_after = parse_retry_after(headers.get("retry-after"))
        content_type = headers.get("content-type")
        coding = headers.get("content-encoding", "")
        if 200 <= status <= 299:
            if is_html(content_type):
                body, truncated = await _read_body(
                    response,
                    self.settings.max_body_bytes,
                    stop_at_head=not want_full_body,
                    late_head=not want_full_body,
                    coding=coding,
                )
                out.body = body
                out.truncated = truncated
            elif is_pdf(content_type):
                # Only the start: metadata looks for the document's /Title there.
                cap = min(PDF_READ_BYTES, self.settings.max_body_bytes)
                out.body, out.truncated = await _read_body(
                    response, cap, stop_at_head=False, coding=coding
                )
            elif want_full_body and (is_json(content_type) or is_plain_text(content_type)):
                cap = min(JSON_READ_BYTES, self.settings.max_body_bytes)
                out.body, out.truncated = await _read_body(
                    response, cap, stop_at_head=False, coding=coding
                )
        elif status in (403, 429, 503) and is_html(content_type):
            # Only to recognise bot-challenge pages; never returned as the body.
            out.sniff, _ = await _read_body(
                response, CHALLENGE_SNIFF_BYTES, stop_at_head=True, coding=coding
            )


_NO_BODY = httpx.ByteStream(b"")  # every request's (GET or HEAD): read-only, shared


def _close_now(response: httpx.Response) -> bool | None:
    """Close a response of wire's as ``response.aclose()`` would, without a coroutine (its
    close never waits): whether its connection went back to the pool. ``None`` for any
    other stream: the caller awaits ``aclose()``."""
    stream = response.stream
    if isinstance(stream, Body):
        response.is_closed = True
        return stream.close_now()
    return None


def _looks_numeric(host: str) -> bool:
    return bool(host) and host[-1].isdigit() and all(c.isalnum() or c == "." for c in host)


def _redirect_problem(
    target: httpx.URL, seen_before: bool, hops: int, max_redirects: int
) -> tuple[ErrorKind, str] | None:
    scheme = target.scheme.lower()
    if scheme in DANGEROUS_SCHEMES:
        return ErrorKind.POLICY, f"redirect to a dangerous {scheme}: URL"
    if scheme not in HTTP_SCHEMES:
        return ErrorKind.PROTOCOL, f"redirect to a non-HTTP URL ({scheme}:)"
    if seen_before:
        return ErrorKind.REDIRECT_LOOP, f"redirect loop back to {target}"
    if hops > max_redirects:
        return ErrorKind.TOO_MANY_REDIRECTS, f"more than {max_redirects} redirects"
    return None


async def _read_body(
    response: httpx.Response,
    cap: int,
    *,
    stop_at_head: bool,
    late_head: bool = False,
    coding: str | None = None,
) -> tuple[bytes, bool]:
    """Read and decode at most ``cap`` bytes; for HTML stop a little after ``</head>``.

    Returns (body, truncated): truncated when the decoded body reached ``cap``. An
    HTML head with neither ``</head>`` nor ``<title>`` in its first ``cap`` bytes is
    read on by :class:`_LateHead` when ``late_head`` (see :data:`LATE_READ_BYTES`).
    ``coding`` is the response's Content-Encoding when the caller has it already.
    """
    if coding is None:
        coding = response.headers.get("content-encoding")
    chunks = _Chunks(response)
    try:
        return await _read_chunks(chunks, coding or "", cap, stop_at_head, late_head)
    finally:
        if chunks.iterated:  # a transport's own stream: the response's close ends it
            await chunks.aclose()


async def _read_chunks(
    chunks: _Chunks, coding: str, cap: int, stop_at_head: bool, late_head: bool
) -> tuple[bytes, bool]:
    encoding = coding.strip().lower()
    encoded = encoding not in ("", "identity")
    # Not encoded: the bytes as they came, up to the step (what a decoder without a
    # stage does, without building one).
    feed = BoundedDecoder(encoding).feed if encoded else _as_sent
    limit = max(cap, LATE_READ_BYTES) if late_head else cap
    # One compressed chunk never decodes to more than ``cap`` (the memory bound); a
    # decoder that reached its limit may have dropped input, so the read ends there.
    step_max = cap if encoded else limit
    buf = bytearray()
    late: _LateHead | None = None
    read = 0
    scan_from = 0
    while chunk := await chunks.next():
        step = min(step_max, limit - read)
        data = feed(chunk, step)
        if not data:
            continue
        if len(data) >= step:
            limit = read + len(data)
        read += len(data)
        if late is not None:
            late.feed(data)
            if late.done or read >= limit:
                return late.body(), not late.found
            continue
        if stop_at_head:
            # The first chunk is looked at as it came: most pages' region ends in it, and
            # it is cut there without being copied into the buffer first.
            # Keep what already arrived of the metadata region, never wait for more.
            if buf:
                buf += data
                end = region_end(buf, scan_from, cap)
                if end is not None:
                    return _cut(buf, min(end, cap)), False
            else:
                end = region_end(data, 0, cap)
                if end is not None:
                    return data[: min(end, cap)], False
                buf += data
            scan_from = max(0, min(len(buf), cap) - 8)
        else:
            buf += data
        if len(buf) >= cap:
            if not late_head or read >= limit or _HEAD_SEEN.search(buf, 0, cap):
                return _cut(buf, cap), True
            late = _LateHead(bytes(buf[:cap]))
            late.feed(bytes(buf[cap:]))
            del buf[:]
            if late.done:
                return late.body(), not late.found
    if late is not None:
        return late.body(), not late.found
    return bytes(buf), False


def _cut(buf: bytearray, end: int) -> bytes:
    """``bytes(buf[:end])`` with one copy, not two (the slice would be a bytearray first)."""
    with memoryview(buf) as view:
        return bytes(view[:end])


def _as_sent(data: bytes, limit: int) -> bytes:
    return data[:limit]


class _Chunks:
    """A response's raw body, one :meth:`next` chunk at a time (``b""`` at its end):
    straight from a transport's stream that has ``read_chunk``, else (a test's response) through
    ``aiter_raw``, closed by :meth:`aclose` when the read ends early."""

    def __init__(self, response: httpx.Response) -> None:
        stream = getattr(response, "stream", None)
        self._iter: AsyncIterator[bytes] | None = None
        read_chunk = getattr(stream, "read_chunk", None)
        if read_chunk is not None:
            self.next: Callable[[], Awaitable[bytes]] = read_chunk
        else:
            self._iter = response.aiter_raw()
            self.next = self._next_raw

    async def _next_raw(self) -> bytes:
        assert self._iter is not None
        async for chunk in self._iter:
            if chunk:
                return chunk
        return b""

    @property
    def iterated(self) -> bool:
        """Whether the body is read through ``aiter_raw`` (then :meth:`aclose` ends it)."""
        return self._iter is not None

    async def aclose(self) -> None:
        close = getattr(self._iter, "aclose", None)
        if close is not None:
            await close()


class _LateHead:
    """The head of a page read past the cap: the first ``cap`` bytes, then only the
    ``<title>``, ``<meta>``, ``<link>`` and ``<base>`` tags that follow, until ``<title>``
    closes, ``</head>`` or ``<body>`` is seen, or :data:`LATE_KEEP_BYTES` are kept.

    Script, style and comment contents are skipped without being kept; an element left
    open by the cap is cut at its start so what follows parses as markup again.
    """

    def __init__(self, prefix: bytes) -> None:
        self.kept = bytearray()
        self.pending = b""
        self.raw_end: re.Pattern[bytes] | None = None  # inside an element skipped whole
        self.in_title = False
        self.found = False
        self.done = False
        self.prefix = self._cut(prefix)

    def _cut(self, prefix: bytes) -> bytes:
        pos, opened = 0, 0
        while True:
            if self.raw_end is None:
                start = _RAW_OPEN.search(prefix, pos)
                if start is None:
                    break
                self.raw_end, pos = _raw_end(start.group(1)), start.end()
                opened = start.end() if start.group(1) else start.start()
            else:
                end = self.raw_end.search(prefix, pos)
                if end is None:  # the cap fell inside it: keep only its start tag
                    return prefix[:opened]
                self.raw_end, pos = None, end.end()
        lt = prefix.rfind(b"<")
        if lt > prefix.rfind(b">"):  # a tag cut by the cap: read it again whole
            if len(prefix) - lt <= _LATE_HOLD:
                self.pending = prefix[lt:]
            return prefix[:lt]
        return prefix

    def feed(self, data: bytes) -> None:
        """Scan one more decoded chunk; after ``</title>``, only the rest of that chunk."""
        self._scan(data)
        self.done = self.done or (self.found and not self.in_title)

    def _scan(self, data: bytes) -> None:
        text, pos = self.pending + data, 0
        self.pending = b""
        while not self.done:
            if self.raw_end is not None:
                end = self.raw_end.search(text, pos)
                if end is None:
                    tail = max(pos, len(text) - 16)  # its end tag may be split
                    if self.in_title:
                        self._keep(text[pos:tail])
                    self.pending = text[tail:]
                    return
                if self.in_title:
                    self._keep(text[pos : end.end()])
                    self.in_title = False
                elif self.raw_end.pattern != b"-->":
                    self._keep(end.group(0))
                self.raw_end, pos = None, end.end()
                continue
            token = _LATE_TOKEN.search(text, pos)
            if token is None:
                lt = text.rfind(b"<", pos)
                hold = lt if lt >= 0 and len(text) - lt <= _LATE_HOLD else len(text)
                self.pending = text[hold:]
                return
            self._take(token)
            pos = token.end()

    def _take(self, token: re.Match[bytes]) -> None:
        tag = token.group(0)
        name = token.group(1)
        if name or tag == b"<!--":
            if name:
                self._keep(tag)
            self.raw_end = _raw_end(name)
            return
        self._keep(tag)
        lowered = tag[:6].lower()
        if lowered.startswith(b"<title"):
            self.found = self.in_title = True
            self.raw_end = _raw_end(b"title")
        elif lowered.startswith((b"</head", b"<body")):
            self.found = self.done = True

    def _keep(self, data: bytes) -> None:
        room = LATE_KEEP_BYTES - len(self.kept)
        self.kept += data[:room]
        if len(data) >= room:
            self.done = True

    def body(self) -> bytes:
        return self.prefix + bytes(self.kept)


def _raw_end(name: bytes | None) -> re.Pattern[bytes]:
    if not name:
        return re.compile(rb"-->")
    return re.compile(rb"</" + re.escape(name) + rb"\s*>", re.I)
