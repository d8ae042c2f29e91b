"""parse_page reads each element kind from lexbor's list for its tag name: it must read what
one CSS query per element kind reads (the head's title first, titles and headings in SVG or
MathML skipped, paragraphs of the body only — also of a body a <frameset> cut off)."""

from __future__ import annotations

import codecs
import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from linkhealth.htmlanchor import element_anchors
from linkhealth.meta import page_anchors
from linkhealth.meta import selectors as sel
from linkhealth.meta.charset import decode_body
from linkhealth.meta.document import (
    MAX_ELEMENTS,
    MAX_REGION_CHARS,
    Page,
    _add_meta,
    _in_foreign_content,
    _join_base,
    _jsonld_objects,
    head_region,
    hostile_offset,
    metadata_source,
    metadata_text,
    node_text,
    parse_page,
    read_page,
)
from linkhealth.meta.extract import _anchors_by_tokenizer
from linkhealth.meta.fields import description_candidates, first_paragraph
from linkhealth.meta.kinds import page_kind
from linkhealth.pageregion import metadata_bytes

PIECES = [
    "<title>T{n}</title>",
    "<TITLE>Up{n}</TITLE>",
    "<svg><title>S{n}</title></svg>",
    "<math><title>M{n}</title></math>",
    "<template><title>TT{n}</title><p>tp</p><meta name=description content=tm></template>",
    "<noscript><title>N{n}</title><p>np</p></noscript>",
    "<meta name=description content='d{n}'>",
    "<meta property='og:title' content='o{n}'>",
    "<link rel=canonical href='/c{n}'>",
    "<link REL=Icon href=x type=image/png>",
    "<link rel='Canonical alternate' href='/ca{n}'>",
    "<link rel=stylesheet href=/s{n}.css>",
    "<link rel=CANONICAL href='/cu{n}'>",
    "<link rel=alternate type='application/json+oembed' href='/o{n}'>",
    "<link rel=' image_src ' href='/i{n}'>",
    "<link rel href=/empty-rel>",
    "<link href=/no-rel>",
    "<base href='http://b{n}.example/'>",
    "<base target=_blank>",
    "<base href>",
    "<h1>H{n}</h1>",
    "<svg><h1>SH</h1></svg>",
    "<p>para {n} words and words</p>",
    "<p>A paragraph long enough to be a page's description, {n}: it has eighty characters.</p>",
    "<p>Seventy-nine characters, one short of a description, from page {n}............ ok</p>",
    "<p>Over eighty characters here, but not after decoding &amp;amp; twice,"
    " on page {n} ......</p>",
    "<p>Nested <b>bold text</b> and <a href=/x>a link</a> in one paragraph"
    " that is long enough, {n}, to count.</p>",
    "<p>Cookie consent: we use cookies to make this site work and to measure its use {n}.</p>",
    "<p>Short, <b>then a long stretch of bold text</b> <svg><![CDATA[with a CDATA section]]></svg>"
    "<!-- a comment --><template>a template</template> <i>and italics: a description</i> {n}.</p>",
    "<p>",
    "</p>",
    "<div>",
    '<script type="application/ld+json">{{"@type": "Article", "headline": "J{n}"}}</script>',
    "<script type=text/javascript>var a='<title>no</title>';</script>",
    "<!-- <title>c</title> -->",
    "<frameset><frame></frameset>",
    "<head>",
    "</head>",
    "<body>",
    "</body>",
    "<html lang=fr>",
    "<html xml:lang=de>",
    "<svg><html lang=sv></html></svg>",
    "<table><tr><td><p>cell</p><title>tt</title></td></tr></table>",
    "<svg><foreignObject><p>fp</p><title>ft</title><h1>fh</h1></foreignObject></svg>",
    "<svg><meta name=description content=sv><base href=/sb><link rel=canonical href=/s></svg>",
    "<math><annotation-xml encoding=text/html><title>ax</title><h1>ah</h1></annotation-xml></math>",
    "<h1><svg><title>x</title></svg>inner</h1>",
    "<textarea><title>ta</title></textarea>",
    "text ",
]


def per_query(text: str, url: str, every: bool = False) -> Page:
    """The page as one css() query per element kind reads it (paragraphs whose text is too
    short to be a description, and links of a rel no field reads, left out unless
    ``every``)."""
    tree = LexborHTMLParser(head_region(text))
    page = Page(url=url, base_url=url)
    for node in tree.css("meta")[:MAX_ELEMENTS]:
        _add_meta(page.metas, node.attributes)
    for node in tree.css("link")[:MAX_ELEMENTS]:
        attrs = {k.lower(): v for k, v in node.attributes.items() if v is not None}
        if every or set(attrs.get("rel", "").lower().split()) & sel.LINK_RELS_READ:
            page.links.append(attrs)
    base = tree.css_first("base[href]")
    if base is not None:
        page.base_url = _join_base(url, base.attributes.get("href") or "")
    root = tree.css_first("html")
    if root is not None:
        page.html_lang = root.attributes.get("lang") or root.attributes.get("xml:lang")
    head_title = tree.head.css_first("title") if tree.head is not None else None
    titles = [n for n in tree.css("title")[:50] if not _in_foreign_content(n)]
    first = head_title if head_title is not None else (titles[0] if titles else None)
    page.title = node_text(first) if first is not None else None
    page.h1 = [node_text(n) for n in tree.css("h1")[:10] if not _in_foreign_content(n)]
    if tree.body is not None:
        page.paragraphs = [
            node_text(n)
            for n in tree.body.css("p")[: sel.PARAGRAPH_MAX_SCANNED]
            if every or len(n.text()) >= sel.PARAGRAPH_MIN_CHARS
        ]
    page.jsonld = list(_jsonld_objects(tree.css("script[type]")))
    return page


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PIECES), st.integers(0, 9)), max_size=40))
def test_one_pass_reads_what_one_query_per_kind_reads(pieces: list[tuple[str, int]]) -> None:
    text = "".join(piece.format(n=n) for piece, n in pieces)
    url = "http://a.example/x/y"
    page = parse_page(text, url)
    assert dataclasses.asdict(page) == dataclasses.asdict(per_query(text, url))
    # Leaving out the paragraphs too short to be a description changes no description.
    every = per_query(text, url, every=True)
    assert first_paragraph(page) == first_paragraph(every)
    assert description_candidates(page) == description_candidates(every)
    # Leaving out the links of a rel no field reads changes no link a field reads.
    for rels, type_ in READ_LINKS:
        assert page.link_hrefs(rels, type_) == every.link_hrefs(rels, type_)


READ_LINKS = [
    (sel.CANONICAL_LINK_RELS, None),
    (sel.IMAGE_LINK_RELS, None),
    (sel.OEMBED_LINK_RELS, "application/json+oembed"),
    (sel.OEMBED_LINK_RELS, None),
    (tuple(sel.LINK_RELS_READ), None),
]


def test_links_of_a_rel_no_field_reads_cannot_be_asked_for() -> None:
    page = parse_page("<link rel=stylesheet href=/s.css><link rel=canonical href=/c>", "http://a/")
    assert page.link_hrefs(sel.CANONICAL_LINK_RELS) == ["/c"]
    with pytest.raises(ValueError, match="not kept"):
        page.link_hrefs(("stylesheet",))


def test_paragraphs_of_a_body_a_frameset_cut_off_are_still_read() -> None:
    kept = "Kept: a paragraph long enough to be the description of the page that it stands on."
    text = f"<p>{kept}</p><frameset><frame></frameset>"
    page = parse_page(text, "http://a.example/")
    assert page.paragraphs == [kept] == per_query(text, "http://a.example/").paragraphs


# Bytes as fetched: any of PIECES in a head and a body, some text in other scripts, a tag
# crowded or nested deep enough to be cut from the region, bytes invalid as UTF-8, a BOM.
BYTE_PIECES = [
    *(piece.format(n=7).encode() for piece in PIECES),
    "Zürich – 東京 – Москва 🚀".encode(),
    "<title>Страница</title>".encode("cp1251"),
    b"\xff\xfe",
    b"\xe2\x82",  # a character cut short
    b"\xed\xa0\x80",  # a surrogate's bytes: not UTF-8
    b"</head>",
    b"<div>" * 300,
    b"<img" + b" a" * 300 + b">",
    b"x" * 5000,
    b"<h2 id='s7'>S</h2><a name=n7>a</a><template><i id=t7></i></template>",
    "<p id='é7'>".encode(),
]


@settings(max_examples=1000, deadline=None)
@given(
    st.sampled_from([b"", codecs.BOM_UTF8, b"<!doctype html><html lang=en><head>"]),
    st.lists(st.sampled_from(BYTE_PIECES), max_size=20).map(b"".join),
    st.sampled_from(
        [None, "text/html", "text/html; charset=utf-8", "text/html; charset=windows-1251"]
    ),
)
def test_reading_the_bytes_parses_what_reading_the_text_parses(
    start: bytes, rest: bytes, content_type: str | None
) -> None:
    body = start + rest
    url = "http://a.example/x/y"
    text, utf8 = metadata_source(body, content_type)
    assert (
        text == decode_body(metadata_bytes(body), content_type) == metadata_text(body, content_type)
    )
    assert utf8 is None or utf8 == text.encode("utf-8")
    if utf8 is None and content_type == "text/html; charset=utf-8" and rest and not start:
        with pytest.raises(UnicodeDecodeError):  # only bytes that are not UTF-8 are left out
            metadata_bytes(body).decode("utf-8")
    page = read_page(body, content_type, url)
    assert dataclasses.asdict(page) == dataclasses.asdict(parse_page(text, url))
    assert page_anchors(body, content_type) == anchors_of_text(body, content_type)


def anchors_of_text(body: bytes, content_type: str | None) -> set[str]:
    """page_anchors' rule: the anchors lexbor finds in the decoded text (cut to its bound)."""
    if page_kind(body, content_type) != "html":
        return set()
    text = decode_body(body, content_type)[:MAX_REGION_CHARS]
    if hostile_offset(text) is not None:
        return _anchors_by_tokenizer(text)
    anchors: set[str] = set()
    for node in LexborHTMLParser(text).css("[id], a[name]"):
        anchors.update(element_anchors(node.tag or "", node.attributes.items()))
    return anchors


def test_anchors_past_the_bound_are_not_read_from_the_bytes_either() -> None:
    body = b"<p id=a>" + b"x" * MAX_REGION_CHARS + b"<p id=b>"
    assert page_anchors(body, "text/html; charset=utf-8") == {"a"}
    assert anchors_of_text(body, "text/html; charset=utf-8") == {"a"}
