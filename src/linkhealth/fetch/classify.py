"""The one place that maps responses and exceptions to verdicts.

Exceptions are recognised by type along their ``__cause__``/``__context__`` chain
(httpx wraps aiohttp, which wraps the OS error); never by errno value or message text.

Exception kinds, most specific first::

    AddressBlocked (guard)              -> unsafe   / policy
    ssl.SSLError, certificate errors    -> error    / tls
    DNS failure (ClientConnectorDNSError, socket.gaierror) -> broken / dns
    ConnectionRefusedError              -> error    / refused   (retried)
    ConnectionResetError, disconnects   -> error    / reset     (retried)
    timeouts (ours, httpx, aiohttp)     -> timeout  / timeout   (retried)
    other connect errors                -> error    / connect   (retried)
    corrupt body, bad HTTP              -> error    / protocol
"""

from __future__ import annotations

import re
import socket
import ssl
import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from linkhealth.fetch.decode import DecodeError, UnsupportedEncoding
from linkhealth.fetch.guard import AddressBlocked
from linkhealth.fetch.hosts import HostThrottled
from linkhealth.fetch.resolver import is_invalid_name
from linkhealth.fetch.result import Outcome
from linkhealth.models import UNSAFE_SCHEMES, ErrorKind, Verdict
from linkhealth.pageregion import metadata_bytes
from linkhealth.statuses import StatusRanges as StatusRanges  # parsed when settings load
from linkhealth.weburl import host_key

if TYPE_CHECKING:
    from linkhealth.fetch.result import FetchResult

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
BLOCKED_STATUSES = frozenset({401, 403, 999})
THROTTLE_STATUSES = frozenset({429, 503})
DANGEROUS_SCHEMES = UNSAFE_SCHEMES
RETRYABLE_KINDS = frozenset(
    {ErrorKind.TIMEOUT, ErrorKind.RESET, ErrorKind.REFUSED, ErrorKind.CONNECT}
)
# Kinds that say "the host could not be reached at all" (for outage detection).
NETWORK_KINDS = frozenset({ErrorKind.DNS, ErrorKind.CONNECT, ErrorKind.REFUSED, ErrorKind.TIMEOUT})

# Bot-challenge pages: byte patterns looked for in the first bytes of a body.
# Looked for in the lowercased first bytes: markers anywhere, titles right after <title>.
# Only what a challenge page itself carries: its options object and the orchestration
# script it loads. Not the bare "challenge-platform": Cloudflare's JavaScript Detections
# put /cdn-cgi/challenge-platform/scripts/jsd/main.js into ordinary pages it serves.
CHALLENGE_MARKERS = (
    b"_cf_chl_opt",
    b"challenge-platform/h/b/orchestrate/",
    b"challenge-platform/h/g/orchestrate/",
)
# Each marker above holds one of these (a test checks every marker against them): most
# pages hold none, and the marker searches are skipped (two searches instead of three).
_CHALLENGE_MARKER_CORES = (b"_cf_chl_opt", b"/orchestrate/")
CHALLENGE_TITLE = re.compile(
    rb"\s*(?:just a moment(?:\.\.\.|\xe2\x80\xa6)|attention required!? \| cloudflare|ddos-guard)"
)
CHALLENGE_SNIFF_BYTES = 16 * 1024

# Soft-404 title patterns (lowercased title); data, not logic.
SOFT_404_TITLES = (
    re.compile(r"\b404\b"),
    re.compile(r"\bpage not found\b"),
    re.compile(r"^\s*not found\b"),
    re.compile(r"\bnot found\s*$"),
    re.compile(r"\b(?:page|article|post|file) (?:does not|doesn't|no longer) exists?\b"),
    re.compile(r"\bno longer available\b"),
    re.compile(r"\bpage (?:is )?(?:missing|unavailable)\b"),
    re.compile(r"\bnicht gefunden\b|\bintrouvable\b|\bno encontrada\b"),
)
# Each pattern above matches only a title holding one of these (a test checks every
# pattern against them): most titles hold none, and eight searches are skipped.
_SOFT_404_WORDS = (
    "404", "not found", "does not", "doesn't", "no longer", "missing", "unavailable",
    "nicht gefunden", "introuvable", "no encontrada",
)  # fmt: skip
# A deep link redirected to one of these paths landed on the site's front page.
_ROOT_PATHS = frozenset(
    {"", "/", "/index.html", "/index.htm", "/index.php", "/home", "/en", "/en/"}
)
_INDEX_NAME = re.compile(r"^/(?:index|default)\.[a-z]+$", re.I)


# ---------------------------------------------------------------- exceptions


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        cur = todo.pop(0)
        if id(cur) in seen:
            continue
        seen.add(id(cur))
        yield cur
        for nxt in (cur.__cause__, cur.__context__, getattr(cur, "os_error", None)):
            if isinstance(nxt, BaseException):
                todo.append(nxt)


def drop_tracebacks(exc: BaseException) -> BaseException:
    """``exc`` with no traceback along its chain, to be kept in a result: a traceback holds
    the frames it passed through, and those the objects that hold the exception (a cycle
    that only the cycle collector would free). Classifying reads types and messages only."""
    for e in _chain(exc):
        e.__traceback__ = None
    return exc


def _aiohttp(*names: str) -> tuple[type[BaseException], ...]:
    """aiohttp's exception classes ``names``, or none when aiohttp was never imported (then
    no aiohttp error can exist: only runs with proxies or a cookie jar load it)."""
    module = sys.modules.get("aiohttp")
    if module is None:
        return ()
    return tuple(getattr(module, name) for name in names)


def _has(exc: BaseException, types: type[BaseException] | tuple[type[BaseException], ...]) -> bool:
    return any(isinstance(e, types) for e in _chain(exc))


def classify_exception(exc: BaseException) -> tuple[Verdict, ErrorKind, str]:
    """(verdict, error kind, detail) for an exception raised while fetching."""
    for e in _chain(exc):
        if isinstance(e, AddressBlocked):
            return Verdict.UNSAFE, ErrorKind.POLICY, f"blocked by address policy: {e}"
    if _has(exc, HostThrottled):
        return Verdict.BLOCKED, ErrorKind.OTHER, f"rate limited: {_reason(exc, HostThrottled)}"
    if _has(exc, (ssl.SSLError, ssl.CertificateError, *_aiohttp("ClientSSLError"))):
        return Verdict.ERROR, ErrorKind.TLS, f"TLS failure: {_reason(exc, ssl.SSLError)}"
    if _has(exc, (socket.gaierror, *_aiohttp("ClientConnectorDNSError"))):
        return Verdict.BROKEN, ErrorKind.DNS, f"host name does not resolve: {_reason(exc)}"
    if _has(exc, ConnectionRefusedError):
        return Verdict.ERROR, ErrorKind.REFUSED, "connection refused"
    if _has(exc, (TimeoutError, httpx.TimeoutException, *_aiohttp("ServerTimeoutError"))):
        return Verdict.TIMEOUT, ErrorKind.TIMEOUT, "no complete answer within the deadline"
    if _has(
        exc,
        (
            ConnectionResetError,
            BrokenPipeError,
            ConnectionAbortedError,
            httpx.ReadError,
            httpx.RemoteProtocolError,
            *_aiohttp("ServerDisconnectedError", "ClientPayloadError"),
        ),
    ):
        return Verdict.ERROR, ErrorKind.RESET, f"connection reset: {_reason(exc)}"
    if _has(exc, (DecodeError, UnsupportedEncoding)):
        return Verdict.ERROR, ErrorKind.PROTOCOL, f"cannot decode body: {_reason(exc)}"
    if _has(exc, (httpx.InvalidURL, httpx.UnsupportedProtocol, *_aiohttp("InvalidURL"))):
        return Verdict.INVALID, ErrorKind.MALFORMED, f"invalid URL: {_reason(exc)}"
    if _has(exc, (httpx.ConnectError, OSError, *_aiohttp("ClientConnectorError"))):
        return Verdict.ERROR, ErrorKind.CONNECT, f"cannot connect: {_reason(exc)}"
    if _has(exc, (httpx.ProtocolError, *_aiohttp("ClientResponseError", "ClientError"))):
        return Verdict.ERROR, ErrorKind.PROTOCOL, f"protocol error: {_reason(exc)}"
    return Verdict.ERROR, ErrorKind.OTHER, f"{type(exc).__name__}: {_reason(exc)}"


def _reason(exc: BaseException, prefer: type[BaseException] | None = None) -> str:
    """The most specific non-empty message along the chain (for the detail text)."""
    chain = list(_chain(exc))
    if prefer is not None:
        for e in chain:
            if isinstance(e, prefer) and str(e):
                return _short(str(e))
    for e in reversed(chain):
        if str(e):
            return _short(str(e))
    return type(exc).__name__


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 200 else text[:199] + "…"


# ---------------------------------------------------------------- retry


def is_retryable(outcome: Outcome) -> bool:
    """The single retry predicate: 408/425/429/5xx, timeouts, resets, refused/failed connects.

    Never 404/410 or other definite answers, DNS, TLS, policy blocks or redirect problems.
    """
    if outcome.redirect_problem is not None or outcome.exhausted:
        return False
    if outcome.error is not None:
        _, kind, _ = classify_exception(outcome.error)
        return kind in RETRYABLE_KINDS
    status = outcome.status
    if status is None or not (status in RETRY_STATUSES or 500 <= status <= 599):
        return False
    return not is_challenge(outcome.headers, outcome.sniff or outcome.body)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    import time

    return max(0.0, when.timestamp() - (time.time() if now is None else now))


# ---------------------------------------------------------------- responses


def is_challenge(headers: dict[str, str], body: bytes) -> bool:
    """A bot-challenge page (Cloudflare and the like): the site refused a robot."""
    if headers.get("cf-mitigated", "").lower() == "challenge":
        return True
    # One lowercased copy and plain substring searches: case-insensitive regexes over
    # 16 KiB of every page cost more than the rest of a response's classification.
    # Only the page's metadata region (the head and a little after it): a page read whole
    # for --check-fragments is judged on the same bytes as when it is read as usual.
    head = metadata_bytes(body[:CHALLENGE_SNIFF_BYTES]).lower()
    if any(core in head for core in _CHALLENGE_MARKER_CORES) and any(
        marker in head for marker in CHALLENGE_MARKERS
    ):
        return True
    at = head.find(b"<title>")
    while at != -1:
        if CHALLENGE_TITLE.match(head, at + 7):
            return True
        at = head.find(b"<title>", at + 7)
    return False


def classify_status(
    status: int,
    headers: dict[str, str],
    body: bytes,
    accept: StatusRanges,
    *,
    redirected: bool,
) -> tuple[Verdict, ErrorKind | None, str]:
    """(verdict, error kind, detail) for a final HTTP status."""
    if is_challenge(headers, body):
        return Verdict.BLOCKED, ErrorKind.BOT_CHALLENGE, f"HTTP {status}: bot challenge page"
    if status in accept or status == 304:
        return (Verdict.REDIRECTED if redirected else Verdict.OK), None, ""
    if status in BLOCKED_STATUSES:
        return Verdict.BLOCKED, None, f"HTTP {status}: the site refused the request"
    if status == 429:
        return Verdict.BLOCKED, None, "HTTP 429: still rate limited after retries"
    if status in (404, 410):
        return Verdict.BROKEN, None, f"HTTP {status}: {'not found' if status == 404 else 'gone'}"
    if status in REDIRECT_STATUSES:
        return Verdict.BROKEN, ErrorKind.PROTOCOL, f"HTTP {status} without a usable Location"
    if 500 <= status <= 599:
        return Verdict.BROKEN, None, f"HTTP {status}: server error after retries"
    return Verdict.BROKEN, None, f"HTTP {status}: status not accepted ({accept.text})"


def classify_outcome(
    outcome: Outcome, accept: StatusRanges
) -> tuple[Verdict, ErrorKind | None, str]:
    if outcome.redirect_problem is not None:
        problem, why = outcome.redirect_problem
        verdict = Verdict.UNSAFE if problem is ErrorKind.POLICY else Verdict.BROKEN
        return verdict, problem, why
    if outcome.error is not None:
        return classify_exception(outcome.error)
    assert outcome.status is not None
    verdict, kind, detail = classify_status(
        outcome.status,
        outcome.headers,
        outcome.sniff or outcome.body,
        accept,
        redirected=bool(outcome.redirects),
    )
    if verdict.is_ok() and outcome.redirects:
        root = redirected_to_root(outcome.url, outcome.final_url or outcome.url)
        if root:
            return Verdict.BROKEN, ErrorKind.SOFT_404, root
    return verdict, kind, detail


# ---------------------------------------------------------------- pure checks


def redirected_to_root(original_url: str, final_url: str) -> str | None:
    """A reason when a deep link was redirected to the front page of a site."""
    orig = urlsplit(original_url)
    final = urlsplit(final_url)
    if _is_root(orig.path) or not _is_root(final.path):
        return None
    if final.query and final.query == orig.query:
        return None
    return f"soft 404: deep link redirects to the site root ({final_url})"


def _is_root(path: str) -> bool:
    return path.lower() in _ROOT_PATHS or bool(_INDEX_NAME.match(path))


def soft_404(result: FetchResult, title: str | None, original_url: str) -> str | None:
    """Why a 2xx page is really "not found" (``None`` when it looks like a real page).

    Looks at the page title (from the metadata stage) and at redirects that
    carried a deep link to the site's root.
    """
    if result.http_status is None or not 200 <= result.http_status <= 299:
        return None
    if result.redirects and result.final_url:
        reason = redirected_to_root(original_url, result.final_url)
        if reason:
            return reason
    if title:
        lowered = " ".join(title.lower().split())
        if title_says_not_found(lowered):
            shown = lowered if len(lowered) <= 80 else lowered[:79] + "…"
            return f"soft 404: the page title says {shown!r}"
    return None


def title_says_not_found(lowered: str) -> bool:
    """Whether a lower-cased title matches one of :data:`SOFT_404_TITLES`."""
    if not any(word in lowered for word in _SOFT_404_WORDS):
        return False
    return any(pattern.search(lowered) for pattern in SOFT_404_TITLES)


def missing_fragment(fragment: str, anchors: set[str]) -> bool:
    """Whether ``#fragment`` names no anchor (``id``/``name``) in the page.

    Empty fragments, text fragments (``:~:text=``) and ``#/`` or ``#!`` routes
    of single-page apps are never reported missing.
    """
    from urllib.parse import unquote

    frag = fragment.removeprefix("#")
    if not frag or frag.startswith(("/", "!")) or ":~:" in frag or frag == "top":
        return False
    return frag not in anchors and unquote(frag) not in anchors


def tells_of_the_network(host: str) -> bool:
    """Whether failing to reach ``host`` says anything of the network ("is it down?"): a
    name under ``invalid.`` is answered "no such name" by linkhealth itself, network or
    none, so it counts neither as a host that failed nor as one that answered (the run's
    watch, the look-ups ahead and :func:`is_outage` alike)."""
    return not is_invalid_name(host)


def is_outage(
    results: Iterable[FetchResult],
    ratio: float,
    *,
    min_hosts: int = 2,
    hosts: Mapping[str, str] | None = None,
) -> bool:
    """Whether nearly every host failed at the network level (DNS or connect).

    A host counts as failing when none of its URLs got any HTTP answer and at
    least one failed with a DNS, connect, refused or timeout error. With fewer
    than ``min_hosts`` hosts, a failure is more likely a dead site than no network.
    ``hosts`` may give the :func:`host_key` of URLs already known (the run's plan knows
    every planned URL's): an outage's 50,000 URLs were read again (~0.1 s).
    """
    reached: dict[str, bool] = {}  # host -> answered (once it has, its other URLs tell nothing)
    telling: dict[str, bool] = {}  # host -> tells_of_the_network(host), asked once a host
    known = hosts or {}
    for r in results:
        if r.verdict in (Verdict.SKIPPED, Verdict.EXCLUDED, Verdict.UNSAFE, Verdict.INVALID):
            continue
        host = known.get(r.url)
        if host is None:
            try:
                host = host_key(r.url)
            except ValueError:
                host = ""
        if reached.get(host):
            continue
        tells = telling.get(host)
        if tells is None:
            tells = telling[host] = tells_of_the_network(host)
        if tells:
            reached[host] = not (r.http_status is None and r.error_kind in NETWORK_KINDS)
    if len(reached) < min_hosts:
        return False
    failing = sum(1 for ok in reached.values() if not ok)
    return failing / len(reached) >= ratio
