"""Finding the Markdown files a run reads: files as named, directories walked, globs expanded.

The first part of the input stage (:mod:`linkhealth.inputs`); reading and parsing
each file is :mod:`linkhealth.parse`'s job.
"""

from __future__ import annotations

import fnmatch
import glob as globlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from linkhealth.errors import InputError
from linkhealth.fsutil import leads_outside

_GLOB_CHARS = frozenset("*?[")


def _matches(name: str, globs: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(name, g) for g in globs)


@dataclass(frozen=True)
class WalkOptions:
    """What walking a folder skips: hidden files and folders (``.name``) unless ``hidden``;
    what ``.gitignore``/``.ignore`` files exclude unless ``no_ignore``. ``.git`` always."""

    hidden: bool = False
    no_ignore: bool = False


def _walk(top: Path, globs: Sequence[str], opts: WalkOptions, root: Path | None) -> list[Path]:
    found: list[Path] = []
    from linkhealth.inputs.gitignore import rules_above  # (a run naming files never reads one)

    rules = None if opts.no_ignore else rules_above(top, root)

    def keep(folder: Path, name: str, is_dir: bool) -> bool:
        if name == ".git" or (name.startswith(".") and not opts.hidden):
            return False
        return rules is None or not rules.ignored(folder / name, is_dir=is_dir)

    for dirpath, dirnames, filenames in os.walk(top):
        here = Path(dirpath)
        if rules is not None:
            rules.load(here)
        # Walk in a stable order.
        dirnames[:] = sorted(d for d in dirnames if keep(here, d, True))
        names = sorted(f for f in filenames if _matches(f, globs) and keep(here, f, False))
        found.extend(here / f for f in names)
    return found


def _glob_base(pattern: str) -> Path:
    """The folder a glob pattern is anchored in: its parts before the first wildcard."""
    fixed: list[str] = []
    for part in Path(pattern).parts:
        if _GLOB_CHARS & set(part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path()


def _confined(found: Path, named: Path, root: Path | None) -> None:
    """Refuse a file discovery found that leads (through a symlink) out of both the
    repository and the folder the user named: ``lists/leak.md -> /proc/self/environ``."""
    folders = (named,) if root is None else (named, root)
    real = leads_outside(found, *folders)
    if real is not None:
        raise InputError(
            f"{found}: a symlink to {real}, outside the repository and {named}/; not read"
            " (name the file itself to read it)"
        )


def discover(
    paths: Sequence[str],
    globs: Sequence[str],
    root: Path | None = None,
    walk: WalkOptions = WalkOptions(),
    *,
    listed: Sequence[str] = (),
) -> list[Path]:
    """The Markdown files named by ``paths``: files as given, directories walked for
    names matching ``globs``, and glob patterns expanded. Order: arguments in order,
    each directory or pattern sorted; duplicates dropped. A path that does not exist
    (or a pattern that matches nothing) raises :class:`InputError`, as does a file found
    by walking or a pattern that leads out of ``root`` (the repository) and of the folder
    named (:func:`linkhealth.fsutil.leads_outside`). ``listed`` paths (``--files-from``)
    were not named by the user: each is confined to ``root`` like a file found."""
    out: list[Path] = []
    seen: set[Path] = set()

    def add(p: Path, named: Path | None) -> None:
        """A file, or every matching file under a directory (anything else: nothing).
        ``named``: the folder the user named, when ``p`` was found rather than named."""
        for f in _walk(p, globs, walk, root) if p.is_dir() else [p] if p.is_file() else []:
            if f is not p or named is not None:
                _confined(f, named or p, root)
            key = Path(os.path.normpath(f))
            if key not in seen:
                seen.add(key)
                out.append(f)

    inside = root if root is not None else Path()
    for raw, named in [*((r, None) for r in paths), *((r, inside) for r in listed)]:
        p = Path(raw)
        if p.is_dir() or p.is_file():
            add(p, named)
        elif _GLOB_CHARS & set(raw):
            matches = sorted(globlib.glob(raw, recursive=True))
            if not matches:
                raise InputError(f"{raw}: no files match this pattern")
            for m in matches:
                add(Path(m), named or _glob_base(raw))
        elif p.exists():
            raise InputError(f"{raw}: not a regular file or directory")
        else:
            raise InputError(f"{raw}: no such file or directory")
    return out
