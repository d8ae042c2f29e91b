"""The parsed head of one page: a bounded parse with selectolax, read once into plain data.

Only the metadata region is parsed (:func:`metadata_text`: the head and
:data:`~linkhealth.pageregion.AFTER_HEAD_BYTES` after ``</head>``, the one rule the
fetcher reads by), and the region is cut where block elements nest deeper
than :data:`MAX_BLOCK_DEPTH` — HTML tree building is quadratic in nesting
depth, so 40,000 nested ``<div>`` must never reach the parser.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from linkhealth.lazyre import lazy_compile
from linkhealth.meta import selectors as sel
from linkhealth.meta.charset import decode_source
from linkhealth.meta.urls import resolve_http_url
from linkhealth.pageregion import AFTER_HEAD_BYTES, HEAD_END_TEXT, metadata_bytes

MAX_REGION_CHARS = 512 * 1024
MAX_BLOCK_DEPTH = 256
MAX_TAG_ATTRIBUTES = 256  # lexbor's attribute handling is quadratic in attributes per tag
_LONG_TAG_CHARS = 2048  # only tags this long can hold that many attributes
MAX_ELEMENTS = 2000  # <meta>/<link> elements read
MAX_JSONLD_SCRIPTS = 20
MAX_JSONLD_CHARS = 256 * 1024
MAX_TEXT_CHARS = 64 * 1024  # raw characters kept from one element's text before sanitising

# Elements whose start tag makes the HTML tree builder walk the stack of open
# elements; <p>/<li>/<dd>/<dt> close their own siblings and do not nest by accident:
# div section article aside nav header footer main ul ol dl blockquote fieldset figure
# figcaption form table details summary address center menu hgroup dialog search pre
# listing h1-h6. The names are grouped by their first letter: the pattern tries a dozen
# one-letter branches at each "<" instead of all thirty names (a page read whole for its
# anchors has tens of thousands of "<"). No name is another's prefix followed by one of
# [\s/>], so each "<" matches as the plain list of names matches it (a test compares them).
_BLOCK_TAG = lazy_compile(
    r"<(/?)(?:d(?:iv|l|etails|ialog)|s(?:ection|ummary|earch)|a(?:rticle|side|ddress)|nav"
    r"|h(?:eader|group|[1-6])|f(?:ooter|ieldset|ig(?:ure|caption)|orm)|m(?:ain|enu)|ul|ol"
    r"|blockquote|table|center|pre|listing)[\s/>]",
    re.IGNORECASE,
)
# Entities that survived one round of decoding (``&amp;amp;``, ``&amp;#39;``): decoded once more.
_DOUBLE_ENCODED = re.compile(r"&(?:amp|quot|apos|lt|gt|nbsp|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")


def deep_nesting_offset(text: str, limit: int = MAX_BLOCK_DEPTH) -> int | None:
    """The offset where block elements first nest deeper than ``limit``, or ``None``."""
    if text.count("<") <= limit:  # every start tag has one: most heads never get that deep
        return None
    depth = 0
    for match in _BLOCK_TAG.finditer(text):
        if match.group(1):
            depth = max(0, depth - 1)
        else:
            depth += 1
            if depth > limit:
                return match.start()
    return None


_LONG_TAG = re.compile(rf"<[A-Za-z][^>]{{{_LONG_TAG_CHARS},}}>")
_ATTRIBUTE = re.compile(r"""\s+[^\s=/>"']+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?""")


def _crowded(tag: str, limit: int) -> bool:
    """Whether ``tag`` holds more than ``limit`` attributes (stops counting there)."""
    return next(islice(_ATTRIBUTE.finditer(tag), limit, None), None) is not None


def crowded_tag_offset(text: str, limit: int = MAX_TAG_ATTRIBUTES) -> int | None:
    """The offset of the first tag with more than ``limit`` attributes, or ``None``."""
    # A long tag holds a run of _LONG_TAG_CHARS characters without ">": most pages have
    # none, and a few searches say so where the pattern would look at every tag.
    if not run_without(text, ">", _LONG_TAG_CHARS):
        return None
    for match in _LONG_TAG.finditer(text):
        if _crowded(match.group(0), limit):
            return match.start()
    return None


def run_without(text: str, char: str, length: int) -> bool:
    """Whether ``text`` holds ``length`` characters in a row, none of them ``char``. Each
    window of ``length`` is searched from its end: no run starts at or before the last
    ``char`` found there, so the next window starts after it (a few searches a page)."""
    start = 0
    while start + length <= len(text):
        last = text.rfind(char, start, start + length)
        if last == -1:
            return True
        start = last + 1
    return False


def drop_crowded_tags(text: str, limit: int = MAX_TAG_ATTRIBUTES) -> str:
    """``text`` without the tags that hold more than ``limit`` attributes (no page needs them)."""
    if crowded_tag_offset(text, limit) is None:
        return text
    return _LONG_TAG.sub(lambda m: "" if _crowded(m.group(0), limit) else m.group(0), text)


def hostile_offset(text: str) -> int | None:
    """Where the parser would slow down beyond linear time: deep nesting or a crowded tag."""
    offsets = [o for o in (deep_nesting_offset(text), crowded_tag_offset(text)) if o is not None]
    return min(offsets) if offsets else None


def metadata_text(body: bytes, content_type: str | None) -> str:
    """The text of an HTML page's metadata region (:mod:`linkhealth.pageregion`), the same
    whether the fetcher kept the region only or the whole page: every metadata read of a
    page's bytes starts here."""
    return metadata_source(body, content_type)[0]


def metadata_source(body: bytes, content_type: str | None) -> tuple[str, bytes | None]:
    """:func:`metadata_text`, and the region's bytes when they are exactly its UTF-8."""
    region = metadata_bytes(body)
    text, is_utf8 = decode_source(region, content_type)
    return text, region if is_utf8 else None


def read_page(body: bytes, content_type: str | None, url: str) -> Page:
    """:func:`parse_page` of the page's :func:`metadata_text`: how fetched bytes are read
    (the parser reads the region's bytes as they are when they are that text's UTF-8)."""
    text, utf8 = metadata_source(body, content_type)
    # The region's bytes end AFTER_HEAD_BYTES after their first "</head>" (or hold none):
    # when the text is their UTF-8 it holds the same "</head>" first (the pattern is
    # ASCII, and UTF-8 writes ASCII only as itself) and at most AFTER_HEAD_BYTES
    # characters after it, so head_region's search for it would cut nothing.
    return parse_page(text, url, utf8, cut=utf8 is not None)


def head_region(text: str, cut: bool = False) -> str:
    """The part of a page's text worth parsing for metadata.

    After ``</head>`` at most :data:`~linkhealth.pageregion.AFTER_HEAD_BYTES` characters:
    where :func:`metadata_text` cut the bytes this keeps them all (a character takes at
    least one byte); it bounds the text of an encoding that hides ``</head>`` from the byte
    search (UTF-16) by the same limit. ``cut``: ``text`` is the UTF-8 of bytes that
    :func:`~linkhealth.pageregion.metadata_bytes` cut, and ends within that limit of its
    first ``</head>`` if it has one (not searched again)."""
    end = None if cut else HEAD_END_TEXT.search(text, 0, MAX_REGION_CHARS)
    stop = min(end.end() + AFTER_HEAD_BYTES, MAX_REGION_CHARS) if end else MAX_REGION_CHARS
    region = drop_crowded_tags(text[:stop])
    deep = deep_nesting_offset(region)
    return region[:deep] if deep is not None else region


def node_text(node: LexborNode) -> str:
    """An element's text, entities decoded once more if they were encoded twice."""
    return element_text(node.text(deep=True, separator=""))


def element_text(raw: str) -> str:
    """:func:`node_text` of an element whose text lexbor gave as ``raw``."""
    return unescape_twice(raw[:MAX_TEXT_CHARS])


def paragraph_texts(nodes: list[LexborNode]) -> list[str]:
    """:func:`node_text` of each paragraph long enough to be a description: the others are
    never read (cutting and decoding never lengthen a text, so one whose text is shorter than
    :data:`~linkhealth.meta.selectors.PARAGRAPH_MIN_CHARS` stays too short).

    Each text is lexbor's own text content of the element (every descendant text node, no
    separator, as ``node.text()`` gives it: a test compares the two): one C call instead of
    a walk that calls back per text node, in one loop (30 paragraphs a page)."""
    least = sel.PARAGRAPH_MIN_CHARS
    texts = []
    for node in nodes:
        try:
            raw = node.text_lexbor()
        except RuntimeError:  # older selectolax raises for an element without text
            continue
        if len(raw) >= least:
            texts.append(element_text(raw))
    return texts


def unescape_twice(value: str) -> str:
    if "&" not in value:
        return value
    return _DOUBLE_ENCODED.sub(lambda m: html.unescape(m.group(0)), value)


def _in_foreign_content(node: LexborNode) -> bool:
    """Whether an ancestor of ``node`` is ``<svg>`` or ``<math>``. The walk stops at the
    head or the body: only ``<html>`` is above them (the parser never makes an element of
    those names inside SVG or MathML: a test compares the walk to the root)."""
    parent = node.parent
    while parent is not None:
        tag = parent.tag
        if tag in ("svg", "math"):
            return True
        if tag in ("head", "body"):
            return False
        parent = parent.parent
    return False


@dataclass
class Page:
    """Everything the field functions read, gathered in one pass over the parsed region."""

    url: str
    base_url: str
    metas: dict[str, str] = field(default_factory=dict)
    # the <link>s whose rel names one of sel.LINK_RELS_READ (no field reads the others)
    links: list[dict[str, str]] = field(default_factory=list)
    title: str | None = None
    h1: list[str] = field(default_factory=list)
    # of the body's first PARAGRAPH_MAX_SCANNED <p>, those whose text as lexbor gives it is
    # long enough to be a description (see paragraph_texts)
    paragraphs: list[str] = field(default_factory=list)
    html_lang: str | None = None
    jsonld: list[dict[str, Any]] = field(default_factory=list)
    jsonld_main: list[dict[str, Any]] | None = None  # ranked by fields.jsonld_main_objects
    # each link's rel tokens, split when asked (a cache: not part of the page's value)
    link_rels: list[frozenset[str]] | None = field(default=None, compare=False, repr=False)

    def meta(self, keys: tuple[str, ...]) -> str | None:
        """The first non-empty ``<meta>`` content among ``keys``."""
        metas = self.metas
        if metas.keys().isdisjoint(keys):  # most pages have none of a field's keys
            return None
        for key in keys:
            value = metas.get(key)
            if value and value.strip():
                return value
        return None

    def meta_values(self, keys: tuple[str, ...]) -> list[str]:
        """Each non-empty ``<meta>`` content among ``keys``, in order."""
        metas = self.metas
        if metas.keys().isdisjoint(keys):
            return []
        return [value for key in keys if (value := metas.get(key)) and value.strip()]

    def link_hrefs(self, rels: tuple[str, ...], type_: str | None = None) -> list[str]:
        """``href`` of each ``<link>`` whose ``rel`` holds one of ``rels`` (and of ``type_``);
        ``rels`` among :data:`~linkhealth.meta.selectors.LINK_RELS_READ`, the links kept."""
        if not sel.LINK_RELS_READ.issuperset(rels):
            raise ValueError(f"links of rel {rels} are not kept (see LINK_RELS_READ)")
        if not self.links:
            return []
        if self.link_rels is None:
            self.link_rels = [frozenset(a.get("rel", "").lower().split()) for a in self.links]
        found = []
        for attrs, tokens in zip(self.links, self.link_rels, strict=True):
            if tokens.isdisjoint(rels):
                continue
            if type_ is not None and attrs.get("type", "").strip().lower() != type_:
                continue
            href = attrs.get("href", "")
            if href.strip():
                found.append(href)
        return found


# parse_page reads each kind of element by its tag name (lexbor's element lists: cheaper
# than a CSS query, which compiles a selector and walks the tree): no field depends on
# the order of two different kinds, only on the document order within one kind.
_TITLES_SCANNED = 50  # an SVG/MathML <title> is skipped, among this many
_H1_SCANNED = 10


def parse_page(text: str, url: str, utf8: bytes | None = None, cut: bool = False) -> Page:
    """The page's elements, read into plain data.

    The first ``<title>`` outside SVG/MathML is the title (the head's, when there is one:
    the parser never puts SVG or MathML in the head). ``<p>`` counts only in a body: the
    parser puts every ``<p>`` there. ``utf8``, when given, is ``text`` encoded as UTF-8:
    the parser reads it instead of encoding the text again, unless the region is shorter.
    ``cut`` as :func:`head_region`'s.
    """
    region = head_region(text, cut)
    # head_region only cuts and removes: a region as long as the text is the text.
    source = utf8 if utf8 is not None and len(region) == len(text) else region
    tree = LexborHTMLParser(source)
    page = Page(url=url, base_url=url)
    metas = page.metas
    for node in tree.tags("meta")[:MAX_ELEMENTS]:
        _add_meta(metas, node.attributes)
    # A link's rel is read alone (pages link stylesheets and icons no field reads); only a
    # kept link's attributes are read whole.
    page.links = [
        {k.lower(): v for k, v in node.attributes.items() if v is not None}
        for node in tree.tags("link")[:MAX_ELEMENTS]
        if (rel := node.attrs.get("rel")) is not None
        and (_rel_read(rel) if len(rel) <= _REL_CACHED_CHARS else _rel_read.__wrapped__(rel))
    ]
    titles = [n for n in tree.tags("title")[:_TITLES_SCANNED] if not _in_foreign_content(n)]
    page.title = node_text(titles[0]) if titles else None
    headings = tree.tags("h1")[:_H1_SCANNED]
    page.h1 = [node_text(n) for n in headings if not _in_foreign_content(n)]
    page.jsonld = list(_jsonld_objects(tree.tags("script")))
    _read_root_and_base(tree, page)
    body = tree.body
    if body is not None:
        # A <frameset> can take the place of a body already begun: that body is then cut
        # from the document, yet it is still the page's body (with its paragraphs).
        found = tree.tags("p") if body.parent is not None else body.css("p")
        page.paragraphs = paragraph_texts(found[: sel.PARAGRAPH_MAX_SCANNED])
    return page


_REL_CACHED_CHARS = 100  # a rel value is untrusted text: only short ones are kept


@lru_cache(maxsize=256)  # pages repeat a few rel values (stylesheet, icon, canonical)
def _rel_read(rel: str) -> bool:
    """Whether a ``<link>`` of this ``rel`` names a rel some field reads."""
    return not sel.LINK_RELS_READ.isdisjoint(rel.lower().split())


def _read_root_and_base(tree: LexborHTMLParser, page: Page) -> None:
    root = tree.root  # the <html> element, first of the document's (no walk of the tree)
    if root is not None:
        attrs = root.attributes
        page.html_lang = attrs.get("lang") or attrs.get("xml:lang")
    for node in tree.tags("base"):
        attrs = node.attributes
        if "href" in attrs:
            page.base_url = _join_base(page.url, attrs.get("href") or "")
            break


def _add_meta(metas: dict[str, str], attrs: dict[str, str | None]) -> None:
    content = attrs.get("content")
    if content is None:
        return
    if "&" in content:  # unescape_twice's own test, without its call for most contents
        content = unescape_twice(content[:MAX_TEXT_CHARS])
    elif len(content) > MAX_TEXT_CHARS:
        content = content[:MAX_TEXT_CHARS]
    # Keys in this order; the first element to give a key its content keeps it.
    value = attrs.get("property")
    if value:
        for token in value.lower().split():
            metas.setdefault(token, content)
    value = attrs.get("name")
    if value:
        for token in value.lower().split():
            metas.setdefault(token, content)
    value = attrs.get("itemprop")
    if value:
        for token in value.lower().split():
            metas.setdefault("itemprop:" + token, content)
    value = attrs.get("http-equiv")
    if value:
        metas.setdefault("http-equiv:" + value.strip().lower(), content)


def _join_base(url: str, href: str) -> str:
    return resolve_http_url(url, href) or url


def _jsonld_objects(candidates: list[LexborNode]) -> Iterator[dict[str, Any]]:
    scripts = [
        node
        for node in candidates
        if (node.attributes.get("type") or "").strip().lower().startswith("application/ld+json")
    ]
    for node in scripts[:MAX_JSONLD_SCRIPTS]:
        raw = node.text(deep=True, separator="")
        if len(raw) > MAX_JSONLD_CHARS:
            continue
        try:
            data = json.loads(raw.strip().removesuffix(";"))
        except (ValueError, RecursionError):
            continue
        yield from _flatten_jsonld(data, depth=0)


def _flatten_jsonld(data: object, depth: int) -> Iterator[dict[str, Any]]:
    """Top-level objects, list items and ``@graph`` members, at most a few levels deep."""
    if depth > 3:
        return
    if isinstance(data, list):
        for item in data[:50]:
            yield from _flatten_jsonld(item, depth + 1)
    elif isinstance(data, dict):
        graph = data.get("@graph")
        if isinstance(graph, list):
            yield from _flatten_jsonld(graph, depth + 1)
        if "@type" in data or "headline" in data or "name" in data:
            yield data


def jsonld_types(obj: dict[str, Any]) -> list[str]:
    """The object's ``@type`` values without a schema.org prefix."""
    value = obj.get("@type")
    values = value if isinstance(value, list) else [value]
    return [v.rsplit("/", 1)[-1].rsplit(":", 1)[-1] for v in values if isinstance(v, str)]
