"""Inline ignore markers (HTML comments, invisible when the Markdown is rendered)::

    <!-- linkhealth-ignore-next-line -->     the line after the marker
    <!-- linkhealth-ignore-start -->         every line from here ...
    <!-- linkhealth-ignore-end -->           ... to here (inclusive)

Links on ignored lines produce no occurrence and no finding. A start without an
end ignores the rest of the file, and says so (an ``unclosed-ignore`` warning).
Markers are found line by line in the raw text, so they work inside a file that
is entirely one HTML comment too. Pure.

URL patterns in ``.linkhealthignore`` are an input-stage matter:
:mod:`linkhealth.inputs.ignore`.
"""

from __future__ import annotations

from linkhealth.lazyre import lazy_compile

MARKER_RE = lazy_compile(r"<!--\s*linkhealth-ignore-(next-line|start|end)\s*-->")


def has_markers(text: str) -> bool:
    """Whether ``text`` may hold a marker (False: no line of it is ignored)."""
    return "linkhealth-ignore-" in text


def ignored_lines(text: str) -> set[int]:
    """The 1-based line numbers that inline markers switch off (``text`` has ``\\n`` line ends)."""
    if not has_markers(text):
        return set()
    lines = text.split("\n")
    out: set[int] = set()
    start: int | None = None
    for number, line in enumerate(lines, start=1):
        for match in MARKER_RE.finditer(line):
            kind = match.group(1)
            if kind == "next-line":
                out.add(number + 1)
            elif kind == "start":
                if start is None:
                    start = number
            elif start is not None:
                out.update(range(start, number + 1))
                start = None
    if start is not None:
        out.update(range(start, len(lines) + 1))
    return out


def unclosed_start(text: str) -> int | None:
    """The 1-based line of a ``linkhealth-ignore-start`` that no ``-end`` closes, if any."""
    if "linkhealth-ignore-start" not in text:
        return None
    start: int | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        for match in MARKER_RE.finditer(line):
            if match.group(1) == "start" and start is None:
                start = number
            elif match.group(1) == "end":
                start = None
    return start


def marker_ends(text: str) -> set[int]:
    """Offsets just past each marker's ``-->`` (they do not close an enclosing comment)."""
    return {match.end() for match in MARKER_RE.finditer(text)}
