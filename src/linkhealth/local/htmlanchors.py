"""Ids, names and ``<hN>`` heading texts in HTML fragments of a Markdown file (for
:mod:`linkhealth.local.anchors`; imported only when a file's anchors are needed)."""

from __future__ import annotations

from html.parser import HTMLParser

from linkhealth.htmlanchor import element_anchors

_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


class _HtmlAnchors(HTMLParser):
    """Collects ids/names and raw ``<hN>`` heading texts from an HTML fragment, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[tuple[str, str]] = []  # ("id", value) | ("heading", text)
        self._heading: list[str] | None = None
        self._heading_tag: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.extend(("id", value) for value in element_anchors(tag, attrs))
        if tag in _HEADING_TAGS and self._heading is None:
            self._heading = []
            self._heading_tag = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._heading_tag and self._heading is not None:
            self.events.append(("heading", "".join(self._heading)))
            self._heading = None
            self._heading_tag = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading.append(data)


def html_events(html: str) -> list[tuple[str, str]]:
    parser = _HtmlAnchors()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # malformed markup: keep what was found
        pass
    return parser.events
