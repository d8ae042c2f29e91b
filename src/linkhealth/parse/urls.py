"""URLs as written: the dedupe key, fragments, and the malformed-destination rules.

``diagnose`` decides whether a destination is a well-formed link or a lint
finding (scheme typo, missing scheme, whitespace, unsafe scheme, empty). It is
pure and never raises; every suggestion it returns is a concrete URL.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from linkhealth.lazyre import lazy_compile
from linkhealth.records import UNSAFE_SCHEMES, Severity, unsafe_scheme_message
from linkhealth.weburl import matched_key as matched_key
from linkhealth.weburl import normalise_url as normalise_url  # the one URL parser
from linkhealth.weburl import plain_keys as plain_keys
from linkhealth.weburl import plain_url as plain_url

# Known schemes that are close to "http" by edit distance but are not typos.
_REAL_SCHEMES = frozenset(
    {"ftp", "ftps", "sftp", "ssh", "git", "file", "mailto", "tel", "irc", "ircs", "news", "nntp"}
    | {"ws", "wss", "smb", "ldap", "sip", "sips", "xmpp", "urn", "svn", "hdfs", "s3", "gs"}
)
# File extensions that look like top-level domains in ``docs/x.md``-style paths.
_FILE_EXTS = frozenset(
    [
        "md",
        "markdown",
        "mdx",
        "html",
        "htm",
        "xhtml",
        "png",
        "jpg",
        "jpeg",
        "gif",
        "svg",
        "webp",
        "ico",
        "pdf",
        "txt",
        "json",
        "yaml",
        "yml",
        "toml",
        "py",
        "js",
        "ts",
        "css",
        "scss",
        "xml",
        "csv",
        "rst",
        "ipynb",
        "zip",
        "gz",
        "tar",
        "sh",
        "rb",
        "go",
        "rs",
        "java",
        "c",
        "h",
        "cpp",
        "mp4",
        "mp3",
        "wav",
        "ini",
        "cfg",
        "lock",
        "php",
        "asp",
        "aspx",
        "jsp",
    ]
)
_SCHEME_RE = lazy_compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
# A scheme-like word followed by a separator: "htps://", "http//", "https:/", "http:\\".
_TYPO_RE = lazy_compile(
    r"^(?P<scheme>[A-Za-z]{3,8})(?P<sep>:[/\\]*|;[/\\]*|[/\\]{2,3})(?P<rest>.*)$", re.S
)
_HOSTLIKE_RE = lazy_compile(
    r"^(?:localhost|[\w-]+(?:\.[\w-]+)*\.[A-Za-z][\w-]*)(?::\d+)?(?:[/?#\\]|$)"
)
_DOMAIN_RE = lazy_compile(
    r"^(?:www\.[\w-]+(?:\.[\w-]+)*|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?P<tld>[A-Za-z]{2,24}))"
    r"(?::\d+)?(?:[/?#]|$)"
)
_WS_RE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """Why a destination is not a well-formed link, and what it should be."""

    rule: str
    message: str
    suggestion: str | None
    severity: Severity = Severity.ERROR


def split_fragment(url: str) -> tuple[str, str | None]:
    """``("https://x/a", "b")`` for ``https://x/a#b``; the fragment is ``None`` when absent."""
    base, sep, fragment = url.partition("#")
    return (base, fragment) if sep else (url, None)


def bad_host_label(host: str) -> str | None:
    """The first label of ``host`` that no resolver can use, or ``None``.

    A label spelt ``xn--…`` claims to be Punycode (an IDNA A-label): it must decode, to
    text that is not plain ASCII and holds no control, space or unassigned character,
    and encode back to itself. Browsers refuse any other ``xn--`` label, and so does the
    HTTP client (``xn--127-0.0.0.1`` makes it raise). Other ASCII labels are left to
    DNS (``a_b.example`` resolves in practice); IP literals have no labels.
    """
    if ":" in host:
        return None
    for label in host.split("."):
        if label[:4].lower() != "xn--":
            continue
        encoded = label[4:].lower()
        try:
            decoded = encoded.encode("ascii").decode("punycode")
        except (UnicodeError, IndexError, ValueError):
            return label
        if (
            decoded.isascii()
            or decoded.encode("punycode").decode("ascii") != encoded
            or any(unicodedata.category(c)[0] in "CZ" for c in decoded)
        ):
            return label
    return None


def _distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein plus transpositions)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def intended_scheme(scheme: str) -> str | None:
    """``https``/``http`` when ``scheme`` looks like a misspelling of one, else ``None``."""
    low = scheme.lower()
    if low in ("http", "https"):
        return low
    if low in _REAL_SCHEMES or not 3 <= len(low) <= 8 or not low.isalpha():
        return None
    d_https, d_http = _distance(low, "https"), _distance(low, "http")
    limit = 1 if len(low) <= 4 else 2
    if min(d_https, d_http) > limit or low[0] not in "ht":
        return None
    if d_https < d_http or (d_https == d_http and low.endswith("s")):
        return "https"
    return "http"


def scheme_typo(text: str) -> Diagnosis | None:
    """A misspelt ``http(s)://`` prefix (``htps://``, ``http//``, ``https:/``, ``hhttps://``,
    ``http:\\\\``) followed by something host-like; ``None`` when the prefix is fine."""
    m = _TYPO_RE.match(text)
    if m is None:
        return None
    scheme, sep, rest = m.group("scheme"), m.group("sep"), m.group("rest")
    fixed = intended_scheme(scheme)
    if fixed is None:
        return None
    if scheme == fixed and sep == "://":
        return None
    if ":" not in sep and ";" not in sep and scheme.lower() != fixed:
        return None  # "abcd//x": neither the scheme nor the separator says "http"
    host = rest.lstrip("/\\").replace("\\", "/")
    if not _HOSTLIKE_RE.match(host):
        return None
    suggestion = f"{fixed}://{_WS_RE.sub('', host)}"
    return Diagnosis("scheme-typo", f"misspelt scheme {scheme + sep!r}", suggestion)


def _netloc(url: str) -> str:
    """The authority of ``url``; empty when it has none or it cannot be split
    (``http://[`` makes :func:`urlsplit` raise)."""
    try:
        return urlsplit(url).netloc
    except ValueError:
        return ""


def _host_diagnosis(url: str) -> Diagnosis | None:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return None
    label = bad_host_label(host)
    if label is None:
        return None
    return Diagnosis("invalid-host", f"host label {label!r} is not valid Punycode (IDNA)", None)


def diagnose(url: str, *, destination: bool = True) -> Diagnosis | None:
    """Why ``url`` is not a well-formed link, or ``None`` when it is.

    ``destination`` is true for link destinations (``[t](url)``, ``href``), where a
    scheme-less host such as ``github.com/x`` is a mistake rather than a relative path.
    """
    return diagnose_matched(url, plain_url(url), destination=destination)


def diagnose_matched(
    url: str, plain: re.Match[str] | None, *, destination: bool = True
) -> Diagnosis | None:
    """:func:`diagnose` of ``url``, given ``plain``: :func:`plain_url` of ``url``."""
    if plain is not None:  # weburl's plain URL (no "--" in its host: no xn--)
        return None  # what the rules below decide for it (tests/parse/test_fast_paths.py)
    return _diagnose(url, destination=destination)


def _diagnose(url: str, *, destination: bool) -> Diagnosis | None:
    text = url.strip()
    if not text:
        return Diagnosis("empty-destination", "empty link destination", None)
    m = _SCHEME_RE.match(text)
    scheme = m.group(1).lower() if m else None
    # Browsers ignore control characters and spaces inside a scheme: "java\tscript:".
    squeezed = re.sub(r"[\x00-\x20]+", "", text).lower()
    for bad in UNSAFE_SCHEMES:
        if squeezed.startswith(bad + ":"):
            return Diagnosis("unsafe-scheme", unsafe_scheme_message(bad), None)
    typo = scheme_typo(text)
    if typo is not None:
        return typo
    if scheme in ("http", "https"):
        rest = text[len(scheme) + 1 :]
        if _WS_RE.search(text):
            joined = _WS_RE.sub("", text)
            return Diagnosis("url-whitespace", "whitespace inside the URL", joined)
        if not rest.startswith("//") or not _netloc(text):
            return Diagnosis("missing-host", "URL without a host", None)
        return _host_diagnosis(text)
    if scheme is None and destination and not text.startswith(("/", ".", "#", "?")):
        d = _DOMAIN_RE.match(text)
        if d is not None:
            tld = d.group("tld")
            if tld is None or tld.lower() not in _FILE_EXTS:
                suggestion = "https://" + _WS_RE.sub("", text)
                return Diagnosis("missing-scheme", "link without a scheme", suggestion)
    return None
