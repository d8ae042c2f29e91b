"""The chunker's cuts between paragraphs and inside runs of reference definitions
(parse/markdown.py: chunks) change nothing: a document cut into small chunks gives
what it gives parsed whole, occurrence by occurrence, finding by finding, section by
section. These cuts exist because a long text without headings or list items was one
chunk (parsed by markdown-it-py, five times slower), and because markdown-it-pyrs reads
a definition from every line of a run up to its end (n definitions in a run: ~n**2).
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from linkhealth.config import CommentMode
from linkhealth.parse import extract_text, markdown, walk
from linkhealth.parse.extract import ParseResult
from linkhealth.parse.fallback import FallbackWalk

LINES = st.sampled_from(
    ["", "", "", " ", "\t", "\r", "Title", "Reading:", "text [t](https://p.org/1) more",
     "[u][r1] and [v][r2]", "[r1]", "[R2][]", "x *em* _u_ [z][r3]",
     "[r1]: https://r.org/1", "[r2]: https://r.org/2 \"T\"", "[R1]: https://dup.org/",
     "[r3]: /three 'q'", "[r4]: https://r.org/a*b", "[r5]:", "[r6]: <https://r.org/6>",
     "  <https://r.org/ind>", "'title'", "(title)", "[r7]:\thttps://r.org/7 (p)",
     "[bad: x", "[^1]: foot", "[é]: https://r.org/e", "[a\\]b]: https://r.org/esc",
     "- item [x](https://i.org/1)", "* star", "+ plus", "1. one", "2) two", "3. [t][r1]",
     "-", "1.", "  indented [y](https://y.org/)", "    code https://c.org/", "> quote [q][r2]",
     ">", "# H1", "## H2 [h](https://h.org/)", "```", "~~~", "<!--", "-->", "<div>",
     "<![CDATA[", "]]>", "</div>", "<pre>", "</pre>", "---", "===", "***", "| a | b |", "|---|---|",
     "![img](https://m.org/i.png)", "https://bare.org/x", "me@mail.org", "[t](javascript:x)"]
)  # fmt: skip


def _key(result: ParseResult) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    return (
        [o.as_json() for o in result.occurrences],
        [f.as_json() for f in result.findings],
    )


def _whole(text: str, mode: CommentMode) -> ParseResult:
    with pytest.MonkeyPatch.context() as m:
        m.setattr(markdown, "CHUNK_CHARS", 10**9)
        m.setattr(markdown, "DEF_RUN_LINES", 10**9)
        return extract_text(text, "f.md", comments=mode)


def _cut(text: str, mode: CommentMode, size: int, run: int) -> tuple[ParseResult, int]:
    with pytest.MonkeyPatch.context() as m:
        m.setattr(markdown, "CHUNK_CHARS", size)
        m.setattr(markdown, "DEF_RUN_LINES", run)
        starts = [0, *(i + 1 for i, c in enumerate(text) if c == "\n")]
        return extract_text(text, "f.md", comments=mode), len(markdown.chunks(text, starts))


@settings(max_examples=600, deadline=None)
@given(
    st.lists(LINES, max_size=45),
    st.sampled_from(["\n", "\r\n"]),
    st.integers(1, 40),
    st.integers(1, 3),
)
# a one-line paragraph, definitions, then a list: the paragraph is the list's title
@example(["Title", "", "[r1]: https://r.org/1", "[r2]: https://r.org/2", "- [r1] [r2]"], "\n", 1, 1)
# definitions right after a paragraph line are that paragraph's text
@example(["text", "[r1]: https://r.org/1", "[r2]: https://r.org/2", "", "[r1] [r2]"], "\n", 1, 1)
# an indented line after a blank one goes on with the item above (cut: indented code)
@example(["- item", "", "    [t](https://p.org/1)", "", "x"], "\n", 1, 1)
# a blank line for the chunker that is none for markdown-it: "===" underlines a heading
@example(["Title", "\x0c", "===", "", "[t](https://p.org/1)"], "\n", 1, 1)
# definitions right after a heading line in an HTML block are part of the block
@example(["<div>", "# x", "[r1]: https://r.org/1", "[r2]: https://r.org/2", "", "[r1]"], "\n", 1, 1)
# a title on the next line belongs to the definition above
@example(["", "[r1]: https://r.org/1", "[r2]: https://r.org/2", "'t'", "[r2]"], "\n", 1, 1)
# a fence left open at the end of the last chunk: no definition appended after it counts
@example(["[r1]: https://r.org/1", "", "# H", "", "[u][r1] and [v][r2]", "~~~"], "\n", 1, 1)
@example(["[r1]: https://r.org/1", "", "[u][r1]", "<!--"], "\n", 1, 1)
# a CDATA block runs past blank lines until "]]>": no cut inside it, its text no Markdown
@example(
    [
        "para [t](https://p.org/1)",
        "<![CDATA[",
        "x -> y",
        "",
        "after [b](https://b.org/)",
        "",
        "# H1",
        "",
        "[c](https://c.org/)",
        "]]>",
        "",
        "[r1]",
    ],
    "\n",
    1,
    1,
)
def test_cut_documents_give_what_whole_ones_give(
    lines: list[str], newline: str, size: int, run: int
) -> None:
    text = newline.join(lines)
    for mode in (CommentMode.AUTO, CommentMode.INCLUDE):
        cut, _ = _cut(text, mode, size, run)
        assert _key(cut) == _key(_whole(text, mode)), text


def _no_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the fallback engine was used")

    monkeypatch.setattr(FallbackWalk, "run", refuse)


def test_paragraphs_and_a_long_run_of_definitions_are_cut(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The slow case of round 6's review, small: reference links in paragraphs (no
    heading, no list), their definitions in one run at the end."""
    n = 600
    uses = "".join(f"[u{i}][l{i}] [v{i}][l{i}]\n\n" for i in range(n))
    defs = "".join(f"[l{i}]: https://d.example/{i}\n" for i in range(n))
    text = f"# A\n\n{uses}# B\n\n{defs}\n"
    python = _key(extract_text(text, "f.md", engine="python"))
    _no_fallback(monkeypatch)
    monkeypatch.setattr(markdown, "CHUNK_CHARS", 2000)
    starts = [0, *(i + 1 for i, c in enumerate(text) if c == "\n")]
    pieces = markdown.chunks(text, starts)
    firsts = {text[a:b].split("\n", 1)[0][:2] for a, b in pieces}
    assert firsts == {"# ", "[u", "[l"}  # cut between paragraphs and between definitions
    # links this dense: cut as late as between items, not at twice the size (memory)
    assert max(b - a for a, b in pieces) < 2 * markdown.CHUNK_CHARS
    runs = [text[a:b].split() for a, b in pieces if text.startswith("[l", a)]
    assert max(map(len, runs)) == 2 * markdown.DEF_RUN_LINES  # ("[label]:" and its URL)
    result = extract_text(text, "f.md")
    assert len(result.occurrences) == 2 * n
    assert _key(result) == python


def test_a_run_of_definitions_is_no_deep_nesting() -> None:
    """Each "[" of a run of definitions closes on its line: no reason to fall back. A run
    whose lines have emphasis characters may still nest: it still goes to the fallback."""
    plain = "# R\n\n" + "".join(f"[l{i}]: https://d.example/{i}\n" for i in range(5000))
    walk.refuse(plain)
    # 3,000 "[" and 3,000 more: over the limit (4,000) only if the "[" are counted too
    starred = "# R\n\n" + "".join(f"[l{i}]: https://d.example/*{i}\n" for i in range(3000))
    with pytest.raises(walk.RustParserUnsafe):
        walk.refuse(starred)
    bracketed = "# R\n\n" + "".join(f"[l{i}]: https://d.example/[{i}\n" for i in range(3000))
    with pytest.raises(walk.RustParserUnsafe):
        walk.refuse(bracketed)


def test_definition_lines_are_those_every_parser_reads_as_one() -> None:
    tree = walk._BLOCKS.tree
    for line in [
        "[a]: https://x.org/",
        "[a b]:https://x.org/?q=1&r=2",
        '[A]: /u "title"',
        "[a]: /u 'title'  ",
        "[a]: /u (title)\r",
        "[^1]: x",
    ]:
        assert markdown._is_def_line(line), line
        assert [c.name for c in tree("\n\n" + line + "\n[b]: /v\n").children] == [
            "definition",
            "definition",
        ], line
    for line in [
        "[a]: <https://x.org/>",  # (a definition, but not one of the plain form)
        "[ ]: /u",
        "[a]: /u x",
        "[a]: /u 't",
        "[a]:",
        " [a]: /u",
        "[a\\]: /u",
        "[<a>]: /u",
        "[a]: /u\r\rx",
    ]:
        assert not markdown._is_def_line(line), line


@settings(max_examples=400, deadline=None)
@given(st.lists(LINES, max_size=45), st.integers(1, 40), st.integers(1, 3))
@example(["[u][r1]", "", "# H", "", "[r1]: https://r.org/1", "[R1]: https://dup.org/"], 1, 1)
@example(["[u][r1] [v][r2]", "", "[r1]: https://r.org/1", "[r2]: https://r.org/2", "x"], 1, 1)
@example(["[r1]", "", "[r1]: https://r.org/1", "[r5]:", "[r1]: https://dup.org/", ""], 1, 1)
# a label defined again in a later run: the first definition still wins
@example(["[r1]: https://r.org/1", "", "# H", "", "[r2]: https://r.org/2", "[R1]: https://dup.org/",
          "[r3]: /three 'q'", "", "# H", "", "[u][r1]"], 1, 1)  # fmt: skip
def test_definitions_read_before_the_walk_are_kept(lines: list[str], size: int, run: int) -> None:
    """A chunk of reference definitions only, read by the block pass (an earlier chunk may
    use them), is not parsed again: its definitions and where the last one starts are
    kept. The same results as parsing it again."""
    text = "\n".join(lines)
    for mode in (CommentMode.AUTO, CommentMode.INCLUDE):
        kept, _ = _cut(text, mode, size, run)
        with pytest.MonkeyPatch.context() as m:
            m.setattr(walk, "_KEEP_DEFINITIONS", False)
            again, _ = _cut(text, mode, size, run)
        assert _key(kept) == _key(again) and kept.keys == again.keys, text


def test_the_slow_case_keeps_its_definitions(monkeypatch: pytest.MonkeyPatch) -> None:
    """The slow case's runs of definitions (after the paragraphs that use them) are parsed
    once, and the results are those of parsing them twice."""
    uses = "".join(f"[u{i}][l{i}] [v{i}][l{i}]\n\n" for i in range(300))
    defs = "".join(f"[l{i}]: https://d{i % 7}.example/{i}\n" for i in range(300))
    text = f"# A\n\n{uses}# B\n\n{defs}\n"
    monkeypatch.setattr(markdown, "CHUNK_CHARS", 500)
    monkeypatch.setattr(markdown, "DEF_RUN_LINES", 20)
    trees: list[str | None] = []
    tree = walk.Walk._tree

    def counted(self: walk.Walk, a: int, b: int, labels: str | None = None) -> object:
        trees.append(labels)
        return tree(self, a, b, labels)

    monkeypatch.setattr(walk.Walk, "_tree", counted)
    kept = extract_text(text, "f.md")
    block_pass = trees.count(None)
    # 15 runs of 20 definitions read once (parsed again, 27 trees with appended labels)
    assert block_pass == 15 and len(trees) - block_pass == 13
    monkeypatch.setattr(walk, "_KEEP_DEFINITIONS", False)
    again = extract_text(text, "f.md")
    assert _key(kept) == _key(again) and len(kept.occurrences) == 600
