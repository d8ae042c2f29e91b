"""Finding the Markdown files a run reads: files as named, directories walked, globs expanded.

The first part of the input stage (:mod:`linkhealth.inputs`); reading and parsing
each file is :mod:`linkhealth.parse`'s job.
"""

from __future__ import annotations

import fnmatch
import glob as globlib
import os
from collections.abc import Sequence
from pathlib import Path

from linkhealth.errors import InputError

_GLOB_CHARS = frozenset("*?[")


def _matches(name: str, globs: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(name, g) for g in globs)


def _walk(root: Path, globs: Sequence[str]) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        # Hidden directories (.git, .venv, …) are never lists; walk in a stable order.
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found.extend(Path(dirpath, f) for f in sorted(filenames) if _matches(f, globs))
    return found


def discover(paths: Sequence[str], globs: Sequence[str]) -> list[Path]:
    """The Markdown files named by ``paths``: files as given, directories walked for
    names matching ``globs``, and glob patterns expanded. Order: arguments in order,
    each directory or pattern sorted; duplicates dropped. A path that does not exist
    (or a pattern that matches nothing) raises :class:`InputError`."""
    out: list[Path] = []
    seen: set[Path] = set()

    def add(p: Path) -> None:
        """A file, or every matching file under a directory (anything else: nothing)."""
        for f in _walk(p, globs) if p.is_dir() else [p] if p.is_file() else []:
            key = Path(os.path.normpath(f))
            if key not in seen:
                seen.add(key)
                out.append(f)

    for raw in paths:
        p = Path(raw)
        if p.is_dir() or p.is_file():
            add(p)
        elif _GLOB_CHARS & set(raw):
            matches = sorted(globlib.glob(raw, recursive=True))
            if not matches:
                raise InputError(f"{raw}: no files match this pattern")
            for m in matches:
                add(Path(m))
        elif p.exists():
            raise InputError(f"{raw}: not a regular file or directory")
        else:
            raise InputError(f"{raw}: no such file or directory")
    return out
