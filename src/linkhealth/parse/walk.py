"""One parsed region (the file, or the inside of a comment) walked block by block.

The walk follows markdown-it's block structure: headings and list titles make the
section, each run of inline content (a paragraph, a heading's text, a table cell, the
text of a tight list item) is handed to :meth:`Walk.inline` with its span in the
file, and HTML blocks to the file parser's HTML scan. Offsets here are character
offsets into the whole file (:attr:`Walk.base` is where the region starts).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from functools import partial
from operator import add, attrgetter, itemgetter
from typing import TYPE_CHECKING

from markdown_it_pyrs import Node

from linkhealth.config import CommentMode
from linkhealth.lazyre import lazy_compile
from linkhealth.parse.lint import ANY_HINT
from linkhealth.parse.markdown import (
    CHUNK_CHARS,
    INLINE_NODES,
    PLAIN_DESTINATION,
    PLAIN_LABEL,
    ByteOffsets,
    PlainLink,
    RefDef,
    build_block_parser,
    build_parser,
    chunks,
    definition,
    inline_destination,
    label_end,
    leaf_text,
    loose_backticks,
    may_panic,
    normalize_reference,
    parser_input,
    plain,
    plain_link,
    reference_key,
    restore,
    union,
)
from linkhealth.parse.source import line_starts
from linkhealth.parse.urls import plain_keys
from linkhealth.records import LinkKind

if TYPE_CHECKING:
    from linkhealth.parse.extract import _FileParser

_MD = build_parser()
_BLOCKS = build_block_parser()
_LISTS = ("bullet_list", "ordered_list")
# blocks read as a whole; every other block is a container of blocks
_LEAF_BLOCKS = frozenset({"paragraph", "heading", "lheading", "html_block", "table"})
_CONSUMED = frozenset({"link", "image", "autolink", "code_inline", "html_inline"})
_LEAVES = frozenset({"autolink", "code_inline", "html_inline"})
_LINKS = frozenset({"link", "image"})
_NAME = attrgetter("name")
_TEXT_NODES = frozenset({"text", "text_special", "softbreak", "hardbreak"})
_BARE_HINT = re.compile(r":|www\.|@", re.I)
# markdown-it-pyrs gives an autolink one text node: its destination as written (no entity,
# escape or percent-decoding: test_walk_paths compares)
_AUTOLINK_TEXT_AS_WRITTEN = True
# a plain link's label without markup (markdown.plain_link) is its text nodes' text
_VERBATIM_LABELS = True
_QUOTE_PREFIX = re.compile(r"[ \t]*>")
# where one inline content surely ends: a blank line, or a column-0 list item or heading
_INLINE_END_RE = re.compile(r"\n[ \t]*\n|\n(?=(?:[-+*]|1[.)])[ \t]+\S|#{1,6}(?:[ \t]|$))")
# Nesting: markdown-it-pyrs has no depth limit (markdown-it-py stops at 20) and its
# tree is recursive: 50,000 nested quotes or emphasis overflow the native stack. A line
# whose block prefix is 100 characters long may open 100 containers; a paragraph with
# thousands of emphasis or bracket characters may nest as deep. Both go to the fallback.
_DEEP_PREFIX_RE = re.compile(r"[ \t>*+\-.)0-9]{100}")  # at the start, or after a line end:
_DEEP_LINE_RE = re.compile(r"\n[ \t>*+\-.)0-9]{100}")  # (a leading "\n" is found fast)
_NESTING_CHARS = 4000
# A piece the chunker could not cut smaller would be one tree of ~40x its size in memory.
_MAX_CHUNK_CHARS = 4 * CHUNK_CHARS
# A tab in a line's indentation, quote markers or after a list marker: markdown-it-pyrs
# expands it and then places inline nodes by the expanded line (a few columns off).
_TAB_PREFIX_RE = lazy_compile(r"^[ >]*(?:(?:[-+*]|\d{1,9}[.)])[ >]*)?\t", re.M)
# A label (group 2) and the ":" of a definition (group 3); or (group 1, empty) the label of
# a plain inline link ("[t](u)", as markdown.plain_link reads it) not right after a "]"
# ("[x][t](u)" uses t): an inline link, or nothing (escaped, in code), never a reference.
# Only the label is consumed: a "[" in the destination is read as before. (The pattern
# starts with the "[": the engine then looks for that character alone.)
_LABEL_RE = re.compile(
    rf"\[(?:(?<!\]\[)(){PLAIN_LABEL}\](?=\({PLAIN_DESTINATION}\))"
    r"|((?:\\.|[^\[\]\\])*)\](:?))"
)


# Lines whose tree is known (:meth:`Walk._plain_chunk`): at column 0, an ATX heading of
# plain text (group 1), a list item "- [label](destination)" of a link written plainly
# (group 2; its label verbatim, see markdown.plain_link) followed by text with no
# bracket, backslash, backtick or "<" (no other link, code, autolink or HTML in it), or
# nothing; no control character, no whitespace but " " (no tab, no other line end).
_NOT_PLAIN = r"\[\]\\`<>\x00-\x1f\x7f-\x9f\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_PLAIN_LINE_RE = re.compile(
    rf"(#{{1,6}}(?: [^{_NOT_PLAIN}*_~&#]*)?"
    rf"|[-*+] (\[([^{_NOT_PLAIN}*_~&]*)\]\(({PLAIN_DESTINATION})\))[^{_NOT_PLAIN}]*|)(?:\n|\Z)"
)  # (groups 3 and 4: the link's label and destination, as markdown.plain_link reads them)
#: lines of a chunk matched one at a time before its plain lines are read at once
_PROBE_LINES = 16
#: chunks of plain lines walked without their tree (False: every chunk parsed)
_PLAIN_CHUNKS = True
_PLAIN_NODE = Node("link")  # a plain link's node: never read (its label is verbatim)
#: a chunk of reference definitions only, read before the walk, is not parsed again
_KEEP_DEFINITIONS = True


class RustParserUnsafe(Exception):
    """The region has what markdown-it-pyrs panics on: parse it with the fallback."""


# (node name, node, start, end, plain): a consumed inline construct, offsets in the file;
# for a link or image written plainly, what :func:`plain_link` reads of it (else None)
Item = tuple[str, Node, int, int, PlainLink | None]


class Walk:
    """One region, parsed chunk by chunk (:func:`~.markdown.chunks`): the syntax
    tree of a whole 10 MB list would take 40 times its size in memory."""

    def __init__(
        self,
        fp: _FileParser,
        start: int,
        end: int,
        *,
        in_comment: bool,
        cut: list[tuple[int, int]] | None = None,
        defined: bool = True,
    ) -> None:
        """``cut``: the region's chunks, when the caller cut it and ran :func:`refuse`
        on it (parse/split.py cuts a file once for its two processes); then ``defined``:
        whether the file may hold a reference definition (False: it has no "]:")."""
        self.fp = fp
        self.text = fp.text
        self.base = start  # of the region: lines are counted from here
        self.end = end
        src = fp.text[start:end]
        if cut is None:
            refuse(src)
        whole = start == 0 and end == len(fp.text)  # the file's own line index fits
        self.starts: list[int] = fp.index.starts if whole else line_starts(src)
        self.chunks = chunks(src, self.starts) if cut is None else cut
        if max(b - a for a, b in self.chunks) > _MAX_CHUNK_CHARS:
            raise RustParserUnsafe  # a long list with no heading to cut at: one big tree
        self.in_comment = in_comment
        # whether a label may have a definition (every one has a "]:"): the region's own
        # are all it may use, but for parse/split.py's halves (cut by their caller, and
        # given the other half's): their caller says whether the file holds one. Without,
        # no label is read (those of a 200,000-link list: ~0.2 s)
        self.defined = fp.text.find("]:", start, end) != -1 if cut is None else defined
        self.chunk_base = start
        # the file offset of a byte offset into the current chunk (see _tree)
        self.at: Callable[[int], int] = partial(add, start)
        self.limit = 0
        self.neutralised = False
        self.refdefs: dict[str, RefDef] = {}  # in the order of the file, first one wins
        # read before the walk: definitions of a later chunk that an earlier one may use
        self.later: dict[str, RefDef] = {}
        # chunk start -> (key, definition) of a chunk of definitions only, read before the
        # walk, and where its last one starts: its walk needs nothing more (walk_chunk)
        self.kept: dict[int, tuple[list[tuple[str, RefDef]], int]] = {}
        self.used: set[str] = set()
        self.stack: list[tuple[int, str | None]] = []
        self.changes: list[tuple[int, str | None]] = []
        self.last_pos = start  # where the last block read starts: its line, if a section changes

    def _tree(self, a: int, b: int, labels: str | None = None) -> Node:
        """The tree of the chunk at ``a:b`` (region offsets), with ``labels`` (reference
        definitions of other chunks) after it; positions then point into the chunk.
        Without ``labels``: the block structure only (the definitions pass)."""
        src = self.text[self.base + a : self.base + b]
        self.chunk_base = self.base + a
        data = None if src.isascii() else src.encode("utf-8")  # once: three readers
        if data is None:  # a byte is a character
            self.at = partial(add, self.chunk_base)
            self.limit = len(src)
        else:
            self.at = ByteOffsets(src, data, self.chunk_base).at
            self.limit = len(data)
        parsed, neutralised = parser_input(src, data)
        self.neutralised = self.neutralised or neutralised
        if labels is None:
            return _BLOCKS.tree(parsed)
        return _MD.tree(parsed + labels)

    # ---- positions --------------------------------------------------------------

    def span(self, node: Node) -> tuple[int, int]:
        s, e = node.srcmap or (0, 0)
        if not 0 <= s <= e:  # never seen: a misplaced node is no position
            raise RustParserUnsafe
        if e > self.limit:  # a list cut at an item runs on over the appended definitions
            if s > self.limit:
                raise RustParserUnsafe
            e = self.limit
        return self.at(s), self.at(e)

    def _start(self, srcmap: tuple[int, int] | None) -> int:
        """Where a node with ``srcmap`` starts (as :meth:`span`, its end not read)."""
        s, e = srcmap or (0, 0)
        if not 0 <= s <= e or s > self.limit:
            raise RustParserUnsafe
        return self.at(s)

    def line(self, pos: int) -> int:
        """The 0-based line of the region that holds ``pos``."""
        return bisect_right(self.starts, pos - self.base) - 1

    def tree_text(self, text: str | None) -> str | None:
        """Text taken from the tree, as written (see :func:`parser_input`)."""
        return restore(text) if text and self.neutralised else text

    def current(self) -> str | None:
        return self.stack[-1][1] if self.stack else None

    # ---- the document -----------------------------------------------------------

    def run(self, section: str | None) -> None:
        labels = self.prepare(section)
        for (a, b), (used, _) in zip(self.chunks, labels, strict=True):
            self.walk_chunk(a, b, used)
        # Definitions nobody uses are still links in the file.
        for _, d, sec in self.unused():
            self.fp._link(LinkKind.REFERENCE, d.url, d.start, d.end, None, sec, self.in_comment)

    # The three steps of :meth:`run`, apart for parse/split.py (a second process walks
    # the chunks from a heading on; the file's process merges what both found).

    def prepare(
        self, section: str | None, read: Sequence[tuple[set[str], set[str]]] = ()
    ) -> list[tuple[set[str], set[str]]]:
        """The labels each chunk may use and define (:meth:`_labels`; ``read``: those of
        the first chunks, read already); the definitions of later chunks that earlier
        ones may use read first (block rules only)."""
        self.stack = [(-1, section)] if section else []
        self.changes = [(0, section)]
        if not self.defined:  # no label a chunk uses has a definition
            return [(set(), set()) for _ in self.chunks]
        labels = [*read, *(self._labels(a, b) for a, b in self.chunks[len(read) :])]
        for j in _defining_later(labels):  # block rules only: their definitions
            a, b = self.chunks[j]
            top = self._tree(a, b).children
            own: dict[str, RefDef] = {}
            self._definitions(top, own)
            for key, d in own.items():
                self.later.setdefault(key, d)
            if _KEEP_DEFINITIONS and top and all(node.name == "definition" for node in top):
                self.kept[a] = (list(own.items()), self._start(top[-1].srcmap))
        return labels

    def walk_chunk(self, a: int, b: int, used: set[str]) -> None:
        """The chunk at ``a:b`` (region offsets) that may use the labels ``used``."""
        kept = self.kept.pop(a, None)
        if kept is not None:  # definitions only, read already: as blocks() walks them
            for key, d in kept[0]:
                self.refdefs.setdefault(key, d)
            self.last_pos = kept[1]
            return
        labels = self._labels_for(used)
        if not labels and _PLAIN_CHUNKS and self._plain_chunk(a, b):
            return
        root = self._tree(a, b, labels)
        # the appended definitions are no part of the chunk
        top = root.children
        k = len(top)  # they come last: read back from the end
        while k and (top[k - 1].srcmap or (0, 0))[0] >= self.limit:
            k -= 1
        if labels and len(top) - k != labels.count("\n\n["):
            # a fence or HTML block left open at the chunk's end took them in: its
            # reference links would be lost (markdown-it-py reads the whole file at once)
            raise RustParserUnsafe
        top = top[:k] if k < len(top) else top
        self._definitions(top, self.refdefs)
        self.blocks(top, 0, min((root.srcmap or (0, 0))[1], self.limit), 0)

    def _plain_chunk(self, a: int, b: int) -> bool:
        """Walk the chunk at ``a:b`` without its tree if every line of it is plain
        (:data:`_PLAIN_LINE_RE`), as :meth:`blocks` walks the tree (which is known for
        such lines: top-level ATX headings of plain text, list items of one plain link
        followed by text that holds no other link, empty lines); else walk nothing and
        say ``False``."""
        base = self.base + a
        src = self.text[base : self.base + b]
        # A chunk that is not plain mostly says so in its first lines: read a line at a
        # time, they spare the call below its pass over the whole chunk (+22 % of the
        # instructions of a mixed list's parse without them)
        match, pos = _PLAIN_LINE_RE.match, 0
        for _ in range(_PROBE_LINES):
            if pos >= len(src):
                break
            m = match(src, pos)
            if m is None:
                return False
            pos = m.end()
        # The lines' groups in one call (no match object, no loop; the pattern is most of
        # the cost, read once), then the empty match findall makes at the end (where a
        # match a line at a time stopped) dropped. The matches are in order and apart,
        # and only the last can end at the end without a "\n": they are the chunk's lines
        # (a line a match) if and only if their lengths and line ends add up to it.
        lines = _PLAIN_LINE_RE.findall(src)
        lines.pop()
        whole = len(src) if not src or src[-1] == "\n" else len(src) + 1  # (a last "\n")
        if sum(map(len, map(itemgetter(0), lines))) + len(lines) != whole:
            return False  # a line the pattern does not take
        self.neutralised = parser_input(src)[1] or self.neutralised
        self._plain_lines(base, lines)
        return True

    def _plain_lines(self, base: int, lines: list[tuple[str, str, str, str]]) -> None:
        """The plain lines ``lines`` (the groups of :data:`_PLAIN_LINE_RE` in the chunk at
        ``base``, a line each, in order: the line, its link, label and destination)
        walked as :meth:`heading` reads a heading and :meth:`items` a tight item of one
        plain link (its label verbatim: what :func:`plain_link` and :meth:`link` make of
        it), and :meth:`_FileParser._link` the link: a plain URL's span worked out here
        (the lines hold no line end: a span's line is its line's), its occurrence and key
        made by the parser's own :meth:`_FileParser.add_occurrence`."""
        fp, text, in_comment = self.fp, self.text, self.in_comment
        occur = fp.add_occurrence
        inline, neutralised = LinkKind.INLINE, self.neutralised
        hint = ANY_HINT.search
        # the 1-based line of the chunk's first line, in the file (see _FileParser._span)
        first = bisect_right(fp.index.starts, base) + fp.line_base
        section = self.current()
        last_pos = self.last_pos
        at = base  # where the line starts, in the file
        # each link's dedupe key if its URL is plain (else None): the URLs matched at once
        keys = plain_keys(list(map(itemgetter(3), lines)))
        for k, ((whole, link, written, url), key) in enumerate(zip(lines, keys, strict=True)):
            begin, at = at, at + len(whole) + 1
            if not link:
                if whole:  # a heading
                    self.heading((), "heading", begin, begin + len(whole), 0, 0)
                    section, last_pos = self.current(), self.last_pos
                continue
            s = begin + 2  # after the item's marker and its space
            last_pos = s
            label: str | None = written.strip() or None
            if label is not None and neutralised:  # (self.tree_text(label))
                label = restore(label)
            start = s + len(written) + 3  # after "[", the label and "]("
            stop = start + len(url)
            if key is None:  # a diagnosis, or a key that needs the parser: as link() does
                fp._link(inline, url, start, stop, label, section, in_comment)
            else:  # (diagnose_matched says nothing of a plain URL)
                column = start - begin + 1
                line = first + k
                end_column = column + stop - start
                occur(url, key, inline, line, column, line, end_column, label, section, in_comment)
            e, end = stop + 1, begin + len(whole)
            # the text after the link (none in most lists: no call), as inline() reads it
            if e < end and hint(text, e, end) is not None:
                end = _strip(text, s, end)[1]
                fp._scan(text[s:end], partial(add, s), [(0, e - s)], section, in_comment)
        self.last_pos = last_pos

    def unused(self) -> list[tuple[str, RefDef, str | None]]:
        """(key, definition, section) of each definition no link walked so far used."""
        change_lines = [c[0] for c in self.changes]
        found = []
        for key, d in self.refdefs.items():
            if key in self.used:
                continue
            sec = self.changes[max(bisect_right(change_lines, self.line(d.start)) - 1, 0)][1]
            found.append((key, d, sec))
        return found

    def _labels(self, a: int, b: int) -> tuple[set[str], set[str]]:
        """The labels the chunk at ``a:b`` may use, and those it may define: every
        ``[label]`` but the label of a plain inline link (never a use), and those followed
        by ``:`` (keys as :func:`normalize_reference` makes them; supersets of what the
        parser finds)."""
        if not self.defined or (len(self.chunks) == 1 and not self.refdefs):
            return set(), set()  # (none in the file; or one chunk, none given from elsewhere)
        chunk = self.text[self.base + a : self.base + b]
        if "[" not in chunk:
            return set(), set()
        found = _LABEL_RE.findall(chunk)
        used = {label for _, label, _ in found if label}  # "" is no label (nor defined)
        defined = {label for _, label, colon in found if colon}
        return {normalize_reference(x) for x in used}, {normalize_reference(x) for x in defined}

    def _labels_for(self, used: set[str]) -> str:
        """Definitions (of other chunks) for the ``used`` labels known so far, so that the
        parser makes their reference links; their URLs come from :meth:`refdef`."""
        if not used or not (self.refdefs or self.later):
            return ""
        found = (self.refdef(key) for key in sorted(used))
        wanted = [d.label for d in found if d is not None]
        # a blank line before each: markdown-it-pyrs reads a definition from every line
        # of a run up to its end (n definitions in one run cost ~n**2)
        return "".join(f"\n\n[{label}]: x" for label in wanted)

    def refdef(self, key: str) -> RefDef | None:
        """The first definition of ``key`` in the file, as far as the walk needs it."""
        return self.refdefs.get(key) or self.later.get(key)

    def _definitions(self, nodes: Sequence[Node], into: dict[str, RefDef]) -> None:
        """Every reference definition in ``nodes`` (first one wins) into ``into``."""
        for child in nodes:
            name = child.name
            if name == "definition":
                a, b = self.span(child)
                found = definition(self.text, a, b)
                if found is not None and found[0] not in into:
                    into[found[0]] = found[1]
            elif name in ("blockquote", "list_item", *_LISTS):
                a, b = self.span(child) if child.srcmap else (0, len(self.text))
                if self.text.find("]:", a, b) != -1:  # a definition has "]:" in it
                    self._definitions(child.children, into)

    def blocks(
        self,
        nodes: Sequence[Node],
        depth: int,
        parent_end: int,
        quotes: int,
        names: list[str] | None = None,
    ) -> None:
        """The blocks ``nodes`` (``names``: their names, if read already)."""
        if names is None:
            names = [node.name for node in nodes]  # each read makes a new str: read once
        i, n = 0, len(nodes)
        while i < n:
            name = names[i]
            if name in INLINE_NODES:  # a tight list item's paragraph: its inline nodes
                j = i + 1
                while j < n and names[j] in INLINE_NODES:
                    j += 1
                after = nodes[j] if j < n else None
                end = (after.srcmap or (0, parent_end))[0] if after is not None else parent_end
                start = self.at((nodes[i].srcmap or (0, 0))[0])
                whole = i == 0 and j == n
                inline, inline_names = (nodes, names) if whole else (nodes[i:j], names[i:j])
                later = _next_block(names, j)
                self.paragraph(inline, start, self.at(end), depth, later, quotes, inline_names)
                i = j
                continue
            # (only a paragraph asks what follows: a run of definitions is skipped once)
            follows = _next_block(names, i + 1) if name == "paragraph" else ""
            self.block(nodes[i], name, depth, quotes, follows)
            i += 1

    def block(self, node: Node, name: str, depth: int, quotes: int, after: str) -> None:
        if name not in _LEAF_BLOCKS:  # a container: only where it starts
            srcmap = node.srcmap
            self.last_pos = self._start(srcmap)
            if name in _LISTS:
                self.items(node.children, depth + 1, quotes)
                return
            if name == "definition":  # (read by _definitions; it has no children)
                return
            inner = quotes + (name == "blockquote")
            self.blocks(node.children, depth + 1, (srcmap or (0, 0))[1], inner)
            if name in ("list_item", "blockquote"):
                self._leave(depth)
            return
        a, b = self.span(node)
        if name == "paragraph":
            self.paragraph(node.children, a, b, depth, after, quotes)
        elif name in ("heading", "lheading"):
            self.heading(node.children, name, a, b, depth, quotes)
        elif name == "html_block":
            self.last_pos = a
            first, last = self.line(a), self.line(max(b - 1, a))
            end = self.base + self.starts[last + 1] - 1 if last + 1 < len(self.starts) else self.end
            self.fp._html(self.base + self.starts[first], end, self.in_comment, self.current())
        else:  # a table
            self.last_pos = a
            self.table(node, quotes)

    def items(self, nodes: Sequence[Node], depth: int, quotes: int) -> None:
        """A list's items (every child of a list is a ``list_item``: no name read), each
        as :meth:`block` and :meth:`blocks` read a list item; a tight item whose content
        is one run of inline nodes goes to :meth:`paragraph` at once."""
        at, limit, text = self.at, self.limit, self.text
        for node in nodes:
            s, end = node.srcmap or (0, 0)
            if not 0 <= s <= end or s > limit:  # as _start checks
                raise RustParserUnsafe
            if end > limit:  # the last item of a chunk may run on (see span())
                end = limit
            children = node.children
            names = list(map(_NAME, children))
            if names and INLINE_NODES.issuperset(names):
                # as paragraph() reads it (no block after it: never a list's title)
                a, b = _strip(text, at((children[0].srcmap or (0, 0))[0]), at(end))
                self.last_pos = a
                self.inline(children, a, b, quotes, names)
            else:
                self.last_pos = at(s)
                self.blocks(children, depth + 1, end, quotes, names)
            stack = self.stack
            if stack and stack[-1][0] > depth:
                self._leave(depth)

    def _leave(self, depth: int) -> None:
        """Out of a list item or quote at ``depth``: the titles inside it end."""
        before = len(self.stack)
        while self.stack and self.stack[-1][0] > depth:
            self.stack.pop()
        if len(self.stack) != before:
            self.changes.append((self.line(self.last_pos), self.current()))

    def table(self, node: Node, quotes: int) -> None:
        for child in node.children:
            if child.name == "tcell":
                a, b = self.span(child)
                self.inline(child.children, a, b, quotes)
            else:
                self.table(child, quotes)

    def _title(self, depth: int, title: str) -> None:
        while self.stack and self.stack[-1][0] >= depth:
            self.stack.pop()
        if title:
            self.stack.append((depth, title))
        self.changes.append((self.line(self.last_pos), self.current()))

    def paragraph(
        self,
        children: Sequence[Node],
        a: int,
        b: int,
        depth: int,
        after: str,
        quotes: int,
        names: list[str] | None = None,
    ) -> None:
        """Inline content at ``a:b``; ``after``: the name of the next block ("" if none);
        ``names``: the children's names, if read already."""
        a, b = _strip(self.text, a, b)
        self.last_pos = a
        if after in _LISTS and _introduces_list(children, self.text[a:b]):
            self._title(depth, self.tree_text(_plain_title(children, self.text[a:b])) or "")
        self.inline(children, a, b, quotes, names)

    def heading(
        self, children: Sequence[Node], name: str, a: int, b: int, depth: int, quotes: int
    ) -> None:
        """The heading at ``a:b`` (``name``: ATX or setext) whose inline nodes are
        ``children`` (none: its text is plain, and the title is its text as written)."""
        self.last_pos = a
        text = self.text
        if name == "heading":  # ATX: after the opening #s, before a closing sequence
            pos = a
            while pos < b and text[pos] == "#":
                pos += 1
            end = b
            while end > pos and text[end - 1] in " \t\n":
                end -= 1
            tmp = end
            while tmp > pos and text[tmp - 1] == "#":
                tmp -= 1
            if tmp > pos and text[tmp - 1] in " \t":
                end = tmp
            a, b = _strip(text, pos, end)
        else:  # setext: the lines above the underline
            end = b
            while end > a and text[end - 1] == "\n":
                end -= 1
            a, b = _strip(text, a, max(text.rfind("\n", a, end), a))
        self._title(depth, self.tree_text(_plain_title(children, text[a:b])) or "")
        self.inline(children, a, b, quotes)

    # ---- inline content ---------------------------------------------------------

    def collect(self, nodes: Sequence[Node], out: list[Item], names: list[str] | None) -> None:
        """The consumed constructs under ``nodes`` (``names``: theirs, if read already), in
        source (pre-)order."""
        text, at, limit = self.text, self.at, self.limit
        if names is None:
            names = [node.name for node in nodes]
        for node, name in zip(nodes, names, strict=True):
            if name in _CONSUMED:
                srcmap = node.srcmap
                if srcmap is not None and 0 <= srcmap[0] <= srcmap[1] <= limit:
                    s, e = at(srcmap[0]), at(srcmap[1])
                else:  # (what span() says then, or the error it raises)
                    s, e = self.span(node)
                plain = plain_link(text, s, e) if name in _LINKS else None
                out.append((name, node, s, e, plain))
                if name in _LEAVES or plain is not None:
                    continue  # a plain label has no "[", "<" or "`": nothing consumed inside
            elif name in _TEXT_NODES:
                continue
            children = node.children
            if children:
                self.collect(children, out, None)

    def inline(
        self,
        children: Sequence[Node],
        a: int,
        b: int,
        quotes: int,
        names: list[str] | None = None,
        found: list[Item] | None = None,
    ) -> None:
        """The inline content at ``a:b`` (``children``: its nodes; or ``found``: what
        :meth:`collect` would find in them, known already)."""
        items: list[Item] = []
        if found is None:
            self.collect(children, items, names)
        else:
            items = found
        stack = self.stack
        section = stack[-1][1] if stack else None  # (self.current())
        fp = self.fp
        tags = False
        for k, (name, node, s, e, _) in enumerate(items):
            if name in _LINKS:
                self.link(items, k, section)
            elif name == "autolink":
                raw = self.text[s + 1 : e - 1]
                url = raw if ":" in raw else "mailto:" + raw
                if _AUTOLINK_TEXT_AS_WRITTEN:  # what its one text node says, unread
                    text = self.tree_text(raw.strip() or None)
                else:
                    text = self.tree_text(_link_text(self.text, node.children, items))
                fp._link(
                    LinkKind.AUTOLINK,
                    url,
                    s + 1,
                    e - 1,
                    text,
                    section,
                    self.in_comment,
                    destination=False,
                )
            elif name == "html_inline":
                tags = True
        for name, _node, s, e, _ in items if tags else ():
            if name != "html_inline":
                continue
            if not self.text.startswith("<!--", s):
                fp._html_tag(self.text, s, e, _same, section, self.in_comment)
            elif fp.comments is CommentMode.INCLUDE:
                fp._parse(s + 4, max(e - 3, s + 4), in_comment=True, section=section)
        content = self.text[a:b]
        if quotes and "\n" in content:
            content = _blank_quote_markers(content, quotes)
        if len(items) > 1:
            hard = union([(item[2] - a, item[3] - a) for item in items])
        elif items:  # (the union of one range)
            hard = [(items[0][2] - a, items[0][3] - a)]
        else:
            hard = []
        if "`" in content:
            hard = union(hard + loose_backticks(content, hard))
        fp._scan(content, lambda p: a + p, hard, section, self.in_comment)

    def link(self, items: list[Item], k: int, section: str | None) -> None:
        name, node, s, e, plain = items[k]
        text = self.text
        image = name == "image"
        first = s + 1 if image else s  # the "["
        dest: tuple[int, int, str] | None
        verbatim = False
        if plain is not None:  # the common [text](url) or [text][key]: no close reading
            end, dest, written, verbatim = plain
        else:
            end = label_end(text, first, e, _inner_ranges(items, k))
            if end < 0:
                return
            dest = inline_destination(text, end + 1, e)
        diag_span = None
        if dest is not None:
            kind = LinkKind.IMAGE if image else LinkKind.INLINE
            start, stop, url = dest
        else:
            if plain is not None:
                key = normalize_reference(written)
            else:
                key = reference_key(text, first + 1, end, e)
            ref = self.refdef(key)
            if ref is None:
                return
            self.used.add(key)
            kind, start, stop, url = LinkKind.REFERENCE, s, e, ref.url
            diag_span = (ref.start, ref.end)
        label: str | None
        if image:
            label = text[first + 1 : end]
        else:
            if not (verbatim and _VERBATIM_LABELS):
                label = self.tree_text(_link_text(text, node.children, items))
            else:  # what the tree's text nodes say, without reading them
                label = text[first + 1 : end].strip() or None
                if label is not None and self.neutralised:  # (self.tree_text(label))
                    label = restore(label)
        self.fp._link(
            kind,
            url,
            start,
            stop,
            label,
            section,
            self.in_comment,
            diag_span=diag_span,
        )


def refuse(src: str) -> None:
    """Raise :class:`RustParserUnsafe` if ``src`` has what markdown-it-pyrs panics on,
    misplaces, or nests deeper than its stack allows."""
    if (
        may_panic(src)
        or ("\t" in src and _TAB_PREFIX_RE.search(src))
        or _DEEP_PREFIX_RE.match(src)
        or _DEEP_LINE_RE.search(src)
        or not _encodable(src)
        or _deep_inline(src)
    ):
        raise RustParserUnsafe


def _next_block(names: list[str], i: int) -> str:
    """The name of the first block from ``names[i]`` on that is no reference definition
    ("" if none): a definition renders as nothing (markdown-it-py makes no token of it),
    so a paragraph right before definitions and a list is the list's title."""
    while i < len(names) and names[i] == "definition":
        i += 1
    return names[i] if i < len(names) else ""


def _defining_later(labels: list[tuple[set[str], set[str]]]) -> list[int]:
    """The chunks whose definitions are read before the walk (``labels``: the labels each
    chunk may use and define, in order): those that may define a label an earlier chunk
    uses. Every other chunk's own tree gives its definitions before its links are read."""
    needed: list[int] = []
    used_before: set[str] = set()
    for j, (used, defined) in enumerate(labels):
        if not defined.isdisjoint(used_before):
            needed.append(j)
        used_before |= used
    return needed


def _deep_inline(src: str) -> bool:
    """Whether one inline content (text between blank lines, list items or headings)
    may have so many emphasis and bracket characters that its nodes nest thousands deep."""
    if _nesting_chars(src) <= _NESTING_CHARS:
        return False
    # only a piece longer than the limit can hold more such characters than the limit
    start = 0
    for m in _INLINE_END_RE.finditer(src):
        if m.start() - start > _NESTING_CHARS and _nesting(src[start : m.start()]):
            return True
        start = m.end()
    return len(src) - start > _NESTING_CHARS and _nesting(src[start:])


def _nesting_chars(text: str) -> int:
    return sum(text.count(c) for c in "*_~[")


# A line "[label]: ..." with no other bracket and no emphasis character: its "[" closes on
# its own line and opens nothing else (a run of reference definitions is one such piece).
_CLOSED_LABEL_LINE_RE = lazy_compile(r"^\[[^\[\]*_~\n]*\]:[^\[\]*_~\n]*$", re.M)


def _nesting(piece: str) -> bool:
    """Whether one inline content has more than the limit of emphasis and bracket
    characters that may nest (not counting the "[" of closed label lines)."""
    n = _nesting_chars(piece)
    if n > _NESTING_CHARS and "]:" in piece:
        n -= len(_CLOSED_LABEL_LINE_RE.findall(piece))
    return n > _NESTING_CHARS


def _encodable(src: str) -> bool:
    """Whether ``src`` is valid UTF-8 text (the Rust parser takes nothing else; a lone
    surrogate can come from an API caller, never from a file read as UTF-8)."""
    if src.isascii():
        return True
    try:
        src.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _same(pos: int) -> int:
    return pos


def _strip(text: str, a: int, b: int) -> tuple[int, int]:
    """``text[a:b]`` without leading and trailing whitespace (as ``str.strip``)."""
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _inner_ranges(items: list[Item], k: int) -> list[tuple[int, int]]:
    """The constructs inside item ``k`` (they follow it in pre-order)."""
    e = items[k][3]
    out = []
    j = k + 1
    while j < len(items) and items[j][2] < e:
        out.append((items[j][2], items[j][3]))
        j += 1
    return out


def _blank_quote_markers(content: str, quotes: int) -> str:
    """Block-quote markers at the start of continuation lines, as spaces (the
    parser's content has the lines without them; positions must not move)."""
    lines = content.split("\n")
    for i in range(1, len(lines)):
        line = lines[i]
        for _ in range(quotes):
            m = _QUOTE_PREFIX.match(line)
            if m is None:
                break
            line = " " * m.end() + line[m.end() :]
        lines[i] = line
    return "\n".join(lines)


def _link_text(text: str, nodes: Sequence[Node], items: list[Item]) -> str | None:
    parts: list[str] = []
    _text_parts(text, nodes, items, parts)
    joined = "".join(parts).strip()
    return joined or None


def _text_parts(text: str, nodes: Sequence[Node], items: list[Item], parts: list[str]) -> None:
    for node in nodes:
        name = node.name
        leaf = leaf_text(node)
        if leaf is not None:
            parts.append(leaf)
        elif name == "image":  # its label as written (markdown-it's image ``content``)
            s, e = node.srcmap or (0, 0)
            k = next((i for i, it in enumerate(items) if it[1].srcmap == (s, e)), -1)
            if k >= 0:
                a, b = items[k][2], items[k][3]
                end = label_end(text, a + 1, b, _inner_ranges(items, k))
                parts.append(text[a + 2 : end] if end >= 0 else "")
        elif name in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif node.children:
            _text_parts(text, node.children, items, parts)


def _plain_title(children: Sequence[Node], content: str) -> str:
    parts = plain(children)
    text = "".join(parts) if parts else content
    return " ".join(text.split())


def _has_link(nodes: Sequence[Node]) -> bool:
    for node in nodes:
        if node.name in ("link", "image"):
            return True
        if node.name not in _LEAVES and _has_link(node.children):
            return True
    return False


def _introduces_list(children: Sequence[Node], content: str) -> bool:
    """A one-line plain paragraph right before a list: the list's title."""
    if (
        "\n" in content
        or len(content) > 200
        or (_BARE_HINT.search(content) and ("://" in content or "www." in content.lower()))
    ):
        return False
    return not _has_link(children)
