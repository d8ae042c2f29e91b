"""Sanitise fetched text once, where it enters linkhealth.

Titles, descriptions, header values and URLs come from other people's servers
and are untrusted. Every such value goes through :func:`clean_text` (or
:func:`clean_url`) before it is stored or shown, so that the reporters and
``annotate`` only have to escape for their own format:

* ANSI/VT escape sequences (CSI, OSC, DCS …, 7-bit and 8-bit forms) removed;
* C0/C1 control characters, bidi embeddings/overrides/isolates, zero-width and
  other invisible format characters (``Cf``, except ZWJ/ZWNJ which scripts and
  emoji need), lone surrogates and noncharacters removed;
* every run of whitespace, including newlines and Unicode line separators,
  collapsed to one space; leading and trailing space stripped;
* Unicode NFC;
* cut to a maximum length on a word boundary, with an ellipsis ("…").

Markup (Markdown, HTML) in the text is kept as text: escaping is per output
format and belongs to the reporters.
"""

from __future__ import annotations

import re
import unicodedata

DEFAULT_TEXT_MAX = 300
DEFAULT_TITLE_MAX = 200
DEFAULT_DESCRIPTION_MAX = 300
DEFAULT_URL_MAX = 2048
ELLIPSIS = "…"

# A word boundary further back than this share of the limit is not worth it:
# cut mid-word instead (long URLs, CJK text without spaces).
_MIN_WORD_CUT = 0.6
# Work on at most this many characters per output character (bounded time on 1 MB titles).
_INPUT_FACTOR = 8
_INPUT_SLACK = 1024

_ANSI = re.compile(
    r"""
      \x1b\[[0-?]*[\x20-/]*[@-~]?          # CSI ... final byte
    | \x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?   # OSC ... BEL or ST
    | \x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)?        # DCS, SOS, PM, APC ... ST
    | \x1b[\x20-/]*[0-~]?                  # other ESC sequences (nF, Fp, Fe, Fs)
    | \x9b[0-?]*[\x20-/]*[@-~]?            # 8-bit CSI
    | [\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?  # 8-bit DCS/SOS/OSC/PM/APC
    """,
    re.VERBOSE,
)

# Whitespace-like controls become a space; everything else listed here is dropped.
_SPACE_LIKE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\u2028\u2029"

# Cc (minus the space-like ones), Cf of Unicode 14 minus ZWNJ/ZWJ (U+200C/D),
# surrogates, and the noncharacters U+FDD0..FDEF, U+xFFFE/xFFFF.
_INVISIBLE = re.compile(
    "["
    "\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f"
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffb\ufdd0-\ufdef\ufffe\uffff"
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
    "\ud800-\udfff"
    "]+"
)
_NONCHAR_PLANES = re.compile("[\U0001fffe\U0001ffff\U0002fffe\U0002ffff\U0010fffe\U0010ffff]")
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
_WHITESPACE = re.compile(r"[\s" + _SPACE_LIKE + r"]+")


def clean_text(value: object, max_length: int = DEFAULT_TEXT_MAX) -> str | None:
    """The value as safe, single-line text of at most ``max_length`` characters.

    Returns ``None`` for non-strings and for values that are empty once cleaned.
    Never raises for any string input.
    """
    if not isinstance(value, str) or max_length < 1:
        return None
    limit = max_length * _INPUT_FACTOR + _INPUT_SLACK
    cut_early = len(value) > limit
    text = value[:limit] if cut_early else value
    text = _ANSI.sub("", text)
    text = _INVISIBLE.sub("", text)
    text = _NONCHAR_PLANES.sub("", text)
    text = _WHITESPACE.sub(" ", text).strip()
    text = unicodedata.normalize("NFC", text)
    if not text:
        return None
    return truncate(text, max_length, force=cut_early)


def clean_title(value: object) -> str | None:
    return clean_text(value, DEFAULT_TITLE_MAX)


def clean_description(value: object) -> str | None:
    return clean_text(value, DEFAULT_DESCRIPTION_MAX)


def truncate(text: str, max_length: int, *, force: bool = False) -> str:
    """Cut ``text`` to ``max_length`` characters on a word boundary, ending in "…".

    ``force`` adds the ellipsis even when the text already fits (it was cut earlier).
    """
    if len(text) <= max_length and not force:
        return text
    if max_length <= len(ELLIPSIS):
        return ELLIPSIS[:max_length]
    room = max_length - len(ELLIPSIS)
    head = text[: room + 1]
    if len(head) > room:
        space = head.rfind(" ")
        head = head[:space] if space >= room * _MIN_WORD_CUT else head[:room]
    # Do not end on a dangling separator or a combining mark split from its base.
    head = head.rstrip(" ,;:|·-–—/")
    while head and unicodedata.combining(head[-1]):
        head = head[:-1]
    return head + ELLIPSIS


def clean_url(value: object, max_length: int = DEFAULT_URL_MAX) -> str | None:
    """A URL as written by a server, made safe to store, or ``None``.

    Leading/trailing spaces and controls are stripped and tabs/newlines inside
    removed (as browsers do). A URL that still holds whitespace, controls or
    bidi characters, or is longer than ``max_length``, is refused rather than
    shown cut or altered.
    """
    if not isinstance(value, str):
        return None
    url = value.strip(_C0_AND_SPACE).replace("\t", "").replace("\n", "").replace("\r", "")
    if not url or len(url) > max_length:
        return None
    if _INVISIBLE.search(url) or _WHITESPACE.search(url) or _NONCHAR_PLANES.search(url):
        return None
    return url


def has_unsafe_chars(text: str) -> bool:
    """Whether ``text`` holds anything :func:`clean_text` would remove or collapse."""
    return bool(
        _INVISIBLE.search(text)
        or _NONCHAR_PLANES.search(text)
        or "\x1b" in text
        or any(ch in text for ch in _SPACE_LIKE)
    )
