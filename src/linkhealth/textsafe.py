"""Text safety in one place: fetched text sanitised once, then escaped per output format.

Titles, descriptions, header values, URLs and file names come from other people and are
untrusted. This module holds every rule about them, at the ground floor (standard
library only), for the reports, ``annotate`` and the CLI alike:

* **one set of invisible characters** (:data:`INVISIBLE`) and one set of
  escape sequences (:data:`ESCAPE_SEQUENCE`);
* **sanitising** where text enters (:func:`clean_text`, :func:`clean_url`): ANSI/VT
  sequences, C0/C1 controls, the invisible characters, lone surrogates and
  noncharacters removed; whitespace collapsed; NFC; cut on a word boundary;
* **percent-encoding** of URLs written into Markdown or HTML (:func:`percent_encode`);
* **escaping per format**:

========== ==========================================================
format     function
========== ==========================================================
any        :func:`clean` (valid Unicode: lone surrogates become U+FFFD)
terminal   :func:`terminal` (no C0/C1 controls, ESC/OSC sequences, bidi)
Markdown   :func:`md_text`, :func:`md_url`, :func:`md_link`, :func:`md_inline`,
           :func:`md_destination`, :func:`md_autolink`
HTML       Jinja2 autoescape over :func:`html_text`; :func:`html_attribute_url`
XML        :func:`xml_text` (characters XML 1.0 forbids removed)
JSON       :func:`json_text` (valid UTF-8; invisible characters as ``\\uXXXX``)
GitHub     :func:`gh_data`, :func:`gh_property` (workflow-command escaping)
CSV        :func:`csv_cell` (no formula injection, no controls)
========== ==========================================================

Markup (Markdown, HTML) in sanitised text is kept as text: escaping is per output
format. ZWJ and ZWNJ are not invisible here: scripts and emoji need them.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from linkhealth.lazyre import lazy_compile

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

# --- the characters ------------------------------------------------------------------

#: ESC-introduced sequences, 7-bit and 8-bit: CSI, OSC (ESC ] … BEL or ST; hyperlinks,
#: clipboard), DCS/SOS/PM/APC (… ST) and two-character escapes.
ESCAPE_SEQUENCE = lazy_compile(
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

#: Whitespace-like controls: they become a space in text.
SPACE_LIKE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\u2028\u2029"

#: The one set of invisible characters (a regular-expression class body): Cc minus the
#: space-like ones, Cf of Unicode 14 minus ZWNJ/ZWJ (U+200C/D) — bidi embeddings,
#: overrides, isolates and marks, zero-width space, word joiner, BOM, tags —,
#: surrogates, and the noncharacters U+FDD0..FDEF, U+FFFE/FFFF.
_INVISIBLE_BMP = (  # below U+10000
    "\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f"
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffb\ufdd0-\ufdef\ufffe\uffff"
    "\ud800-\udfff"
)
_INVISIBLE_ASTRAL = (  # above U+FFFF
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
INVISIBLE = _INVISIBLE_BMP + _INVISIBLE_ASTRAL
_INVISIBLE = lazy_compile(f"[{INVISIBLE}]+")
_NONCHAR_PLANES = re.compile("[\U0001fffe\U0001ffff\U0002fffe\U0002ffff\U0010fffe\U0010ffff]")
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
_WHITESPACE = re.compile(r"[\s" + SPACE_LIKE + r"]+")
# Not shown as itself on one line: controls, line separators and the invisible set.
_HIDDEN = lazy_compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{INVISIBLE}]")
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")


def is_hidden(ch: str) -> bool:
    """Whether ``ch`` is a control, an invisible character or whitespace other than " "."""
    return bool(_HIDDEN.match(ch) or _NONCHAR_PLANES.match(ch)) or (ch.isspace() and ch != " ")


# --- sanitising (once, where fetched text enters) ------------------------------------
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
    if text.isprintable() and "  " not in text:
        # Nothing to remove or collapse: every character the rule below removes or turns
        # into a space is unprintable, save " " itself (tests compare every code point).
        text = text.strip(" ")
        if unicodedata.is_normalized("NFC", text):
            return truncate(text, max_length, force=cut_early) if text else None
    return _clean_full(text, max_length, cut_early)


def _clean_full(text: str, max_length: int, cut_early: bool) -> str | None:
    """:func:`clean_text`'s rule, for text that holds something to remove or collapse."""
    text = ESCAPE_SEQUENCE.sub("", text)
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
    if value.isprintable() and " " not in value:
        # Nothing for the rule to strip, remove or refuse: it acts only on controls, spaces
        # and unprintable characters (as clean_text's fast path; tests compare the two).
        return value if 0 < len(value) <= max_length else None
    return _clean_url_full(value, max_length)


def _clean_url_full(value: str, max_length: int) -> str | None:
    """:func:`clean_url`'s rule."""
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
        or any(ch in text for ch in SPACE_LIKE)
    )


# --- Unicode and one-line text ----------------------------------------------------


_SURROGATE = lazy_compile("[\ud800-\udfff]")


def clean(text: str) -> str:
    """Valid Unicode: paired surrogates joined, lone surrogates replaced by U+FFFD."""
    if text.isascii() or _SURROGATE.search(text) is None:  # every string of a report
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


# printable ASCII words, one space between them: one line already
_PLAIN_LINE = re.compile(r"[!-~]+(?: [!-~]+)*")
# the same with any character but whitespace, controls and the hidden ones (non-ASCII
# titles: 1.3 us a match where the rules below take ~6)
_SHOWN = f"[^\\s\x00-\x20\x7f-\x9f\u2028\u2029{INVISIBLE}]"
_PLAIN_TEXT_LINE = lazy_compile(f"{_SHOWN}+(?: {_SHOWN}+)*")


def one_line(text: str) -> str:
    """Clean text with escape sequences and controls removed, whitespace collapsed, and
    no GitHub workflow command in it (:func:`no_workflow_command`: CI logs print lines)."""
    plain = _PLAIN_LINE if text.isascii() else _PLAIN_TEXT_LINE
    if plain.fullmatch(text) is not None and "##[" not in text and text[:2] != "::":
        return text  # what the rules below leave as it is (tests/report/test_escape_props.py)
    if not text:
        return text
    text = ESCAPE_SEQUENCE.sub("", clean(text))
    text = _SPACE_OR_CONTROL.sub(" ", text)
    return no_workflow_command(_HIDDEN.sub("", text).strip())


def single_spaced(text: str) -> str:
    """Runs of whitespace as one space and none at the ends (``" ".join(text.split())``):
    the text itself when it already is so (printable text holds no whitespace but " ",
    tests check every code point)."""
    if text.isprintable() and "  " not in text and text[:1] != " " != text[-1:]:
        return text
    return " ".join(text.split())


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
    """Text safe to print to a terminal: one line, no escape sequence, no control, no bidi,
    no GitHub workflow command (CI logs are terminals too).

    Rich/click markup such as ``[link=…]`` is left as literal text: print the result
    without markup interpretation (``click.echo``, or rich with ``markup=False``).
    """
    return one_line(text)


#: A GitHub runner reads ``##[command]`` anywhere in a log line (its legacy syntax) and
#: ``::command::`` at the start of one (after spaces): ``##[stop-commands]token`` would
#: silence every later annotation. ``#%23[`` is how RFC 3986 spells a second ``#`` in a URL.
_LEGACY_COMMAND = "##["


def no_workflow_command(text: str) -> str:
    """``text`` (one line) unable to start a workflow command: ``##[`` becomes ``#%23[``
    and a leading ``::`` becomes ``%3A:``."""
    text = text.replace(_LEGACY_COMMAND, "#%23[")
    rest = text.lstrip()
    if rest.startswith("::"):
        text = text[: len(text) - len(rest)] + "%3A" + rest[1:]
    return text


#: The name the CLI imports.
terminal_escape = terminal


# --- percent-encoding ----------------------------------------------------------------

#: Characters that end or break a URL written into Markdown or HTML.
URL_DELIMITERS = "<>\\`|\"'"
#: Printable ASCII but the delimiters: characters :func:`percent_encode` never encodes.
_URL_AS_WRITTEN = re.compile(
    "["
    + "".join(re.escape(chr(c)) for c in range(0x21, 0x7F) if chr(c) not in URL_DELIMITERS)
    + "]*"
)


def percent_encode(url: str, extra: str = "") -> str:
    """``url`` with hidden characters (:func:`is_hidden`, spaces too), :data:`URL_DELIMITERS`
    and ``extra`` percent-encoded as UTF-8; everything else kept as written."""
    if _URL_AS_WRITTEN.fullmatch(url) and not (extra and any(ch in url for ch in extra)):
        return url  # printable ASCII, no delimiter: the loop below keeps every character
    out: list[str] = []
    for ch in url:
        if ch == " " or ch in URL_DELIMITERS or ch in extra or is_hidden(ch):
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass"))
        else:
            out.append(ch)
    return "".join(out)


def is_web_url(url: str) -> bool:
    """An http(s) URL with a host part."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


# --- Markdown ------------------------------------------------------------------------

# Every ASCII punctuation character may be backslash-escaped in CommonMark; only those
# that can start or end a construct are, and only where they can (issue 17: annotated
# lines read like a person wrote them). Always: code, emphasis and strikethrough (``*``
# and ``~`` also inside a word), links and images (``[ ]``), HTML and autolinks (``< >``:
# ``>`` also keeps ``-->`` out of HTML comments), tables (``|``), headings and GitHub
# issue references (``#``), Liquid/Jinja (``{ }``), GitHub math (``$``), and ``@``:
# GitHub makes ``@name`` a mention in text and ``a@b.c`` an e-mail link (link text
# would be spared the mention, but the same escaper writes plain table cells too).
# Only where they can mean something: ``_`` unless it is inside a word (alphanumeric on
# both sides: such a run can neither open nor close emphasis); ``&`` starting an entity
# or character reference; ``(`` first (after a caller's ``]`` it would start a link
# destination; elsewhere, with ``[ ]`` escaped, parentheses are text); ``!`` last
# (before a caller's ``[`` it would start an image).
_MD_SPECIAL = re.compile(r"_+|&(?=#|[A-Za-z0-9]+;)|[\\`*\[\]<>|#{}~@$]")
_MD_SCHEME = lazy_compile(r"(?i)([a-z][a-z0-9+.-]*):(?=//)")
_MD_WWW = re.compile(r"(?i)(www)\.")  # linkify-it also links "0www.x" mid-word
_MD_LINE_STARTERS = "-+=("  # a line starting so may read as a list item, setext line, …
_MD_LINE_START = re.compile(f"^([{re.escape(_MD_LINE_STARTERS)}])")
_MD_ORDERED = re.compile(r"^(\d+)([.)])")


def _md_escape(match: re.Match[str]) -> str:
    found, text, start, end = match.group(), match.string, match.start(), match.end()
    if found[0] != "_":
        return "\\" + found
    if start > 0 and end < len(text) and text[start - 1].isalnum() and text[end].isalnum():
        return found
    return "\\_" * len(found)


def md_text(text: str, limit: int | None = None) -> str:
    """Inline Markdown text that renders as exactly ``text`` and opens no construct.

    One line (newlines collapsed), punctuation that could open a link, image, HTML tag,
    heading, list item, code span, table cell, entity or emphasis backslash-escaped,
    and bare URLs (``scheme://``, ``www.``, e-mail) kept from being autolinked. Nothing
    else is escaped: ``snake_case``, ``Title (2024)`` and ``AT&T`` stay as written.
    """
    text = one_line(text)
    if limit is not None:
        text = shorten(text, limit)
    text = _MD_SPECIAL.sub(_md_escape, text)
    if text.endswith("!"):
        text = text[:-1] + "\\!"
    # Each rule below runs only where its pattern can match (a sub costs ~1-4 us even
    # when nothing matches; enrichment.md escapes four cells a link).
    if "://" in text:
        text = _MD_SCHEME.sub(r"\1\\:", text)
    if "." in text:
        text = _MD_WWW.sub(r"\1\\.", text)
    if text[:1] and text[0] in _MD_LINE_STARTERS:
        return _MD_LINE_START.sub(r"\\\1", text)  # no digit first: not an ordered item
    if text[:1].isdigit():
        return _MD_ORDERED.sub(r"\1\\\2", text)
    return text


_SAFE_LINK_SCHEMES = frozenset({"http", "https"})
_HTTP_START = re.compile(r"(?i)https?://")


def md_url(url: str) -> str | None:
    """A Markdown link destination for an http(s) URL, or ``None`` for anything else.

    The destination is written in angle brackets with every character that could end
    it (``<``, ``>``, whitespace, controls, backslash) percent-encoded.
    """
    url = clean(url).strip()
    # An ASCII URL starting http:// or https:// without brackets is one urlsplit reads as
    # http(s) without an error (it raises only for brackets or a non-ASCII host).
    if not (url.isascii() and _HTTP_START.match(url) and "[" not in url and "]" not in url):
        try:
            scheme = urlsplit(url).scheme.lower()
        except ValueError:
            return None
        if scheme not in _SAFE_LINK_SCHEMES:
            return None
    return "<" + percent_encode(url).replace(_LEGACY_COMMAND, "#%23[") + ">"


def md_link(text: str, url: str, limit: int | None = None) -> str:
    """``[text](url)`` for an http(s) URL; escaped plain text otherwise."""
    label = md_text(text, limit) or md_text(url, limit)
    dest = md_url(url)
    if dest is None:
        return label
    return f"[{label}]({dest})"


def md_inline(text: str, limit: int | None = None) -> str:
    """Inline Markdown that renders as ``text`` (sanitised, one line) and opens nothing.

    :func:`md_text` plus one rule of annotate's own: the list is often a Jekyll page,
    so ``{%`` never appears either. Safe inside link text, after other inline text,
    and inside an HTML comment (``>`` is always escaped, so ``-->`` cannot appear).
    """
    cleaned = clean_text(text, limit) if limit is not None else clean_text(text)
    if not cleaned:
        return ""
    return md_text(cleaned).replace("\\{%", "\\{\\%")


def md_destination(url: str) -> str:
    """A link destination for ``(…)``: ``url`` or ``<url>`` (when it has parentheses),
    with whitespace, controls, ``< > \\ | ` " '`` percent-encoded."""
    encoded = percent_encode(url.strip())
    if "(" in encoded or ")" in encoded:
        return f"<{encoded}>"
    return encoded


def md_autolink(url: str) -> str:
    """``<url>``, percent-encoded so it stays one autolink."""
    return f"<{percent_encode(url.strip())}>"


def html_attribute_url(url: str) -> str:
    """A URL for a double- or single-quoted HTML attribute."""
    return percent_encode(url.strip()).replace("&", "&amp;")


# --- HTML / XML ------------------------------------------------------------------------

#: What XML 1.0 forbids: everything outside #x9 | #xA | #xD | [#x20-#xD7FF] |
#: [#xE000-#xFFFD] | [#x10000-#x10FFFF], spelt as the few ranges it is (the negated
#: class compiled ten times slower, ~5 ms of every start).
_XML_FORBIDDEN = lazy_compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """Text with every character XML 1.0 forbids removed (the serializer escapes the rest)."""
    return _XML_FORBIDDEN.sub("", clean(text))


def html_text(text: str) -> str:
    """One line of display text for HTML; Jinja2's autoescape does the escaping."""
    return one_line(text)


# --- JSON ----------------------------------------------------------------------------

_JSON_INVISIBLE = re.compile(f"[\x7f-\x9f\u2028\u2029{INVISIBLE}]")
#: The ASCII characters ``_JSON_INVISIBLE`` never finds, as UTF-8 bytes: deleted from a
#: text's UTF-8, what is left holds every character it may find, and the class scans a
#: few characters instead of the whole text (~2 us a result's JSON instead of ~9).
_JSON_ASCII_UNESCAPED = bytes(c for c in range(0x80) if _JSON_INVISIBLE.match(chr(c)) is None)


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
    if indent is None:  # the C encoder, in one piece
        return _json_piece(json.dumps(_clean_tree(value), ensure_ascii=False))
    return "".join(json_chunks(value, indent=indent))


def json_chunks(value: Any, *, indent: int = 2) -> Iterator[str]:
    """:func:`json_text` (indented) a piece at a time: their concatenation is its text."""
    # json.dumps would keep every small piece the encoder yields (millions for a big
    # report) in one list, then copy the text twice more: escaped a batch at a time
    # instead (a string is always within one piece).
    if isinstance(value, list):
        yield from json_records(value, indent=indent)
        return
    encoder = json.JSONEncoder(ensure_ascii=False, indent=indent)
    batch: list[str] = []
    for chunk in encoder.iterencode(_clean_tree(value)):
        batch.append(chunk)
        if len(batch) == _JSON_BATCH:
            yield _json_piece("".join(batch))
            batch.clear()
    yield _json_piece("".join(batch))


_JSON_BATCH = 4096
_JSON_RECORDS_BATCH = 512
_JSON_PIECE_CHARS = 1 << 20  # or fewer elements, if they are long (extract's rendered texts)
_JSON_CONSTANTS = {None: "null", True: "true", False: "false"}
#: a string in JSON, as JSONEncoder(ensure_ascii=False) writes it (not cleaned, not escaped
#: as json_text escapes: write it through json_records or json_elements)
json_string = json.encoder.encode_basestring


def json_records(rows: Iterable[Any], *, indent: int = 2) -> Iterator[str]:
    """:func:`json_text` of the list of ``rows``, a piece at a time, the rows read one
    at a time (``extract``'s 100,000 occurrences are never one list of dicts, nor one text).

    Each element is written whole: a flat record (string keys; string, int, bool or
    ``None`` values) with the C string encoder, anything else by the encoder and indented
    one level (a JSON text has no raw newline but between its tokens).
    """
    pad = " " * indent
    keys: dict[str, str] = {}  # key -> its JSON and ": "
    yield from json_elements(pad + _json_element(row, pad, keys) for row in rows)


def json_elements(elements: Iterable[str]) -> Iterator[str]:
    """The JSON list of ``elements``, each written as :func:`json_records` writes one
    (indented, not cleaned), a piece at a time, cleaned and escaped as :func:`json_text`.
    A batch is cleaned as one text: a surrogate pair never spans two strings."""
    batch: list[str] = []
    first = True
    size = 0
    for element in elements:
        batch.append(element)
        size += len(element)
        if len(batch) == _JSON_RECORDS_BATCH or size >= _JSON_PIECE_CHARS:
            yield _records_piece(batch, first=first)
            first = False
            batch = []
            size = 0
    if first and not batch:
        yield "[]"
        return
    if batch:
        yield _records_piece(batch, first=first)
    yield "\n]"


def _json_element(row: Any, pad: str, keys: dict[str, str]) -> str:
    """One element of a list at the first level of indentation ``pad``, not cleaned."""
    if type(row) is dict and row:
        fields = []
        for key, value in row.items():
            name = keys.get(key)
            if name is None:
                if type(key) is not str or clean(key) != key:  # two keys may clean to one
                    break
                name = keys[key] = json_string(key) + ": "
            kind = type(value)
            if kind is str:
                fields.append(name + json_string(value))
            elif kind is int:
                fields.append(name + int.__repr__(value))
            elif value is None or kind is bool:
                fields.append(name + _JSON_CONSTANTS[value])
            else:
                break
        else:
            inner = "\n" + pad + pad
            return "{" + inner + ("," + inner).join(fields) + "\n" + pad + "}"
    text = json.dumps(_clean_tree(row), ensure_ascii=False, indent=len(pad))
    return text.replace("\n", "\n" + pad)


def _records_piece(batch: list[str], *, first: bool) -> str:
    return _json_piece(clean(("[\n" if first else ",\n") + ",\n".join(batch)))


def _json_piece(text: str) -> str:
    """Encoded JSON, its strings kept whole, with ``##[`` and the invisible characters escaped."""
    # "##[" occurs only inside strings; "\u0023" is the same "#" to every JSON reader, but
    # not a workflow command to a CI log that prints the file (no_workflow_command).
    text = text.replace(_LEGACY_COMMAND, "#\\u0023[")
    if text.isascii() and "\x7f" not in text:  # one C scan: nothing to escape
        return text
    rest = text.encode("utf-8", "surrogatepass").translate(None, _JSON_ASCII_UNESCAPED)
    if _JSON_INVISIBLE.search(rest.decode("utf-8", "surrogatepass")) is None:
        return text  # non-ASCII text, nothing to escape
    return _JSON_INVISIBLE.sub(lambda m: _json_escape(m.group()), text)


def json_escaped(encoded: str) -> str:
    """JSON text another encoder wrote as :func:`json_text`'s encoder writes it (valid
    Unicode, C0 controls escaped, the rest as is), with :func:`json_text`'s own escapes."""
    return _json_piece(encoded)


def _json_escape(ch: str) -> str:
    """``\\uXXXX``; a character beyond the BMP as its surrogate pair, as JSON spells it."""
    return json.dumps(ch, ensure_ascii=True)[1:-1]


# --- GitHub workflow commands ----------------------------------------------------------


def gh_data(text: str) -> str:
    """The message of a workflow command (``::error …::message``)."""
    text = ESCAPE_SEQUENCE.sub("", clean(text))
    text = _HIDDEN.sub(lambda m: m.group() if m.group() in "\r\n" else "", text)
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
