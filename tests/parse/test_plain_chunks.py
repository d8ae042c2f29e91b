"""A chunk of plain lines walked without its tree (parse/walk.py's ``_plain_chunk``) gives
exactly what walking its tree gives: every occurrence, finding, section and dedupe key.

Documents are made of lines at the pattern's edge (plain headings and list items next to
ones that are not: other markers, indentation, markup, other links, tabs, Unicode
spaces, refused schemes), cut into small chunks so that plain chunks and others meet
(reference definitions in one, their uses in another), and parsed twice: as the walk
does, and with every chunk parsed (``_PLAIN_CHUNKS = False``).
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from linkhealth.config import CommentMode
from linkhealth.parse import extract_text, markdown, walk

HEADINGS = st.sampled_from(
    ["# H", "## Section 1", "###### Six", "#", "##", "####### Seven", "#x", "# a #",
     "# a # b", "# *e*", "# é — ü", "# a\tb", "# a  b  ", "# \u00a0x", "# x\u3000", "#  x",
     "# [t](https://a.org/h)", "# https://b.org/h", "# a & b", "# &amp;", "# x_y_", "# ~~s~~",
     "# C#", "# qavascript:x", "# j", "# 1. x"]
)  # fmt: skip
DESTINATIONS = st.sampled_from(
    ["https://a.org/x", "http://h0x2.example.test/ok/1", "https://café.fr/é", "u", "/rel",
     "#frag", "javascript:x", "qavascript:x", "JAVASCRIPT:x", "data:x", "htps://typo.org",
     "github.com/x", "https://a.org/x?q=1#f", "http://a.org:99999/", "http://xn--a.org/",
     "mailto:me@g.org", "https://a.org/*x*", "https://a.org/_x_", "https://a.org/a]b",
     "https://a.org/x%20y", "https://a.org/x;y", "ftp://f.org/"]
)  # fmt: skip
LABELS = st.sampled_from(
    ["t", "", " t ", "Link 1", "é", "a!b", "a#b", "a|b", "a:b", "1.", "x\u00a0", "a&b",
     "a*b", "a_b", "~", "a\tb", "`c`", "a\\b", "<b>", "[x]", "https://l.org/"]
)  # fmt: skip
TAILS = st.sampled_from(
    ["", "", " - a tool.", " - see https://e.org/p", " me@g.org", " www.f.org", " *em*",
     " _x_ ~~s~~ &amp; 100%", " htps://typo.org", " (https://i.org", ", x", ".", "  ",
     " `c`", " <b>x</b>", " [x]", " [t](https://j.org/)", " <https://k.org>", "\\",
     " | a |", " #", " !", " (x)", " \u00a0", "\t", " — naïve 日本", " qavascript:x",
     " javascript:x", " [r]", "  \\"]
)  # fmt: skip
MARKERS = st.sampled_from(["- ", "- ", "* ", "+ ", "-  ", "1. ", "  - ", "    - ", "-\t", "> - "])
ITEMS = st.builds(
    lambda m, label, dest, tail: f"{m}[{label}]({dest}){tail}", MARKERS, LABELS, DESTINATIONS, TAILS
)
OTHERS = st.sampled_from(
    ["", "", "", "   ", "Title", "text [r] here", "[r]: https://r.org/def", "[R]: /other",
     "---", "***", "===", "```", "~~~", "<!-- c -->", "<div>", "> quote", "| a | b |",
     "|---|---|", "  continued", "<!-- linkhealth-ignore-line -->", "\x0c", "- ", "-"]
)  # fmt: skip
# lines the pattern takes (most of a link list), then the near misses above
PLAIN_TEXT = st.sampled_from(["x", "Section 1", "é — ü", "a: b", "1. x", "a!", "(x)", "a # b"])
PLAIN_HEADINGS = st.builds(lambda n, x: "#" * n + " " + x, st.integers(1, 6), PLAIN_TEXT)
PLAIN_ITEMS = st.builds(
    lambda m, label, dest, tail: f"{m} [{label}]({dest}){tail}",
    st.sampled_from("-*+"),
    st.sampled_from(["t", "", "Link 1", "é", "a!b", "a#b", "a:b", "qavascript:x"]),
    DESTINATIONS,
    st.sampled_from(["", " - a tool.", " - see https://e.org/p", " *em*", " &amp;", " #"]),
)
PLAIN_LINES = st.one_of(PLAIN_HEADINGS, PLAIN_ITEMS, PLAIN_ITEMS, st.just(""))
LINES = st.one_of(PLAIN_LINES, PLAIN_LINES, PLAIN_LINES, HEADINGS, ITEMS, OTHERS)


def _parse(text: str, mode: CommentMode, *, plain: bool, size: int) -> object:
    with pytest.MonkeyPatch.context() as m:
        m.setattr(walk, "_PLAIN_CHUNKS", plain)
        m.setattr(markdown, "CHUNK_CHARS", size)
        m.setattr(markdown, "DEF_RUN_LINES", 2)
        parsed = extract_text(text, "f.md", comments=mode)
    return parsed.occurrences, parsed.findings, parsed.keys


def _same(text: str, size: int) -> None:
    for mode in (CommentMode.AUTO, CommentMode.INCLUDE):
        fast = _parse(text, mode, plain=True, size=size)
        assert fast == _parse(text, mode, plain=False, size=size), text


def _same_plain_calls(text: str) -> list[bool]:
    """:func:`_same` in one chunk, and what each call of ``_plain_chunk`` said."""
    calls: list[bool] = []
    taken = walk.Walk._plain_chunk

    def spy(self: walk.Walk, a: int, b: int) -> bool:
        calls.append(taken(self, a, b))
        return calls[-1]

    with pytest.MonkeyPatch.context() as m:
        m.setattr(walk.Walk, "_plain_chunk", spy)
        _same(text, 10**6)
    return calls


@settings(max_examples=700, deadline=None)
@given(st.lists(LINES, max_size=24).map("\n".join), st.integers(1, 60), st.booleans())
@example("# *e*\n- [t](u)\n# ~~s~~\n- [t](u)\n# &amp;\n- [t](u)", 1, False)
@example("#x\n- [t](u)\n\n#x\n\n- [t](u)", 1000, True)
@example("- [a&amp;b](u)\n- [a*b*](u)\n- [~~a~~](u)", 1000, True)
@example("[r]: https://r.org/def\n\n# H\n\n- [t](https://a.org/x) [r]", 1, False)
@example("- [t](https://a.org/x)\n\n- [u](https://b.org/y) - b\n# H\n* [v](u)", 1, True)
def test_plain_chunks_as_their_tree_says(text: str, size: int, newline: bool) -> None:
    """Mixed documents in chunks of about ``size`` characters: plain chunks walked without
    their tree, the others parsed, the same results as every chunk parsed."""
    _same(text + "\n" if newline else text, size)


def test_a_neutralised_file_restores_text_as_its_tree_does() -> None:
    """A refused scheme in a plain chunk marks the file's tree text for restoring (titles
    and labels read "qavascript" back as "javascript", as the tree walk does; markdown-it-py
    keeps what is written: a known difference of the two engines, so the document is
    built here, not written as one string)."""
    for refused in ("javascript", "JavaScript", "vbscript", "data", "file"):
        text = "\n".join(["# H", f"- [t]({refused}:x)", "", "## qava" + "script:x", "- [a](u)"])
        _same(text, 1000)
        _same(text, 1)


@settings(max_examples=300, deadline=None)
@given(st.lists(PLAIN_LINES, min_size=1, max_size=30).map("\n".join))
def test_plain_documents_take_the_plain_path(text: str) -> None:
    """Documents of plain lines only (the common link list): read without a tree when
    the pattern takes them, with the same results."""
    calls = _same_plain_calls(text)
    lines = text.split("\n")
    if all(walk._PLAIN_LINE_RE.fullmatch(line) for line in lines):
        assert calls and all(calls), text


def test_the_benchmark_list_is_plain() -> None:
    """The check benchmark's list shape (headings and "- [Link n](url)" items) is read
    without a tree, and its links are where they are written."""
    lines = ["# Benchmark links", ""]
    for i in range(120):
        if i % 50 == 0:
            lines += ["", f"## Section {i // 50}", ""]
        lines.append(f"- [Link {i}](http://h{i % 7}.example.test/ok/{i}) - é {i}")
    text = "\n".join(lines) + "\n"
    with pytest.MonkeyPatch.context() as m:
        m.setattr(walk.Walk, "_tree", None)  # never asked for
        found = extract_text(text, "f.md")
    assert len(found.occurrences) == 120
    o = found.occurrences[119]
    assert (o.line, o.column, o.end_column) == (len(lines), 14, 43)  # the URL as written
    assert (o.text, o.section, o.url) == ("Link 119", "Section 2", "http://h0.example.test/ok/119")
    _same(text, 1000)


def test_whitespace_other_than_space_is_never_plain() -> None:
    """Tabs, line ends and Unicode spaces change how the parser reads a line: the pattern
    takes none of them (each would need the tree)."""
    for code in range(0x110000):
        c = chr(code)
        if c.isspace() and c != " ":
            for line in (f"# a{c}b", f"- [a{c}b](u)", f"- [a](u) x{c}y"):
                assert walk._PLAIN_LINE_RE.fullmatch(line) is None, hex(code)


def _plain_list(n: int) -> str:
    """A list of plain lines (parse/walk.py's _plain_lines): URLs of every length, labels
    with non-ASCII characters, refused schemes and bad URLs among them, and texts after
    the link that start at once with what a lint hit or a bare URL starts with."""
    tails = ["", " ", "  ", ":x", ". x", "/p", "@g.org", " me@g.org", ";", " https://t.org/x",
             " htps://t.org", " www.f.org", " — é", ". https://u.org/", "x.y"]  # fmt: skip
    lines = ["# Links", ""]
    for i in range(n):
        if i % 70 == 0:
            lines += ["", f"## Part {i} é", ""]
        url = f"https://h{i % 5}.example.org/{'p' * (i * 7 % 90)}?q={i}"
        if i % 13 == 0:
            url = (
                "javascript:x",
                "htps://typo.org",
                "http://a.org:99999/",
                "/rel",
                "HTTP://A.org",
            )[i // 13 % 5]
        elif i % 11 == 0:  # plain URLs whose dedupe key is not their text
            url = ("https://k.example.org", "https://k.example.org:443/x", "http://k.org:80/?a#")[
                i // 11 % 3
            ]
        lines.append(f"{'-*+'[i % 3]} [L {i} {'é' * (i % 3)}]({url}){tails[i % len(tails)]}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("size", [300, 5000, 10**6])
def test_plain_lines_as_their_tree_says_them(size: int) -> None:
    """Every plain line read by _plain_lines (none parsed) gives what its tree gives:
    positions, texts, sections, findings and keys."""
    text = _plain_list(400)
    read: list[int] = []
    lines = walk.Walk._plain_lines

    def spy(self: walk.Walk, base: int, found: list[tuple[str, str, str, str]]) -> None:
        read.append(len(found))
        lines(self, base, found)

    with pytest.MonkeyPatch.context() as m:
        m.setattr(walk.Walk, "_plain_lines", spy)
        _same(text, size)
    assert sum(read) == 2 * text.count("\n")  # every line, in both comment modes


@pytest.mark.parametrize("newline", ["", "\n"])
@pytest.mark.parametrize(
    "other",
    ["see - [t](https://b.org/x)", "x# H", "  - [t](https://b.org/x)", "- [t](u) [x]", "\x0c"],
)
def test_a_line_the_pattern_finds_only_inside_is_no_plain_line(other: str, newline: str) -> None:
    """The pattern finds a plain line inside ``other`` (after its first characters): the
    chunk's matches then do not add up to its lines, and the chunk is parsed (every
    line plain but that one, before and after it)."""
    # (after more lines than _plain_chunk matches one at a time: all are read at once)
    items = [f"- [a](https://a.org/{i})" for i in range(1, walk._PROBE_LINES + 2)]
    lines = ["# A", *items, other, "- [c](https://c.org/3)", "## B"]
    text = "\n".join(lines) + newline
    assert _same_plain_calls(text) == [False, False]  # (both comment modes)
    found = extract_text(text, "f.md")
    places = [(o.url, o.line, o.column) for o in found.occurrences]
    at = len(items) + 2  # other's line
    assert places[0] == ("https://a.org/1", 2, 7) and places[-1] == ("https://c.org/3", at + 1, 7)
    if "b.org" in other:
        assert ("https://b.org/x", at, other.index("https") + 1) in places


def test_a_region_without_definitions_reads_no_labels() -> None:
    """A region with no "]:" (no reference definition) reads no chunk's labels, and its
    "[label]" texts stay text; one "]:" anywhere makes every chunk's labels read, so
    that a use in one chunk finds its definition in another."""
    uses = "".join(f"- [t{i}](https://a.org/{i}) [r]\n" for i in range(40))
    read: list[int] = []
    labels = walk.Walk._labels

    def spy(self: walk.Walk, a: int, b: int) -> tuple[set[str], set[str]]:
        read.append(a)
        return labels(self, a, b)

    with pytest.MonkeyPatch.context() as m:
        m.setattr(walk.Walk, "_labels", spy)
        m.setattr(markdown, "CHUNK_CHARS", 300)
        alone = extract_text("# A\n\n" + uses, "f.md")
        assert not read
        assert {o.url for o in alone.occurrences} == {f"https://a.org/{i}" for i in range(40)}
        defined = extract_text("# A\n\n" + uses + "\n# B\n\n[r]: https://r.org/\n", "f.md")
    assert len(read) > 2
    refs = [o for o in defined.occurrences if o.kind == "reference"]
    assert len(refs) == 40 and {o.url for o in refs} == {"https://r.org/"}
