"""File-system helpers: where linkhealth may write, and atomic writes that never leave a
half-written file.

The write rule (one place: :func:`write_target`). A file is written only where its path
leads *after* following symlinks, and only when that place stays inside the folder the
write is confined to: the repository root (:func:`default_root`) for a path named inside
the repository, else the folder the path was named in. A symlink committed as
``reports/broken-links.md -> ~/.bashrc`` or ``lists/x.md -> /etc/...``, or a folder
symlinked out of the repository, is refused (:class:`OutsideWriteError`); nothing is
written anywhere. Symlinks that stay inside are written through (their target is
replaced). A path named under ``/dev`` (``--output /dev/stdout``) is written into as it is.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, BinaryIO, TextIO

_DEVICES = "/dev"


class OutsideWriteError(PermissionError):
    """A write would follow a symlink out of the folder it is confined to."""


def default_root(start: Path) -> Path:
    """The repository root: the nearest folder above ``start`` holding ``.git``, else ``start``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def leads_outside(path: Path, *folders: Path) -> str | None:
    """Where ``path`` leads after following symlinks, when that is outside every one of
    ``folders`` (themselves taken as they resolve); ``None`` when it stays inside one.

    The read rule: a file linkhealth finds by itself (walking a folder, expanding a
    glob, the repository's own ``.linkhealthignore``) is read only when it stays inside
    the repository or the folder the user named; a path the user names is read as named.
    """
    real = os.path.realpath(path)
    if any(_inside(real, os.path.realpath(folder)) for folder in folders):
        return None
    return real


def write_target(path: Path, root: Path | None = None) -> Path:
    """Where a write to ``path`` lands (symlinks followed), if that is allowed.

    ``root`` is the repository root (default: :func:`default_root` of the working
    folder). Raises :class:`OutsideWriteError` (an ``OSError``; its ``strerror`` says
    why) when the place lies outside the folder the write is confined to.
    """
    named = os.path.abspath(path)
    if _inside(named, _DEVICES):
        return Path(named)
    repo = str(root if root is not None else default_root(Path.cwd()))
    repo_real = os.path.realpath(repo)
    if _inside(named, os.path.abspath(repo)) or _inside(named, repo_real):
        folder, where = repo_real, "the repository"
    else:
        folder = os.path.realpath(os.path.dirname(named))
        where = "the folder it is named in"
    real = os.path.realpath(named)
    if not _inside(real, folder):
        raise OutsideWriteError(
            errno.EPERM,
            f"it leads through a symlink to {real}, outside {where} ({folder}); "
            "linkhealth never writes through such a symlink",
        )
    return Path(real)


def make_folder(folder: Path, root: Path | None = None) -> None:
    """Create ``folder`` and its parents, under :func:`write_target`'s rule (a folder
    symlinked out of the repository gets nothing created below it)."""
    write_target(folder, root)
    folder.mkdir(parents=True, exist_ok=True)


def atomic_write_bytes(
    path: Path, data: bytes, *, mode: int | None = None, root: Path | None = None
) -> None:
    """Write ``data`` to ``path`` through a temp file in the same folder, then rename.

    On any failure the previous file is intact and the temp file is removed. Where the
    write may land is :func:`write_target`'s rule (``root``: the repository root). A
    device or a FIFO there is written into, never replaced.
    """
    with AtomicFiles(root) as files:
        files.write_bytes(path, data, mode=mode)


class AtomicFiles:
    """Files written to temp files beside their targets, put in place together when the
    ``with`` block ends without an error; on an error (a failing write, a render raising
    half-way through its pieces, an interrupt) no file is replaced and no temp file is
    left. A device or a FIFO target is written into at once, never replaced.
    """

    def __init__(self, root: Path | None = None) -> None:
        self.root = root
        self._staged: list[tuple[str, Path]] = []

    def __enter__(self) -> AtomicFiles:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()

    def write(
        self, path: Path, pieces: Iterable[str | IO[bytes]], *, mode: int | None = None
    ) -> None:
        """Stage the text ``pieces`` for ``path``, each encoded as UTF-8 and written as it
        comes: a generator may render while it is written, and nothing is held whole. A
        piece that is a file (UTF-8 text already, at its start) is copied whole, as it is,
        then closed."""

        def fill(handle: BinaryIO) -> None:
            for piece in pieces:
                if isinstance(piece, str):
                    handle.write(piece.encode("utf-8"))
                else:
                    with piece:
                        _copy_file(piece, handle)

        self._stage(path, fill, mode)

    def write_bytes(self, path: Path, data: bytes, *, mode: int | None = None) -> None:
        """Stage ``data`` for ``path``."""
        self._stage(path, lambda handle: handle.write(data), mode)

    def _stage(self, path: Path, fill: Callable[[BinaryIO], object], mode: int | None) -> None:
        target = write_target(path, self.root)
        if _is_special(target) or _inside(str(target), _DEVICES):
            # A device or a pipe (``--output /dev/null``, ``/dev/stdout``): write into it.
            # Renaming over it would replace the device node (or /dev/stdout's link).
            with open(target, "wb") as handle:
                fill(handle)
            return
        import tempfile  # only a command that writes a file pays for it

        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        self._staged.append((tmp_name, target))
        with os.fdopen(fd, "wb") as handle:
            fill(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is None and target.exists():
            mode = target.stat().st_mode & 0o7777
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp_name, mode)

    def read_back(self, path: Path) -> TextIO | None:
        """The text staged for ``path``, open for reading; call it before the files are put
        in place: the open file is still this text whatever replaces ``path`` afterwards
        (another run's rename). ``None`` when ``path`` was written into at once (a device
        or a pipe) or not staged."""
        target = write_target(path, self.root)
        for tmp_name, staged in self._staged:
            if staged == target:
                return open(tmp_name, encoding="utf-8", newline="")
        return None

    def commit(self) -> None:
        """Put every staged file in place (each by one rename); an ``OSError`` names the
        target it could not replace (its ``filename``)."""
        try:
            while self._staged:
                tmp_name, target = self._staged[0]
                try:
                    os.replace(tmp_name, target)
                except OSError as exc:
                    raise OSError(exc.errno, exc.strerror, str(target)) from exc
                self._staged.pop(0)
        finally:
            self.discard()

    def discard(self) -> None:
        """Remove every staged temp file; no target is touched."""
        for tmp_name, _ in self._staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
        self._staged.clear()


def _copy_file(source: IO[bytes], target: BinaryIO) -> None:
    """The rest of ``source`` appended to ``target``: by the kernel where it can
    (``copy_file_range``: the 260 MB of an outage's JSON results read, decoded, encoded
    and written again took ~0.3 s of CPU, copied ~0.1 s), else through this process."""
    target.flush()
    copy = getattr(os, "copy_file_range", None)
    if copy is not None:
        source_fd, target_fd = source.fileno(), target.fileno()
        source.seek(source.tell())  # the file's own offset where Python's stands
        try:
            while copy(source_fd, target_fd, _COPY_BYTES):
                pass
        except OSError:  # not between these two (another file system, a pipe, a device)
            source.seek(os.lseek(source_fd, 0, os.SEEK_CUR))  # on from what was copied
        else:
            return
    shutil.copyfileobj(source, target, _COPY_BYTES)


#: Bytes copied at a time.
_COPY_BYTES = 1 << 24


def _is_special(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def atomic_write_text(
    path: Path, text: str | Iterable[str], *, mode: int | None = None, root: Path | None = None
) -> None:
    """:func:`atomic_write_bytes` for text as UTF-8, whole or a piece at a time (each
    piece encoded and written as it comes)."""
    with AtomicFiles(root) as files:
        files.write(path, [text] if isinstance(text, str) else text, mode=mode)
