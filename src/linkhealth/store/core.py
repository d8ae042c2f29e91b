"""The SQLite store: runs, one row per URL per run, and the queries the pipeline needs.

See the package docstring (:mod:`linkhealth.store`) for the public API.
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, partial
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from pydantic import TypeAdapter, ValidationError

from linkhealth import __version__
from linkhealth.errors import StoreError
from linkhealth.fsutil import OutsideWriteError, make_folder, write_target
from linkhealth.models import (
    CheckResult,
    Finding,
    Judging,
    Occurrence,
    RunReport,
    Summary,
    ToolInfo,
    Verdict,
    fails_run,
    summarise,
)
from linkhealth.records import LINK_KIND_JSON, typed_as_declared
from linkhealth.store.history import (
    FLAKY_WINDOW,
    HISTORY_WINDOW,
    PastResult,
    decided_by,
    is_flaky,
    streak,
)
from linkhealth.store.schema import (
    SCHEMA_VERSION,
    NotAStore,
    foreign_reason,
    migrate,
    user_version,
)
from linkhealth.store.unreached import pack_unreached, unpack_unreached
from linkhealth.textsafe import json_string

DEFAULT_BUSY_TIMEOUT = 30.0  # seconds a writer waits for another one
DEFAULT_KEEP_RUNS = 90  # runs kept by prune()
HISTORY_RUNS = 30  # runs in the HTML chart: RunReport.history (past runs) and this one
T = TypeVar("T")

_CHUNK = 500  # URLs per IN (...) query, well under SQLite's variable limit

_CORRUPT_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
#: The ``verdict`` column's values, read (no Enum call a row).
_VERDICTS = {verdict.value: verdict for verdict in Verdict}
#: The ``verdict`` column of rows whose result is ok (:meth:`Verdict.is_ok`).
_OK_VERDICTS = frozenset(verdict.value for verdict in Verdict if verdict.is_ok())

_RESULT_COLUMNS = (
    "run_id",
    "url",
    "verdict",
    "http_status",
    "detail",
    "error_kind",
    "final_url",
    "redirects",
    "attempts",
    "elapsed_ms",
    "checked_at",
    "from_cache",
    "failing_runs",
    "failing_since",
    "flaky",
    "fails",
    "title",
    "canonical_url",
    "content_type",
    "lang",
    "etag",
    "last_modified",
    "suggestion",
    "occurrences",
    "payload",
)
_INSERT_RESULT = (
    f"INSERT OR REPLACE INTO results ({', '.join(_RESULT_COLUMNS)}, position) "
    f"VALUES ({', '.join('?' for _ in _RESULT_COLUMNS)}, ?)"
)


#: One URL's newest results in runs before ``?`` (``< 0``: every run), outage runs left out.
_PAST_ROWS = (
    "SELECT r.verdict, COALESCE(r.checked_at, runs.started_at), r.failing_runs,"
    " r.failing_since FROM results AS r JOIN runs ON runs.id = r.run_id"
    " WHERE r.url = ? AND (? < 0 OR r.run_id < ?) AND COALESCE(runs.network, 'ok') != 'outage'"
    " ORDER BY r.run_id DESC LIMIT ?"
)
#: Whether any run :data:`_PAST_ROWS` reads (before ``?``, no outage) holds a result: a
#: store's first run (or first after outages only) then reads no URL's history.
_ANY_PAST = (
    "SELECT EXISTS (SELECT 1 FROM runs WHERE (? < 0 OR runs.id < ?)"
    " AND COALESCE(runs.network, 'ok') != 'outage'"
    " AND EXISTS (SELECT 1 FROM results AS r WHERE r.run_id = runs.id))"
)

#: Every column a result is rebuilt from, ``payload`` last (see :func:`_unpack`).
_STORED = ", ".join(f"r.{name}" for name in _RESULT_COLUMNS[1:])
#: The columns of :data:`_STORED` before ``occurrences`` (a count) and ``payload``: each
#: is the result's field of that name but ``fails``, the row's own.
_COLUMN_FIELDS = _RESULT_COLUMNS[1:-2]
#: The result's fields without a column (``occurrences`` aside), with their defaults: a
#: result that has every one of them at its default is rebuilt from its columns and its
#: occurrences alone (:func:`_packed`). Those whose default is ``None``, then the others.
_UNCOLUMNED = {
    name: field.get_default(call_default_factory=True)
    for name, field in CheckResult.model_fields.items()
    if name not in _RESULT_COLUMNS and name != "occurrences"
}
_UNSET_IS_NONE = tuple(name for name, default in _UNCOLUMNED.items() if default is None)
_UNSET_OTHERWISE = tuple((n, d) for n, d in _UNCOLUMNED.items() if d is not None)
#: The result's fields its columns hold: left out of a payload of the fields without one.
_COLUMNED = set(CheckResult.model_fields) - set(_UNCOLUMNED) - {"occurrences"}
#: How the JSON of a whole result starts (``url`` is its first field and has no default):
#: a payload of the fields without a column never does (see :func:`_unpack`).
_WHOLE_JSON = b'{"url":'
_NO_OFFSET = timedelta(0)
#: The fields of a result that :meth:`Store.apply_history` writes (and nothing else).
HISTORY_FIELDS = ("failing_runs", "failing_since", "flaky")
#: The history fields of a result without history in an outage.
_NO_HISTORY = dict(zip(HISTORY_FIELDS, (0, None, False), strict=True))

_UPDATE_RESULT = (
    f"UPDATE results SET {', '.join(f'{name} = ?' for name in _RESULT_COLUMNS[2:])}"
    " WHERE run_id = ? AND url = ?"
)


@dataclass(frozen=True)
class ArchiveLookup:
    """One Wayback Machine look-up: the copy found for ``url`` before ``before``, or none.

    ``before`` is the ISO time the copy must predate ('' = the newest copy);
    ``archive_url``/``archived_at`` are ``None`` when the archive had no usable copy.
    """

    url: str
    before: str
    looked_at: datetime
    archive_url: str | None
    archived_at: datetime | None


@dataclass(frozen=True)
class FetchHints:
    """What a run's fetch takes from each URL's latest stored result (:meth:`Store.fetch_hints`)."""

    validators: dict[str, tuple[str | None, str | None]]  # (ETag, Last-Modified) by URL
    timed_out: set[str]  # started early in their host's queue


class _Unusable(Exception):
    """The file is there but cannot be used as is: move it aside and start afresh."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def _ts(value: datetime) -> str:
    """A datetime as sortable UTC ISO text (naive values are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _parse_ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _rows_by_url(
    conn: sqlite3.Connection, sql: str, urls: Sequence[str], *params: object
) -> list[Any]:
    """Rows of ``sql`` (whose ``{urls}`` stands for the URL placeholders) over ``urls``,
    asked in chunks; ``params`` follow the URLs."""
    rows: list[Any] = []
    for chunk in _chunks(urls):
        marks = ", ".join("?" for _ in chunk)
        rows.extend(conn.execute(sql.format(urls=marks), (*chunk, *params)).fetchall())
    return rows


def _unique(urls: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(urls))


class Store:
    """A link-health store in one SQLite file. Open with :meth:`Store.open`."""

    def __init__(self, conn: sqlite3.Connection, path: Path, warnings: list[str]) -> None:
        self._conn: sqlite3.Connection | None = conn
        self.path = path
        self.warnings = warnings
        self._lock = threading.RLock()
        self._run_rules: dict[int, Judging] = {}
        # What this object last wrote for each (run, url): the digest of the result's
        # packed JSON, so that the history pass rewrites only rows whose result changed.
        self._written: dict[int, dict[str, bytes]] = {}
        # Runs begun through this object are recorded through it: a row of theirs that is
        # not in ``_written`` does not exist yet.
        self._begun: set[int] = set()
        # The newest unreached run of each URL of the unreached records read so far (their
        # rowids): one entry a URL however many records hold it.
        self._unreached_newest: dict[str, int] = {}
        self._unreached_read: set[int] = set()

    # ---------------------------------------------------------------- opening

    @classmethod
    def open(cls, path: Path | str, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Store:
        """Open (or create) the store at ``path``, migrating it to the current schema.

        A corrupt file is moved aside and a fresh store is used; ``store.warnings`` then
        says so. One written by a newer linkhealth is refused untouched. Anything that
        prevents opening raises :class:`StoreError` naming the path.
        """
        target = Path(path)
        try:
            write_target(target)  # the store is written: never through a symlink out
            make_folder(target.parent)
        except OutsideWriteError as exc:
            raise StoreError(f"cannot use the store {target}: {exc.strerror}") from exc
        except OSError as exc:
            raise StoreError(
                f"cannot create the folder for the store {target}: {exc.strerror or exc}"
            ) from exc
        if target.is_dir():
            raise StoreError(f"the store path {target} is a directory, not a file")
        warnings: list[str] = []
        try:
            conn = _connect(target, busy_timeout)
        except _Unusable as problem:
            aside = _move_aside(target, problem.kind)
            warnings.append(
                f"store {target} {problem.reason}; moved it to {aside} and started a fresh store"
            )
            try:
                conn = _connect(target, busy_timeout)
            except _Unusable as again:
                raise StoreError(f"cannot use the store {target}: {again.reason}") from again
        return cls(conn, target, warnings)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (the last one to close also folds the WAL into the file)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def checkpoint(self) -> bool:
        """Fold the WAL into the main file and truncate it; ``True`` if nothing was left over.

        Call at the end of a run so that the single ``state.sqlite`` file is
        complete when CI caches it (a concurrent reader can make it partial).
        """
        row = self._read(lambda c: c.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone())
        return row is None or int(row[0]) == 0

    # ------------------------------------------------------------------ runs

    def begin_run(
        self,
        started_at: datetime,
        *,
        settings_digest: str = "",
        paths: Sequence[str] = (),
        judging: Judging | None = None,
        tool_version: str = __version__,
    ) -> int:
        """Record the start of a run and return its id.

        ``judging`` (strict, fail_after, accept ranges) is kept so that every stored
        failing flag and :meth:`last_run` judge the run as it was judged, even if it
        never finishes.
        """
        rules = judging if judging is not None else Judging()

        def insert(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "INSERT INTO runs (started_at, settings_digest, paths, fail_after, strict,"
                " judged_with, tool_version) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    _ts(started_at),
                    settings_digest,
                    json.dumps(list(paths)),
                    rules.fail_after,
                    int(rules.strict),
                    rules.model_dump_json(),
                    tool_version,
                ),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

        run_id = self._write(insert)
        self._run_rules[run_id] = rules
        self._begun.add(run_id)
        return run_id

    def record(
        self,
        run_id: int,
        results: Sequence[CheckResult],
        positions: Sequence[int | None] | None = None,
    ) -> None:
        """Store one batch of results of ``run_id`` in one transaction.

        Call it as results arrive (every few dozen results or every second) so
        that an interrupted run keeps what it finished. Recording a URL twice in
        a run keeps the later result. ``positions`` (one per result) are where the
        results stand in the run's report: :meth:`last_run` lists them in that order.
        """
        if not results:
            return
        rules = self._rules(run_id)
        places = positions if positions is not None else [None] * len(results)
        digests: dict[str, bytes] = {}

        def rows() -> Iterator[tuple[object, ...]]:
            # Built as SQLite takes them: a large batch (an outage's rows) never holds
            # every packed row at once.
            for result, position in zip(results, places, strict=True):
                row, digests[result.url] = _packed(run_id, result, rules)
                yield (*row, position)

        self._write(lambda conn: conn.executemany(_INSERT_RESULT, rows()))
        self._written.setdefault(run_id, {}).update(digests)

    def record_unreached(
        self,
        run_id: int,
        results: Sequence[CheckResult],
        positions: Sequence[int | None] | None = None,
        alike: Container[int] = frozenset(),
    ) -> None:
        """Store results of an outage run that were never requested as one record
        (``alike``: those, by id, the run vouches have one shape: see
        :class:`~linkhealth.models.ShapeText`).

        Every one must be ``skipped`` (neutral to the history, failing nothing, never
        ok) and final: it is not rewritten later. :meth:`last_run` lists them with the
        run's rows by ``positions``; for readers of a URL's latest result (fresh results,
        validators, :meth:`latest_result`) a URL in a later run's record has a latest
        result that is not ok and holds nothing to keep, so they leave it out. One
        record instead of one row each: storing an outage's 50,000 never-requested
        results took ~1.8 s, a record ~0.35 s. Its payload holds the fields they share
        once and their occurrences in columns (:mod:`linkhealth.store.unreached`).
        """
        if not results:
            return
        packed = pack_unreached(results, alike)  # raises ValueError for a result not skipped
        places = list(positions) if positions is not None else [None] * len(results)
        urls = zlib.compress(json.dumps([result.url for result in results]).encode(), 1)
        row = (run_id, urls, json.dumps(places), packed)
        self._write(
            lambda conn: conn.execute(
                "INSERT INTO unreached (run_id, urls, positions, payload) VALUES (?, ?, ?, ?)",
                row,
            )
        )

    def finish_run(
        self,
        run_id: int,
        *,
        finished_at: datetime,
        partial: bool,
        network: str,
        summary: Summary | None = None,
        findings: Sequence[Finding] = (),
    ) -> None:
        """Mark a run finished. ``summary`` and ``findings``, when given, are kept as is
        so that ``report`` re-renders them exactly; without a summary the failing count
        is computed from the recorded results."""

        def update(conn: sqlite3.Connection) -> None:
            failing = summary.failing if summary is not None else None
            cursor = conn.execute(
                "UPDATE runs SET finished_at = ?, partial = ?, network = ?, summary = ?,"
                " findings = ?, failing = COALESCE(?, (SELECT COALESCE(SUM(fails), 0)"
                " FROM results WHERE run_id = runs.id)) WHERE id = ?",
                (
                    _ts(finished_at),
                    int(partial),
                    network,
                    summary.model_dump_json() if summary is not None else None,
                    json.dumps([finding.as_json() for finding in findings]),
                    failing,
                    run_id,
                ),
            )
            if cursor.rowcount != 1:
                raise StoreError(f"store {self.path} has no run {run_id}")

        self._write(update)

    def prune(self, keep_runs: int = DEFAULT_KEEP_RUNS) -> int:
        """Delete all but the newest ``keep_runs`` runs and their results; return how many went.

        Streaks survive pruning: each result keeps its ``failing_runs`` and ``failing_since``.
        """
        if keep_runs < 1:
            raise ValueError("keep_runs must be at least 1")

        def delete(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "DELETE FROM runs WHERE id NOT IN (SELECT id FROM runs ORDER BY id DESC LIMIT ?)",
                (keep_runs,),
            )
            return cursor.rowcount

        return self._write(delete)

    # --------------------------------------------------------------- lookups

    def fresh_results(
        self, urls: Iterable[str], max_age: timedelta, now: datetime
    ) -> dict[str, CheckResult]:
        """Latest results that are ok or redirected and were checked less than ``max_age``
        before ``now``, by URL. Failures are never fresh; a URL whose latest result is a
        failure is not fresh even if an older ok result is young.

        Age counts from the result's ``checked_at`` (the request), so a result reused
        with ``from_cache`` must keep its original ``checked_at``."""
        if max_age <= timedelta(0):
            return {}
        now = _aware(now)
        fresh: dict[str, CheckResult] = {}
        # The row's columns say whether it is fresh: only those rows' results are unpacked.
        for url, verdict, checked_at, *stored in self._latest_rows(
            urls, f"r.verdict, r.checked_at, {_STORED}"
        ):
            if verdict not in _OK_VERDICTS or checked_at is None:
                continue
            if now - _aware(datetime.fromisoformat(checked_at)) < max_age:
                fresh[url] = self._unpacked(partial(_unpack, stored))
        return fresh

    def fetch_hints(self, urls: Iterable[str]) -> FetchHints:
        """What the fetch takes from each URL's latest stored result, in one read:
        :meth:`validators` and :meth:`timed_out`."""
        found: dict[str, tuple[str | None, str | None]] = {}
        timed_out: set[str] = set()
        for url, verdict, etag, modified in self._latest_rows(
            urls, "r.verdict, r.etag, r.last_modified"
        ):
            if verdict == Verdict.TIMEOUT:
                timed_out.add(url)
            elif verdict in _OK_VERDICTS and (etag or modified):
                found[url] = (etag, modified)
        return FetchHints(found, timed_out)

    def validators(self, urls: Iterable[str]) -> dict[str, tuple[str | None, str | None]]:
        """``(etag, last_modified)`` by URL, for URLs whose latest result is ok and has one."""
        return self.fetch_hints(urls).validators

    def timed_out(self, urls: Iterable[str]) -> set[str]:
        """The URLs among ``urls`` whose latest stored result is verdict ``timeout``: its
        last attempt went unanswered in time, after every retry. A URL that answered after
        a timeout (ok, or an error status) has that answer's verdict and is not here; nor
        is one whose latest result was never requested (an outage's). The fetch starts
        these early in their host's queue (:func:`linkhealth.fetch.hosts.spread_early`)."""
        return self.fetch_hints(urls).timed_out

    def latest_result(self, url: str) -> CheckResult | None:
        """The latest stored result of ``url`` (any verdict): metadata to keep after a 304."""
        return self._latest([url]).get(url)

    def last_ok(self, urls: Iterable[str], *, before_run: int | None = None) -> dict[str, datetime]:
        """When each URL was last seen ok or redirected (its request's time), by URL.

        Only runs before ``before_run`` count (default: every run). URLs never seen ok
        are absent.
        """
        wanted = _unique(urls)
        upto = before_run if before_run is not None else -1

        def query(conn: sqlite3.Connection) -> dict[str, datetime]:
            rows = _rows_by_url(
                conn,
                "SELECT url, MAX(checked_at) FROM results WHERE url IN ({urls})"
                " AND verdict IN ('ok', 'redirected') AND checked_at IS NOT NULL"
                " AND (? < 0 OR run_id < ?) GROUP BY url",
                wanted,
                upto,
                upto,
            )
            return {url: _aware(datetime.fromisoformat(at)) for url, at in rows if at}

        return self._read(query)

    def archive_lookups(
        self, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], ArchiveLookup]:
        """Cached Wayback Machine look-ups by ``(url, before)`` (``before`` '' = newest)."""
        wanted = list(dict.fromkeys(keys))

        def query(conn: sqlite3.Connection) -> dict[tuple[str, str], ArchiveLookup]:
            found: dict[tuple[str, str], ArchiveLookup] = {}
            for url, before in wanted:
                row = conn.execute(
                    "SELECT looked_at, archive_url, archived_at FROM archive_lookups"
                    " WHERE url = ? AND before = ?",
                    (url, before),
                ).fetchone()
                if row is not None:
                    found[(url, before)] = ArchiveLookup(
                        url, before, _aware(datetime.fromisoformat(row[0])), row[1],
                        _parse_ts(row[2]),
                    )  # fmt: skip
            return found

        return self._read(query)

    def save_archive_lookups(self, lookups: Sequence[ArchiveLookup]) -> None:
        """Keep look-ups (found or not) in one transaction; a key seen again is replaced."""
        rows = [
            (
                item.url,
                item.before,
                _ts(item.looked_at),
                item.archive_url,
                _ts(item.archived_at) if item.archived_at is not None else None,
            )
            for item in lookups
        ]
        if rows:
            self._write(
                lambda conn: conn.executemany(
                    "INSERT OR REPLACE INTO archive_lookups"
                    " (url, before, looked_at, archive_url, archived_at) VALUES (?, ?, ?, ?, ?)",
                    rows,
                )
            )

    def _latest(self, urls: Iterable[str]) -> dict[str, CheckResult]:
        rows = self._latest_rows(urls, _STORED)
        return self._unpacked(lambda: {url: _unpack(stored) for url, *stored in rows})

    def _latest_rows(self, urls: Iterable[str], columns: str) -> list[Any]:
        """``(url, *columns)`` of the latest stored row of each URL (the columns derive
        from the stored result: read them where the whole result is not needed). ``urls``
        is read only when the store holds results (a caller may give them as they are
        made: an outage's 200,000 on a store's first run are not)."""

        def query(conn: sqlite3.Connection) -> list[Any]:
            if not conn.execute("SELECT EXISTS (SELECT 1 FROM results)").fetchone()[0]:
                return []  # a store's first run: 100 look-ups for 50,000 URLs that find nothing
            wanted = _unique(urls)
            rows = _rows_by_url(
                conn,
                f"SELECT r.url, r.run_id, {columns} FROM results AS r WHERE r.url IN ({{urls}})"
                " AND r.run_id = (SELECT MAX(x.run_id) FROM results AS x WHERE x.url = r.url)",
                wanted,
            )
            return self._not_unreached_later(conn, rows)

        return self._read(query)

    def _not_unreached_later(self, conn: sqlite3.Connection, rows: list[Any]) -> list[Any]:
        """``rows`` (``url``, ``run_id``, columns…) as ``(url, columns…)``, without the URLs
        a later run recorded as unreached: their latest result is that one, never requested
        (``skipped``: not ok, no validators, no metadata).

        Records are read newest first, only until every row is decided (a record older than
        every row left decides none), each once per store object (a record never changes:
        the cluster's estimate and every 304 ask for one URL at a time), into one map of
        each URL's newest unreached run. Nights of outages of the same links read one
        record, and hold one entry a URL, not one set a record."""
        left = rows
        if rows:
            found = conn.execute(
                "SELECT rowid, run_id FROM unreached WHERE run_id > ?"
                " ORDER BY run_id DESC, rowid DESC",
                (min(row[1] for row in rows),),
            ).fetchall()
            newest = self._unreached_newest
            for rowid, run_id in found:
                if not left or run_id <= min(row[1] for row in left):
                    break
                if rowid not in self._unreached_read:
                    self._read_unreached(conn, rowid, run_id)
                left = [row for row in left if newest.get(row[0], 0) <= row[1]]
        return [(row[0], *row[2:]) for row in left]

    def _read_unreached(self, conn: sqlite3.Connection, rowid: int, run_id: int) -> None:
        """One unreached record's URLs into :attr:`_unreached_newest`."""
        (packed,) = conn.execute("SELECT urls FROM unreached WHERE rowid = ?", (rowid,)).fetchone()
        newest = self._unreached_newest
        for url in json.loads(zlib.decompress(packed)):
            if newest.get(url, 0) < run_id:
                newest[url] = run_id
        self._unreached_read.add(rowid)

    # --------------------------------------------------------------- history

    def apply_history(
        self,
        results: list[CheckResult],
        *,
        now: datetime,
        outage: bool,
        run_id: int | None = None,
    ) -> None:
        """Fill ``failing_runs``, ``failing_since`` and ``flaky`` of ``results`` from history.

        ``run_id`` is the current run (default: the last run begun through this
        ``Store`` object): only earlier runs are read. Outage runs are never read,
        and with ``outage=True`` this run does not count: streaks are carried over.

        It may be called before :meth:`record` (per batch) or after it, at the end of
        the run once ``outage`` is known: rows of the current run already stored for
        these URLs are then updated in one transaction, so the store (and
        :meth:`last_run`) holds the history fields and the failing flags the run's
        judging gives them.
        """
        if run_id is None and self._run_rules:
            run_id = max(self._run_rules)
        pasts = self._pasts((result.url for result in results), run_id)
        for result in results:
            past = pasts.get(result.url)
            if past is None and outage:
                # No history, a run that counts for nothing: streak() and is_flaky() of
                # an empty past (an outage's tens of thousands of results), set as the
                # result's own assignment sets them.
                result.__dict__.update(_NO_HISTORY)
                continue
            past = past or []
            at = _aware(result.checked_at) if result.checked_at is not None else _aware(now)
            result.failing_runs, result.failing_since = streak(
                result.verdict, at, past, outage=outage
            )
            result.flaky = is_flaky(None if outage else result.verdict, past)
        if run_id is not None and results:
            self._update_history(run_id, results)

    def _update_history(self, run_id: int, results: Sequence[CheckResult]) -> None:
        """Rewrite the stored rows of ``results`` that differ from what was recorded (most
        keep their verdict and history). In a run begun through this object, a result it
        did not record has no row yet (it is recorded with its history later); in another
        run such a result is rewritten, whoever recorded it."""
        begun_here = run_id in self._begun
        written = self._written.get(run_id, {})
        if begun_here and not written:
            return  # no row of this run yet (an outage's): each is recorded with its history
        rules = self._rules(run_id)
        by_url = {result.url: result for result in results}
        rows, digests = [], {}
        for url, result in by_url.items():
            if begun_here and url not in written:
                continue  # no row to rewrite: recording it will store the history too
            row, digest = _packed(run_id, result, rules)
            if written.get(url) == digest:
                continue  # the stored row holds this result already
            rows.append((*row[2:], run_id, url))
            digests[url] = digest

        def update(conn: sqlite3.Connection) -> None:
            conn.executemany(_UPDATE_RESULT, rows)  # rows not recorded yet are left alone

        if rows:
            self._write(update)
        for url, digest in digests.items():
            if url in written:  # only rows that exist were updated
                written[url] = digest

    def _pasts(self, urls: Iterable[str], run_id: int | None) -> dict[str, list[PastResult]]:
        """Each URL's past results (``urls`` read only when there is a past to read)."""
        before = run_id if run_id is not None else -1

        def query(conn: sqlite3.Connection) -> dict[str, list[PastResult]]:
            pasts: dict[str, list[PastResult]] = {}
            if not conn.execute(_ANY_PAST, (before, before)).fetchone()[0]:
                return pasts  # 50,000 look-ups that find nothing: ~0.4 s
            for url in _unique(urls):
                # One URL at a time, newest first through results_by_url: the window's rows
                # only, however many runs the store keeps (a window function over every
                # URL's rows read them all). The first FLAKY_WINDOW decide most URLs (an
                # ok one among them): a store of 30 runs read 3x fewer rows.
                past, read = _past_rows(conn, url, before, FLAKY_WINDOW)
                if read == FLAKY_WINDOW and not decided_by(past):
                    past, _ = _past_rows(conn, url, before, HISTORY_WINDOW)
                if past:
                    pasts[url] = past
            return pasts

        return self._read(query)

    def failing_history(self, limit: int, *, before: int | None = None) -> list[int]:
        """The failing count of the newest ``limit`` runs (only runs older than run
        ``before``, when given), oldest first."""

        def query(conn: sqlite3.Connection) -> list[int]:
            rows = conn.execute(
                "SELECT COALESCE(failing, (SELECT COALESCE(SUM(fails), 0) FROM results"
                " WHERE run_id = runs.id)) FROM runs WHERE (? IS NULL OR id < ?)"
                " ORDER BY id DESC LIMIT ?",
                (before, before, max(limit, 0)),
            ).fetchall()
            return [int(row[0]) for row in reversed(rows)]

        return self._read(query)

    def last_run(self) -> RunReport | None:
        """Rebuild the report of the newest run (finished or not) without any request.

        A run that never finished is ``partial``. Results come in the order of their
        recorded positions (the order ``check`` listed them in), rows without one after
        them in the order they were recorded; ``judged_with`` is how the run was judged;
        ``history`` holds the failing counts of the runs before it (up to 29: the HTML
        chart adds this one).
        """

        def query(conn: sqlite3.Connection) -> tuple[Any, list[Any], list[Any]] | None:
            run = conn.execute(
                "SELECT id, started_at, finished_at, partial, network, fail_after, strict,"
                " judged_with, tool_version, summary, findings FROM runs"
                " ORDER BY id DESC LIMIT 1"
            ).fetchone()
            if run is None:
                return None
            rows = conn.execute(
                f"SELECT r.position, {_STORED} FROM results AS r WHERE r.run_id = ?"
                " ORDER BY r.position IS NULL, r.position, r.rowid",
                (run[0],),
            ).fetchall()
            unreached = conn.execute(
                "SELECT positions, urls, payload FROM unreached WHERE run_id = ? ORDER BY rowid",
                (run[0],),
            ).fetchall()
            return run, rows, unreached

        found = self._read(query)
        if found is None:
            return None
        run, rows, unreached = found
        (run_id, started, finished, partial, network, fail_after, strict, judged_json, version,
         summary_json, findings_json) = run  # fmt: skip
        results = self._unpacked(lambda: _in_report_order(rows, unreached))
        judging = self._unpacked(lambda: _judging(judged_json, fail_after, strict), "run")
        outage = network == "outage"
        if summary_json:
            summary = self._unpacked(lambda: Summary.model_validate_json(summary_json), "run")
        else:
            summary = summarise(results, judging, outage=outage)
        findings = self._unpacked(lambda: _findings_adapter().validate_json(findings_json), "run")
        return RunReport(
            tool=ToolInfo(version=version or __version__),
            run_id=run_id,
            started_at=datetime.fromisoformat(started),
            finished_at=_parse_ts(finished),
            partial=bool(partial) or finished is None,
            network="outage" if outage else "ok",
            summary=summary,
            results=results,
            findings=findings,
            history=self.failing_history(HISTORY_RUNS - 1, before=run_id),
            judged_with=judging,
        )

    # ------------------------------------------------------------- plumbing

    def _rules(self, run_id: int) -> Judging:
        if run_id not in self._run_rules:
            row = self._read(
                lambda c: c.execute(
                    "SELECT judged_with, fail_after, strict FROM runs WHERE id = ?", (run_id,)
                ).fetchone()
            )
            if row is None:
                raise StoreError(f"store {self.path} has no run {run_id}")
            self._run_rules[run_id] = self._unpacked(lambda: _judging(*row), "run")
        return self._run_rules[run_id]

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"store {self.path} is closed")
        return self._conn

    def _read(self, action: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            conn = self._connection()
            try:
                return action(conn)
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read the store {self.path}: {exc}") from exc
            except _DAMAGE as exc:
                raise self._damaged(exc) from exc

    def _unpacked(self, action: Callable[[], T], what: str = "result") -> T:
        """``action`` reads stored JSON back (a ``result``, or a ``run``'s summary, findings
        or judging): bytes damaged outside linkhealth are a :class:`StoreError` naming the
        store (exit 2), not a traceback."""
        try:
            return action()
        except _DAMAGE as exc:
            raise self._damaged(exc, what) from exc

    def _damaged(self, exc: Exception, what: str = "result") -> StoreError:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return StoreError(
            f"the store {self.path} holds a damaged {what} ({reason}):"
            " remove it, or choose another --store"
        )

    def _write(self, action: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``action`` in one ``BEGIN IMMEDIATE`` transaction (waits up to the busy timeout)."""
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    value = action(conn)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
                return value
            except sqlite3.Error as exc:
                raise StoreError(f"cannot write to the store {self.path}: {exc}") from exc


def _past_rows(
    conn: sqlite3.Connection, url: str, before: int, limit: int
) -> tuple[list[PastResult], int]:
    """The newest ``limit`` results of ``url`` in runs before ``before`` (any run when it
    is negative) that were no outage, newest first, without those of a verdict this
    version does not know; and how many rows were read."""
    past, read = [], 0
    for verdict, at, failing_runs, failing_since in conn.execute(
        _PAST_ROWS, (url, before, before, limit)
    ):
        read += 1
        parsed = _VERDICTS.get(verdict)
        if parsed is not None:  # else a verdict this version does not know
            since = _parse_ts(failing_since)
            past.append(PastResult(parsed, datetime.fromisoformat(at), failing_runs, since))
    return past, read


def _judging(judged_json: str | None, fail_after: int, strict: int) -> Judging:
    """A run's judging; runs recorded before it was kept have only the two columns."""
    if judged_json:
        return Judging.model_validate_json(judged_json)
    return Judging(fail_after=int(fail_after), strict=bool(strict))


def _packed(run_id: int, result: CheckResult, rules: Judging) -> tuple[tuple[object, ...], bytes]:
    """The row of ``result`` and its digest (equal digests: equal rows).

    When the columns spell the result's times exactly (in UTC, as they write them), the
    payload holds only what no column holds: the occurrences' JSON alone (a list: it
    starts with ``[``) when every other field without a column is at its default (every
    result never requested: an outage's tens of thousands; most failures), else the JSON
    of the fields without a column (an object whose first key is not ``url``). Both are
    made ~3x cheaper than the whole result's JSON zlib-packed, and are smaller than it.
    Any other result's payload is its whole JSON, zlib-packed, or as it is when it was
    never requested (it starts with ``{"url":``; no zlib stream starts with ``[``/``{``)."""
    fails = fails_run(result, rules)
    if _times_in_utc(result):
        payload = _occurrences_payload(result) if _columns_hold(result) else _lean_payload(result)
        row = _result_row(run_id, result, fails, payload)
        # Its columns and payload are the whole result: their hash tells a changed one
        # (this process only compares digests it made itself).
        return row, hash(row[2:]).to_bytes(8, "little", signed=True)
    dump = _dump(result)
    packed = dump if result.attempts == 0 else _deflate(dump)
    return _result_row(run_id, result, fails, packed), _digest(dump)


def _times_in_utc(result: CheckResult) -> bool:
    """Whether the result's times are in UTC (or unset), as the columns write them."""
    fields = result.__dict__
    at, since = fields["checked_at"], fields["failing_since"]
    return (at is None or at.utcoffset() == _NO_OFFSET) and (
        since is None or since.utcoffset() == _NO_OFFSET
    )


def _columns_hold(result: CheckResult) -> bool:
    """Whether the row's columns and its occurrences rebuild ``result`` exactly, its times
    being in UTC (:func:`_times_in_utc`): no field without a column is set, no redirect."""
    fields = result.__dict__
    if fields["redirects"]:
        return False
    for name in _UNSET_IS_NONE:
        if fields[name] is not None:
            return False
    return all(fields[name] == default for name, default in _UNSET_OTHERWISE)


#: The fields a payload of fields without a column holds but ``occurrences`` (written
#: last), in the model's order: each with its JSON key and its default (left out at it, as
#: ``exclude_defaults`` leaves it out).
_LEAN_FIELDS = tuple(
    (name, f'"{name}":', _UNCOLUMNED[name])
    for name in CheckResult.model_fields
    if name in _UNCOLUMNED
)


def _lean_payload(result: CheckResult) -> bytes:
    """``result.model_dump_json(exclude=_COLUMNED, exclude_defaults=True)``, UTF-8: the
    JSON of its fields without a column, written here when every value is of the type its
    field says and JSON spells alike whoever writes it (``str``, ``bool``, ``None``,
    occurrences of them and ``int``), else by pydantic: the same bytes (tests fuzz the two).
    pydantic's encoder with its exclude set took ~5.5 us a result, this ~2."""
    fields = result.__dict__
    parts = []
    for name, key, default in _LEAN_FIELDS:
        value = fields[name]
        if value is default:  # None or False: no other value equals one and is spelt alike
            continue
        kind = type(value)
        if kind is str:
            parts.append(key + json_string(value))
        elif kind is bool or value is None:
            parts.append(key + ("null" if value is None else "true" if value else "false"))
        else:  # a time (archived_at), a value of another type
            return _pydantic_lean_payload(result)
    occurrences = fields["occurrences"]
    if type(occurrences) is not list:
        return _pydantic_lean_payload(result)
    if occurrences:
        text = _occurrences_json(occurrences)
        if text is None:
            return _pydantic_lean_payload(result)
        parts.append('"occurrences":' + text)
    try:
        return ("{" + ",".join(parts) + "}").encode()
    except UnicodeEncodeError:  # a lone surrogate: pydantic says what it says of it
        return _pydantic_lean_payload(result)


def _pydantic_lean_payload(result: CheckResult) -> bytes:
    return result.model_dump_json(exclude=_COLUMNED, exclude_defaults=True).encode()


def _occurrences_payload(result: CheckResult) -> bytes:
    """``_occurrences_adapter().dump_json(result.occurrences, exclude_defaults=True)``,
    written as :func:`_lean_payload` writes them when it can (the same bytes)."""
    occurrences = result.occurrences
    text = _occurrences_json(occurrences) if type(occurrences) is list else None
    if text is not None:
        try:
            return text.encode()
        except UnicodeEncodeError:
            pass
    return _occurrences_adapter().dump_json(occurrences, exclude_defaults=True)


def _occurrences_json(occurrences: list[Occurrence]) -> str | None:
    """The occurrences' JSON as pydantic writes it with ``exclude_defaults`` (fields in
    order, those at their default left out), or ``None`` when a value is not of the type
    its field says (pydantic then says what it writes)."""
    items = []
    for occ in occurrences:
        if not typed_as_declared(occ):
            return None
        text, section, comment, kind = occ.text, occ.section, occ.in_comment, occ.kind
        line, column, end_line, end_column = occ.line, occ.column, occ.end_line, occ.end_column
        head = (
            f'{{"url":{json_string(occ.url)},"file":{json_string(occ.file)},"line":{line},'
            f'"column":{column},"end_line":{end_line},"end_column":{end_column}'
        )
        text_json = "" if text is None else ',"text":' + json_string(text)
        section_json = "" if section is None else ',"section":' + json_string(section)
        comment_json = ',"in_comment":true' if comment else ""
        items.append(
            f'{head}{text_json},"kind":{LINK_KIND_JSON[kind]}{section_json}{comment_json}}}'
        )
    return "[" + ",".join(items) + "]"


def _result_row(
    run_id: int, result: CheckResult, fails: bool, payload: bytes
) -> tuple[object, ...]:
    """The row of ``result`` (every column derives from it) with ``payload``."""
    return (
        run_id,
        result.url,
        result.verdict.value,
        result.http_status,
        result.detail,
        result.error_kind.value if result.error_kind is not None else None,
        result.final_url,
        json.dumps([hop.model_dump(mode="json") for hop in result.redirects])
        if result.redirects
        else "[]",
        result.attempts,
        result.elapsed_ms,
        _ts(result.checked_at) if result.checked_at is not None else None,
        int(result.from_cache),
        result.failing_runs,
        _ts(result.failing_since) if result.failing_since is not None else None,
        int(result.flaky),
        int(fails),
        result.title,
        result.canonical_url,
        result.content_type,
        result.lang,
        result.etag,
        result.last_modified,
        result.suggestion,
        len(result.occurrences),
        payload,
    )


def _deflate(dump: bytes) -> bytes:
    """A payload zlib-packed at level 6 with an 8 KB window and a small hash: a payload is
    ~0.6 KB, and setting up zlib's default 256 KB of state was most of each call (~36 us
    a row; now ~20, the same size). Any zlib stream reader (``zlib.decompress``) reads it."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 13, 4)
    return packer.compress(dump) + packer.flush()


def _dump(result: CheckResult) -> bytes:
    """The whole result as JSON (defaults left out), as a ``payload`` holds it."""
    return result.model_dump_json(exclude_defaults=True).encode()


def _digest(dump: bytes) -> bytes:
    return hashlib.blake2b(dump, digest_size=16).digest()


# What reading stored JSON back raises when its bytes were damaged outside linkhealth.
_DAMAGE = (zlib.error, ValidationError, json.JSONDecodeError, UnicodeDecodeError)


def _unpack(stored: Sequence[Any]) -> CheckResult:
    """The result of a row's :data:`_STORED` columns: from its columns and its occurrences
    (the payload is a list) or its fields without a column (an object not starting with
    ``{"url":``), or from the JSON of the whole result (``{"url":``: as it is; else
    zlib-packed, as every version before the payloads of fields without a column made it)."""
    payload: bytes = stored[-1]
    first = payload[:1]
    if first == b"[" or (first == b"{" and not payload.startswith(_WHOLE_JSON)):
        fields: dict[str, Any] = dict(zip(_COLUMN_FIELDS, stored, strict=False))
        del fields["fails"]
        if first == b"[":
            fields["redirects"] = []
            fields["occurrences"] = _occurrences_adapter().validate_json(payload)
        else:
            fields["redirects"] = json.loads(fields["redirects"])
            fields.update(json.loads(payload))
        return CheckResult.model_validate(fields)
    return CheckResult.model_validate_json(payload if first == b"{" else zlib.decompress(payload))


def _in_report_order(rows: Sequence[Any], unreached: Sequence[Any]) -> list[CheckResult]:
    """A run's results: its rows (``position`` first, then :data:`_STORED`, in report
    order) and its unreached records (``positions``, ``urls``, ``payload``) merged by position
    (records after rows without one; a URL recorded twice: the later one)."""
    results = [_unpack(row[1:]) for row in rows]
    if not unreached:
        return results
    placed: dict[str, tuple[int | None, CheckResult]] = {}
    for positions, urls, payload in unreached:
        batch = unpack_unreached(urls, payload)
        for place, result in zip(json.loads(positions), batch, strict=True):
            placed.pop(result.url, None)  # a later record: its place in the order too
            placed[result.url] = (place, result)
    merged = [(row[0], result) for row, result in zip(rows, results, strict=True)]
    merged.extend(placed.values())
    merged.sort(key=lambda item: (item[0] is None, item[0] or 0))  # stable: rowid order kept
    return [result for _, result in merged]


def _connect(path: Path, busy_timeout: float) -> sqlite3.Connection:
    """Connect, set the pragmas, check the file and migrate it; raise ``_Unusable`` if it
    must be moved aside, :class:`StoreError` for anything else."""
    try:
        conn = sqlite3.connect(
            path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the store {path}: {exc}") from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000):d}")
        reason = foreign_reason(conn)  # before WAL: another program's file stays unchanged
        if reason is not None:
            raise NotAStore(reason)
        version = user_version(conn)
        if version > SCHEMA_VERSION:
            # Refused, untouched: moved aside, the newer linkhealth would lose its history.
            raise StoreError(
                f"the store {path} was written by a newer linkhealth (schema version"
                f" {version}; this one knows up to {SCHEMA_VERSION}): upgrade linkhealth,"
                " or choose another --store"
            )
        _enable_wal(conn, busy_timeout)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        problems = [row[0] for row in conn.execute("PRAGMA quick_check").fetchall()]
        if problems != ["ok"]:
            raise _Unusable("corrupt", f"failed its integrity check ({problems[0]})")
        migrate(conn)
    except NotAStore as exc:
        conn.close()
        raise StoreError(
            f"{path} is an SQLite database but not a linkhealth store ({exc});"
            " choose another --store"
        ) from exc
    except sqlite3.DatabaseError as exc:
        conn.close()
        if (exc.sqlite_errorcode & 0xFF) in _CORRUPT_CODES:
            raise _Unusable("corrupt", f"is not a readable SQLite database ({exc})") from exc
        raise StoreError(f"cannot open the store {path}: {exc}") from exc
    except BaseException:
        conn.close()
        raise
    return conn


def _enable_wal(conn: sqlite3.Connection, busy_timeout: float) -> None:
    """Switch to WAL (persistent in the file), retrying while another opener holds the lock.

    Changing the journal mode can fail with SQLITE_BUSY without waiting on the busy
    handler when several processes open a new file at once, so wait here.
    """
    deadline = time.monotonic() + busy_timeout
    pause = 0.005
    while True:
        if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
            return
        try:
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
            return
        except sqlite3.OperationalError as exc:
            if (exc.sqlite_errorcode & 0xFF) != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
        time.sleep(pause * (1 + random.random()))
        pause = min(pause * 2, 0.1)


def _move_aside(path: Path, kind: str) -> Path:
    """Rename ``path`` (and its -wal/-shm files) to ``<name>.<kind>-<UTC timestamp>``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.{kind}-{stamp}")
    counter = 1
    while aside.exists():
        aside = path.with_name(f"{path.name}.{kind}-{stamp}-{counter}")
        counter += 1
    try:
        path.rename(aside)
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                side.rename(aside.with_name(aside.name + suffix))
    except OSError as exc:
        raise StoreError(
            f"store {path} is unusable and cannot be moved aside: {exc.strerror or exc}"
        ) from exc
    return aside


@cache
def _occurrences_adapter() -> TypeAdapter[list[Occurrence]]:
    return TypeAdapter(list[Occurrence])


@cache
def _findings_adapter() -> TypeAdapter[list[Finding]]:
    """Validates a run's stored findings (plain classes, not models), built on first use."""
    return TypeAdapter(list[Finding])
