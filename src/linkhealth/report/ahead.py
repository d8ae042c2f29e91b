"""The JSON report's results list written by a second process while the run stores them.

An outage's tens of thousands of never-requested results are judged at once, then stored
(one packed record) and written as JSON (~5 us each): two passes of one core that need
nothing of each other once the results are final. :func:`start` forks a child that
writes the results' part of the JSON text (:func:`~linkhealth.report.jsonfmt.result_pieces`,
the very pieces the parent would write) into an unnamed temp file while the parent
stores the run; the parent's :func:`~linkhealth.report.jsonfmt.chunks` then reads that
text instead of making it (:meth:`ResultsText.pieces`).

Nothing depends on the child: when it cannot start (one usable core or another task
runnable, ``fork`` refused), fails in any way (an exception, killed, a short or unreadable
file) or stops making progress for :data:`STALL_SECONDS`, the parent writes the results
itself, as it always did: the same bytes, and any error in them raised by the parent's
own pass; why the child failed is kept (:attr:`ResultsText.failure`) for the caller to
say. The results must not change once the child is forked (the run starts it only when
they are final: an outage's, after their history).
"""

from __future__ import annotations

import codecs
import contextlib
import gc
import operator
import os
import select
import signal
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO

from linkhealth import procs
from linkhealth.models import CheckResult

#: Fewer results are written by the parent alone: a fork and its copied pages cost a few
#: tens of milliseconds, what writing ~10,000 results costs.
MIN_RESULTS = 20_000
#: Seconds without a byte more from the child before it is given up (its work is the
#: parent's own pass: a few seconds at most for a list of a million links).
STALL_SECONDS = 5.0
#: Children that write the results' text at most, a part each: with two cores, two
#: children and the parent share them (the parent's work left is the store's), and the
#: text of 200,000 results (~2 s of one core) is ready about twice as soon.
PARTS = 2
#: Bytes read back at a time.
_READ = 1 << 20
#: What the child says on its pipe when the text is whole: then its length (decimal).
_DONE = b"done "


class _Part:
    """One child writing its part of the results' text into its own temp file."""

    def __init__(self, pid: int, file: IO[bytes], done: int):
        self.pid: int | None = pid
        self.file: IO[bytes] | None = file
        self.done = done  # the read end of the child's pipe
        self.failure: str | None = None

    def text(self) -> IO[bytes] | None:
        """The child's file, whole and at its start, once the child is done; ``None``
        (closed) when it failed or stalled (:attr:`failure` says how)."""
        length = self._wait()
        file, self.file = self.file, None  # closed already when the child stalled
        if file is None:
            return None
        if length is None:
            file.close()
            return None
        size = os.fstat(file.fileno()).st_size
        if size != length:
            self.failure = f"wrote {size} bytes of the {length} it said"
            file.close()
            return None
        file.seek(0)
        return file

    def _wait(self) -> int | None:
        """The text's length once the child is done, or ``None`` (it failed or stalled:
        ended here)."""
        said = b""
        assert self.file is not None
        size = os.fstat(self.file.fileno()).st_size  # one silent interval gives it up
        while True:
            ready, _, _ = select.select([self.done], [], [], STALL_SECONDS)
            if not ready:  # silent: still writing, or stuck
                now = os.fstat(self.file.fileno()).st_size
                if now == size:
                    self.close()
                    self.failure = f"wrote nothing more for {STALL_SECONDS:g} s (ended)"
                    return None
                size = now
                continue
            chunk = os.read(self.done, 64)
            if not chunk:
                break
            said += chunk
        status = self._reap()
        if status is not None and status < 0:
            self.failure = f"was killed by signal {-status}"
        elif status != 0:
            self.failure = f"exited with status {status}"
        elif said.startswith(_DONE) and said[len(_DONE) :].isdigit():
            return int(said[len(_DONE) :])
        else:
            self.failure = "ended without saying its text's length"
        return None

    def _reap(self) -> int | None:
        """The child's exit status (waited for), ``None`` when it was reaped before."""
        pid, self.pid = self.pid, None
        os.close(self.done)
        self.done = -1
        if pid is None:
            return None
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status)

    def close(self) -> None:
        """End the child if it still runs, and drop its text (safe to call again)."""
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self._reap()
        if self.file is not None:
            self.file.close()
            self.file = None


class ResultsText:
    """The results' text being written by forked children, a part each (see :func:`start`)."""

    def __init__(self, results: Sequence[CheckResult], parts: list[_Part], between: str):
        self.results = results
        self.parts = parts
        self.between = between  # what joins two parts' texts
        #: Why the children's text was not used though it was asked for (one failed or
        #: stalled): the parent wrote the results itself. ``None``: used, or not asked.
        self.failure: str | None = None

    @property
    def pids(self) -> list[int]:
        """The children still to be reaped."""
        return [part.pid for part in self.parts if part.pid is not None]

    def pieces(self, results: Sequence[CheckResult]) -> Iterator[str] | None:
        """The text of ``results`` as the children wrote it, a piece at a time, or
        ``None`` (they are not the very results they were started with, or one failed:
        write them). Once: a second call gives ``None``."""
        files = self.files(results)
        return None if files is None else _joined(files, self.between)

    def files(self, results: Sequence[CheckResult]) -> list[IO[bytes]] | None:
        """The children's files of the text of ``results``, whole (UTF-8) and at their
        start, in order (the caller's to close; joined by :attr:`between`), or ``None``
        as :meth:`pieces` says. Once: a second call gives ``None``."""
        if not any(part.file is not None for part in self.parts) or not _same_items(
            results, self.results
        ):
            self.close()
            return None
        files: list[IO[bytes]] = []
        for part in self.parts:
            file = part.text()
            if file is None:
                self.failure = part.failure
                for other in files:
                    other.close()
                self.close()
                return None
            files.append(file)
        return files

    def close(self) -> None:
        """End the children still running, and drop their text (safe to call again)."""
        for part in self.parts:
            part.close()


def _same_items(results: Sequence[CheckResult], others: Sequence[CheckResult]) -> bool:
    """Whether two lists hold the very same results in the same order (a report holds a
    copy of the run's list)."""
    return len(results) == len(others) and all(map(operator.is_, results, others))


def _joined(files: list[IO[bytes]], between: str) -> Iterator[str]:
    """The files' texts (:func:`_decoded`) one after another, ``between`` between two."""
    for n, file in enumerate(files):
        if n and between:
            yield between
        yield from _decoded(file)


def _decoded(file: IO[bytes]) -> Iterator[str]:
    """The file's UTF-8 text a piece at a time, then the file closed."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with file:
        while block := file.read(_READ):
            yield decoder.decode(block)
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail


def start(
    results: Sequence[CheckResult],
    write: Callable[[Sequence[CheckResult]], Iterable[str]],
    between: str,
) -> ResultsText | None:
    """Children writing ``write(results)`` (each piece as UTF-8) into unnamed temp files,
    a part of the results each (:data:`PARTS` at most, as many as the idle cores), or
    ``None`` when they are fewer than :data:`MIN_RESULTS`, no second core is idle or no
    child can start. The text of the whole is the parts' texts joined by ``between``
    (``write``'s text of a list must be so made of its parts'). The caller must
    :meth:`~ResultsText.close` it (or read its :meth:`~ResultsText.pieces`)."""
    fork = _fork()
    if fork is None or len(results) < MIN_RESULTS or not procs.free_core():
        return None
    # A child reads every result of its part, so the pages holding them are copied
    # (refcounts): up to the parent's resident memory again in all (review11 R9: +98 MB
    # beside 159 MB at 30,000 results). Without that much to spare, the parent writes.
    if not procs.memory_to_spare(procs.resident_bytes()):
        return None
    count = max(1, min(PARTS, procs.usable_cores(), len(results)))
    parts: list[_Part] = []
    for n in range(count):
        part = results[len(results) * n // count : len(results) * (n + 1) // count]
        child = _start_part(fork, part, write)
        if child is None:
            for made in parts:
                made.close()
            return None
        parts.append(child)
    return ResultsText(results, parts, between)


def _start_part(
    fork: Callable[[], int],
    part: Sequence[CheckResult],
    write: Callable[[Sequence[CheckResult]], Iterable[str]],
) -> _Part | None:
    """A child writing ``write(part)``, or ``None`` when it cannot start."""
    try:
        file = tempfile.TemporaryFile()  # noqa: SIM115  (the _Part's to close)
    except OSError:
        return None
    try:
        done, said = os.pipe()
    except OSError:
        file.close()
        return None
    try:
        with warnings.catch_warnings():
            # 3.12+ warns of fork in a process with threads (the resolver's): the child
            # takes no lock they may hold (it encodes and writes), and a child stuck all
            # the same is given up (STALL_SECONDS).
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = fork()
    except OSError:
        file.close()
        os.close(done)
        os.close(said)
        return None
    if pid == 0:  # pragma: no cover  (the child: measured by the parent's tests)
        _child(file, said, lambda: write(part))
    os.close(said)
    return _Part(pid, file, done)


def _fork() -> Callable[[], int] | None:
    """``os.fork`` where a child of a process with threads alive is safe to use for this:
    not where there is none (Windows), nor on macOS, whose system libraries are not safe
    in a forked child (review11 R4: the missing ``os.fork`` ended the run with a traceback)."""
    fork: Callable[[], int] | None = getattr(os, "fork", None)
    if sys.platform == "darwin":
        return None
    return fork


def _child(file: IO[bytes], said: int, pieces: Callable[[], Iterable[str]]) -> None:
    """Write the pieces, say how long they are, and leave at once: no exit handler, no
    buffer or file of the parent's is flushed or closed from here."""
    status = 1
    try:
        gc.disable()  # the results are the parent's: nothing cyclic is made here
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # the parent's handlers stay its own
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        with contextlib.suppress(ValueError):
            signal.set_wakeup_fd(-1)
        fd = file.fileno()
        length = 0
        batch: list[bytes] = []
        size = 0
        for piece in pieces():
            data = piece.encode("utf-8")
            batch.append(data)
            size += len(data)
            if size >= _READ:
                length += procs.write_all(fd, b"".join(batch))
                batch, size = [], 0
        length += procs.write_all(fd, b"".join(batch))
        os.write(said, _DONE + str(length).encode())
        status = 0
    finally:
        os._exit(status)
