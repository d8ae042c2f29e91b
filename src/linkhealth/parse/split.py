"""A large file parsed by two processes at once (issue 15): the same results, sooner.

The file's process (the parent) walks the chunks (:func:`~.markdown.chunks`) before a cut;
a worker walks the chunks from the cut on. The worker is a fresh interpreter that imports
the parser only (a forked copy would touch, and so count again, the parent's pages),
started before the file is read so that its start-up overlaps the reading. It is handed
its half through a temporary file, and hands back tuples the same way.

The cut is a chunk boundary at an ATX heading (at column 0 after a blank line: it ends
every open block, and at depth 0 it empties the section stack), the one nearest the
middle of the file. What the two walks share across it is exchanged exactly:

- reference definitions (the first in the file wins): the parent's
  :meth:`~.walk.Walk.prepare` reads every chunk's labels, and the definitions after the
  cut that its half may use, as one process does; the worker is sent the first
  definitions before the cut of the labels its half may use (block-parsed from those
  chunks only); its own definitions of those labels never count. A file with no ``]:``
  has no definition: neither process reads a label, and the worker cuts its half itself;
- which definitions were used (an unused one is reported at its destination, in the
  order of the file), and which broken ones were reported (once, at the first use);
- the "refused scheme neutralised" flag (once a chunk was changed, :func:`~.markdown.restore`
  reads every later text): the worker says whether any text of its half would read
  differently with the flag set; if so and the parent's half set it, one process parses.

Asked for the extract command's output (``fp.render``), each process renders its own
half a chunk at a time (:func:`_rendered`: sorted as one process sorts, with a place at
each definition, where an unused one is put), the worker's texts stay in its file until
written out, and the parent only merges (not for a file with ignored lines: the worker
then sends its occurrences).

Below :data:`SPLIT_MIN_BYTES`, without a second idle core (one core, or another task
runnable), without a heading to cut at, or when the worker fails in any way (it
cannot start, exits badly, writes a short or unreadable result, does not finish), the
file is parsed in one process: nothing lost, nothing printed. A region the Rust parser
cannot take is parsed by the fallback, as in one process.
"""

from __future__ import annotations

import contextlib
import gc
import json
import marshal
import os
import sys
import time
import weakref
import zlib
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from itertools import islice
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import linkhealth
from linkhealth import procs
from linkhealth.config import CommentMode
from linkhealth.errors import InputError
from linkhealth.parse import markdown
from linkhealth.parse.extract import PLACE, _FileParser, occurrence, rust_refused
from linkhealth.parse.ignore_markers import has_markers
from linkhealth.parse.markdown import RefDef, chunks, restore
from linkhealth.parse.urls import normalise_url
from linkhealth.parse.walk import RustParserUnsafe, Walk, refuse
from linkhealth.records import Finding, LinkKind, Occurrence, Severity

if TYPE_CHECKING:  # subprocess is imported where a worker starts (lint of small files: never)
    import subprocess

#: Files smaller than this are parsed in one process: a worker costs ~0.15 s of CPU and
#: ~17 MB to start, about what parsing 0.5 MB costs.
SPLIT_MIN_BYTES = 2_000_000
#: The part of the text the parent walks: it hands the worker its half ~0.25 s after it
#: starts (reading, cutting), then reads every chunk's labels while the worker reads its
#: own and waits for the definitions it is sent; the worker also writes its occurrences
#: (CPU seconds on the bench list: at 0.48 both walks end together, at 0.55 the worker
#: had waited 0.65 s; 0.50 for the worker's wait for its definitions, which is no CPU).
PARENT_SHARE = 0.50
#: Seconds a worker may take beyond ten times the parent's walk (then one process parses).
WORKER_GRACE = 60.0
_VERSION = 2  # of what the worker writes
_SIZE_BYTES = 8  # a record's size, before it
_KINDS = {k.value: k for k in LinkKind}
_SEVERITIES = {s.value: s for s in Severity}

# (key, start, end, url, label): a definition before the cut, offsets in the file
Seed = tuple[str, int, int, str, str]
# the worker's last record, its occurrences and their keys, where its rendered parts are
_Found = tuple[dict[str, Any], list[Occurrence], list[str], list[tuple[int, int]]]


class Worker:
    """A worker process, waiting for the second half of one file."""

    def __init__(self, proc: subprocess.Popen[bytes], data: IO[bytes], out: IO[bytes]) -> None:
        self.proc = proc
        self.data = data  # the half, as UTF-8, then the messages
        self.out = out  # what the worker found (marshal)
        self.given = False  # out given to the texts it holds (see texts())

    @classmethod
    def start(cls, argv: list[str] | None = None) -> Worker | None:
        """A worker, or None (no idle core, or no process could be started). ``argv``:
        the command that runs :func:`main` (tests give a failing one)."""
        import subprocess
        import tempfile

        if not procs.free_core() or not sys.executable or getattr(sys, "frozen", False):
            return None  # (a frozen program would not run "-c")
        files: list[IO[bytes]] = []
        try:
            data = tempfile.TemporaryFile()  # noqa: SIM115 - open until cancel()
            files.append(data)
            out = tempfile.TemporaryFile()  # noqa: SIM115
            files.append(out)
            proc = subprocess.Popen(
                # the files' descriptors as its arguments (the messages are in "data")
                [*(argv or _worker_argv()), str(data.fileno()), str(out.fileno())],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(data.fileno(), out.fileno()),
            )
        except (OSError, ValueError):  # no temporary file, no process, no pass_fds
            for f in files:
                f.close()
            return None
        return cls(proc, data, out)

    def _say(self, message: object, *, last: bool = False) -> bool:
        """A message to the worker; False if it is gone. It is written to the data file,
        and where it is to the pipe: a line of a few bytes (three in all), so that a write
        to the pipe never waits for a worker that does not read it."""
        stdin = self.proc.stdin
        body = json.dumps(message).encode("utf-8")
        try:
            assert stdin is not None
            at = self.data.seek(0, os.SEEK_END)
            self.data.write(body)
            self.data.flush()
            stdin.write(b"%d %d\n" % (at, len(body)))
            stdin.flush()
            if last:
                stdin.close()
        except (OSError, ValueError):  # a broken pipe, or closed
            return False
        return True

    def send(self, header: dict[str, Any], half: bytes) -> bool:
        """The half (at the start of the data file, before the header that names it)."""
        try:
            self.data.write(half)
            self.data.flush()
        except OSError:
            return False
        return self._say({**header, "bytes": len(half)})

    def defined(self, keys: set[str]) -> bool:
        """The labels defined before the cut (a superset): a worker whose half may use
        none of them walks on without waiting for :meth:`seed`."""
        return self._say({"defined": sorted(keys)})

    def seed(self, seeds: list[Seed]) -> bool:
        """The definitions before the cut that the worker's half may use (the last word)."""
        return self._say({"seeds": seeds}, last=True)

    def result(self, timeout: float, fp: _FileParser) -> _Found | None:
        """What the worker found (its last record; the occurrences of ``fp``'s file its
        chunks' records hold, and their keys, or the parts of its rendered occurrences),
        or None (it failed, or took longer than ``timeout``)."""
        import subprocess

        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        if code != 0:
            return None
        occurrences: list[Occurrence] = []
        keys: list[str] = []
        parts: list[tuple[int, int]] = []
        try:
            self.out.seek(0)
            record = _load(self.out)
            while "status" not in record:
                if "parts" in record:  # where they are (read when written out), whole
                    parts.append((self.out.tell(), record["parts"]))
                    if zlib.crc32(self.out.read(record["parts"])) != record["crc"]:
                        return None
                else:
                    _occurrences(fp, record["occurrences"], occurrences, keys)
                record = _load(self.out)
        except (OSError, EOFError, ValueError, TypeError, KeyError):  # short, or not ours
            return None
        if record.get("version") != _VERSION:
            return None
        return record, occurrences, keys, parts

    def texts(self, parts: list[tuple[int, int]], kept: dict[str, str]) -> Iterable[str]:
        """The worker's rendered texts (``parts``: where :meth:`result` found them), its
        unused definitions where their keys are ``kept``: read from its file when they
        are written out (the file is theirs now: closed when they are forgotten)."""
        self.given = True
        return _Texts(self.out, parts, kept)

    def cancel(self) -> None:
        """Stop the worker if it still runs; close its files (safe to call twice)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):  # a broken pipe
                self.proc.stdin.close()
        self.data.close()
        if not self.given:
            self.out.close()


class _Texts:
    """A worker's rendered texts in its file, read a record at a time (see
    :meth:`Worker.texts`)."""

    def __init__(self, file: IO[bytes], parts: list[tuple[int, int]], kept: dict[str, str]):
        self.file = file
        self.parts = parts
        self.kept = kept
        weakref.finalize(self, file.close)

    def __iter__(self) -> Iterator[str]:
        for at, size in self.parts:
            try:  # checked whole by result(): only the device can fail us now
                self.file.seek(at)
                part = marshal.loads(self.file.read(size))
            except (OSError, EOFError, ValueError) as exc:
                raise InputError(f"cannot read back the second half's output: {exc}") from exc
            yield from _placed([part], self.kept)


def start_worker(path: Path) -> Worker | None:
    """A worker for the file at ``path`` if it is large enough to be worth one (started
    before the file is read: its start-up overlaps the reading)."""
    try:
        size = os.stat(path).st_size
    except OSError:
        return None  # reading it will say why
    return Worker.start() if size >= SPLIT_MIN_BYTES else None


def _worker_argv() -> list[str]:
    """The worker runs the parent's own linkhealth (not another one on its path).

    ``-P``: nothing from the current directory is imported (``-c`` would put it first on
    the path: a repository's own ``json.py`` would run in the worker). The parent's
    folder goes first only when it is not on the path already (an installed linkhealth's
    is site-packages, which must stay after the standard library)."""
    root = str(Path(linkhealth.__file__).resolve().parent.parent)
    code = (
        f"import sys; r = {root!r}; r in sys.path or sys.path.insert(0, r); "
        "from linkhealth.parse.split import main; raise SystemExit(main())"
    )
    return [sys.executable, "-P", "-c", code]


# ---- the parent -------------------------------------------------------------------


def parse_halves(fp: _FileParser, worker: Worker) -> bool:
    """Walk the whole of ``fp``'s text (no whole-file comment), the second half in
    ``worker``; False: not done (no cut, or the worker failed), the caller forgets what
    was found and parses in one process. Raises :class:`RustParserUnsafe` where one
    process would fall back."""
    text, starts = fp.text, fp.index.starts
    head = _head(text, starts)
    k = _cut(text, head)
    if k is None:
        return False
    cut = head[k][0]
    line = bisect_right(starts, cut) - 1  # the cut's (0-based): lines before it
    half = text[cut:]
    # no "]:" in the file: no definition, no label read on either side (a list of plain
    # links), and the worker cuts its half itself (the parent reads those chunks only for
    # their labels). Cut as one process cuts it: a heading after a blank line leaves the
    # chunker as new.
    defined = text.find("]:") != -1
    tail = chunks(half, [x - cut for x in starts[line:]]) if defined else None
    # the output rendered by each process, unless lines are ignored (run() drops them)
    render = fp.render if not has_markers(text) else None
    header = {
        "file": fp.file,
        "render": render,
        "comments": fp.comments.value,
        "chunk_chars": markdown.CHUNK_CHARS,
        "cut": cut,
        "line_base": line,
        "chunks": tail,
        "defined": defined,
    }
    # (a lone surrogate, from a caller's text, is refused below: the parse falls back)
    if not worker.send(header, half.encode("utf-8", "surrogatepass")):
        return False
    del half
    cuts = head[:k] + [_shift(c, cut) for c in tail or ()]
    walk = Walk(fp, 0, len(text), in_comment=False, cut=cuts, defined=defined)
    # the labels defined before the cut at once: the worker waits only if it may use one
    read = [walk._labels(a, b) for a, b in head[:k]] if defined else []
    if not worker.defined(set().union(*(names for _, names in read))):
        return False
    refuse(text)  # the worker is told nothing: the caller falls back and ends it
    labels = walk.prepare(None, read)
    # the last word: a worker whose half uses no label defined before the cut may have
    # ended already (a broken pipe); one that needed the seeds and missed them fails,
    # and result() says so
    worker.seed(_seeds(walk, labels, k))
    began = time.perf_counter()
    own: list[list[str]] = []  # this half's output (render given), a chunk at a time
    last = (0, 0)
    for j in range(k):
        known = len(walk.refdefs)
        walk.walk_chunk(*walk.chunks[j], labels[j][0])
        if render is not None:
            try:
                done, last = _rendered(fp, render, _new(walk, known), last)
            except ValueError:  # never seen (see _rendered): one process parses
                return False
            own.append(done)
    # the duplicate-url rule's keys while the worker walks (it finds those of its half)
    keys = list(fp.occurrence_keys()) if render is None else []
    got = worker.result(WORKER_GRACE + 10 * (time.perf_counter() - began), fp)
    if got is None:
        return False
    found, occurrences, their_keys, parts = got
    if found["status"] == "unsafe":  # one process would have fallen back: so do we
        raise RustParserUnsafe
    if found["sensitive"] and walk.neutralised:
        return False
    fp.occurrences.extend(occurrences)
    keys.extend(their_keys)
    _merge(fp, walk, found, keys, own, partial(worker.texts, parts) if render else None)
    return True


def _head(text: str, starts: list[int]) -> list[tuple[int, int]]:
    """The chunks of the text up to a little past where the cut should be (the last
    piece ends there, not at a cut): what one process cuts there (the chunker reads
    line by line), and the worker's start sooner than after cutting the whole."""
    n = len(text)
    end = min(int(n * PARENT_SHARE) + markdown.CHUNK_CHARS * 5 // 4, 3 * n // 4)
    i = min(bisect_left(starts, end), len(starts) - 1)
    return chunks(text[: starts[i]], starts[: i + 1])


def _shift(chunk: tuple[int, int], by: int) -> tuple[int, int]:
    return chunk[0] + by, chunk[1] + by


def _cut(text: str, chunks: list[tuple[int, int]]) -> int | None:
    """The first chunk of the worker's half: one that starts with a heading, the nearest
    to :data:`PARENT_SHARE` of the text, in its middle half (None if there is none)."""
    n = len(text)
    target = int(n * PARENT_SHARE)
    best: int | None = None
    for k in range(1, len(chunks)):  # every start but the first is a cut
        a = chunks[k][0]
        if (
            text.startswith("#", a)
            and n // 4 <= a <= 3 * n // 4
            and (best is None or abs(a - target) < abs(chunks[best][0] - target))
        ):
            best = k
    return best


def _seeds(walk: Walk, labels: list[tuple[set[str], set[str]]], k: int) -> list[Seed]:
    """The first definitions before chunk ``k`` of labels that chunks from ``k`` on may
    use (``labels``: what each chunk may use and define)."""
    need = set().union(*(used for used, _ in labels[k:]))
    need.intersection_update(*[set().union(*(defined for _, defined in labels[:k]))])
    if not need:
        return []
    found: dict[str, RefDef] = {}
    flag = walk.neutralised  # these block parses are no part of one process's walk
    for j in range(k):
        if not labels[j][1].isdisjoint(need):
            a, b = walk.chunks[j]
            walk._definitions(walk._tree(a, b).children, found)
    walk.neutralised = flag
    return [(key, d.start, d.end, d.url, d.label) for key, d in found.items() if key in need]


def _merge(
    fp: _FileParser,
    walk: Walk,
    found: dict[str, Any],
    keys: list[str],
    mine: list[list[str]],
    texts: Callable[[dict[str, str]], Iterable[str]] | None,
) -> None:
    """The worker's findings and the unused definitions of both halves after what the
    walks found, as one process appends them; ``keys``: the dedupe keys of the
    occurrences so far (kept beside them in ``fp.keys``); ``mine``: the rendered
    occurrences (see :func:`_rendered`) of the parent's half, ``texts``: the worker's
    given the keys of its unused definitions kept (None: not rendered)."""
    file = fp.file
    own = dict(found["defs"])  # finding index -> the definition it reports
    external: dict[int, list[tuple[Any, ...]]] = {}
    for item in found["external"]:
        external.setdefault(item[0], []).append(item)
    findings = found["findings"]
    for i in range(len(findings) + 1):
        for _, rule, message, suggestion, ds, de, section, severity in external.get(i, ()):
            if fp._first_report(ds):  # a definition before the cut: the parent reports it
                fp._finding(rule, message, suggestion, ds, de, section, _SEVERITIES[severity])
        if i < len(findings) and (i not in own or fp._first_report(own[i])):
            fp.findings.append(_finding(file, findings[i]))
    used = set(found["used"])
    kept: dict[str, str] = {}  # the parent's unused definitions, rendered
    for key, d, sec in walk.unused():
        if key not in used:
            fp._link(LinkKind.REFERENCE, d.url, d.start, d.end, None, sec, False)
            if texts:
                kept[key] = _rendered(fp, fp.render or "", [], (0, 0))[0][0]
    if not texts:
        keys.extend(normalise_url(o.url) for o in fp.occurrences[len(keys) :])
    theirs: dict[str, str] = {}
    for key, occs, finds in found["unused"]:
        if key not in walk.refdefs and key not in walk.used:
            if texts:
                theirs[key] = occs
            else:
                _occurrences(fp, occs, fp.occurrences, keys)
            fp.findings.extend(_finding(file, t) for t in finds)
    fp.keys = keys
    if texts:
        fp.rendered = [*_placed(mine, kept), texts(theirs)]


# the fields of an occurrence as the worker sends them (one list each: no tuple a row),
# and its dedupe key (None: the URL itself)
_COLUMNS = (
    "url",
    "line",
    "column",
    "end_line",
    "end_column",
    "text",
    "kind",
    "section",
    "in_comment",
    "key",
)


def _occurrences(
    fp: _FileParser, columns: list[list[Any]], into: list[Occurrence], keys: list[str]
) -> None:
    """The occurrences of ``fp``'s file in ``columns`` appended to ``into``, their
    dedupe keys to ``keys``."""
    kinds, file = _KINDS, fp.file
    into.extend(
        occurrence(
            url, file, line, column, end_line, end_column, text, kinds[kind], section, in_comment
        )
        for url, line, column, end_line, end_column, text, kind, section, in_comment in zip(
            *columns[:-1], strict=True
        )
    )
    keys.extend(u if k is None else k for u, k in zip(columns[0], columns[-1], strict=True))


def _columns(fp: _FileParser) -> list[list[Any]]:
    """``fp``'s occurrences as one list a field (:data:`_COLUMNS`), with their keys for
    the parent's duplicate-url rule (made here, at once); both forgotten."""
    into: list[list[Any]] = [[] for _ in _COLUMNS]
    urls, lines, columns, end_lines, end_columns, texts, kinds, sections, comments, keys = into
    for o, key in zip(fp.occurrences, fp.occurrence_keys(), strict=True):
        url = o.url
        urls.append(url)
        keys.append(None if key == url else key)
        lines.append(o.line)
        columns.append(o.column)
        end_lines.append(o.end_line)
        end_columns.append(o.end_column)
        texts.append(o.text)
        kinds.append(o.kind.value)
        sections.append(o.section)
        comments.append(o.in_comment)
    return into


def _finding(file: str, t: tuple[Any, ...]) -> Finding:
    line, column, end_line, end_column, rule, message, suggestion, severity, raw, section = t
    return Finding(
        file=file,
        line=line,
        column=column,
        end_line=end_line,
        end_column=end_column,
        rule=rule,
        message=message,
        suggestion=suggestion,
        severity=_SEVERITIES[severity],
        raw=raw,
        section=section,
    )


# ---- the worker -------------------------------------------------------------------


class _HalfParser(_FileParser):
    """The file parser of the worker's half: offsets from the cut (``cut`` in the file),
    definitions before it at negative offsets, reported by the parent; lines counted in
    the file (``line_base`` before the cut)."""

    def __init__(
        self, text: str, file: str, comments: CommentMode, cut: int, line_base: int
    ) -> None:
        super().__init__(text, file, comments)
        self.cut = cut
        self.line_base = line_base
        self.defs: list[tuple[int, int]] = []  # (finding index, definition in the file)
        self.external: list[tuple[Any, ...]] = []
        self.sensitive = False  # see _restorable

    def _first_report(self, start: int) -> bool:
        first = super()._first_report(start)
        if first and start >= 0:
            self.defs.append((len(self.findings), start + self.cut))
        return first

    def _finding(
        self,
        rule: str,
        message: str,
        suggestion: str | None,
        start: int,
        end: int,
        section: str | None,
        severity: Severity = Severity.ERROR,
    ) -> None:
        if start < 0:  # a broken definition before the cut
            cut = self.cut
            at = len(self.findings)
            item = (at, rule, message, suggestion, start + cut, end + cut, section, severity.value)
            self.external.append(item)
            return
        super()._finding(rule, message, suggestion, start, end, section, severity)


def _restorable(occurrences: list[Occurrence], findings: list[Finding]) -> bool:
    """Whether a text or section of these would read otherwise through restore(): as
    it would in one process had the parent's half neutralised a refused scheme (the walk
    restores every later text then; restore() changes nothing twice)."""
    texts = {o.text for o in occurrences} | {o.section for o in occurrences}
    texts.update(f.section for f in findings)
    return any(t and ":" in t and restore(t) != t for t in texts)


def main() -> int:
    """The worker: read the header and the half, walk it, write what was found; exit 0.
    Exit 1 on anything unforeseen (the parent then parses in one process)."""
    gc.disable()  # as extract_text does: millions of objects, no cycles
    stdin = sys.stdin.buffer
    try:
        fds = {"data_fd": int(sys.argv[1]), "out_fd": int(sys.argv[2])}
        header = {**_hear(stdin, fds["data_fd"]), **fds}
        markdown.CHUNK_CHARS = int(header["chunk_chars"])
        data = _read(fds["data_fd"], int(header["bytes"]))
        if data is None:
            return 1
        text = data.decode("utf-8")
        del data  # the walk's peak holds the text, not its bytes too
        _write(fds["out_fd"], _walk_half(text, header, stdin))
    except BaseException:  # the parent parses again; nothing to print
        return 1
    return 0


def _write(fd: int, record: dict[str, Any], after: bytes = b"") -> None:
    """One record to the parent (marshal: the same interpreter reads it) after its size
    (see :func:`_load`), and ``after``."""
    blob = marshal.dumps(record)
    procs.write_all(fd, len(blob).to_bytes(_SIZE_BYTES, "little") + blob + after)


def _load(file: IO[bytes]) -> Any:
    """The next record :func:`_write` wrote to ``file``, read whole then loaded:
    ``marshal.load`` of a file calls its ``readinto`` for each value (the 100,000
    occurrences of a worker's half: 0.42 s, against 0.02 s loaded from bytes). Raises
    EOFError if it is short."""
    size = file.read(_SIZE_BYTES)
    blob = file.read(int.from_bytes(size, "little"))
    if len(size) != _SIZE_BYTES or len(blob) != int.from_bytes(size, "little"):
        raise EOFError("a short record")
    return marshal.loads(blob)


def _hear(stdin: IO[bytes], fd: int) -> Any:
    """The parent's next message (see :meth:`Worker._say`) from the data file ``fd``.
    Raises ValueError if there is none, or it is short."""
    at, size = (int(x) for x in stdin.readline().split())
    data = _read(fd, size, at)
    if data is None:
        raise ValueError("a short message")
    return json.loads(data)


def _read(fd: int, size: int, at: int = 0) -> bytearray | None:
    """``size`` bytes of ``fd`` from ``at`` (None if it has fewer)."""
    data = bytearray(size)
    view = memoryview(data)
    got = 0
    while got < size:
        n = os.preadv(fd, [view[got:]], at + got)
        if n <= 0:
            return None
        got += n
    view.release()
    return data


def _walk_half(text: str, header: dict[str, Any], stdin: IO[bytes]) -> dict[str, Any]:
    fp = _HalfParser(
        text,
        str(header["file"]),
        CommentMode(header["comments"]),
        int(header["cut"]),
        int(header["line_base"]),
    )
    out, data = int(header["out_fd"]), int(header["data_fd"])
    render = header["render"]
    try:
        # the parent checked the half (refuse), and cut it where it needs the chunks
        given = header["chunks"]
        cut = chunks(fp.text, fp.index.starts) if given is None else [(a, b) for a, b in given]
        defined = bool(header["defined"])
        walk = Walk(fp, 0, len(fp.text), in_comment=False, cut=cut, defined=defined)
        labels = walk.prepare(None)
        seeded = set()
        defined = _hear(stdin, data)["defined"]
        # (one chunk: its labels are read only if some are given, below)
        if len(walk.chunks) == 1 or not set().union(*(u for u, _ in labels)).isdisjoint(defined):
            for key, start, end, url, label in _hear(stdin, data)["seeds"]:
                walk.refdefs[key] = RefDef(start - fp.cut, end - fp.cut, url, label)
                seeded.add(key)
        if seeded and len(walk.chunks) == 1:  # labels are read now that some are given
            labels = [walk._labels(*walk.chunks[0])]
        last = (0, 0)  # the place of the last occurrence written
        for (a, b), (used, _) in zip(walk.chunks, labels, strict=True):
            known = len(walk.refdefs)
            walk.walk_chunk(a, b, used)
            # each chunk's occurrences written and forgotten: the worker never holds all
            fp.sensitive = fp.sensitive or _restorable(fp.occurrences, [])
            if render is None:
                _write(out, {"occurrences": _columns(fp)})
                fp.occurrences.clear()
                fp.keys.clear()
            else:
                parts, last = _rendered(fp, render, _new(walk, known), last)
                blob = marshal.dumps(parts)  # after its size: the parent skips it at first
                _write(out, {"parts": len(blob), "crc": zlib.crc32(blob)}, blob)
    except BaseException as exc:
        if not rust_refused(exc):
            raise
        return {"version": _VERSION, "status": "unsafe"}
    return _found(fp, walk, seeded, render)


def _rendered(
    fp: _FileParser, fmt: str, new: list[tuple[str, RefDef]], last: tuple[int, int]
) -> tuple[list[str], tuple[int, int]]:
    """``fp``'s occurrences in order (then forgotten), rendered in ``fmt``
    (:func:`.extractfmt.records`), with a place for each definition ``new`` to the walk
    (key, definition): an unused one is reported there, as one process sorts it in (after
    what the walk found at its place). The parts: text, key, text, ..., text; and the
    place of the last occurrence. Raises ValueError if one comes before ``last`` (the
    parent then parses in one process: never seen, chunks hold whole lines)."""
    from linkhealth.report.extractfmt import records

    found = sorted(fp.occurrences, key=PLACE)
    fp.occurrences.clear()
    places = list(map(PLACE, found))
    if places and places[0] < last:
        raise ValueError("occurrences out of order")
    parts: list[str] = []
    at = 0
    for place, key in sorted((fp._span(d.start, d.end)[:2], key) for key, d in new):
        k = bisect_right(places, place, at)
        parts += [records(fmt, found[at:k]), key]
        at = k
    parts.append(records(fmt, found[at:]))
    return parts, places[-1] if places else last


def _placed(parts: list[list[str]], kept: dict[str, str]) -> list[str]:
    """The texts of ``parts`` (see :func:`_rendered`), an unused definition's where its
    key is ``kept``."""
    return [
        t for chunk in parts for i, x in enumerate(chunk) if (t := kept.get(x, "") if i % 2 else x)
    ]


def _new(walk: Walk, known: int) -> list[tuple[str, RefDef]]:
    """The definitions the walk found since it held ``known`` (first ones win: none of
    them replaced an earlier one)."""
    return list(islice(walk.refdefs.items(), known, None))


def _found(fp: _HalfParser, walk: Walk, seeded: set[str], render: str | None) -> dict[str, Any]:
    """What the parent merges, with the unused definitions of the half, each with its
    key (its occurrence rendered in ``render``, if given)."""
    findings = [_finding_tuple(f) for f in fp.findings]
    unused: list[tuple[str, Any, list[tuple[Any, ...]]]] = []
    for key, d, sec in walk.unused():
        if key in seeded:
            continue
        n_find = len(fp.findings)
        fp._link(LinkKind.REFERENCE, d.url, d.start, d.end, None, sec, False)
        fp.sensitive = fp.sensitive or _restorable(fp.occurrences, [])
        if render is None:
            occurrences: Any = _columns(fp)
        else:
            from linkhealth.report.extractfmt import records

            occurrences = records(render, fp.occurrences)
        fp.occurrences.clear()
        fp.keys.clear()
        unused.append((key, occurrences, [_finding_tuple(f) for f in fp.findings[n_find:]]))
    return {
        "version": _VERSION,
        "status": "ok",
        "findings": findings,
        "defs": fp.defs,
        "external": fp.external,
        "used": sorted(walk.used),
        "unused": unused,
        "sensitive": fp.sensitive or _restorable([], fp.findings),
    }


def _finding_tuple(f: Finding) -> tuple[Any, ...]:
    return (
        f.line,
        f.column,
        f.end_line,
        f.end_column,
        f.rule,
        f.message,
        f.suggestion,
        f.severity.value,
        f.raw,
        f.section,
    )
