"""Lint rules over the text that markdown-it did *not* turn into links.

A link that failed to parse (``[t](https://simonwil lison.net/…)``,
``[t] (url)``, ``[t](url``, ``htps://x.org``) is left as plain text by a CommonMark
parser. These scanners look at an inline token's source outside the ranges that
rules consumed (links, code spans, autolinks, inline HTML) and report each
malformed link once, with the span of its destination and a concrete URL as the
suggestion. Each hit also carries a *suppress* range: bare-URL detection must not
report a fragment such as ``https://simonwil`` from inside it.

Rules (kebab-case ids): ``url-whitespace``, ``scheme-typo``, ``missing-scheme``,
``missing-host``, ``invalid-host``, ``space-before-paren``, ``unbalanced-brackets``,
``empty-destination``, ``unsafe-scheme`` (errors) and ``duplicate-url`` (warning).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from linkhealth.lazyre import lazy_compile
from linkhealth.parse.urls import Diagnosis, diagnose, scheme_typo
from linkhealth.records import Severity

# Every lint hit starts outside what the parser consumed, at a "]" ("](") or a "[", or
# before a ":", ";" or "/" that is outside too (no consumed construct starts with one).
SCAN_HINT = re.compile(r"[\[\]:;/]")
# where SCAN_HINT or the bare-URL hint (":", "www.", "@") may match: text without one of
# these holds no lint hit and no bare URL
ANY_HINT = re.compile(r"[\[\]:;/@.]")

RULES: dict[str, str] = {
    "url-whitespace": "whitespace inside a link destination",
    "scheme-typo": "misspelt http(s):// prefix",
    "missing-scheme": "a destination that is a host name without a scheme",
    "missing-host": "an http(s) URL without a host",
    "invalid-host": "a host name with an xn-- label that is not valid Punycode",
    "space-before-paren": "[text] (url): a space between the brackets and the parenthesis",
    "unbalanced-brackets": "unbalanced [ ] or ( ) around a URL",
    "empty-destination": "a link with an empty destination",
    "unsafe-scheme": "javascript:, data: or vbscript: link",
    "duplicate-url": "the same URL more than once in a file (warning)",
    "unclosed-ignore": "an ignore-start marker with no -end: the rest is ignored (warning)",
}


@dataclass(frozen=True, slots=True)
class TextHit:
    """A malformed link found in text; offsets are into the scanned string."""

    rule: str
    message: str
    suggestion: str | None
    start: int
    end: int
    suppress_start: int
    suppress_end: int
    severity: Severity = Severity.ERROR


_SPACE_PAREN_RE = lazy_compile(r"\[([^\[\]\n]+)\][ \t]+\(([^()\s]+)\)")
_MISSING_CLOSE_BRACKET_RE = lazy_compile(
    r"\[[^\[\]\n]*?\((\s*[A-Za-z][\w+.-]*:[^()\s]+)\)(?![^\[\n]*\])"
)
# A scheme-like word and separator; not "http://" or "https://" followed by a word
# character (the common case: scheme_typo passes it, tests/parse/test_fast_paths.py)
_TYPO_WORD_RE = lazy_compile(
    r"(?<![\w/.:@\\-])(?!https?://[\w.-])[A-Za-z]{3,8}(?::[/\\]*|;[/\\]*|//)(?=[\w.-])"
)
_URLISH_RE = lazy_compile(r"^(?:[A-Za-z][\w+.-]*:|www\.|[\w-]+(?:\.[\w-]+)+(?:[/?#]|$))")
_TRAILING = ".,;:!?'\"*_~"
# A bare URL split by one space inside its host: "https://simonwil lison.net/x". The part
# before the space has no dot (so it is no real host), the part after completes a host.
_SPLIT_HOST_RE = lazy_compile(
    r"(?<![\w/.:@\\-])(https?://)([A-Za-z0-9-]+)[ \t]([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
    r"\.[A-Za-z]{2,}(?::\d+)?)(?=[/?#]|[\s)\]>]|$)([^\s<>()\[\]]*)",
    re.IGNORECASE,
)
# What every such URL has: found with one quick scan before the full pattern's
_SPLIT_HOST_HINT = lazy_compile(r"://[A-Za-z0-9-]+[ \t]", re.IGNORECASE)
_WS_RE = re.compile(r"\s+")

InRange = Callable[[int], bool]


def _fix(dest: str) -> Diagnosis | None:
    """The diagnosis of a destination, else ``None`` when it is a fine URL."""
    return diagnose(dest, destination=True)


def _suggest(dest: str) -> str | None:
    """A concrete URL for a destination as the author meant it."""
    diag = _fix(dest)
    if diag is not None:
        return diag.suggestion
    return dest or None


def _whitespace_fix(dest: str) -> str:
    """Join an http(s) URL broken by a space; percent-encode spaces in a path."""
    joined = _WS_RE.sub("", dest)
    if re.match(r"^[A-Za-z][\w+.-]*:", joined):
        diag = _fix(joined)
        return diag.suggestion if diag is not None and diag.suggestion else joined
    return quote(dest, safe="/#?&=%:@+!$,;~*'()[]")


def _closing_paren(text: str, pos: int, line_end: int) -> int:
    """The ``)`` that closes a destination starting at ``pos`` on its line, or -1."""
    depth = 0
    while pos < line_end:
        ch = text[pos]
        if ch == "\\":
            pos += 2
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                return pos
            depth -= 1
        pos += 1
    return -1


def _failed_links(text: str, hard: InRange) -> list[TextHit]:
    hits: list[TextHit] = []
    idx = text.find("](")
    while idx != -1:
        if hard(idx):
            idx = text.find("](", idx + 2)
            continue
        line_start = text.rfind("\n", 0, idx) + 1
        line_end = text.find("\n", idx)
        if line_end == -1:
            line_end = len(text)
        open_bracket = text.rfind("[", line_start, idx)
        close = _closing_paren(text, idx + 2, line_end)
        inner_end = close if close != -1 else line_end
        raw_inner = text[idx + 2 : inner_end]
        lead = len(raw_inner) - len(raw_inner.lstrip())
        dest = raw_inner.strip()
        d_start = idx + 2 + lead
        d_end = d_start + len(dest)
        sup_start = open_bracket if open_bracket != -1 else idx
        sup_end = close + 1 if close != -1 else line_end
        if dest.startswith("<") and dest.endswith(">"):
            dest, d_start, d_end = dest[1:-1], d_start + 1, d_end - 1
        if close == -1 or open_bracket == -1:
            which = "missing ')'" if close == -1 else "missing '['"
            rule, message = "unbalanced-brackets", f"unbalanced link: {which}"
            suggestion = _suggest(dest.split()[0] if dest.split() else dest)
        else:
            rule, message, suggestion, d_end = _failed_destination(dest, d_start, d_end)
        hits.append(TextHit(rule, message, suggestion, d_start, d_end, sup_start, sup_end))
        idx = text.find("](", max(idx + 2, sup_end))
    return hits


def _failed_destination(dest: str, d_start: int, d_end: int) -> tuple[str, str, str | None, int]:
    """Rule, message, suggestion and span end for a balanced ``[text](dest)`` that the
    parser did not take as a link."""
    if _WS_RE.search(dest):
        title = re.match(r'^(\S+)\s+(["\'(]).*$', dest, re.S)
        if title is not None and title.group(1):
            # url "title" where the title is broken: the URL itself is what matters
            url = title.group(1)
            diag = _fix(url)
            if diag:
                return diag.rule, diag.message, diag.suggestion, d_start + len(url)
            return "unbalanced-brackets", "malformed link title", url, d_start + len(url)
        return (
            "url-whitespace",
            "whitespace inside the link destination",
            _whitespace_fix(dest),
            d_end,
        )
    diag = _fix(dest)
    if diag:
        return diag.rule, diag.message, diag.suggestion, d_end
    return (
        "unbalanced-brackets",
        "malformed link (unbalanced brackets or parentheses)",
        dest or None,
        d_end,
    )


def _space_before_paren(text: str, hard: InRange) -> list[TextHit]:
    hits: list[TextHit] = []
    for m in _SPACE_PAREN_RE.finditer(text):
        url = m.group(2)
        if hard(m.start()) or not _URLISH_RE.match(url):
            continue
        hits.append(
            TextHit(
                "space-before-paren",
                "space between ] and ( — not a link",
                _suggest(url),
                m.start(2),
                m.end(2),
                m.start(),
                m.end(),
            )
        )
    return hits


def _missing_close_bracket(text: str, hard: InRange) -> list[TextHit]:
    hits: list[TextHit] = []
    for m in _MISSING_CLOSE_BRACKET_RE.finditer(text):
        if hard(m.start()):
            continue
        url = m.group(1).strip()
        start = m.end(1) - len(url)
        hits.append(
            TextHit(
                "unbalanced-brackets",
                "unbalanced link: missing ']'",
                _suggest(url),
                start,
                m.end(1),
                m.start(),
                m.end(),
            )
        )
    return hits


_WORD_REST_RE = lazy_compile(r"[^\s<>\[\]()]*")  # \s is what str.isspace() calls space


def word_end(text: str, pos: int) -> int:
    """Where the word going on at ``pos`` ends: at whitespace, ``<>[]()`` or the end."""
    m = _WORD_REST_RE.match(text, pos)
    return m.end() if m is not None else pos


_ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_SEPARATORS = (":", ";", "//")  # how each separator of _TYPO_WORD_RE begins


def typo_words(text: str) -> list[re.Match[str]]:
    """``list(_TYPO_WORD_RE.finditer(text))``, tried only where a word can start: a match
    is 3-8 ASCII letters right before a separator, preceded by no word character (so
    the whole run of letters before it), and a text has few separators
    (tests/parse/test_fast_paths.py compares). A match ends with its separator: the
    next one starts after it."""
    starts = set()
    for sep in _SEPARATORS:
        i = text.find(sep)
        while i != -1:
            j = i
            while j > 0 and i - j <= 8 and text[j - 1] in _ASCII_LETTERS:
                j -= 1
            if 3 <= i - j <= 8:
                starts.add(j)
            i = text.find(sep, i + 1)
    found = []
    for j in sorted(starts):
        m = _TYPO_WORD_RE.match(text, j)
        if m is not None:
            found.append(m)
    return found


def _scheme_typos(text: str, hard: InRange) -> list[TextHit]:
    hits: list[TextHit] = []
    for m in typo_words(text):
        if hard(m.start()):
            continue
        end = word_end(text, m.end())
        word = text[m.start() : end].rstrip(_TRAILING)
        diag = scheme_typo(word)
        if diag is None:
            continue
        s, e = m.start(), m.start() + len(word)
        hits.append(TextHit(diag.rule, diag.message, diag.suggestion, s, e, s, e))
    return hits


def _split_bare_hosts(text: str, hard: InRange) -> list[TextHit]:
    """Bare URLs with a space inside the host name (the first part alone is no host)."""
    hits: list[TextHit] = []
    for m in _SPLIT_HOST_RE.finditer(text):
        if hard(m.start()):
            continue
        scheme, left, right, rest = m.group(1), m.group(2), m.group(3), m.group(4)
        if left.lower() == "localhost":
            continue
        rest = rest.rstrip(_TRAILING)
        s, e = m.start(), m.start(4) + len(rest)
        suggestion = f"{scheme}{left}{right}{rest}"
        message = "whitespace inside the URL's host name"
        hits.append(TextHit("url-whitespace", message, suggestion, s, e, s, e))
    return hits


def scan_text(text: str, hard: InRange) -> list[TextHit]:
    """Every malformed link in ``text`` outside the ranges where ``hard(pos)`` is true."""
    hits: list[TextHit] = []
    if "](" in text:
        hits.extend(_failed_links(text, hard))
    if "[" in text and "(" in text:
        hits.extend(_space_before_paren(text, hard))
        hits.extend(_missing_close_bracket(text, hard))
    if "://" in text and _SPLIT_HOST_HINT.search(text):
        taken = [(h.suppress_start, h.suppress_end) for h in hits]
        for hit in _split_bare_hosts(text, hard):
            if not any(a <= hit.start < b for a, b in taken):
                hits.append(hit)
    if ":" in text or "//" in text:
        taken = [(h.suppress_start, h.suppress_end) for h in hits]
        for hit in _scheme_typos(text, hard):
            if not any(a <= hit.start < b for a, b in taken):
                hits.append(hit)
    return hits
