"""``.linkhealthignore``: URL patterns the user asked linkhealth to leave alone.

The file (at the repository root) holds URL patterns, one per line:
blank lines and lines starting with ``#`` are skipped; ``re:PATTERN`` is a
Python regular expression searched in the URL; anything else is a shell-style
glob matched against the whole URL (``*`` also crosses ``/``), e.g.
``https://example.com/private/*``. Matching URLs are ``excluded`` by ``check``
and not reported as duplicates by ``lint``.

The inline markers (``<!-- linkhealth-ignore-next-line -->`` …) are part of
parsing: :mod:`linkhealth.parse.ignore_markers`.

Pure apart from :func:`load_url_ignore`, which reads the file.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from linkhealth.errors import ConfigError
from linkhealth.fsutil import leads_outside

IGNORE_FILE_NAME = ".linkhealthignore"
#: lychee's file, read as well: one regular expression per line.
LYCHEE_IGNORE_FILE_NAME = ".lycheeignore"


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
    """``root/.linkhealthignore`` and lychee's ``root/.lycheeignore`` (whose lines are
    regular expressions), when they exist; else an empty pattern list."""
    found = UrlIgnore()
    for name, prefix in ((IGNORE_FILE_NAME, ""), (LYCHEE_IGNORE_FILE_NAME, "re:")):
        path = root / name
        if not path.is_file():
            continue
        real = leads_outside(path, root)
        if real is not None:
            raise ConfigError(f"{path}: a symlink to {real}, outside the repository; not read")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from exc
        lines = [
            line if not line.strip() or line.lstrip().startswith("#") else prefix + line
            for line in text.splitlines()
        ]
        one = UrlIgnore.parse(lines, path)
        found = UrlIgnore(found.patterns + one.patterns, found.source or path)
    return found
