"""Hostile titles and descriptions cannot change the structure of an annotated list.

Each output is parsed with markdown-it (CommonMark + GFM tables, strikethrough and
autolinks, as GitHub renders) and its token structure compared with the same item
annotated with a benign title.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from linkhealth.annotate import AnnotateOptions, md_inline, rewrite
from linkhealth.models import CheckResult, LinkKind, Occurrence, Verdict

URL = "https://a.example/page"
ITEM = f"- {URL}\n"

HOSTILE = [
    "](javascript:alert(1))",
    "x](javascript:alert(1)) [y",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "\x1b[2J cleared \x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\",
    "\x1b]52;c;Y2xpcA==\x07clipboard",
    "carriage\rreturn",
    "bidi \u202eevil\u202c text",
    "line\n```\ncode fence",
    "line\n# heading\n- item\n1. item",
    "| a | b |\n|---|---|",
    "{{ site.secret }} {% include x %}",
    "[link=https://evil.example]rich[/]",
    "`code` **bold** _em_ ~~strike~~ *em*",
    "![img](https://evil.example/x.png)",
    "https://evil.example www.evil.example mail@evil.example",
    "&lt;b&gt; &amp; &#60;",
    "-->",
    "--!> <!-- x",
    "trailing backslash \\",
    "$x^2$ math",
    "[ref]: https://evil.example",
    # Issue 17: "_", "(", "&" and "!" are escaped only where they can mean something.
    "(https://evil.example) _a_b_ a_*b*_c __init__ a_ _b",
    "1) item",
    "Yahoo!",
    "&amp &amp; &#x3C; AT&T",
    "x" * 1_000_000,
]


def parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"linkify": True}).enable(["table", "strikethrough", "linkify"])
    md.linkify.set({"fuzzy_link": False, "fuzzy_email": True})
    return md


MD = parser()


def shape(tokens: list[Token]) -> list[object]:
    """Token types and tags, text runs merged, contents dropped."""
    out: list[object] = []
    for tok in tokens:
        if tok.type == "text" and out and out[-1] == "text":
            continue
        if tok.type == "text":
            out.append("text")
            continue
        attrs = {k: v for k, v in tok.attrs.items() if k == "href"}
        out.append((tok.type, tok.tag, tok.nesting, attrs))
        if tok.children:
            out.append(shape(tok.children))
    return out


def annotate(title: str, description: str, item: str = ITEM) -> str:
    start = item.index(URL)
    occ = Occurrence(
        url=URL,
        file="x.md",
        line=1,
        column=start + 1,
        end_line=1,
        end_column=start + len(URL) + 1,
        kind=LinkKind.BARE,
    )
    result = CheckResult(url=URL, verdict=Verdict.OK, title=title, description=description)
    return rewrite(item, [occ], [], {URL: result}, options=AnnotateOptions())


BENIGN = annotate("Benign title", "A plain description.")


def test_benign_shape_is_one_link_in_one_item() -> None:
    tokens = MD.parse(BENIGN)
    types = [t.type for t in tokens]
    assert types == [
        "bullet_list_open",
        "list_item_open",
        "paragraph_open",
        "inline",
        "paragraph_close",
        "list_item_close",
        "bullet_list_close",
    ]
    inline = tokens[3].children or []
    assert [t.type for t in inline if t.type != "text"] == ["link_open", "link_close"]


def test_hostile_titles_keep_the_structure() -> None:
    expected = shape(MD.parse(BENIGN))
    for hostile in HOSTILE:
        out = annotate(hostile, "d " + hostile)
        assert shape(MD.parse(out)) == expected, (hostile[:60], out[:300])
        line = out.rstrip("\n")
        assert "\n" not in line and "\r" not in line
        assert "-->" not in out and "\x1b" not in out and "\u202e" not in out
        assert "{{" not in out and "{%" not in out
        assert len(out) < 1000  # long titles are cut


def test_inside_an_html_comment_nothing_escapes() -> None:
    for hostile in HOSTILE:
        out = annotate(hostile, "d " + hostile, item=f"<!--\n- {URL}\n-->\n")
        tokens = MD.parse(out)
        assert [t.type for t in tokens] == ["html_block"], hostile[:60]
        assert out.count("-->") == 1


TEXT = st.text(
    alphabet=st.characters(max_codepoint=0x2FFF) | st.sampled_from(list("[]()<>`*_!#|\\")),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(title=TEXT, description=TEXT)
def test_any_title_keeps_the_structure(title: str, description: str) -> None:
    description = "d " + description
    out = annotate(title, description)
    # Empty-after-sanitising text drops the title or description: compare like with like.
    has_title = md_inline(title) != ""
    # A description equal to the title is not repeated.
    has_description = md_inline(description) not in ("", md_inline(title))
    base = annotate("t" if has_title else "", "d" if has_description else "")
    assert shape(MD.parse(out)) == shape(MD.parse(base))


@settings(max_examples=300, deadline=None)
@given(text=TEXT)
def test_md_inline_renders_as_the_sanitised_text(text: str) -> None:
    escaped = md_inline(text)
    assert "\n" not in escaped and "-->" not in escaped
    tokens = MD.parseInline(escaped)
    children = tokens[0].children or [] if tokens else []
    assert all(t.type in ("text", "text_special") for t in children)
    rendered = "".join(t.content for t in children)
    # What shows is the sanitised text (whitespace collapsed) without the escapes.
    assert re.sub(r"\\(.)", r"\1", escaped) == rendered


READABLE = [
    ("Deepseek_Ai (@deepseek_ai)", "Deepseek_Ai (\\@deepseek_ai)"),
    ("snake_case_name", "snake_case_name"),
    ("Title (2024)", "Title (2024)"),
]


def test_annotated_titles_read_as_written() -> None:
    """Issue 17: no backslash where CommonMark cannot misread the character."""
    for title, label in READABLE:
        assert annotate(title, "d") == f"- [{label}]({URL}) — d\n"
