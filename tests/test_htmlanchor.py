"""One rule for the fragment targets an HTML element defines (:mod:`linkhealth.htmlanchor`):
fetched pages (lexbor, or the tokenizer on hostile pages) and raw HTML in Markdown files
call it, so they agree on every page, an empty ``id`` and a repeated attribute included."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from linkhealth.htmlanchor import element_anchors
from linkhealth.local.anchors import heading_anchors
from linkhealth.local.htmlanchors import html_events
from linkhealth.meta import page_anchors
from linkhealth.meta.extract import _anchors_by_tokenizer


def test_id_on_any_element_name_only_on_a() -> None:
    assert element_anchors("div", [("id", "x"), ("name", "n")]) == ["x"]
    assert element_anchors("a", [("name", "n"), ("id", "x")]) == ["n", "x"]
    assert element_anchors("input", [("name", "q")]) == []
    assert element_anchors("a", [("href", "#x"), ("class", "id")]) == []


def test_an_empty_id_or_name_is_no_target() -> None:
    # DOM: an empty id gives the element no ID; an empty fragment means the top of the page.
    assert element_anchors("div", [("id", "")]) == []
    assert element_anchors("div", [("id", None)]) == []
    assert element_anchors("a", [("name", ""), ("id", " ")]) == [" "]


def test_a_repeated_attribute_counts_once_the_first() -> None:
    assert element_anchors("div", [("id", "a"), ("id", "b")]) == ["a"]
    assert element_anchors("div", [("id", ""), ("id", "b")]) == []


def test_every_caller_follows_the_rule() -> None:
    html = '<div id=""></div><a name="" id="k"></a><p id=a id=b></p><input name=q><div id></div>'
    assert page_anchors(html.encode(), "text/html") == {"k", "a"}
    assert _anchors_by_tokenizer(html) == {"k", "a"}
    assert [v for kind, v in html_events(html) if kind == "id"] == ["k", "a"]
    assert heading_anchors(html + "\n") == ["k", "a"]


_VALUES = st.sampled_from(["", " ", "x", "X", "a b", "é", "top", "&amp;", "1"])
_KEYS = st.sampled_from(["id", "name", "ID", "Name", "href", "class"])
_TAGS = st.sampled_from(["a", "A", "div", "span", "h2", "input", "img", "section"])


@st.composite
def _element(draw: st.DrawFn) -> str:
    tag = draw(_TAGS)
    attrs = draw(st.lists(st.tuples(_KEYS, st.one_of(st.none(), _VALUES)), max_size=4))
    parts = [k if v is None else f'{k}="{v}"' for k, v in attrs]
    return f"<{' '.join([tag, *parts])}>t</{tag}>"


@settings(max_examples=400, deadline=None)
@given(st.lists(_element(), max_size=8))
def test_pages_and_markdown_html_agree(elements: list[str]) -> None:
    html = "".join(elements)
    from_markdown = {v for kind, v in html_events(html) if kind == "id"}
    assert page_anchors(html.encode(), "text/html; charset=utf-8") == from_markdown
    assert _anchors_by_tokenizer(html) == from_markdown
    assert "" not in from_markdown
