"""markdown-it-py, instrumented to say where each link was written.

markdown-it's inline tokens carry no positions. We wrap the inline rules that
consume source text (links, images, autolinks, code spans, inline HTML) and the
block ``reference`` rule: each wrapper runs the original rule and, on success,
records what it consumed as offsets into the inline token's ``content`` (or,
for reference definitions, into the document). Destinations are re-located with
markdown-it's own helpers (``parseLinkLabel``, ``parseLinkDestination``), so the
spans follow exactly the parse that markdown-it made.

Bare URLs are not linkified by markdown-it here: the extractor runs linkify-it
on the text between the consumed ranges, where it knows the offsets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import isStrSpace, normalizeReference
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_core.text_join import text_join
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

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


def _skip_space(src: str, pos: int, maximum: int) -> int:
    while pos < maximum and (isStrSpace(src[pos]) or src[pos] == "\n"):
        pos += 1
    return pos


def _inline_destination(state: StateInline, label_end: int) -> tuple[int, int, str] | None:
    """Where ``[label](dest "title")`` has its destination, following markdown-it's
    ``link`` rule; ``None`` when the link is not an inline one (a reference)."""
    src, maximum = state.src, state.posMax
    pos = label_end + 1
    if pos >= maximum or src[pos] != "(":
        return None
    pos = _skip_space(src, pos + 1, maximum)
    if pos >= maximum:
        return None
    dest_start, dest_end, url = pos, pos, ""
    res = state.md.helpers.parseLinkDestination(src, pos, maximum)
    if res.ok:
        dest_start, dest_end, url = pos, res.pos, res.str
        if src[pos] == "<":  # <dest>: the span is inside the brackets
            dest_start, dest_end = pos + 1, res.pos - 1
        pos = res.pos
        start = pos
        pos = _skip_space(src, pos, maximum)
        title = state.md.helpers.parseLinkTitle(src, pos, maximum)
        if pos < maximum and start != pos and title.ok:
            pos = _skip_space(src, title.pos, maximum)
    if pos >= maximum or src[pos] != ")":
        return None
    return dest_start, dest_end, url


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
    dest = _inline_destination(state, label_end)
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
