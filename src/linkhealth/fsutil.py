"""File-system helpers: atomic writes that never leave a half-written file."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def atomic_write_bytes(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` through a temp file in the same folder, then rename.

    On any failure the previous file is intact and the temp file is removed.
    A symlink at ``path`` is written through (its target is replaced). A device or a
    FIFO at ``path`` is written into, never replaced.
    """
    target = Path(os.path.realpath(path))
    if _is_special(target):
        # A device or a pipe (``--output /dev/null``, ``/dev/stdout``): write into it.
        # Renaming over it would replace the device node with a regular file.
        with open(target, "wb") as handle:
            handle.write(data)
        return
    folder = target.parent
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is None and target.exists():
            mode = target.stat().st_mode & 0o7777
        if mode is not None:
            os.chmod(tmp_name, mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp_name, 0o666 & ~umask)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


def _is_special(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def atomic_write_text(path: Path, text: str, *, mode: int | None = None) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)
