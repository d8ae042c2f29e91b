"""Annotating files: read, rewrite, diff, and write back only what was read."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from linkhealth.annotate.lines import split_lines
from linkhealth.annotate.options import AnnotateOptions
from linkhealth.annotate.rewrite import annotate_text
from linkhealth.errors import InputError
from linkhealth.fsutil import atomic_write_bytes
from linkhealth.models import CheckResult
from linkhealth.textsafe import terminal_escape


class FileChangedError(InputError):
    """The file changed on disk between reading and writing; nothing was written."""


@dataclass(frozen=True)
class AnnotateChange:
    """One file's rewrite: the bytes read, the bytes to write, and a unified diff."""

    path: Path
    old: bytes
    new: bytes
    diff: str
    display: str = ""

    @property
    def changed(self) -> bool:
        return self.old != self.new


def unified_diff(old: str, new: str, display: str) -> str:
    """A ``git diff``-style unified diff (``a/`` and ``b/`` paths), '' when equal."""
    if old == new:
        return ""
    old_lines = [c + e for c, e in split_lines(old) if c or e]
    new_lines = [c + e for c, e in split_lines(new) if c or e]
    out: list[str] = []
    name = terminal_escape(display)  # a file name is the repository's to choose
    for line in difflib.unified_diff(old_lines, new_lines, f"a/{name}", f"b/{name}"):
        if line.endswith(("\r\n", "\n", "\r")):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _display(path: Path) -> str:
    try:
        return Path(os.path.relpath(path)).as_posix()
    except ValueError:
        return path.as_posix()


def annotate_file(
    path: Path, results: Mapping[str, CheckResult], options: AnnotateOptions
) -> AnnotateChange:
    """Read ``path`` (through a symlink), annotate it, and describe the change."""
    try:
        old = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        text = old.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not valid UTF-8 at byte offset {exc.start}; not annotated"
        ) from exc
    display = _display(path)
    new_text = annotate_text(text, display, results, options=options)
    new = new_text.encode("utf-8")
    return AnnotateChange(
        path=path, old=old, new=new, diff=unified_diff(text, new_text, display), display=display
    )


def write_change(change: AnnotateChange) -> bool:
    """Write ``change.new`` atomically if the file still holds ``change.old``.

    Returns whether anything was written. The file's mode is kept and a symlink is
    written through. Raises :class:`FileChangedError` (nothing written) when the
    file changed on disk since it was read.
    """
    if not change.changed:
        return False
    try:
        current = change.path.read_bytes()
    except OSError as exc:
        raise InputError(f"{change.path}: cannot read: {exc.strerror or exc}") from exc
    if current != change.old:
        raise FileChangedError(
            f"{change.path}: the file changed on disk since it was read; nothing written"
        )
    try:
        atomic_write_bytes(change.path, change.new)
    except OSError as exc:
        raise InputError(f"{change.path}: cannot write: {exc.strerror or exc}") from exc
    return True
