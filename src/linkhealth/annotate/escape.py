"""How annotate writes untrusted text and URLs into Markdown: escaped, percent-encoded."""

from __future__ import annotations

from urllib.parse import urlsplit

from linkhealth.report.escape import md_text
from linkhealth.sanitize import clean_text


def md_inline(text: str, limit: int | None = None) -> str:
    """Inline Markdown that renders as ``text`` (sanitised, one line) and opens nothing.

    The reports' escaper (:func:`linkhealth.report.escape.md_text`) plus one rule of
    annotate's own: the list is often a Jekyll page, so ``{%`` never appears either.
    Safe inside link text, after other inline text, and inside an HTML comment
    (``>`` is always escaped, so ``-->`` cannot appear).
    """
    cleaned = clean_text(text, limit) if limit is not None else clean_text(text)
    if not cleaned:
        return ""
    return md_text(cleaned).replace("\\{%", "\\{\\%")


_INVISIBLE_IN_URL = frozenset(
    [chr(c) for c in range(0x00, 0x21)]
    + [chr(c) for c in range(0x7F, 0xA1)]
    + list("\u061c\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u2060\ufeff")
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
)
_URL_ENCODE = frozenset("<>\\|`\"'") | _INVISIBLE_IN_URL


def percent(url: str, extra: frozenset[str] = frozenset()) -> str:
    out: list[str] = []
    for ch in url:
        if ch in _URL_ENCODE or ch in extra:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8"))
        else:
            out.append(ch)
    return "".join(out)


def is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def md_destination(url: str) -> str:
    """A link destination for ``(…)``: ``url`` or ``<url>`` (when it has parentheses),
    with whitespace, controls, ``< > \\ | ` " '`` percent-encoded."""
    encoded = percent(url.strip())
    if "(" in encoded or ")" in encoded:
        return f"<{encoded}>"
    return encoded


def md_autolink(url: str) -> str:
    """``<url>``, percent-encoded so it stays one autolink."""
    return f"<{percent(url.strip())}>"


def html_attribute_url(url: str) -> str:
    return percent(url.strip()).replace("&", "&amp;")
