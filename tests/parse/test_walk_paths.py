"""The walk's own fast paths (parse/walk.py) find exactly what its full reading finds.

Each test walks generated documents twice: as the walk does, and with the fast path
replaced by the general rule it stands for (every node's name read from the tree, every
block through :meth:`~linkhealth.parse.walk.Walk.blocks`), and compares every
occurrence, finding and section.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it_pyrs import Node

from linkhealth.config import CommentMode
from linkhealth.parse import extract, extract_text, markdown, walk

PREFIXES = st.sampled_from(
    ["", "", "- ", "- ", "  - ", "    - ", "1. ", "2) ", "* ", "+ ", "> ", "> - ", ">   - ",
     "# ", "## ", "   ", "    ", "-", "- [ ] ", "| ", "---", "==="]
)  # fmt: skip
CONTENT = st.sampled_from(
    ["[t](https://a.org/x)", "[t][r]", "[r]", "![i](https://b.org/i.png)", "<https://c.org>",
     "<a href='https://d.org'>d</a>", "https://e.org/p", "www.f.org", "me@g.org", "Title",
     "Tools", "*em* [x](https://h.org)", "**b**", "`c`", "text — more", "é", "&amp;", "[x]",
     "htps://typo.org", "[t] (https://i.org)", "<!-- c -->", "| a | b |", "|---|---|", ":", "",
     "[r]: https://r.org/def", "<div>", "</div>", "```", "~~s~~", "\\[", "x\\", "  ",
     "[t][]", "[R][]", "[T][ r ]", "![i][r]", "[*e*][r]", "[t][r\\]]", "[a b]", "[a  B]: /ab",
     "[t][x]", "[x]: <https://x.org/>", "[é][r]", "[t](javascript:x)", "[t][r](/u)"]
)  # fmt: skip
LINE = st.builds(lambda p, c: p + "".join(c), PREFIXES, st.lists(CONTENT, max_size=3))
DOCUMENTS = st.lists(LINE, max_size=14).map("\n".join)


class _FullWalk(walk.Walk):
    """The walk without its fast paths."""

    def items(self, nodes: Sequence[Node], depth: int, quotes: int) -> None:
        for node in nodes:  # a list's children by name, as any other block
            self.block(node, node.name, depth, quotes, "")

    # the names these are given (their last argument) are read again from the tree
    def blocks(self, *args: Any) -> None:
        super().blocks(*args[:4], None)

    def paragraph(self, *args: Any) -> None:
        super().paragraph(*args[:6], None)


def _both(text: str, full_walk: type[walk.Walk] = _FullWalk, plain: bool = True) -> None:
    for mode in (CommentMode.AUTO, CommentMode.INCLUDE):
        fast = extract_text(text, "f.md", comments=mode)
        with pytest.MonkeyPatch.context() as m:
            m.setattr(extract, "Walk", full_walk)
            if not plain:
                m.setattr(walk, "plain_link", lambda s, start, end: None)
            full = extract_text(text, "f.md", comments=mode)
        assert fast.occurrences == full.occurrences, text
        assert fast.findings == full.findings, text


@settings(max_examples=600, deadline=None)
@given(DOCUMENTS)
def test_lists_and_names_read_once_as_the_full_walk(text: str) -> None:
    """A list's items walked without reading their names (every child of a list is a
    list item), a tight item's inline run given to the paragraph at once, and names read
    once and handed down: the same as reading each from the tree where it is used."""
    _both(text)


@settings(max_examples=600, deadline=None)
@given(DOCUMENTS)
def test_plain_links_and_references_as_the_close_reading(text: str) -> None:
    """A link or reference written plainly, read at once from the source: the same as
    its close reading (label end, destination, reference label; text from the tree)."""
    _both(text, walk.Walk, plain=False)


def test_examples() -> None:
    for text in [
        "Tools\n- [a](https://a.org)\n  - [b](https://b.org)\n\n  Inner\n  - [c](https://c.org)\n"
        "- [d](https://d.org)\n\nafter [e](https://e.org)",
        "> Quoted\n> - [a](https://a.org)\n>   - x\n\n- [b][r]\n\n[r]: https://r.org/",
        "1. [a](https://a.org)\n\n   para [b](https://b.org)\n2. <https://c.org> — d\n",
    ]:
        _both(text)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab \n—é日\U0001f600", max_size=40), st.integers(0, 10**6))
def test_byte_offsets_to_characters(text: str, base: int) -> None:
    at = markdown.ByteOffsets(text, None, base).at
    chars = list(range(len(text) + 1))
    for char in [*chars, *reversed(chars), *chars[::3], *chars[::-2]]:  # looked up in any order
        assert at(len(text[:char].encode("utf-8"))) == base + char, (text, char)
    size = len(text.encode("utf-8"))
    assert at(size + 5) == base + len(text)  # past the end: the end (a list over the labels)


DESTINATION_PIECES = st.sampled_from(
    ["https://x.org/p", "a", "(", ")", "<", ">", "\\", "\\(", "&amp;", "&", " ", "\t", "\n",
     "\x00", "\x7f", "\xa0", "\u2003", "é", '"t"', "#f", "?q=1", "%20"]
)  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(st.lists(DESTINATION_PIECES, max_size=6).map("".join), st.integers(0, 3))
def test_plain_destinations_as_the_loop_reads_them(text: str, cut: int) -> None:
    maximum = max(len(text) - cut, 0)
    fast = markdown.link_destination(text, 0, maximum)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(markdown, "_PLAIN_DESTINATION_RE", re.compile(r"(?!)"))
        assert markdown.link_destination(text, 0, maximum) == fast, text


SCHEME_PIECES = st.sampled_from(
    ["javascript", "JavaScript", "vbscript", "file", "FILE", "data", "script", "fil", "ata",
     ":", "\\:", "\\", "&#106;", "&#x6A;", "&colon;", "&#58;", "x", " ", "[t](", ")", "<", "é"]
)  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(st.lists(SCHEME_PIECES, max_size=8).map("".join))
def test_refused_schemes_found_where_the_hint_says(text: str) -> None:
    """The parser's input is what it is when the scheme regex runs on every text."""
    fast = markdown.parser_input(text)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(markdown, "_REFUSED_COLON", re.compile(b""))  # found everywhere
        assert markdown.parser_input(text) == fast, text


CHUNK_LINES = st.sampled_from(
    ["# H", "## H", "- [a](https://a.org)", "* b", "1. c", "2) d", "  - e", "\tf", "text", "",
     " ", "```", "``` x", "~~~", "   ```", "    ```", "<!--", "-->", "<div>", "</div>", "<pre>",
     "</pre>", "<?", "?>", "<!X", ">", "a <b> c", "<script>", "</script>", "***", "- - -", "é"]
)  # fmt: skip


@settings(max_examples=800, deadline=None)
@given(st.lists(CHUNK_LINES, max_size=40).map("\n".join), st.integers(1, 40))
@example("<!--\n-->\n\n# H\n\n# H", 1)  # a line with only ">" closes the comment
@example("~~~\n# H\n~~~\n\n# H", 1)
@example("<pre>\n\n# H\n</pre>\n\n- a\n- b", 1)
def test_chunk_cuts_as_when_every_line_is_read(text: str, size: int) -> None:
    """The chunker reads a line for a fence only if it starts with a space, ` or ~, and
    for HTML only if it has a < or >: the same cuts as reading every line."""
    starts = [0, *(i + 1 for i, c in enumerate(text) if c == "\n")]
    fast = markdown.chunks(text, starts, size)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(markdown, "_FENCE_FIRST", "".join(set(text)) + " `~")
        m.setattr(markdown, "_TAG_CHARS", ("", ""))  # in every line
        assert markdown.chunks(text, starts, size) == fast, text


@settings(max_examples=300, deadline=None)
@given(DOCUMENTS)
def test_what_the_walk_takes_for_granted_about_the_tree(text: str) -> None:
    """Every child of a list is a list item (the walk reads no name there), and a
    definition has no children (the walk does not look into one)."""
    stack = [walk._MD.tree(text)]
    while stack:
        node = stack.pop()
        children = list(node.children)
        if node.name in ("bullet_list", "ordered_list"):
            assert {c.name for c in children} <= {"list_item"}, text
        if node.name == "definition":
            assert not children, text
        stack.extend(children)


AUTOLINK_PIECES = st.sampled_from(
    ["https://x.org", "http://a.b/c", "javascript:x", "JavaScript:y", "qavascript:z", "data:t",
     "irc://h", "me@d.org", "a.b+c@e.org", "%20", "%E2%82%AC", "&amp;", "&#106;", "\\", "é",
     "xn--bcher-kva", "Ü", "/p?q=1#f", "~", "(", ")", " ", "<", "*"]
)  # fmt: skip


@settings(max_examples=800, deadline=None)
@given(st.lists(AUTOLINK_PIECES, min_size=1, max_size=4).map("".join), st.booleans())
def test_autolink_texts_as_the_tree_says_them(inside: str, refused: bool) -> None:
    """An autolink's text taken as written is its text node's (also where a refused
    scheme elsewhere in the document was neutralised for the parser)."""
    text = f"<{inside}> and - <{inside}>\n\n" + ("[x](javascript:void)\n" if refused else "")
    fast = extract_text(text, "f.md")
    with pytest.MonkeyPatch.context() as m:
        m.setattr(walk, "_AUTOLINK_TEXT_AS_WRITTEN", False)
        tree = extract_text(text, "f.md")
    assert fast.occurrences == tree.occurrences and fast.findings == tree.findings, text
