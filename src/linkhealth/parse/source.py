"""Reading Markdown files, finding them, and turning offsets into line/column.

Positions. A leading byte-order mark is removed before anything else: column 1
of line 1 is the first character after the BOM. ``\\r\\n`` and a lone ``\\r``
end a line just like ``\\n``; the parser works on the text with line ends
normalised to ``\\n``, which changes no line number and no column (a line end is
never inside a span). Columns are 1-based and count characters (code points),
so for a one-line span ``source_lines[line - 1][column - 1 : end_column - 1]``
is the text as written, whatever the file's line ends. As CommonMark requires,
U+0000 is read as U+FFFD (one character for one, so no position moves).
"""

from __future__ import annotations

import fnmatch
import glob as globlib
import os
from bisect import bisect_right
from collections.abc import Sequence
from pathlib import Path

from linkhealth.errors import InputError

BOM = "\ufeff"
_GLOB_CHARS = frozenset("*?[")


def read_markdown(path: Path, *, max_bytes: int | None = None) -> str:
    """The text of ``path`` (UTF-8, leading BOM removed, line ends kept as written).

    Raises :class:`InputError` naming the file (and the byte offset for bad UTF-8).
    A file over ``max_bytes`` is refused before it is read (memory stays bounded).
    """
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if max_bytes is not None and size > max_bytes:
                raise InputError(_too_big(path, size, max_bytes))
            data = handle.read() if max_bytes is None else handle.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if max_bytes is not None and len(data) > max_bytes:  # it grew while we read it
        raise InputError(_too_big(path, len(data), max_bytes))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not valid UTF-8 at byte offset {exc.start} (byte 0x{data[exc.start]:02x})"
        ) from exc
    return text.removeprefix(BOM)


def _too_big(path: Path, size: int, limit: int) -> str:
    return (
        f"{path}: {size:,} bytes is over the limit of {limit:,} bytes for a Markdown file; "
        "not read (raise max-file-bytes in the config or LINKHEALTH_MAX_FILE_BYTES)"
    )


def normalise_newlines(text: str) -> str:
    """``text`` without a leading BOM, with ``\\r\\n`` and ``\\r`` turned into ``\\n``
    and U+0000 into U+FFFD."""
    text = text.removeprefix(BOM)
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


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
        key = Path(os.path.normpath(p))
        if key not in seen:
            seen.add(key)
            out.append(p)

    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for f in _walk(p, globs):
                add(f)
        elif p.is_file():
            add(p)
        elif _GLOB_CHARS & set(raw):
            matches = sorted(globlib.glob(raw, recursive=True))
            if not matches:
                raise InputError(f"{raw}: no files match this pattern")
            for m in matches:
                mp = Path(m)
                if mp.is_dir():
                    for f in _walk(mp, globs):
                        add(f)
                elif mp.is_file():
                    add(mp)
        elif p.exists():
            raise InputError(f"{raw}: not a regular file or directory")
        else:
            raise InputError(f"{raw}: no such file or directory")
    return out


class LineIndex:
    """Maps offsets in a ``\\n``-separated text to 1-based (line, column)."""

    __slots__ = ("starts",)

    def __init__(self, text: str) -> None:
        starts = [0]
        find = text.find
        i = find("\n")
        while i != -1:
            starts.append(i + 1)
            i = find("\n", i + 1)
        self.starts = starts

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self.starts, offset) - 1
        return line + 1, offset - self.starts[line] + 1
