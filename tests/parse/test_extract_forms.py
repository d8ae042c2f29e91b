"""Each link form: table of (markdown, expected (kind, url, text-as-written)) rows."""

from __future__ import annotations

import pytest

from linkhealth.config import CommentMode
from linkhealth.models import LinkKind
from linkhealth.parse import extract_text

K = LinkKind

# (markdown, [(kind, url, as_written)])
CASES: list[tuple[str, list[tuple[LinkKind, str, str]]]] = [
    ("[t](https://a.example/x)", [(K.INLINE, "https://a.example/x", "https://a.example/x")]),
    (
        '[t](https://a.example/x "Title")',
        [(K.INLINE, "https://a.example/x", "https://a.example/x")],
    ),
    ("[t](<https://a.example/x y>)", []),  # angle destination with a space: lint, not a link
    ("[t](<https://a.example/x>)", [(K.INLINE, "https://a.example/x", "https://a.example/x")]),
    (
        "[t](https://en.wikipedia.org/wiki/Foo_(bar))",
        [
            (
                K.INLINE,
                "https://en.wikipedia.org/wiki/Foo_(bar)",
                "https://en.wikipedia.org/wiki/Foo_(bar)",
            )
        ],
    ),
    (
        r"[t](https://a.example/a\)b)",
        [(K.INLINE, "https://a.example/a)b", r"https://a.example/a\)b")],
    ),
    (
        "[t](https://a.example/?a=1&amp;b=2)",
        [(K.INLINE, "https://a.example/?a=1&b=2", "https://a.example/?a=1&amp;b=2")],
    ),
    (
        "![alt](https://a.example/i.png)",
        [(K.IMAGE, "https://a.example/i.png", "https://a.example/i.png")],
    ),
    (
        "[![alt](https://a.example/i.png)](https://b.example/)",
        [
            (K.IMAGE, "https://a.example/i.png", "https://a.example/i.png"),
            (K.INLINE, "https://b.example/", "https://b.example/"),
        ],
    ),
    (
        "<https://a.example/auto>",
        [(K.AUTOLINK, "https://a.example/auto", "https://a.example/auto")],
    ),
    ("<me@a.example>", [(K.AUTOLINK, "mailto:me@a.example", "me@a.example")]),
    ("see https://a.example/x.", [(K.BARE, "https://a.example/x", "https://a.example/x")]),
    ("(https://a.example/x)", [(K.BARE, "https://a.example/x", "https://a.example/x")]),
    (
        "see https://a.example/w_(b), ok",
        [(K.BARE, "https://a.example/w_(b)", "https://a.example/w_(b)")],
    ),
    ("go to www.a.example/p now", [(K.BARE, "http://www.a.example/p", "www.a.example/p")]),
    ("[t](mailto:me@a.example)", [(K.INLINE, "mailto:me@a.example", "mailto:me@a.example")]),
    ("[t](docs/x.md)", [(K.INLINE, "docs/x.md", "docs/x.md")]),
    ("[t](#anchor)", [(K.INLINE, "#anchor", "#anchor")]),
    (
        '<a href="https://a.example/h">x</a>',
        [(K.HTML, "https://a.example/h", "https://a.example/h")],
    ),
    (
        "text <a href='https://a.example/h?a=1&amp;b'>x</a> more",
        [
            (K.HTML, "https://a.example/h?a=1&b", "https://a.example/h?a=1&amp;b"),
        ],
    ),
    (
        '<div>\n<img src="https://a.example/i.png">\n</div>',
        [
            (K.HTML, "https://a.example/i.png", "https://a.example/i.png"),
        ],
    ),
    (
        "| a | b |\n|---|---|\n| [x](https://a.example/1) | https://a.example/2 |",
        [
            (K.INLINE, "https://a.example/1", "https://a.example/1"),
            (K.BARE, "https://a.example/2", "https://a.example/2"),
        ],
    ),
    (
        "- a\n  - b\n    - [t](https://a.example/deep)",
        [(K.INLINE, "https://a.example/deep", "https://a.example/deep")],
    ),
    (
        "> quote\n> > [t](https://a.example/q)",
        [(K.INLINE, "https://a.example/q", "https://a.example/q")],
    ),
    (
        "para\n\tand [t](https://a.example/tab)",
        [(K.INLINE, "https://a.example/tab", "https://a.example/tab")],
    ),
    (
        "ünïcödé → [t](https://bücher.example/ü)",
        [(K.INLINE, "https://bücher.example/ü", "https://bücher.example/ü")],
    ),
    ("`https://a.example/code`", []),
    ("```\nhttps://a.example/fenced [t](https://a.example/f)\n```", []),
    ("    https://a.example/indented", []),
    ("[undefined label] and [also][nope]", []),
    (
        "[t](https://a.example/one) and https://a.example/two",
        [
            (K.INLINE, "https://a.example/one", "https://a.example/one"),
            (K.BARE, "https://a.example/two", "https://a.example/two"),
        ],
    ),
]


def _source_slice(text: str, line: int, col: int, end_line: int, end_col: int) -> str:
    lines = text.removeprefix("\ufeff").splitlines()
    assert line == end_line
    return lines[line - 1][col - 1 : end_col - 1]


@pytest.mark.parametrize(("markdown", "expected"), CASES)
def test_link_forms(markdown: str, expected: list[tuple[LinkKind, str, str]]) -> None:
    result = extract_text(markdown, "t.md")
    got = [
        (o.kind, o.url, _source_slice(markdown, o.line, o.column, o.end_line, o.end_column))
        for o in result.occurrences
    ]
    assert got == expected


def test_reference_link_reported_at_use_with_resolved_url() -> None:
    md = 'Intro [the doc][d] and [d] again.\n\n[d]: https://a.example/ref "T"\n'
    occ = extract_text(md, "t.md").occurrences
    assert [(o.kind, o.url, o.line) for o in occ] == [
        (LinkKind.REFERENCE, "https://a.example/ref", 1),
        (LinkKind.REFERENCE, "https://a.example/ref", 1),
    ]
    line = md.splitlines()[0]
    assert line[occ[0].column - 1 : occ[0].end_column - 1] == "[the doc][d]"
    assert line[occ[1].column - 1 : occ[1].end_column - 1] == "[d]"
    assert occ[0].text == "the doc"


def test_unused_definition_is_reported_at_its_destination() -> None:
    md = "text\n\n[unused]: <https://a.example/u>\n"
    (occ,) = extract_text(md, "t.md").occurrences
    assert (occ.kind, occ.url, occ.line) == (LinkKind.REFERENCE, "https://a.example/u", 3)
    assert md.splitlines()[2][occ.column - 1 : occ.end_column - 1] == "https://a.example/u"


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("bom", ["", "\ufeff"])
def test_crlf_and_bom_do_not_move_spans(newline: str, bom: str) -> None:
    md = bom + newline.join(["# Title", "", "- [a](https://a.example/1)", "- https://a.example/2"])
    occ = extract_text(md, "t.md").occurrences
    assert [(o.line, o.column, o.end_column, o.url) for o in occ] == [
        (3, 7, 26, "https://a.example/1"),
        (4, 3, 22, "https://a.example/2"),
    ]
    assert all(o.section == "Title" for o in occ)


def test_sections_are_headings_or_list_titles() -> None:
    md = (
        "# Heading\n\n[a](https://a.example/1)\n\nReading list\n\n- https://a.example/2\n"
        "- Nested title\n  - https://a.example/3\n- https://a.example/4\n\n## Next\n"
        "https://a.example/5\n"
    )
    occ = extract_text(md, "t.md").occurrences
    assert [(o.url[-1], o.section) for o in occ] == [
        ("1", "Heading"),
        ("2", "Reading list"),
        ("3", "Nested title"),
        ("4", "Reading list"),
        ("5", "Next"),
    ]


WHOLE = "<!--\n# Draft\n\n- [a](https://a.example/1)\n-->\n"
PARTIAL = (
    "# Live\n\n[b](https://a.example/2)\n\n<!-- [c](https://a.example/3) -->\n\n"
    "x <!-- https://a.example/4 --> y\n"
)


@pytest.mark.parametrize(
    ("text", "mode", "expected"),
    [
        (WHOLE, CommentMode.AUTO, [("https://a.example/1", True)]),
        (WHOLE, CommentMode.INCLUDE, [("https://a.example/1", True)]),
        (WHOLE, CommentMode.SKIP, []),
        (PARTIAL, CommentMode.AUTO, [("https://a.example/2", False)]),
        (PARTIAL, CommentMode.SKIP, [("https://a.example/2", False)]),
        (
            PARTIAL,
            CommentMode.INCLUDE,
            [
                ("https://a.example/2", False),
                ("https://a.example/3", True),
                ("https://a.example/4", True),
            ],
        ),
    ],
)
def test_comment_modes(text: str, mode: CommentMode, expected: list[tuple[str, bool]]) -> None:
    occ = extract_text(text, "t.md", comments=mode).occurrences
    assert [(o.url, o.in_comment) for o in occ] == expected
    lines = text.splitlines()
    for o in occ:
        assert lines[o.line - 1][o.column - 1 : o.end_column - 1] == o.url
