"""What the user asked linkhealth to leave alone: inline markers and ``.linkhealthignore``.

Inline markers (HTML comments, invisible when the Markdown is rendered)::

    <!-- linkhealth-ignore-next-line -->     the line after the marker
    <!-- linkhealth-ignore-start -->         every line from here ...
    <!-- linkhealth-ignore-end -->           ... to here (inclusive)

Links on ignored lines produce no occurrence and no finding. A start without an
end ignores the rest of the file, and says so (an ``unclosed-ignore`` warning).
Markers are found line by line in the raw text, so they work inside a file that
is entirely one HTML comment too.

``.linkhealthignore`` (at the repository root) holds URL patterns, one per line:
blank lines and lines starting with ``#`` are skipped; ``re:PATTERN`` is a
Python regular expression searched in the URL; anything else is a shell-style
glob matched against the whole URL (``*`` also crosses ``/``), e.g.
``https://example.com/private/*``. Matching URLs are ``excluded`` by ``check``
and not reported as duplicates by ``lint``.

Pure apart from :func:`load_url_ignore`, which reads the file.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from linkhealth.errors import ConfigError

IGNORE_FILE_NAME = ".linkhealthignore"
MARKER_RE = re.compile(r"<!--\s*linkhealth-ignore-(next-line|start|end)\s*-->")


def ignored_lines(text: str) -> set[int]:
    """The 1-based line numbers that inline markers switch off (``text`` has ``\\n`` line ends)."""
    if "linkhealth-ignore-" not in text:
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


@dataclass
class UrlIgnore:
    """Compiled ``.linkhealthignore`` patterns."""

    patterns: list[re.Pattern[str]] = field(default_factory=list)
    source: Path | None = None

    @classmethod
    def parse(cls, lines: Iterable[str], source: Path | None = None) -> UrlIgnore:
        """Compile the patterns; a bad ``re:`` is a :class:`ConfigError` naming its line."""
        compiled: list[re.Pattern[str]] = []
        where = str(source) if source else IGNORE_FILE_NAME
        for number, raw in enumerate(lines, start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("re:"):
                try:
                    compiled.append(re.compile(line[3:].strip()))
                except re.error as exc:
                    raise ConfigError(
                        f"{where}:{number}: invalid regular expression ({exc})"
                    ) from exc
            else:
                compiled.append(re.compile(fnmatch.translate(line)))
        return cls(compiled, source)

    def matches(self, url: str) -> bool:
        return any(p.search(url) for p in self.patterns)

    def __bool__(self) -> bool:
        return bool(self.patterns)


def load_url_ignore(root: Path) -> UrlIgnore:
    """``root/.linkhealthignore`` if it exists, else an empty pattern list."""
    path = root / IGNORE_FILE_NAME
    if not path.is_file():
        return UrlIgnore()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    return UrlIgnore.parse(text.splitlines(), path)
