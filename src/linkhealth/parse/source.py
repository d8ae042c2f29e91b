"""Reading Markdown files and turning offsets into line/column.

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

import os
import re
import stat
from bisect import bisect_right
from pathlib import Path

from linkhealth.errors import InputError

BOM = "\ufeff"


def read_markdown(path: Path, *, max_bytes: int | None = None) -> str:
    """The text of ``path`` (UTF-8, leading BOM removed, line ends kept as written).

    Raises :class:`InputError` naming the file (and the byte offset for bad UTF-8).
    A file over ``max_bytes`` is refused before it is read (memory stays bounded).
    Only a regular file is read: a FIFO, a device or ``/dev/stdin`` is refused without
    waiting (opened non-blocking, then checked), so no list can hang a run.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise InputError(f"{path}: {_kind(info.st_mode)}, not a regular file; not read")
            size = info.st_size
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


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a directory" if stat.S_ISDIR(mode) else "a special file"


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


_LINE_END = re.compile("\n")


def line_starts(text: str) -> list[int]:
    """Where each line of a ``\\n``-separated text starts (0 first)."""
    return [0, *[m.end() for m in _LINE_END.finditer(text)]]


class LineIndex:
    """Maps offsets in a ``\\n``-separated text to 1-based (line, column)."""

    __slots__ = ("starts",)

    def __init__(self, text: str) -> None:
        self.starts = line_starts(text)

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self.starts, offset) - 1
        return line + 1, offset - self.starts[line] + 1
