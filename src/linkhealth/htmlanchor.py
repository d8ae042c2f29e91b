"""Which fragment targets an HTML element defines: the one rule for fetched pages
(:func:`linkhealth.meta.page_anchors`) and for raw HTML in Markdown files
(:mod:`linkhealth.local.htmlanchors`).

As a browser finds ``#x`` (HTML Standard, "find a potential indicated element"): an
element whose ID is ``x``, else an ``<a>`` whose ``name`` is ``x``. An element's ID is
its ``id`` attribute's value unless that is empty (DOM Standard: an empty ``id`` gives no
ID), and an empty fragment indicates the top of the document, never a ``name``: so no
empty value is ever a target. When a tag repeats an attribute, the first one counts
(the tokenizer drops the repeats).
"""

from __future__ import annotations

from collections.abc import Iterable


def element_anchors(tag: str, attrs: Iterable[tuple[str, str | None]]) -> list[str]:
    """The fragment targets one element defines: its ``id``, and its ``name`` when it is
    an ``<a>`` (``tag`` and attribute names lower-case, as HTML parsers give them)."""
    found: list[str] = []
    seen: set[str] = set()
    for key, value in attrs:
        if key in seen or (key != "id" and (key != "name" or tag != "a")):
            continue
        seen.add(key)
        if value:
            found.append(value)
    return found
