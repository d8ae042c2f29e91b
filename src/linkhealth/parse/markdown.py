"""markdown-it-pyrs (markdown-it's Rust port), and where each link was written.

The Rust parser builds the syntax tree; every node carries a byte-offset source map
(``srcmap``). What the tree does not say, this module reads back from the source,
inside the node's own span and following markdown-it's own rules (ported below from
markdown-it-py, the engine used before): where a link's label ends, where its
destination is and what it decodes to, whether it is an inline or a reference link,
and each reference definition's destination.

Two things are adjusted so that the tree holds every link a reader sees:

- markdown-it refuses links to ``javascript:``, ``vbscript:``, ``file:`` and
  ``data:`` (they stay text). linkhealth reports them (``unsafe-scheme``), so the
  copy handed to the parser has the first letter of those schemes replaced by a
  ``q`` of the same byte length (:func:`parser_input`); URLs are always read from
  the original text, and text taken from the tree gets the letter back
  (:func:`restore`; a document that also has a literal ``qavascript:`` would see
  it as ``javascript:`` in a link text or title, nowhere else).
- markdown-it percent-encodes link destinations; the URL reported is the
  destination as written, with backslash escapes and entities decoded.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from html.entities import html5
from itertools import accumulate, compress, repeat
from operator import add, ne

from markdown_it_pyrs import MarkdownIt, Node

from linkhealth.lazyre import lazy_compile

#: Inline node names (anything else in a block's children is a block).
INLINE_NODES = frozenset(
    {
        "text",
        "text_special",
        "softbreak",
        "hardbreak",
        "link",
        "image",
        "autolink",
        "code_inline",
        "html_inline",
        "em",
        "strong",
        "s",
        "strikethrough",
    }
)

_ENTITIES = {name.rstrip(";"): chars for name, chars in html5.items()}
_UNESCAPE_RE = lazy_compile(
    r'\\([!"#$%&\'()*+,\-./:;<=>?@[\\\]^_`{|}~])|&([a-z#][a-z0-9]{1,31});', re.IGNORECASE
)
_DEC_RE = re.compile(r"#([0-9]{1,8})")
_HEX_RE = re.compile(r"#x([a-f0-9]{1,8})", re.IGNORECASE)
_MD_WHITESPACE = {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xA0, 0x1680, 0x202F, 0x205F, 0x3000}
_TRIM_CHARS = "".join(
    chr(c) for c in sorted(_MD_WHITESPACE | set(range(0x2000, 0x200B)) | {0x2028, 0x2029})
)
_TRIM_RE = lazy_compile("[" + re.escape(_TRIM_CHARS) + "]+")

# A scheme markdown-it would refuse, each letter as written or as a numeric entity.
_LETTER = r"(?:{c}|&\#0*{d};|&\#[xX]0*{h};)"


def _scheme_re() -> re.Pattern[str]:
    words = []
    for word in ("javascript", "vbscript", "file", "data"):
        letters = [
            _LETTER.format(
                c=f"[{ch}{ch.upper()}]",
                d=f"(?:{ord(ch)}|{ord(ch.upper())})",
                h=f"(?:{ord(ch):x}|{ord(ch):X}|{ord(ch.upper()):x}|{ord(ch.upper()):X})",
            )
            for ch in word
        ]
        words.append(f"(?P<{word}>{letters[0]}){''.join(letters[1:])}")
    colon = r"(?::|\\:|&colon;|&\#0*58;|&\#[xX]0*3[aA];)"
    return lazy_compile(f"(?:{'|'.join(words)}){colon}")


_BAD_SCHEME_RE = _scheme_re()
# Where a refused scheme may be written plainly, in the lower-cased UTF-8: a ":" (or "\\:")
# after "script" (javascript, vbscript), "file" or "data" -- a superset, found fast (the
# engine looks for the ":" alone, then behind it).
_REFUSED_COLON = re.compile(
    rb":(?:(?<=script:)|(?<=script\\:)|(?<=file:)|(?<=file\\:)|(?<=data:)|(?<=data\\:))"
)


def _neutral_letter(unit: str) -> str:
    """The first letter of a refused scheme, replaced by ``q`` written the same way."""
    if not unit.startswith("&"):
        return "Q" if unit.isupper() else "q"
    digits = unit.rstrip(";").lstrip("&#xX")
    hexa = unit[2] in "xX"
    code = int(digits, 16 if hexa else 10)
    x = ord("Q") if chr(code).isupper() else ord("q")
    new = format(x, "x" if hexa else "d").rjust(len(digits), "0")
    return unit[: len(unit) - 1 - len(digits)] + new + ";"


def parser_input(text: str, encoded: bytes | None = None) -> tuple[str, bool]:
    """``text`` as the Rust parser should see it, byte offsets unchanged, and whether a
    refused scheme was changed (then :func:`restore` text taken from the tree).

    Three differences from markdown-it-py (the engine the results are kept equal to)
    are bridged here: refused schemes (see the module docstring); HTML comments with
    ``--`` inside or ending in ``-`` (CommonMark 0.31 allows them, the Rust port
    follows 0.30): their inner dashes become ``=``; and a ``<!doctype``-style
    declaration in lower case starting an HTML block (0.31 again): its first letter
    is upper-cased. (Inline declarations in lower case, ``<!x>``, stay a difference.)
    """
    changed = False

    def neutral(m: re.Match[str]) -> str:
        nonlocal changed
        changed = True
        name = m.lastgroup or ""
        unit = m.group(name)
        return _neutral_letter(unit) + m.group()[len(unit) :]

    # The regex is slow on a whole list: run it only where a refused scheme can be
    # (spelt with entities, or plainly: a search in bytes is fast, and bytes.lower()
    # changes only A-Z, which is all these words have). ``encoded``: the UTF-8 of ``text``.
    lower = (text.encode("utf-8", "surrogatepass") if encoded is None else encoded).lower()
    entities = "&#" in text or b"&colon;" in lower
    if entities or _REFUSED_COLON.search(lower) is not None:
        text = _BAD_SCHEME_RE.sub(neutral, text)
    if "<!" in text:
        text = _DECLARATION_RE.sub(lambda m: m.group(1) + m.group(2).upper(), text)
        if "<!--" in text:
            text = _COMMENT_RE.sub(_comment_for_030, text)
    return text, changed


# markdown-it-py's inline comment (CommonMark 0.31): <!-->, <!--->, or up to the first -->
_COMMENT_RE = lazy_compile(r"<!---?>|<!--(?:[^-]|-[^-]|--[^>])*-->")
_MARKER_LINE_RE = re.compile(r"[ \t>]*[-=*_ \t]*")
_LIST_DASH_RE = re.compile(r"[ \t>]*-(?=[ \t]|$)")
# a declaration starting an HTML block (at a line's start, after quote or list markers)
_DECLARATION_RE = lazy_compile(r"^([ >]*(?:(?:[-+*]|\d{1,9}[.)]) +)?<!)([a-z])", re.M)


def _comment_for_030(m: re.Match[str]) -> str:
    """A one-line comment the Rust port (CommonMark 0.30) would not take as one, with
    its inner dashes replaced: ``<!-- a -- b -->`` -> ``<!-- a == b -->``. (The short
    forms ``<!-->`` and ``<!--->`` cannot be made one in the same length: left.)"""
    whole = m.group()
    body = whole[4:-3]
    if len(whole) < 7 or not ("--" in body or body.endswith("-")):
        return whole
    lines = body.split("\n")
    for i, line in enumerate(lines):
        full = line + "-->" if i == len(lines) - 1 else line  # the line as written
        prefix = len(full) - len(full.lstrip(" \t>"))
        if i == 0:
            lines[i] = line.replace("-", "=")
        elif (
            "|" not in full
            and not full.startswith("<!--", prefix)
            and not _MARKER_LINE_RE.fullmatch(full)
        ):
            # a later line keeps what could make a block: a list item's dash
            keep = _LIST_DASH_RE.match(line)
            k = keep.end() if keep else 0
            lines[i] = line[:k] + line[k:].replace("-", "=")
    return "<!--" + "\n".join(lines) + "-->"


_BLANK_LINE_RE = re.compile(r"\n[ \t]*\n")
_FENCE_LINE_RE = lazy_compile(r"^ {0,3}(?:```+[^`]*|~~~.*)$")


def may_panic(src: str) -> bool:
    """Whether markdown-it-pyrs 0.4 (markdown-it 0.6) might panic on ``src``.

    Its code-span rule indexes a cache out of bounds when it revisits a backtick run
    (as it does after reading a link label) once an earlier scan found no closer
    (``[`x``, ``[a `b](u)``). That needs a ``[`` and, after it in the same paragraph,
    a run of backticks that opens no code span. Checked conservatively (the runs are
    paired over the paragraph, each line and each table cell, with and without
    backslash escapes; a hit in any counts, and so does any HTML in such a paragraph);
    such a region is parsed by markdown-it-py instead.
    """
    if "`" not in src or "[" not in src:
        return False
    for para in _BLANK_LINE_RE.split(src):
        first = para.find("[")
        if first == -1 or "`" not in para[first:]:
            continue
        # HTML (a comment, a tag's attribute) may hide backticks: too many readings
        if "<" in para or _para_has_unmatched(para, first):
            return True
    return False


def _para_has_unmatched(chunk: str, first: int) -> bool:
    if _unmatched_after(chunk, 0, first):
        return True
    offset = 0
    for line in chunk.split("\n"):
        if "`" in line and not _FENCE_LINE_RE.match(line):
            if _unmatched_after(line, offset, first):
                return True
            cell_at = offset
            for cell in line.split("|"):
                if _unmatched_after(cell, cell_at, first):
                    return True
                cell_at += len(cell) + 1
        offset += len(line) + 1
    return False


def _unmatched_after(view: str, at: int, bracket: int) -> bool:
    """Whether ``view`` (which starts at ``at`` in its paragraph) has a backtick run
    opening no code span at or after the paragraph's first ``[`` (``bracket``)."""
    # A backslash escapes a backtick outside a code span, not inside one: try both.
    return any(at + pos >= bracket for esc in (True, False) for pos in _unmatched_runs(view, esc))


def _unmatched_runs(text: str, escapes: bool) -> list[int]:
    """Where the backtick runs of ``text`` that open no code span start (CommonMark
    pairing; with ``escapes``, a backslash-escaped backtick is no run)."""
    runs: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and escapes:
            i += 2
        elif ch == "`":
            j = i
            while j < n and text[j] == "`":
                j += 1
            runs.append((i, j - i))
            i = j
        else:
            i += 1
    out: list[int] = []
    k = 0
    while k < len(runs):
        close = next((m for m in range(k + 1, len(runs)) if runs[m][1] == runs[k][1]), -1)
        if close == -1:
            out.append(runs[k][0])
            k += 1
        else:
            k = close + 1
    return out


_NEUTRAL_RE = lazy_compile(r"[qQ](?=(avascript|bscript|ile|ata):)", re.I)
_FIRST = {"avascript": "j", "bscript": "v", "ile": "f", "ata": "d"}


def restore(text: str) -> str:
    """Text from the tree (link text, titles) as the author wrote it: the schemes
    :func:`parser_input` changed get their first letter back."""
    return _NEUTRAL_RE.sub(
        lambda m: (
            _FIRST[m.group(1).lower()].upper()
            if m.group().isupper()
            else _FIRST[m.group(1).lower()]
        ),
        text,
    )


def build_block_parser() -> MarkdownIt:
    """The same block rules and no inline ones: where the reference definitions are
    (the first pass over a chunked document), in two thirds of the time."""
    return MarkdownIt("zero").enable_many(
        [
            "blockquote",
            "code",
            "fence",
            "heading",
            "hr",
            "lheading",
            "list",
            "paragraph",
            "reference",
            "html_block",
            "table",
        ]
    )


def build_parser() -> MarkdownIt:
    """CommonMark (HTML on) with GFM tables and strikethrough; no linkify (bare URLs
    are found by the extractor, which knows the text between the parsed ranges)."""
    return MarkdownIt("commonmark").enable_many(["table", "strikethrough"])


# ---- markdown-it's helpers, on a Python string -----------------------------------


def unescape_all(string: str) -> str:
    """Backslash escapes and entity references decoded (markdown-it's ``unescapeAll``)."""
    if "\\" not in string and "&" not in string:
        return string

    def replace(m: re.Match[str]) -> str:
        if m.group(1):
            return m.group(1)
        name = m.group(2)
        if name in _ENTITIES:
            return _ENTITIES[name]
        pat = _DEC_RE.fullmatch(name) or _HEX_RE.fullmatch(name)
        if pat is not None:
            code = int(pat.group(1), 10 if pat.re is _DEC_RE else 16)
            if _valid_entity_code(code):
                return chr(code)
        return m.group()

    return _UNESCAPE_RE.sub(replace, string)


def _valid_entity_code(c: int) -> bool:
    return not (
        0xD800 <= c <= 0xDFFF
        or 0xFDD0 <= c <= 0xFDEF
        or (c & 0xFFFF) in (0xFFFF, 0xFFFE)
        or 0x00 <= c <= 0x08
        or c == 0x0B
        or 0x0E <= c <= 0x1F
        or 0x7F <= c <= 0x9F
        or c > 0x10FFFF
    )


# printable ASCII words, one space between them
_PLAIN_LABEL_RE = re.compile(r"[!-~]+(?: [!-~]+)*")


def normalize_reference(label: str) -> str:
    """A reference label as markdown-it compares them."""
    if _PLAIN_LABEL_RE.fullmatch(label) is not None:
        return label.upper()  # nothing to trim or join, and ASCII: lower() changes nothing
    return _TRIM_RE.sub(" ", label.strip(_TRIM_CHARS)).lower().upper()


# A link written plainly has nothing to read closely: no bracket, backslash, backtick or "<"
# in its label (so no nested construct), and either a destination without space, control,
# paren, "<", ">", backslash or "&" (nothing to unescape) and no title, or a reference to a
# label without bracket or backslash ("[label][key]", "[label][]", "[label]").
PLAIN_LABEL = r"[^\[\]\\`<>]*"
PLAIN_DESTINATION = r"[^\s()<>\\&\x00-\x1f\x7f]+"
_PLAIN_DESTINATION_RE = re.compile(PLAIN_DESTINATION)


@dataclass(slots=True)
class Destination:
    ok: bool
    pos: int = 0
    url: str = ""


def link_destination(s: str, pos: int, maximum: int) -> Destination:
    """markdown-it's ``parseLinkDestination``: ``<...>`` or a run with balanced parens."""
    start = pos
    if pos < maximum and s[pos] == "<":
        pos += 1
        while pos < maximum:
            ch = s[pos]
            if ch in "\n<":
                return Destination(False)
            if ch == ">":
                return Destination(True, pos + 1, unescape_all(s[start + 1 : pos]))
            pos += 2 if ch == "\\" and pos + 1 < maximum else 1
        return Destination(False)
    plain = _PLAIN_DESTINATION_RE.match(s, pos, maximum)
    if plain is not None:  # nothing to unescape, no paren: it ends where the loop stops
        end = plain.end()
        if end == maximum or s[end] <= " " or s[end] == "\x7f":
            return Destination(True, end, plain.group())
    level = 0
    while pos < maximum:
        ch = s[pos]
        if ch == " " or ch < " " or ch == "\x7f":
            break
        if ch == "\\" and pos + 1 < maximum:
            if s[pos + 1] == " ":
                break
            pos += 2
            continue
        if ch == "(":
            level += 1
            if level > 32:
                return Destination(False)
        elif ch == ")":
            if level == 0:
                break
            level -= 1
        pos += 1
    if start == pos or level != 0:
        return Destination(False)
    return Destination(True, pos, unescape_all(s[start:pos]))


def link_title_end(s: str, pos: int, maximum: int) -> int:
    """Where a complete ``"title"``, ``'title'`` or ``(title)`` at ``pos`` ends, else -1."""
    if pos >= maximum or s[pos] not in "\"'(":
        return -1
    marker = ")" if s[pos] == "(" else s[pos]
    pos += 1
    while pos < maximum:
        ch = s[pos]
        if ch == marker:
            return pos + 1
        if ch == "(" and marker == ")":
            return -1
        pos += 2 if ch == "\\" else 1
    return -1


def _skip_space(s: str, pos: int, maximum: int) -> int:
    while pos < maximum and s[pos] in " \t\n":
        pos += 1
    return pos


def label_end(s: str, start: int, maximum: int, skip: list[tuple[int, int]]) -> int:
    """The ``]`` closing the label that opens at ``start`` (the ``[``), or -1.

    Brackets count unless escaped or inside a construct the parser consumed there
    (code spans, autolinks, HTML, nested images): ``skip``, sorted, absolute.
    """
    level = 1
    pos = start + 1
    k = 0
    while pos < maximum:
        while k < len(skip) and skip[k][1] <= pos:
            k += 1
        if k < len(skip) and skip[k][0] <= pos:
            pos = skip[k][1]
            continue
        ch = s[pos]
        if ch == "]":
            level -= 1
            if level == 0:
                return pos
        elif ch == "[":
            level += 1
        elif ch == "\\":
            pos += 1
        pos += 1
    return -1


def inline_destination(s: str, after_label: int, maximum: int) -> tuple[int, int, str] | None:
    """Where ``[label](dest "title")`` has its destination (``after_label`` is just
    past the ``]``), following markdown-it's ``link`` rule; ``None`` for a reference."""
    pos = after_label
    if pos >= maximum or s[pos] != "(":
        return None
    pos = _skip_space(s, pos + 1, maximum)
    if pos >= maximum:
        return None
    dest_start, dest_end, url = pos, pos, ""
    res = link_destination(s, pos, maximum)
    if res.ok:
        dest_start, dest_end, url = pos, res.pos, res.url
        if s[pos] == "<":  # <dest>: the span is inside the brackets
            dest_start, dest_end = pos + 1, res.pos - 1
        pos = res.pos
        before = pos
        pos = _skip_space(s, pos, maximum)
        title = link_title_end(s, pos, maximum)
        if pos < maximum and before != pos and title >= 0:
            pos = _skip_space(s, title, maximum)
    if pos >= maximum or s[pos] != ")":
        return None
    return dest_start, dest_end, url


# In a plain label (no bracket, backslash, backtick or "<"), what makes the parser's text
# differ from the label as written: emphasis, strikethrough, an entity, a line end.
_LABEL_MARKUP = r"*_~&\n\x00"
# group 2: the label's start without such markup (all of it: the label is verbatim)
_PLAIN_LINK_RE = re.compile(
    rf"!?\[(([^\[\]\\`<>{_LABEL_MARKUP}]*+){PLAIN_LABEL})\]"
    rf"(?:\(({PLAIN_DESTINATION})\)|\[([^\[\]\\]*)\])?"
)


#: where a plain link's label ends (its "]"), either its destination's start, end and
#: URL, or (``None``, a reference) the label it uses as written, and whether the parser's
#: text nodes say exactly what the label says as written
PlainLink = tuple[int, tuple[int, int, str] | None, str, bool]


def plain_link(s: str, start: int, end: int) -> PlainLink | None:
    """For the link or image written at ``s[start:end]`` in a plain form above: where its
    label's ``]`` is, and its destination's span and URL as :func:`label_end` and
    :func:`inline_destination` find them, or the label a reference uses (as
    :func:`reference_key` reads it, not normalised), and whether its label has no markup
    (tests/parse/test_fast_paths.py); else ``None``."""
    m = _PLAIN_LINK_RE.fullmatch(s, start, end)
    if m is None:
        return None
    label_end = m.end(1)
    verbatim = m.end(2) == label_end
    if m.group(3) is not None:
        return label_end, (m.start(3), m.end(3), m.group(3)), "", verbatim
    return label_end, None, m.group(4) or m.group(1), verbatim


def reference_key(s: str, first_start: int, first_end: int, maximum: int) -> str:
    """The normalised label a reference link uses: ``[text][label]``, ``[label][]``
    or ``[label]`` (``first_*``: the inside of the first brackets)."""
    label = ""
    pos = first_end + 1
    if pos < maximum and s[pos] == "[":
        end = label_end(s, pos, maximum, [])
        if end >= 0:
            label = s[pos + 1 : end]
    if not label:
        label = s[first_start:first_end]
    return normalize_reference(label)


@dataclass(slots=True)
class RefDef:
    start: int  # offsets of the destination in the text
    end: int
    url: str
    label: str


def definition(s: str, start: int, end: int) -> tuple[str, RefDef] | None:
    """The key and destination of the reference definition written in ``s[start:end]``."""
    if start >= end or s[start] != "[":
        return None
    i = start + 1
    while i < end and s[i] != "]":
        i += 2 if s[i] == "\\" else 1
    if i + 1 >= end or s[i + 1] != ":":
        return None
    key = normalize_reference(s[start + 1 : i])
    j = i + 2
    while j < end and s[j] in " \t":
        j += 1
    if j < end and s[j] == "\n":  # destination on the next line (after its prefix)
        j += 1
        while j < end and s[j] in " \t>":
            j += 1
    res = link_destination(s, j, end)
    if not res.ok:
        return None
    a, b = (j + 1, res.pos - 1) if s[j] == "<" else (j, res.pos)
    return key, RefDef(a, b, res.url, s[start + 1 : i])


class ByteOffsets:
    """Byte offsets into the UTF-8 form of a non-ASCII text (as the parser gives them) →
    character offsets (as every position in linkhealth counts), plus ``base``. (For an
    ASCII text the two are the same: ``functools.partial(operator.add, base)``.)"""

    __slots__ = (
        "_ascii_prefix", "_bends", "_bstarts", "_c0", "_cend", "_cends", "_cstarts", "_data",
        "_end", "_lim", "_lo",
    )  # fmt: skip

    def __init__(self, text: str, data: bytes | None = None, base: int = 0) -> None:
        """``data``: the UTF-8 of ``text``, if the caller has it."""
        self._data = text.encode("utf-8") if data is None else data
        lines = text.split("\n")
        chars = list(map(len, lines))
        sizes = list(map(len, self._data.split(b"\n")))
        # where each line starts, in characters (plus ``base``) and in bytes
        self._cstarts: list[int] = list(accumulate(map(add, chars, repeat(1)), initial=base))
        self._bstarts: list[int] = list(accumulate(map(add, sizes, repeat(1)), initial=0))
        # where each line ends (its line end, or the text's end)
        self._cends: list[int] = list(map(add, self._cstarts[1:], repeat(-1)))
        self._bends: list[int] = list(map(add, self._bstarts[1:], repeat(-1)))
        self._cstarts.pop()  # (the start of a line after the last)
        self._bstarts.pop()
        # per line: its length before a non-ASCII character (all of it, if none)
        self._ascii_prefix = chars
        for i in compress(range(len(lines)), map(ne, sizes, chars)):
            first = _NON_ASCII_RE.search(lines[i])
            self._ascii_prefix[i] = first.start() if first is not None else chars[i]
        # the line last looked up (nodes come in source order): bytes _lo.._lim (its ASCII
        # prefix) are characters _c0 + _lo.._c0 + _lim, its end byte _end is character _cend
        self._lo, self._lim, self._c0, self._end, self._cend = 0, -1, 0, -1, 0

    def at(self, b: int) -> int:
        """``base`` plus the character offset of byte offset ``b``."""
        if self._lo <= b <= self._lim:
            return self._c0 + b
        if b == self._end:
            return self._cend
        i = bisect_right(self._bstarts, b) - 1
        b0 = self._bstarts[i]
        lim = b0 + self._ascii_prefix[i]  # one byte a character up to there
        self._lo, self._lim, self._c0 = b0, lim, self._cstarts[i] - b0
        self._end, self._cend = self._bends[i], self._cends[i]
        if b <= lim:
            return self._cstarts[i] + b - b0
        if b == self._end:
            return self._cend
        return self._cstarts[i] + len(self._data[b0:b].decode("utf-8", errors="ignore"))


_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")


def leaf_text(node: Node) -> str | None:
    """The text a text, escape, entity or code span node stands for; ``None`` else."""
    name = node.name
    if name in ("text", "text_special"):
        return str(node.meta.get("content", ""))
    if name == "code_inline":
        return "".join(str(c.meta.get("content", "")) for c in node.children)
    return None


def plain(nodes: Sequence[Node]) -> list[str]:
    """The text of ``nodes`` as markdown-it's flat inline stream has it: text and code
    spans anywhere except inside images."""
    parts: list[str] = []
    for node in nodes:
        text = leaf_text(node)
        if text is not None:
            parts.append(text)
        elif node.name != "image":
            parts.extend(plain(node.children))
    return parts


def union(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or nested ranges merged, sorted."""
    out: list[tuple[int, int]] = []
    for s, e in sorted(ranges):
        if out and s < out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def loose_backticks(content: str, hard: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Backtick runs outside ``hard`` (code spans and links) that open no code span.

    markdown-it's backtick rule consumes such a run as text, and the extractor has
    always treated it as consumed: no bare URL or lint hit runs into it
    (``me@x.org```` finds no address). The Rust tree keeps it as plain text, so the
    runs are found here. ``hard`` is sorted, offsets into ``content``.
    """
    out: list[tuple[int, int]] = []
    pos = content.find("`")
    k = 0
    n = len(content)
    i = 0
    while pos != -1:
        while i < pos:  # walk up to the run, honouring escapes and consumed ranges
            while k < len(hard) and hard[k][1] <= i:
                k += 1
            if k < len(hard) and hard[k][0] <= i:
                i = hard[k][1]
                continue
            i += 2 if content[i] == "\\" and i + 1 < n and content[i + 1] in _PUNCT else 1
        if i == pos:
            end = pos
            while end < n and content[end] == "`":
                end += 1
            out.append((pos, end))
            i = end
        pos = content.find("`", max(i, pos + 1))
    return out


_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


#: A chunk is cut once it is this long (characters), at the next safe heading.
CHUNK_CHARS = 200_000
_ATX_RE = re.compile(r"#{1,6}(?:[ \t]|$)")
_ITEM_RE = re.compile(r"(?:[-+*]|1[.)])[ \t]+\S")
_THEMATIC_RE = lazy_compile(r"(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_HTML_START_RE = re.compile(r" {0,3}<")
#: A list item's marker, as CommonMark reads one: a bullet, or up to nine digits and "." or
#: ")", then a space, a tab or the line's end.
ITEM_MARKER = r"(?:[-+*]|[0-9]{1,9}[.)])(?=[ \t\r]|$)"
# what may start a list's item (or go on with one) at column 0; indented, or blank
_ANY_ITEM_RE = lazy_compile(ITEM_MARKER)
_NOT_A_START = ("", " ", "\t", "\r")
# a line that starts no definition: its first unescaped bracket after the "[" is another
# "[" (no label has one) or a "]" without a ":" after it
_NO_DEFINITION_RE = lazy_compile(r"\[(?:\\.|[^\\\[\]])*(?:\[|\](?!:))")
#: A run of reference definitions is cut every this many lines: markdown-it-pyrs reads a
#: definition from every line up to the next blank one (a run of n lines costs ~n**2).
DEF_RUN_LINES = 100
# A reference definition on one line, as every CommonMark parser reads it: a label with a
# letter or digit and no bracket, backslash, "<" or ">" or control character; a plain
# ASCII destination; at most a title on the same line. After a blank line a run of these
# is definitions only, each ending at its line's end: a cut between two changes nothing.
_DEF_LINE_RE = lazy_compile(
    r"\[(?=[^\]]*[A-Za-z0-9])[^\[\]\\<>\x00-\x1f\x7f]{1,200}\]:[ \t]*"
    r"[!#-&*-;=?-\[\]-~][!#-&*-;=?-\[\]-~]*"
    r"(?:[ \t]+(?:\"[^\"\\\x00-\x1f\x7f]*\"|'[^'\\\x00-\x1f\x7f]*'|\([^()\\\x00-\x1f\x7f]*\)))?"
    r"[ \t]*\r?\Z"
)
_FENCE_RE = re.compile(r" {0,3}(`{3,}|~{3,})")
# how every opening of _OPEN_CLOSE and "<!" begins
_OPENER_RE = lazy_compile(r"<(?:!|\?|script|pre|style|textarea)", re.IGNORECASE)
_OPEN_CLOSE = (
    ("<!--", "-->"),
    ("<script", "</script"),
    ("<pre", "</pre"),
    ("<style", "</style"),
    ("<textarea", "</textarea"),
    ("<?", "?>"),
    ("<![cdata[", "]]>"),  # lower case: read() compares with the line lowered
)


def chunks(src: str, starts: list[int], size: int | None = None) -> list[tuple[int, int]]:
    """``src`` cut into pieces that parse exactly as they do in the whole.

    A cut is made only outside a fenced code block, after every HTML block that runs
    past blank lines (comment, ``<script>``, ``<pre>``, ``<style>``, ``<textarea>``,
    ``<?``, CDATA) has closed, and before either an ATX heading at column 0 that
    follows a blank line (it ends every open block), or (a quarter past ``size``) a
    bullet (or ``1.``) item at column 0 after another item's line, outside an HTML
    block (it ends every open block but its list, which goes on as a second list: the
    same items, spans and sections); or (at twice the size) before a line at column 0 after a
    blank one that no list item, indented line or definition can be (every block before
    it has ended); or, whatever the size, inside a run of single-line definitions
    (:data:`DEF_RUN_LINES` at a time) that follows no paragraph (:func:`_is_anchor`).
    Reference definitions are shared by the walk, not by the cut.
    """
    size = CHUNK_CHARS if size is None else size
    if len(src) <= size and src.count("]:") < DEF_RUN_LINES:
        return [(0, len(src))]
    out: list[tuple[int, int]] = []
    begin = 0
    fence = ""
    blank = False
    last = ""  # the last non-blank line
    html = _HtmlState()
    bare = False  # the line before was blank for markdown-it too (spaces, tabs, CRs)
    defs = -1  # in a run of definitions: how many lines of it since it began or was cut
    anchored = False  # the run follows no paragraph (see _is_anchor)
    brackets = counted = 0  # the "[" in the chunk up to ``counted`` (read once late)
    for start, line in zip(starts, src.split("\n"), strict=True):
        if fence:
            close = _FENCE_RE.match(line)
            if close and close.group(1).startswith(fence) and not line[close.end() :].strip():
                fence = ""
            blank = False
            continue
        m = _FENCE_RE.match(line) if line[:1] in _FENCE_FIRST else None
        if m and (m.group(1)[0] == "~" or "`" not in line[m.end() :]):
            fence = m.group(1)
        elif (
            start - begin >= size
            and html.closed()
            and _cut_before(line, blank, bare, last, html, start - begin, size, brackets)
        ) or (anchored and defs >= DEF_RUN_LINES and html.closed() and _is_def_line(line)):
            out.append((begin, start))
            begin = counted = start
            defs = brackets = 0
        if defs < 0 and bare and _is_def_line(line):  # a run begins
            defs, anchored = 1, _is_anchor(last, anchored)
        else:
            defs = defs + 1 if defs >= 0 and _is_def_line(line) else -1
        blank = not line or line.isspace()  # (as ``not line.strip()``)
        bare = not line.strip(" \t\r")
        if bare and start - begin >= size:  # the next line may be cut before
            brackets += src.count("[", max(counted, begin), start)
            counted = start
        if blank:
            html.block = False
        else:
            if _TAG_CHARS[0] in line or _TAG_CHARS[1] in line:  # else read() changes nothing
                html.read(line)
            last = line
    out.append((begin, len(src)))
    return out


# where a line may open a fence, and what a line has that _HtmlState.read reads
_FENCE_FIRST = " `~"
_TAG_CHARS = ("<", ">")


def _is_def_line(line: str) -> bool:
    return line[:1] == "[" and _DEF_LINE_RE.match(line) is not None


def _is_anchor(last: str, anchored: bool) -> bool:
    """Whether a run of definitions after a blank line whose last non-blank line before
    is ``last`` follows no paragraph (``anchored``: the run before, if ``last`` ends one).
    A paragraph followed by definitions and a list is the list's title (walk._next_block
    skips definitions): a cut among them would hide the list from it."""
    if not last:
        return True
    if _is_def_line(last):
        return anchored
    return _ATX_RE.match(last) is not None or _THEMATIC_RE.match(last) is not None


def _cut_before(
    line: str,
    blank: bool,
    bare: bool,
    last: str,
    html: _HtmlState,
    length: int,
    size: int,
    brackets: int = 0,
) -> bool:
    """Whether to cut before ``line`` (``blank``: the line before it was, ``bare``: blank
    for markdown-it too; ``last``: the last non-blank line before it; ``length``: the
    chunk's so far, at least ``size``; ``brackets``: how many "[" it has, about)."""
    if blank and _ATX_RE.match(line):
        return True
    # A line at column 0 after a blank one that cannot be a list's item: every block
    # before it has ended (a blank line ends a paragraph, quote, table and HTML block
    # of kinds 6-7; a line at column 0 ends a list and indented code). At twice the size:
    # a heading cut keeps a section whole (and parse/split.py cuts at one); as late as an
    # item where links are dense (a tree takes ~1 kB a node: a "[" every 20 characters
    # is ~250 bytes of tree a character). Not before a definition: a paragraph followed
    # by definitions and a list is its title.
    if (
        (length >= 2 * size or (brackets * 20 >= length and length >= size + size // 4))
        and bare
        and line[:1] not in _NOT_A_START
        and not _ANY_ITEM_RE.match(line)
        and (line[:1] != "[" or _NO_DEFINITION_RE.match(line) is not None)
    ):
        return True
    late = length >= size + size // 4
    # a list's item: the last non-blank line was a list item's (a marker or indented)
    in_list = last[:1] in (" ", "\t") or _ITEM_RE.match(last) is not None
    # Between items only a quarter past the size (``late``): a heading cut keeps a section
    # whole, with the definitions at its end after the links that use them (a link that
    # uses a later chunk's definition makes the walk parse that chunk twice). Never before
    # a list's first item: the paragraph above may be the list's title.
    return (
        late
        and in_list
        and not html.block
        and _ITEM_RE.match(line) is not None
        and not _THEMATIC_RE.match(line)
    )


class _HtmlState:
    """Which HTML constructs are open at the end of the lines read so far."""

    __slots__ = ("block", "open")

    def __init__(self) -> None:
        self.open: set[int] = set()  # indexes into _OPEN_CLOSE, and one for "<!" ... ">"
        self.block = False  # an HTML block started since the last blank line

    def closed(self) -> bool:
        return not self.open

    def read(self, line: str) -> None:
        """Read one non-blank line (a blank one sets ``block`` false)."""
        if _HTML_START_RE.match(line):
            self.block = True
        if "<" not in line and ">" not in line:
            return
        if not self.open and _OPENER_RE.search(line) is None:
            return  # nothing open to close, nothing opened
        lower = line.lower()
        for k, (a, b) in enumerate((*_OPEN_CLOSE, ("<!", ">"))):
            opened, shut = lower.rfind(a), lower.rfind(b)
            if opened > shut:
                self.open.add(k)
            elif shut != -1:
                self.open.discard(k)
