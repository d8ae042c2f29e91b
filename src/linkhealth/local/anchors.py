"""The anchors a Markdown file renders to, by GitHub's rules.

GitHub gives every heading an id built from the heading's rendered *text*
(``node.text`` of the ``<hN>`` element, so inline markup is gone, code spans
keep their text, links keep their text, images contribute nothing):

1. lower-case it;
2. drop every character that is not a word character (Unicode letter, mark,
   decimal digit, connector punctuation such as ``_``), a hyphen or a space —
   so punctuation, symbols and emoji go, and so do tabs and newlines;
3. turn each remaining space into a hyphen (runs are *not* squeezed);
4. if the result was already used in the document, append ``-1``, ``-2`` …
   (the first suffix that is still free).

Sources: GitHub Docs, "Basic writing and formatting syntax" → "Section links"
and "Custom anchors"; the ``TableOfContentsFilter`` of ``jch/html-pipeline``
(``PUNCTUATION_REGEXP = /[^\\p{Word}\\- ]/u``); the ``github-slugger`` package.

Besides headings, a file can define anchors explicitly: ``<a name="x">``,
``<a id="x">``, any ``id="x"`` in raw HTML, and a trailing ``{#x}`` attribute
on a heading (Pandoc/kramdown/MkDocs style; GitHub itself shows the braces as
text, so the heading's GitHub slug is kept as well). Explicit anchors do not
take part in the ``-1``/``-2`` numbering (GitHub Docs, "Custom anchors").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used: lint starts without markdown-it-py
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

__all__ = ["github_slug", "heading_anchors"]

# Unicode categories Ruby's \p{Word} keeps: letters, marks, decimal digits and
# connector punctuation (``_`` and friends).
_KEPT_CATEGORY_PREFIXES = ("L", "M")
_KEPT_CATEGORIES = frozenset({"Nd", "Pc"})

# A trailing attribute block on a heading: ``## Title {#id .class}``.
_HEADING_ATTRS = re.compile(r"[ \t]*\{([^{}]*)\}[ \t]*$")
_ATTR_ID = re.compile(r"(?:^|\s)#([^\s#.{}]+)")


def _kept(char: str) -> bool:
    if char in "- ":
        return True
    category = unicodedata.category(char)
    return category.startswith(_KEPT_CATEGORY_PREFIXES) or category in _KEPT_CATEGORIES


def github_slug(text: str) -> str:
    """The anchor GitHub generates for a heading whose rendered text is ``text``.

    No de-duplication here (see :func:`heading_anchors`); ``text`` is plain text,
    not Markdown — ``heading_anchors`` strips the markup first.
    """
    lowered = text.lower()
    return "".join(char for char in lowered if _kept(char)).replace(" ", "-")


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt
    from mdit_py_plugins.front_matter import front_matter_plugin

    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    md.use(front_matter_plugin)
    # Inline parsing is the costly half and only headings (and HTML) need it:
    # it is run on demand in _events, with the references of the block pass.
    md.disable("inline")
    return md


def _inline_children(md: MarkdownIt, token: Token, env: dict[str, Any]) -> list[Token]:
    children: list[Token] = []
    md.inline.parse(token.content, md, env, children)
    return children


def _inline_text(children: Iterable[Token]) -> str:
    """The text content of rendered inline tokens, as ``node.text`` would give it."""
    parts: list[str] = []
    for child in children:
        if child.type == "image":
            continue  # an <img> has no text content; its alt text is an attribute
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        # link_open/close, emphasis and html_inline tags carry no text of their own.
    return "".join(parts)


def _events(markdown_text: str) -> Iterator[tuple[str, str]]:
    """("heading", text) and ("id", explicit anchor) in document order."""
    from linkhealth.local.htmlanchors import html_events as _html_events

    md = _markdown()
    env: dict[str, Any] = {}
    tokens = md.parse(markdown_text, env)
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            inline = tokens[index + 1]
            children = _inline_children(md, inline, env)
            # Raw HTML inside the heading may define ids too (``## <a id="x"></a>Title``).
            for child in children:
                if child.type == "html_inline":
                    yield from (e for e in _html_events(child.content) if e[0] == "id")
            text = _inline_text(children)
            match = _HEADING_ATTRS.search(inline.content)
            if match:
                for attr_id in _ATTR_ID.findall(match.group(1)):
                    yield ("id", attr_id)
            yield ("heading", text)
        elif token.type == "html_block":
            yield from _html_events(token.content)
        elif (
            token.type == "inline"
            and "<" in token.content
            and (index == 0 or tokens[index - 1].type != "heading_open")
        ):
            for child in _inline_children(md, token, env):
                if child.type == "html_inline":
                    yield from (e for e in _html_events(child.content) if e[0] == "id")


def heading_anchors(markdown_text: str) -> list[str]:
    """Every fragment that leads somewhere in ``markdown_text``, in document order.

    Heading slugs are de-duplicated the way GitHub does it (``x``, ``x-1``,
    ``x-2`` …); explicit anchors are listed as written and do not shift the
    numbering. A heading whose slug is empty gets no anchor.
    """
    anchors: list[str] = []
    seen_slugs: set[str] = set()
    for kind, value in _events(markdown_text):
        if kind == "id":
            if value:
                anchors.append(value)
            continue
        base = github_slug(value)
        if not base:
            continue
        slug = base
        counter = 0
        while slug in seen_slugs:
            counter += 1
            slug = f"{base}-{counter}"
        seen_slugs.add(slug)
        anchors.append(slug)
    return anchors
