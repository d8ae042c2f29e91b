"""The store under a killed writer and under concurrent runs (real processes)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from linkhealth.models import CheckResult, Verdict
from linkhealth.store import Store

WRITER = Path(__file__).with_name("writer.py")
DEADLINE = 60.0  # seconds; every loop below stops by then


Spawn = Callable[[Path, str, int, int], "subprocess.Popen[str]"]


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    """Start writer processes; whatever happens, none outlives the test."""
    procs: list[subprocess.Popen[str]] = []

    def start(path: Path, label: str, batches: int, size: int) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, str(WRITER), str(path), label, str(batches), str(size)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=DEADLINE)


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


def test_killed_writer_loses_at_most_one_batch(store_path: Path, spawn: Spawn) -> None:
    size = 100
    proc = spawn(store_path, "kill", 100_000, size)
    assert proc.stdout is not None
    committed = 0
    started = time.monotonic()
    while committed < 8 and time.monotonic() - started < DEADLINE:
        line = proc.stdout.readline()
        if not line:
            break
        committed = int(line.split()[1])
    assert committed >= 8, proc.stderr.read() if proc.stderr else ""
    os.kill(proc.pid, signal.SIGKILL)
    rest, _ = proc.communicate(timeout=DEADLINE)
    assert proc.returncode == -signal.SIGKILL
    for line in rest.splitlines():  # batches reported after we read the 8th one
        committed = int(line.split()[1])

    assert _rows(store_path, "PRAGMA integrity_check") == [("ok",)]
    with Store.open(store_path) as store:
        assert store.warnings == []
        report = store.last_run()
    assert report is not None and report.partial is True
    stored = report.summary.urls
    assert committed * size <= stored <= (committed + 1) * size
    assert stored % size == 0  # a batch is all or nothing


def test_two_processes_write_concurrently(store_path: Path, spawn: Spawn) -> None:
    batches, size = 40, 25
    procs = [spawn(store_path, label, batches, size) for label in ("one", "two")]
    for proc in procs:
        out, err = proc.communicate(timeout=DEADLINE)
        assert proc.returncode == 0, err
        assert out.splitlines()[-1].split()[1] == str(batches)
    counts = _rows(store_path, "SELECT run_id, count(*) FROM results GROUP BY run_id")
    assert sorted(count for _, count in counts) == [batches * size, batches * size]
    finished = _rows(store_path, "SELECT count(*) FROM runs WHERE finished_at IS NOT NULL")
    assert finished == [(2,)]


def test_threads_with_their_own_stores_do_not_lose_updates(store_path: Path) -> None:
    now = datetime.now(UTC)
    errors: list[BaseException] = []
    barrier = threading.Barrier(4, timeout=DEADLINE)

    def work(label: int) -> None:
        try:
            barrier.wait()
            with Store.open(store_path) as store:
                run = store.begin_run(now)
                for batch in range(25):
                    store.record(
                        run,
                        [
                            CheckResult(
                                url=f"https://t{label}.example/{batch}/{i}",
                                verdict=Verdict.OK,
                                checked_at=now,
                            )
                            for i in range(10)
                        ],
                    )
                store.finish_run(run, finished_at=now, partial=False, network="ok")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE)
    assert errors == []
    assert _rows(store_path, "SELECT count(*) FROM results") == [(4 * 25 * 10,)]
    assert _rows(store_path, "SELECT count(*) FROM runs") == [(4,)]


def test_one_store_shared_by_threads(store_path: Path) -> None:
    now = datetime.now(UTC)
    with Store.open(store_path) as store:
        run = store.begin_run(now)

        def work(label: int) -> None:
            for batch in range(20):
                store.record(
                    run,
                    [CheckResult(url=f"https://s{label}.example/{batch}", verdict=Verdict.OK)],
                )

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(DEADLINE)
        report = store.last_run()
    assert report is not None and report.summary.urls == 80


def test_a_store_created_between_two_reads_of_the_check_is_not_foreign(tmp_path: Path) -> None:
    # The is-this-ours check reads the table list and the schema version. If another
    # process's first migration could commit between those two reads, a brand-new
    # store looked like "a schema version but no tables" (seen with four threads).
    from linkhealth.store.schema import foreign_reason, migrate

    path = tmp_path / "new.sqlite"
    reader = sqlite3.connect(path, isolation_level=None)
    other = sqlite3.connect(path, isolation_level=None, timeout=0.05)
    raced: list[str] = []

    def between(statement: str) -> None:
        if "user_version" in statement and not raced:
            try:
                migrate(other)  # the other process creates the store right now
                raced.append("migrated")
            except sqlite3.OperationalError:
                raced.append("waited")  # the reader's snapshot holds it off

    reader.set_trace_callback(between)
    try:
        assert foreign_reason(reader) is None
    finally:
        reader.set_trace_callback(None)
        reader.close()
        other.close()
    assert raced  # the race was really tried
