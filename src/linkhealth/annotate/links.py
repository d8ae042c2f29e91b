"""Where a link is written on its line, and edits that replace its URL in place."""

from __future__ import annotations

import re
from dataclasses import dataclass

from linkhealth.models import LinkKind, Occurrence
from linkhealth.textsafe import html_attribute_url, md_autolink, md_destination


def inline_link_start(content: str, dest_start: int) -> int | None:
    """Where ``[text](dest…`` starts, given where the destination starts."""
    j = dest_start
    if j > 0 and content[j - 1] == "<":
        j -= 1
    j -= 1
    while j >= 0 and content[j] in " \t":
        j -= 1
    if j < 1 or content[j] != "(" or content[j - 1] != "]":
        return None
    depth = 0
    k = j - 1
    while k >= 0:
        ch = content[k]
        escaped = k > 0 and content[k - 1] == "\\"
        if not escaped:
            if ch == "]":
                depth += 1
            elif ch == "[":
                depth -= 1
                if depth == 0:
                    return k - 1 if k > 0 and content[k - 1] == "!" else k
        k -= 1
    return None


_TITLE_AFTER_DEST = re.compile(
    r"""[ \t]+(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\((?:[^()\\]|\\.)*\))"""
)


def inline_link_end(content: str, dest_end: int) -> int | None:
    """Just past the ``)`` that closes ``[text](dest "title")``."""
    pos = dest_end
    if pos < len(content) and content[pos] == ">":
        pos += 1
    match = _TITLE_AFTER_DEST.match(content, pos)
    if match:
        pos = match.end()
    while pos < len(content) and content[pos] in " \t":
        pos += 1
    if pos < len(content) and content[pos] == ")":
        return pos + 1
    return None


@dataclass
class Edit:
    start: int
    end: int
    text: str


def locate(content: str, occ: Occurrence) -> tuple[int, int] | None:
    """The whole link's extent for ``occ`` on its line, or ``None`` if unsure."""
    start, end = occ.column - 1, occ.end_column - 1
    if not (0 <= start <= end <= len(content)):
        return None
    written = content[start:end]
    if occ.kind is LinkKind.BARE:
        return (start, end) if written == occ.url else None
    if occ.kind is LinkKind.AUTOLINK:
        if written.startswith("<") and written.endswith(">"):
            return start, end
        if start > 0 and content[start - 1] == "<" and end < len(content) and content[end] == ">":
            return start - 1, end + 1
        return None
    if occ.kind in (LinkKind.INLINE, LinkKind.IMAGE):
        link_start = inline_link_start(content, start)
        link_end = inline_link_end(content, end)
        if link_start is None or link_end is None:
            return None
        return link_start, link_end
    return None


def written_url(content: str, occ: Occurrence) -> str:
    written = content[occ.column - 1 : occ.end_column - 1]
    if written.startswith("<") and written.endswith(">"):
        return written[1:-1]
    return written


def replace_url(content: str, occ: Occurrence, new_url: str) -> Edit | None:
    """An edit putting ``new_url`` where ``occ``'s URL is written, in that construct's form."""
    start, end = occ.column - 1, occ.end_column - 1
    written = content[start:end]
    angled = written.startswith("<") and written.endswith(">")
    if (
        not angled
        and start > 0
        and end < len(content)
        and content[start - 1] == "<"
        and content[end] == ">"
    ):
        start, end, angled = start - 1, end + 1, True
    if occ.kind is LinkKind.BARE:
        return Edit(start, end, md_autolink(new_url))
    if occ.kind is LinkKind.AUTOLINK:
        return Edit(start, end, md_autolink(new_url))
    if occ.kind in (LinkKind.INLINE, LinkKind.IMAGE, LinkKind.REFERENCE):
        return Edit(start, end, md_destination(new_url))
    if occ.kind is LinkKind.HTML and start > 0 and content[start - 1] in "\"'":
        return Edit(start, end, html_attribute_url(new_url))
    return None
