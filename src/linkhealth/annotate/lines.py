"""A list's lines as the parser numbers them: line ends, front matter, list items."""

from __future__ import annotations

import re
from collections.abc import Sequence

_EOL = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[tuple[str, str]]:
    """``text`` as ``(content, line end)`` pairs, with the parser's line numbering."""
    out: list[tuple[str, str]] = []
    pos = 0
    for match in _EOL.finditer(text):
        out.append((text[pos : match.start()], match.group()))
        pos = match.end()
    if pos < len(text) or not out:
        out.append((text[pos:], ""))
    return out


def front_matter_lines(lines: Sequence[tuple[str, str]]) -> int:
    """How many leading lines are YAML (``---``) or TOML (``+++``) front matter."""
    if not lines:
        return 0
    fence = lines[0][0].rstrip()
    if fence not in ("---", "+++"):
        return 0
    closers = ("---", "...") if fence == "---" else ("+++",)
    for i in range(1, len(lines)):
        if lines[i][0].rstrip() in closers:
            return i + 1
    return 0


# A list item's first line: optional indentation and blockquote markers, a bullet
# or an ordered marker, and an optional task checkbox.
_LIST_ITEM = re.compile(
    r"^(?:[ \t]*>[ \t]?)*[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+\[[ xX]\])?(?:[ \t]+|$)"
)
_BLANK = re.compile(r"^[ \t]*(?:>[ \t]*)*$")


def item_prefix_end(content: str) -> int | None:
    match = _LIST_ITEM.match(content)
    return match.end() if match else None


def continues(lines: Sequence[tuple[str, str]], index: int) -> bool:
    """Whether the line after ``index`` continues the item with text of its own."""
    if index + 1 >= len(lines):
        return False
    nxt = lines[index + 1][0]
    if _BLANK.match(nxt) or _LIST_ITEM.match(nxt):
        return False
    return not nxt.lstrip().startswith(("-->", "```", "~~~", "#", "<"))
