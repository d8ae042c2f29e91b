"""Escaping per output format, in one place.

Fetched text (titles, descriptions, URLs, details) is untrusted. It should arrive
sanitised by :mod:`linkhealth.sanitize`, but every renderer escapes defensively
with the function for its format:

========== ==========================================================
format     function
========== ==========================================================
any        :func:`clean` (valid Unicode: lone surrogates become U+FFFD)
terminal   :func:`terminal` (no C0/C1 controls, ESC/OSC sequences, bidi)
Markdown   :func:`md_text`, :func:`md_url`, :func:`md_code`
HTML       Jinja2 autoescape over :func:`html_text` (controls removed)
XML        :func:`xml_text` (characters XML 1.0 forbids removed)
JSON       :func:`json_text` (valid UTF-8; invisible controls as ``\\uXXXX``)
GitHub     :func:`gh_data`, :func:`gh_property` (workflow-command escaping)
CSV        :func:`csv_cell` (no formula injection, no controls)
========== ==========================================================
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

# Characters that change how text is displayed without being visible: bidi
# embeddings/overrides/isolates, marks, zero-width joiners, line/paragraph
# separators and the BOM. Stripped from terminal text, escaped in JSON.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_INVISIBLE = _BIDI + "\u200b-\u200d\u2028\u2029\u2060\ufeff"

# ESC-introduced sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST),
# DCS/SOS/PM/APC (ESC P/X/^/_ ... ST), and two-character escapes.
_ESC_SEQ = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]?            # CSI
    | \x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?   # OSC (8 hyperlinks, 52 clipboard…)
    | \x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)?        # DCS, SOS, PM, APC
    | \x1b[ -/]*[0-~]?                  # other escapes (ESC c, ESC ( B …)
    | \x9b[0-?]*[ -/]*[@-~]?            # 8-bit CSI
    | \x9d[^\x07\x1b\x9c]*(?:\x07|\x9c)?   # 8-bit OSC
    """,
    re.VERBOSE,
)
_CONTROLS = re.compile(f"[\x00-\x1f\x7f-\x9f{_INVISIBLE}]")
_WS = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")


def clean(text: str) -> str:
    """Valid Unicode: paired surrogates joined, lone surrogates replaced by U+FFFD."""
    if not any("\ud800" <= ch <= "\udfff" for ch in text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def one_line(text: str) -> str:
    """Clean text with escape sequences and controls removed and whitespace collapsed."""
    text = _ESC_SEQ.sub("", clean(text))
    text = _WS.sub(" ", text)
    return _CONTROLS.sub("", text).strip()


def shorten(text: str, limit: int) -> str:
    """Cut ``text`` at ``limit`` characters on a word boundary, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


# --- terminal ------------------------------------------------------------------------


def terminal(text: str) -> str:
    """Text safe to print to a terminal: one line, no escape sequence, no control, no bidi.

    Rich/click markup such as ``[link=…]`` is left as literal text: print the result
    without markup interpretation (``click.echo``, or rich with ``markup=False``).
    """
    return one_line(text)


#: The name the CLI imports.
terminal_escape = terminal


# --- Markdown ------------------------------------------------------------------------

# Every ASCII punctuation character may be backslash-escaped in CommonMark; these are
# the ones that can start or end a construct (links, images, HTML, headings, emphasis,
# code, tables, entities, Liquid/Jinja braces, GFM strikethrough and autolinks).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#!(){}&~@$])")
_MD_SCHEME = re.compile(r"(?i)([a-z][a-z0-9+.-]*):(?=//)")
_MD_WWW = re.compile(r"(?i)(www)\.")  # linkify-it also links "0www.x" mid-word
_MD_LINE_START = re.compile(r"^([-+=])")
_MD_ORDERED = re.compile(r"^(\d+)\.")


def md_text(text: str, limit: int | None = None) -> str:
    """Inline Markdown text that renders as exactly ``text`` and opens no construct.

    One line (newlines collapsed), punctuation that could open a link, image, HTML tag,
    heading, list item, code span, table cell, entity or emphasis backslash-escaped,
    and bare URLs (``scheme://``, ``www.``, e-mail) kept from being autolinked.
    """
    text = one_line(text)
    if limit is not None:
        text = shorten(text, limit)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _MD_SCHEME.sub(r"\1\\:", text)
    text = _MD_WWW.sub(r"\1\\.", text)
    text = _MD_LINE_START.sub(r"\\\1", text)
    return _MD_ORDERED.sub(r"\1\\.", text)


_SAFE_LINK_SCHEMES = frozenset({"http", "https"})


def md_url(url: str) -> str | None:
    """A Markdown link destination for an http(s) URL, or ``None`` for anything else.

    The destination is written in angle brackets with every character that could end
    it (``<``, ``>``, whitespace, controls, backslash) percent-encoded.
    """
    url = clean(url).strip()
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    if scheme not in _SAFE_LINK_SCHEMES:
        return None
    out: list[str] = []
    for ch in url:
        code = ord(ch)
        if ch in "<>\\`|" or code <= 0x20 or 0x7F <= code <= 0x9F or ch in _INVISIBLE_SET:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8"))
        else:
            out.append(ch)
    return "<" + "".join(out) + ">"


_INVISIBLE_SET = frozenset(
    chr(c)
    for c in (
        0x061C,
        0x200E,
        0x200F,
        0x2028,
        0x2029,
        0x2060,
        0xFEFF,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
        *range(0x200B, 0x200E),
    )
)


def md_link(text: str, url: str, limit: int | None = None) -> str:
    """``[text](url)`` for an http(s) URL; escaped plain text otherwise."""
    label = md_text(text, limit) or md_text(url, limit)
    dest = md_url(url)
    if dest is None:
        return label
    return f"[{label}]({dest})"


# --- HTML / XML ------------------------------------------------------------------------

_XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """Text with every character XML 1.0 forbids removed (the serializer escapes the rest)."""
    return _XML_FORBIDDEN.sub("", clean(text))


def html_text(text: str) -> str:
    """One line of display text for HTML; Jinja2's autoescape does the escaping."""
    return one_line(text)


# --- JSON ----------------------------------------------------------------------------

_JSON_INVISIBLE = re.compile(f"[\x7f-\x9f{_INVISIBLE}]")


def _clean_tree(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(str(k)): _clean_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_tree(v) for v in value]
    return value


def json_text(value: Any, *, indent: int | None = 2) -> str:
    """JSON text that encodes to valid UTF-8 (lone surrogates become U+FFFD).

    Non-ASCII text stays readable; C0 controls are escaped by :mod:`json` and DEL,
    C1 controls and bidi/invisible characters are written as ``\\uXXXX`` so that the
    file shows no hidden text when printed.
    """
    text = json.dumps(_clean_tree(value), ensure_ascii=False, indent=indent)
    return _JSON_INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# --- GitHub workflow commands ----------------------------------------------------------


def gh_data(text: str) -> str:
    """The message of a workflow command (``::error …::message``)."""
    text = _ESC_SEQ.sub("", clean(text))
    text = _CONTROLS.sub(lambda m: m.group() if m.group() in "\r\n" else "", text)
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def gh_property(text: str) -> str:
    """A property value of a workflow command (``file=…,title=…``)."""
    return gh_data(text).replace(":", "%3A").replace(",", "%2C")


# --- CSV -----------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_CELL_LIMIT = 32_000  # spreadsheets hold at most 32,767 characters in a cell


def csv_cell(text: str) -> str:
    """A CSV cell: one line, cut to fit a spreadsheet cell, never read as a formula."""
    text = shorten(one_line(text), CSV_CELL_LIMIT)
    if text.startswith(_FORMULA_START):
        text = "'" + text
    return text
