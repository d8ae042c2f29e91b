"""The Rust engine (markdown-it-pyrs) finds exactly what markdown-it-py finds.

markdown-it-py is kept as the fallback (for the inputs the Rust port panics on or
misplaces), so both engines stay comparable: every Markdown string written in the
test suites, the seed lists, generated lists and a seeded random mix of Markdown
pieces give the same occurrences and findings, spans included, from both — also
when the Rust engine cuts a document into small chunks. The known differences
(where markdown-it-py's old positions were wrong, and the CommonMark 0.30/0.31
corners the Rust port parses differently) are listed in bench/RESULTS.md (issue 15)
and pinned below.
"""

from __future__ import annotations

import ast
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bench.genlist import generate

from linkhealth.config import CommentMode
from linkhealth.parse import extract_text, markdown, walk
from linkhealth.parse.extract import ParseResult
from linkhealth.parse.fallback import FallbackWalk

ROOT = Path(__file__).resolve().parents[2]
SUITES = ["parse", "faults", "config", "annotate", "local", "report", "pipeline"]


def _strings(path: Path) -> Iterator[str]:
    """Every string constant in a test module that could hold a link."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        value = node.value if isinstance(node, ast.Constant) else None
        if isinstance(value, str) and any(c in value for c in "[<:@"):
            yield value


def _key(result: ParseResult) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    return (
        [o.as_json() for o in result.occurrences],
        [f.as_json() for f in result.findings],
    )


def _assert_same(text: str, where: str) -> None:
    for mode in CommentMode:
        rust = extract_text(text, "f.md", comments=mode)
        python = extract_text(text, "f.md", comments=mode, engine="python")
        assert _key(rust) == _key(python), f"{where} ({mode.value}): {text[:200]!r}"


def _modules() -> list[Path]:
    here = Path(__file__).resolve()  # its strings include the known differences
    return sorted(p for s in SUITES for p in (ROOT / "tests" / s).rglob("*.py") if p != here)


@pytest.mark.parametrize("module", _modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_markdown_string_of_the_suites(module: Path) -> None:
    for text in _strings(module):
        _assert_same(text, module.name)


def test_seed_lists_and_generated_lists() -> None:
    for path in sorted((ROOT / "lists").glob("*.md")):
        _assert_same(path.read_text(encoding="utf-8"), path.name)
    for seed in (1, 2, 3):
        _assert_same(generate(1500, 40, seed), f"genlist seed {seed}")


PIECES = [
    *"[]()<>!`*_\\:/.,?'\"",
    *("\n", "\n\n", " ", "  ", "\t", "    ", "> ", "- ", "1. ", "# ", "===", "---"),
    *("&amp;", "&#106;", "é", "日本", "~~", "[^1]", "```\n", "<div>\n"),
    *("http://a.org", "https://b.example/x_(y)", "www.c.org", "me@d.org", "htps://x.org"),
    *("javascript:alert(1)", "data:x", "file:///etc", "[t](u)", "[r]", "[r]: http://r.org"),
    *("[r]:\n  <http://q.org>", "<!--", "-->", '<a href="http://h.org">', "</a>"),
    *("<img src='i.png'>", '"t"', "#x", "linkhealth-ignore-start"),
    "<!-- linkhealth-ignore-line -->",
]


def test_a_seeded_mix_of_markdown_pieces() -> None:
    rng = random.Random(15)
    for _ in range(400):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 40)))
        _assert_same(text, "mix")


def _no_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if the markdown-it-py fallback parses anything (a chunk must not need it)."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the fallback engine was used")

    monkeypatch.setattr(FallbackWalk, "run", refuse)


def test_chunks_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    text = generate(3000, 60, 4) + (ROOT / "lists" / "reading-list.md").read_text("utf-8")
    whole = _key(extract_text(text, "f.md"))
    _no_fallback(monkeypatch)
    monkeypatch.setattr(markdown, "CHUNK_CHARS", 300)
    starts = [0, *(i + 1 for i, c in enumerate(text) if c == "\n")]
    assert len(markdown.chunks(text, starts)) > 10
    assert _key(extract_text(text, "f.md")) == whole


def test_a_long_list_without_headings_is_cut_between_items(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = "".join(f"- [l{i}](https://h{i % 7}.example/{i}) w\n" for i in range(400))
    text = f"Intro [x][r]\n\nTitle\n{items}\n[r]: https://r.example/\n"
    monkeypatch.setattr(markdown, "CHUNK_CHARS", 500)
    starts = [0, *(i + 1 for i, c in enumerate(text) if c == "\n")]
    pieces = markdown.chunks(text, starts)
    python = _key(extract_text(text, "f.md", engine="python"))
    _no_fallback(monkeypatch)
    assert len(pieces) > 20 and all(text[a:b].startswith(("- ", "Intro")) for a, b in pieces)
    result = extract_text(text, "f.md")
    assert {o.section for o in result.occurrences if o.url.startswith("https://h")} == {"Title"}
    assert result.occurrences[0].url == "https://r.example/"  # a definition of another chunk
    assert _key(result) == python


class _CountingBlocks:
    """walk._BLOCKS, counting the chunks parsed for their definitions alone."""

    def __init__(self, blocks: Any) -> None:
        self.blocks = blocks
        self.calls = 0

    def tree(self, text: str) -> Any:
        self.calls += 1
        return self.blocks.tree(text)


@pytest.mark.parametrize("at_end", [False, True])
def test_only_chunks_defining_a_label_used_before_are_parsed_twice(
    monkeypatch: pytest.MonkeyPatch, at_end: bool
) -> None:
    sections = []
    for n in range(60):
        links = "".join(
            f"- [l{n}.{i}][r{n}.{i}] and [x](https://h.example/{n}/{i})\n" for i in range(5)
        )
        defs = "".join(f"[r{n}.{i}]: https://r.example/{n}/{i}\n" for i in range(5))
        sections.append((f"## S{n}\n\n{links}\n", defs))
    if at_end:  # every definition after every link: the last chunk is read first
        text = "".join(a for a, _ in sections) + "\n" + "".join(d for _, d in sections)
    else:  # each section's definitions at its end
        text = "".join(a + "\n" + d + "\n" for a, d in sections)
    python = _key(extract_text(text, "f.md", engine="python"))
    _no_fallback(monkeypatch)
    # sections are ~430 characters: a heading comes before a cut between items could
    monkeypatch.setattr(markdown, "CHUNK_CHARS", 2000)
    counting = _CountingBlocks(walk._BLOCKS)
    monkeypatch.setattr(walk, "_BLOCKS", counting)
    starts = [0, *(i + 1 for i, c in enumerate(text) if c == "\n")]
    assert len(markdown.chunks(text, starts)) > 6
    result = extract_text(text, "f.md")
    assert _key(result) == python
    assert sum(o.url.startswith("https://r.example/") for o in result.occurrences) == 300
    assert counting.calls == (1 if at_end else 0)


def test_no_chunk_cut_inside_a_fence_or_comment() -> None:
    text = "# A\n\nx\n\n```\n\n# not a heading\n```\n\n<!--\n\n# hidden\n-->\n\n# B\n\ny\n"
    starts = [0, *(i + 1 for i, c in enumerate(text) if c == "\n")]
    cuts = [text[a:b].split("\n", 1)[0] for a, b in markdown.chunks(text, starts, size=1)]
    # (before a paragraph or HTML block after a blank line too: not inside either)
    assert cuts == ["# A", "x", "<!--", "# B", "y"]


@pytest.mark.parametrize(
    "text",
    [
        "[`x",
        "see [a `b](https://a.example/) and more",
        "x [` y https://a.example/",
        "`<a title='`'>[<a title='`'>a`> ](https://a.example/)",
    ],
)
def test_inputs_the_rust_port_panics_on(text: str, capfd: pytest.CaptureFixture[str]) -> None:
    """markdown-it-pyrs 0.4 panics on these; they are parsed by markdown-it-py instead,
    before the Rust parser is ever called (no panic message on stderr)."""
    _assert_same(text, "panic")
    assert capfd.readouterr().err == ""


def test_tab_in_indentation_keeps_exact_spans() -> None:
    text = "- a\n\t[b](https://b.example/)\n>\t<https://c.example/>\n"
    result = extract_text(text, "f.md")
    assert [(o.url, o.line, o.column, o.end_column) for o in result.occurrences] == [
        ("https://b.example/", 2, 6, 24),
        ("https://c.example/", 3, 4, 22),
    ]
    _assert_same(text, "tabs")


def test_refused_schemes_are_links_and_keep_their_text() -> None:
    """markdown-it refuses javascript:/data: links; linkhealth reports them."""
    text = "# About javascript: links\n\n[run &#106;s](&#106;avascript:alert(1)) <data:x,1>\n"
    result = extract_text(text, "f.md")
    assert [f.rule for f in result.findings] == ["unsafe-scheme", "unsafe-scheme"]
    _assert_same(text, "schemes")
    heading = extract_text("# javascript: x\n\n[a](https://a.example/)\n", "f.md")
    assert heading.occurrences[0].section == "javascript: x"


@pytest.mark.parametrize("blank", ["\u00a0", "\x0c", "\x0b", "\u3000", "\u00a0\n\x0c", "> \u00a0"])
def test_a_line_of_no_break_spaces_before_a_paragraph(blank: str) -> None:
    """markdown-it-py's content of a paragraph whose first lines are only whitespace that
    is no blank line for Markdown (U+00A0, a form feed …) starts on a later line: the
    fallback's position mapping put the links two columns (or a line) off (review7 F3;
    files reach the fallback when a chunk is too large or nested too deep). The
    expectation is the text as written, from both engines."""
    quote = "> " if blank.startswith(">") else ""
    text = f"intro\n\n{blank}\n{quote}[t](https://a.example/) https://b.example/\n"
    spans = [(o.url, o.line, o.column, o.end_column) for o in extract_text(text, "f").occurrences]
    row = text.count("\n")  # the last line
    col = len(quote)
    assert spans == [
        ("https://a.example/", row, col + 5, col + 23),
        ("https://b.example/", row, col + 25, col + 43),
    ]
    _assert_same(text, "whitespace lines")


@pytest.mark.parametrize(
    "text",
    [
        "- \u00a0\n  [x](https://x.example/)\n",
        "1. \x0c\n   text [y](https://y.example/)\n",
        "> - \u3000\n>   [z](https://z.example/)\n",
        "intro\n\n- \u00a0\n  \u00a0\n  [w](https://w.example/) https://v.example/\n",
    ],
)
def test_a_list_items_first_line_of_such_whitespace(text: str) -> None:
    """The same with the whitespace after a list item's marker (review7 F3's remainder):
    each URL where it is written, from both engines."""
    last = text.rstrip("\n").split("\n")[-1]
    for o in extract_text(text, "f").occurrences:
        assert o.line == text.count("\n")
        assert last[o.column - 1 : o.end_column - 1] == o.url
    _assert_same(text, "list item whitespace")


def test_a_lone_surrogate_is_parsed_by_the_fallback() -> None:
    """extract_text never raises: text that is not valid UTF-8 (a lone surrogate from
    an API caller) cannot go to the Rust parser and is parsed by markdown-it-py."""
    text = "[a](https://a.example/) \ud800 https://b.example/\n"
    result = extract_text(text, "f.md")
    assert [o.url for o in result.occurrences] == ["https://a.example/", "https://b.example/"]
    _assert_same(text, "surrogate")


@pytest.mark.parametrize(
    "text",
    [
        "> " * 30_000 + "[a](https://a.example/)",
        "# Deep\n\n" + "> " * 30_000 + "[a](https://a.example/)",
        "- " * 30_000 + "x",
        "*a " * 30_000 + "b" + " c*" * 30_000,
        "![" * 30_000 + "a" + "](u)" * 30_000,
    ],
    ids=["quotes", "quotes-after-a-line", "lists", "emphasis", "images"],
)
def test_deep_nesting_is_parsed_by_the_fallback(text: str) -> None:
    """markdown-it-pyrs has no nesting limit and overflows the native stack on such
    input (a crash, not an exception); it never sees it."""
    assert _key(extract_text(text, "f.md")) == _key(extract_text(text, "f.md", engine="python"))


def test_links_nested_deeper_than_markdown_it_py_allows_are_found() -> None:
    """markdown-it-py stops nesting at 20 levels and drops what is deeper: the Rust
    engine (no limit, guarded above 100) finds the link as written."""
    text = "> " * 25 + "[a](https://a.example/)\n"
    assert [(o.url, o.column) for o in extract_text(text, "f.md").occurrences] == [
        ("https://a.example/", 55)
    ]
    assert extract_text(text, "f.md", engine="python").occurrences == []


REFERENCE_PIECES = [
    "[t](https://i.example/t)", "[a][t](https://i.example/a)", "[t][]", "[t]", "[T]",
    "\\[t](https://e.example/)", "[t] (https://s.example/)", "[x](https://c.example/[t])",
    "![t](https://m.example/t.png)", "`[t](u)`", "[u](<https://a.example/>)", "[t](bad url)",
    "[t]: https://d.example/t\n", "[u]: https://d.example/u\n", "[ T ]: https://d.example/T\n",
    "- ", " ", "\n", "\n\n", "# H\n\n", "## S\n\n", "x",
]  # fmt: skip


def test_labels_of_plain_inline_links_are_no_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    """The chunk pre-pass leaves out "[t](u)" labels (never a reference); documents whose
    references and definitions sit in different small chunks give what one parse gives."""
    rng = random.Random(151)
    texts = [
        "".join(rng.choice(REFERENCE_PIECES) for _ in range(rng.randint(20, 120)))
        for _ in range(150)
    ]
    whole = [_key(extract_text(t, "f.md", engine="python")) for t in texts]
    monkeypatch.setattr(markdown, "CHUNK_CHARS", 60)
    for text, expected in zip(texts, whole, strict=True):
        assert _key(extract_text(text, "f.md")) == expected, text
    assert walk._LABEL_RE.findall("[t](u) [a][t](u) [t]") == [
        ("", "", ""),
        ("", "a", ""),
        ("", "t", ""),
        ("", "t", ""),
    ]


def test_a_paragraph_before_definitions_and_a_list_is_its_title() -> None:
    text = "## S\n\nReading\n\n[r]: https://d.example/r\n- [r] and [x](bad url)\n"
    assert [(o.url, o.section) for o in extract_text(text, "f.md").occurrences] == [
        ("https://d.example/r", "Reading")
    ]
    _assert_same(text, "definitions between a title and its list")


def test_a_deep_block_prefix_is_found_at_the_start_of_any_line() -> None:
    def deep(text: str) -> bool:
        return bool(walk._DEEP_PREFIX_RE.match(text) or walk._DEEP_LINE_RE.search(text))

    assert deep("> " * 60) and deep("x\n" + "> " * 60) and deep("x\n\n  " + "- " * 60)
    assert not deep("x " + "> " * 60) and not deep("x\n" + "> " * 49 + "y")
