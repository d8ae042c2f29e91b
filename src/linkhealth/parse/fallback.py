"""The fallback engine: markdown-it-py, instrumented to say where each link was written.

markdown-it-pyrs (:mod:`linkhealth.parse.walk`) parses every file; this engine parses
a region only where the Rust parser panics (it does on an unclosed backtick after a
``[``, as in ``[`x``), so that such a file still gets every link and finding, and
``extract_text(engine="python")`` lets the tests compare the two on every fixture.

markdown-it's inline tokens carry no positions. We wrap the inline rules that
consume source text (links, images, autolinks, code spans, inline HTML) and the
block ``reference`` rule: each wrapper runs the original rule and, on success,
records what it consumed as offsets into the inline token's ``content`` (or,
for reference definitions, into the document). Destinations are re-located with
markdown-it's own helpers (``parseLinkLabel``, ``parseLinkDestination``), so the
spans follow exactly the parse that markdown-it made. Results go through the same
:class:`~linkhealth.parse.extract._FileParser` methods as the Rust engine's.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import normalizeReference
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_core.text_join import text_join
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from linkhealth.config import CommentMode
from linkhealth.parse.markdown import ITEM_MARKER, inline_destination, union
from linkhealth.parse.source import LineIndex
from linkhealth.records import LinkKind

if TYPE_CHECKING:
    from linkhealth.parse.extract import _FileParser

ENV_KEY = "_linkhealth"

# kinds of consumed inline ranges
CODE = "code"
LINK = "link"
IMAGE = "image"
AUTOLINK = "autolink"
HTML = "html"


@dataclass(slots=True)
class LinkRecord:
    """One link found by an inline rule; offsets are into the inline content."""

    kind: str  # "inline", "reference", "autolink", "image", "image-reference"
    start: int  # span of the destination as written (or of the whole use)
    end: int
    url: str
    exact: bool  # whether content[start:end] is the destination as written
    ref_key: str | None = None


@dataclass(slots=True)
class RefDef:
    start: int  # absolute offsets of the destination in the document
    end: int
    url: str
    label: str


@dataclass(slots=True)
class Recorder:
    """Per-document notes written by the wrapped rules (kept in ``env``)."""

    # ranges consumed in the inline token being parsed: [(start, end, kind)]
    current: list[tuple[int, int, str]] = field(default_factory=list)
    refdefs: dict[str, RefDef] = field(default_factory=dict)
    used_refs: set[str] = field(default_factory=set)


def _reference_key(state: StateInline, label_start: int, label_end: int) -> str:
    src = state.src
    label = ""
    pos = label_end + 1
    if pos < state.posMax and src[pos] == "[":
        end = state.md.helpers.parseLinkLabel(state, pos)
        if end >= 0:
            label = src[pos + 1 : end]
    if not label:
        label = src[label_start:label_end]
    return normalizeReference(label)


def _record_link(state: StateInline, start: int, end: int, n_before: int, image: bool) -> None:
    rec: Recorder | None = state.env.get(ENV_KEY)
    if rec is None:
        return
    rec.current.append((start, end, IMAGE if image else LINK))
    open_type = "image" if image else "link_open"
    token = next((t for t in state.tokens[n_before:] if t.type == open_type), None)
    if token is None:
        return
    label_start = start + 2 if image else start + 1
    label_end = state.md.helpers.parseLinkLabel(state, label_start - 1, not image)
    if label_end < 0:
        return
    dest = inline_destination(state.src, label_end + 1, state.posMax)
    if dest is not None:
        kind = "image" if image else "inline"
        token.meta["lh"] = LinkRecord(kind, dest[0], dest[1], dest[2], exact=True)
        return
    key = _reference_key(state, label_start, label_end)
    ref = state.env.get("references", {}).get(key)
    if ref is None:
        return
    rec.used_refs.add(key)
    kind = "image-reference" if image else "reference"
    token.meta["lh"] = LinkRecord(kind, start, end, str(ref["href"]), exact=False, ref_key=key)


def _wrap_inline(name: str, rule: Any) -> Any:
    def wrapped(state: StateInline, silent: bool) -> bool:
        start = state.pos
        n_before = len(state.tokens)
        ok: bool = rule(state, silent)
        if not ok or silent:
            return ok
        end = state.pos
        if name in ("link", "image"):
            _record_link(state, start, end, n_before, name == "image")
            return ok
        rec: Recorder | None = state.env.get(ENV_KEY)
        if rec is None:
            return ok
        kind = {"backticks": CODE, "autolink": AUTOLINK, "html_inline": HTML}[name]
        rec.current.append((start, end, kind))
        if name == "autolink":
            token = next((t for t in state.tokens[n_before:] if t.type == "link_open"), None)
            if token is not None:
                raw = state.src[start + 1 : end - 1]
                url = raw if ":" in raw else "mailto:" + raw
                token.meta["lh"] = LinkRecord("autolink", start + 1, end - 1, url, exact=True)
        return ok

    return wrapped


def _reference_rule(rule: Any) -> Any:
    def wrapped(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
        ok: bool = rule(state, start_line, end_line, silent)
        if ok and not silent:
            rec: Recorder | None = state.env.get(ENV_KEY)
            if rec is not None:
                _record_definition(state, start_line, rec)
        return ok

    return wrapped


def _record_definition(state: StateBlock, start_line: int, rec: Recorder) -> None:
    src = state.src
    pos = state.bMarks[start_line] + state.tShift[start_line]
    limit = state.eMarks[state.line - 1]
    if pos >= limit or src[pos] != "[":
        return
    i = pos + 1
    while i < limit and src[i] != "]":
        i += 2 if src[i] == "\\" else 1
    if i + 1 >= limit or src[i + 1] != ":":
        return
    key = normalizeReference(src[pos + 1 : i])
    j = i + 2
    while j < limit and src[j] in " \t":
        j += 1
    if j < limit and src[j] == "\n":  # destination on the next line (after its prefix)
        line = start_line + 1
        while line < state.line and state.bMarks[line] <= j:
            line += 1
        if line >= state.line:
            return
        j = state.bMarks[line] + state.tShift[line]
    res = state.md.helpers.parseLinkDestination(src, j, limit)
    if not res.ok or key in rec.refdefs:
        return
    start, end = (j + 1, res.pos - 1) if src[j] == "<" else (j, res.pos)
    rec.refdefs[key] = RefDef(start, end, res.str, src[pos + 1 : i])


def parse_inline(md: MarkdownIt, env: dict[str, Any], token: Token) -> list[Token]:
    """The children of one ``inline`` block token, parsed as markdown-it's core
    ``inline`` and ``text_join`` rules would parse them, keeping the consumed
    ranges in ``token.meta["lh_ranges"]``.

    The parser from :func:`build_parser` leaves inline tokens unparsed, so a
    caller parses each one when it gets to it and can drop the children once it
    is done (the whole document's inline tokens are never held at once). Inline
    parsing reads only the finished block pass (``env["references"]``), so the
    order in which tokens are parsed changes nothing.
    """
    if "lh_ranges" in token.meta:
        return token.children or []
    rec: Recorder | None = env.get(ENV_KEY)
    if token.children is None:
        token.children = []
    if rec is not None:
        rec.current = []
    md.inline.parse(token.content, md, env, token.children)
    token.meta["lh_ranges"] = rec.current if rec is not None else []
    text_join(StateCore("", md, env, [token]))
    return token.children or []


def build_parser() -> MarkdownIt:
    """CommonMark with GFM tables and strikethrough, HTML on, every link allowed
    through (unsafe schemes become lint findings, not silently dropped text).
    ``parse`` returns block tokens only: parse each inline one with
    :func:`parse_inline`."""
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    for name in ("link", "image", "backticks", "autolink", "html_inline"):
        rule = next(r.fn for r in md.inline.ruler.__rules__ if r.name == name)
        md.inline.ruler.at(name, _wrap_inline(name, rule))
    # Inline content is parsed token by token with parse_inline (see there).
    md.core.ruler.disable(["inline", "text_join"])
    ref = next(r for r in md.block.ruler.__rules__ if r.name == "reference")
    md.block.ruler.at("reference", _reference_rule(ref.fn), {"alt": list(ref.alt)})
    return md


# Quote markers and a list item's marker at the start of a block's first line.
_ITEM_START = re.compile(rf"[ \t>]*(?:{ITEM_MARKER})?")


class _Mapper:
    """Offsets in an inline token's ``content`` → absolute offsets in the file.

    Each content line is the source line with a prefix removed (indent, list and
    quote markers) and, for the last, trailing space trimmed; counting from the
    line's end places it exactly. Table cells and ATX headings are searched for.
    """

    __slots__ = ("cstarts", "dstarts")

    def __init__(self, content: str, first_line: int, doc: _Doc) -> None:
        self.cstarts: list[int] = []
        self.dstarts: list[int] = []
        n_lines = len(doc.starts)
        offset = 0
        # markdown-it-py strips a paragraph's content with str.strip(), which also drops
        # leading lines of whitespace that is no blank for Markdown (U+00A0, \f, \v …):
        # content line 0 is the first source line with text after its quote markers (and,
        # on the paragraph's own first line, its list item's marker).
        if content.strip():
            rest = _ITEM_START.sub("", doc.line(first_line), count=1)  # it matches at 0
            while first_line < n_lines - 1 and not rest.strip():
                first_line += 1
                rest = doc.line(first_line).lstrip(" \t>")
        for i, c in enumerate(content.split("\n")):
            ln = min(first_line + i, n_lines - 1)
            s = doc.line(ln)
            cr = c.rstrip()
            sr = s.rstrip()
            if cr and sr.endswith(cr):
                k = len(sr) - len(cr)
            elif not cr:
                k = len(s)
            else:
                stripped = c.strip()
                k = s.find(stripped, doc.cursor.get(ln, 0))
                if k < 0:
                    k = max(s.find(stripped), 0)
                doc.cursor[ln] = k + len(stripped)
                k -= len(c) - len(c.lstrip())
            self.cstarts.append(offset)
            self.dstarts.append(doc.base + doc.starts[ln] + k)
            offset += len(c) + 1

    def abs(self, off: int) -> int:
        i = bisect_right(self.cstarts, off) - 1
        return self.dstarts[i] + off - self.cstarts[i]


@dataclass
class _Doc:
    """One parsed region: the file, or the inside of a comment."""

    base: int
    src: str
    starts: list[int]  # offset in ``src`` of each line (no list of line strings is kept)
    in_comment: bool
    cursor: dict[int, int] = field(default_factory=dict)

    def line(self, ln: int) -> str:
        """Line ``ln`` (0-based) of ``src``, without its ``\\n``."""
        starts = self.starts
        end = starts[ln + 1] - 1 if ln + 1 < len(starts) else len(self.src)
        return self.src[starts[ln] : end]


class FallbackWalk:
    """One region parsed by markdown-it-py (the interface of :class:`~.walk.Walk`)."""

    def __init__(self, fp: _FileParser, start: int, end: int, *, in_comment: bool) -> None:
        self.fp = fp
        self.text = fp.text
        self.start = start
        self.end = end
        self.in_comment = in_comment

    def run(self, section: str | None) -> None:
        self._parse(self.start, self.end, in_comment=self.in_comment, section=section)

    def _parse(self, start: int, end: int, *, in_comment: bool, section: str | None) -> None:
        src = self.text[start:end]
        whole = start == 0 and end == len(self.text)  # the file's own line index fits
        starts = self.fp.index.starts if whole else LineIndex(src).starts
        doc = _Doc(start, src, starts, in_comment)
        rec = Recorder()
        env: dict[str, Any] = {ENV_KEY: rec}
        # Block tokens only; each inline token is parsed when the loop reaches it (or
        # looks ahead at it) and dropped once processed, so the inline tokens of the
        # whole document never exist at once.
        tokens: list[Token] = _MD.parse(src, env)
        stack: list[tuple[int, str]] = [(-1, section)] if section else []
        changes: list[tuple[int, str | None]] = [(0, section)]
        last_line = 0

        def current() -> str | None:
            return stack[-1][1] if stack else None

        for i, tok in enumerate(tokens):
            if tok.map:
                last_line = tok.map[0]
            t = tok.type
            if t == "heading_open" or (t == "paragraph_open" and _introduces_list(tokens, i, env)):
                title = _plain(tokens[i + 1], env)
                while stack and stack[-1][0] >= tok.level:
                    stack.pop()
                if title:
                    stack.append((tok.level, title))
                changes.append((last_line, current()))
            elif t in ("list_item_close", "blockquote_close"):
                before = len(stack)
                while stack and stack[-1][0] > tok.level:
                    stack.pop()
                if len(stack) != before:
                    changes.append((last_line, current()))
            elif t == "inline":
                self._inline(tok, parse_inline(_MD, env, tok), doc, rec, last_line, current())
            elif t == "html_block" and tok.map:
                a = start + doc.starts[tok.map[0]]
                b = start + doc.starts[tok.map[1]] - 1 if tok.map[1] < len(doc.starts) else end
                self.fp._html(a, b, doc.in_comment, current())
            tokens[i] = _DONE  # nothing looks back: let the token and its children go
        # Definitions nobody uses are still links in the file.
        change_lines = [c[0] for c in changes]
        for key, d in rec.refdefs.items():
            if key in rec.used_refs:
                continue
            line = bisect_right(doc.starts, d.start) - 1
            sec = changes[max(bisect_right(change_lines, line) - 1, 0)][1]
            self.fp._link(
                LinkKind.REFERENCE, d.url, start + d.start, start + d.end, None, sec, in_comment
            )

    def _inline(
        self,
        tok: Token,
        children: list[Token],
        doc: _Doc,
        rec: Recorder,
        line: int,
        section: str | None,
    ) -> None:
        content = tok.content
        first_line = tok.map[0] if tok.map else line
        mapper: _Mapper | None = None

        def m() -> _Mapper:
            nonlocal mapper
            if mapper is None:
                mapper = _Mapper(content, first_line, doc)
            return mapper

        for j, child in enumerate(children):
            lr: LinkRecord | None = child.meta.get("lh") if child.meta else None
            if lr is None:
                continue
            text = _link_text(children, j) if child.type == "link_open" else child.content
            kind = _KINDS[lr.kind]
            diag_span = None
            if lr.ref_key is not None and lr.ref_key in rec.refdefs:
                d = rec.refdefs[lr.ref_key]
                diag_span = (doc.base + d.start, doc.base + d.end)
            self.fp._link(
                kind,
                lr.url,
                m().abs(lr.start),
                m().abs(lr.end),
                text,
                section,
                doc.in_comment,
                destination=lr.kind != "autolink",
                diag_span=diag_span,
            )

        ranges: list[tuple[int, int, str]] = tok.meta.get("lh_ranges", [])
        hard = union([(s, e) for s, e, _ in ranges])
        for s, e, consumed in ranges:
            if consumed == HTML:
                if content.startswith("<!--", s):
                    if self.fp.comments is CommentMode.INCLUDE:
                        self.fp._parse(
                            m().abs(s + 4),
                            m().abs(max(e - 3, s + 4)),
                            in_comment=True,
                            section=section,
                        )
                else:
                    self.fp._html_tag(content, s, e, m().abs, section, doc.in_comment)

        # The scan works on the content (prefixes removed), mapped into the file.
        self.fp._scan(content, lambda p: m().abs(p), hard, section, doc.in_comment)


def _plain(tok: Token, env: dict[str, Any]) -> str:
    if tok.type != "inline":
        return ""
    children = parse_inline(_MD, env, tok)
    parts = [c.content for c in children if c.type in ("text", "code_inline")]
    text = "".join(parts) if parts else tok.content
    return " ".join(text.split())


def _link_text(children: list[Token], j: int) -> str | None:
    depth = 0
    parts: list[str] = []
    for child in children[j:]:
        if child.type == "link_open":
            depth += 1
        elif child.type == "link_close":
            depth -= 1
            if depth == 0:
                break
        elif child.type in ("text", "code_inline") or child.type == "image":
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    text = "".join(parts).strip()
    return text or None


def _introduces_list(tokens: list[Token], i: int, env: dict[str, Any]) -> bool:
    """A one-line plain paragraph right before a list: the list's title."""
    if i + 3 >= len(tokens):
        return False
    inline, after = tokens[i + 1], tokens[i + 3]
    if inline.type != "inline" or after.type not in ("bullet_list_open", "ordered_list_open"):
        return False
    content = inline.content
    if (
        "\n" in content
        or len(content) > 200
        or (_BARE_HINT.search(content) and ("://" in content or "www." in content.lower()))
    ):
        return False
    return not any(c.type in ("link_open", "image") for c in parse_inline(_MD, env, inline))


_MD = build_parser()
_DONE = Token("done", "", 0)  # stands in for a processed block token
_KINDS = {
    "inline": LinkKind.INLINE,
    "reference": LinkKind.REFERENCE,
    "image-reference": LinkKind.REFERENCE,
    "autolink": LinkKind.AUTOLINK,
    "image": LinkKind.IMAGE,
}
_BARE_HINT = re.compile(r":|www\.|@", re.I)
