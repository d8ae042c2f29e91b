"""The store's schema as an ordered list of named migrations.

``PRAGMA user_version`` holds how many migrations a file has received. Each
migration runs in its own ``BEGIN IMMEDIATE`` transaction together with the
``user_version`` bump and a row in ``schema_migrations``, so a crash leaves the
file at the previous version, never half-way. Two processes opening a new file
at once are safe: the version is re-read inside the write lock.

Append new migrations at the end; never edit or reorder a released one.

``results`` keeps the fields people query as columns (``occurrences`` there is
a count) and in ``payload`` what results are rebuilt from exactly: for a result whose
other fields are all at their defaults (an outage's tens of thousands of results never
requested, most failures), its occurrences alone as a JSON list (starting with ``[``);
for any other whose times are in UTC (as the columns write them), the JSON of its fields
without a column (an object whose first key is not ``url``, defaults left out); for the
rest, the whole :class:`~linkhealth.models.CheckResult` as JSON (defaults left out, its
first key ``url``), zlib-compressed, or as it is when it was never requested. No zlib
stream starts with ``[`` or ``{``. ``unreached`` keeps an outage's results never requested,
a record a batch (:mod:`linkhealth.store.unreached`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Migration:
    name: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "0001_runs_and_results",
        (
            """
            CREATE TABLE schema_migrations (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                applied_at TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE runs (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                started_at TEXT NOT NULL,
                finished_at TEXT,
                partial INTEGER NOT NULL DEFAULT 1,
                network TEXT,
                settings_digest TEXT NOT NULL DEFAULT '',
                paths TEXT NOT NULL DEFAULT '[]',
                fail_after INTEGER NOT NULL DEFAULT 1,
                strict INTEGER NOT NULL DEFAULT 0,
                tool_version TEXT NOT NULL DEFAULT '',
                summary TEXT,
                findings TEXT NOT NULL DEFAULT '[]'
            )
            """,
            """
            CREATE TABLE results (
                run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                url TEXT NOT NULL,
                verdict TEXT NOT NULL,
                http_status INTEGER,
                detail TEXT NOT NULL DEFAULT '',
                error_kind TEXT,
                final_url TEXT,
                redirects TEXT NOT NULL DEFAULT '[]',
                attempts INTEGER NOT NULL DEFAULT 0,
                elapsed_ms REAL NOT NULL DEFAULT 0,
                checked_at TEXT,
                from_cache INTEGER NOT NULL DEFAULT 0,
                failing_runs INTEGER NOT NULL DEFAULT 0,
                failing_since TEXT,
                flaky INTEGER NOT NULL DEFAULT 0,
                fails INTEGER NOT NULL DEFAULT 0,
                title TEXT,
                canonical_url TEXT,
                content_type TEXT,
                lang TEXT,
                etag TEXT,
                last_modified TEXT,
                suggestion TEXT,
                occurrences INTEGER NOT NULL DEFAULT 0,
                payload BLOB NOT NULL,
                PRIMARY KEY (run_id, url)
            )
            """,
        ),
    ),
    Migration(
        "0002_index_results_by_url",
        ("CREATE INDEX results_by_url ON results (url, run_id DESC)",),
    ),
    Migration(
        "0003_runs_failing_count",
        ("ALTER TABLE runs ADD COLUMN failing INTEGER",),
    ),
    Migration(
        "0004_archive_lookups",
        (
            # One Wayback Machine look-up per URL and date it must predate ('' = newest).
            # A miss is kept too (archive_url NULL): it is not asked again for a while.
            """
            CREATE TABLE archive_lookups (
                url TEXT NOT NULL,
                before TEXT NOT NULL DEFAULT '',
                looked_at TEXT NOT NULL,
                archive_url TEXT,
                archived_at TEXT,
                PRIMARY KEY (url, before)
            )
            """,
        ),
    ),
    # How the run was judged (strict, fail_after, accept ranges) as JSON, so that
    # ``report`` re-renders exactly that; NULL for runs recorded before it.
    Migration(
        "0005_runs_judged_with",
        ("ALTER TABLE runs ADD COLUMN judged_with TEXT",),
    ),
    # Where each result stands in the run's report (``check``'s order: first occurrence,
    # local links last), so that ``report`` lists them as ``check`` did; NULL for rows
    # recorded before it (those keep the order they were recorded in).
    Migration(
        "0006_results_position",
        ("ALTER TABLE results ADD COLUMN position INTEGER",),
    ),
    # ``payload`` may hold a result's JSON as it is (a result never requested) besides
    # zlib-compressed JSON. Nothing in the file changes; the version tells an older
    # linkhealth, which could not read such a row, to move the store aside instead.
    Migration("0007_payload_plain_json", ()),
    # ``payload`` may hold only the result's occurrences (a JSON list) when its columns
    # hold the rest: again nothing in the file changes, and an older linkhealth, which
    # could not rebuild such a row, moves the store aside.
    Migration("0008_payload_occurrences_only", ()),
    # An outage's results that were never requested (tens of thousands, all ``skipped``),
    # kept as one record per batch instead of one ``results`` row each: their URLs
    # (zlib-packed JSON list), their places in the run's report (JSON list) and the
    # results themselves (zlib-packed JSON list of whole results, defaults left out).
    # Readers of a URL's latest result treat a URL in a later run's record as a latest
    # result that is not ok (see :meth:`~linkhealth.store.Store.record_unreached`).
    Migration(
        "0009_unreached",
        (
            """
            CREATE TABLE unreached (
                run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                urls BLOB NOT NULL,
                positions TEXT NOT NULL,
                payload BLOB NOT NULL
            )
            """,
            "CREATE INDEX unreached_by_run ON unreached (run_id)",
        ),
    ),
    # ``payload`` may hold the JSON of only the result's fields without a column (an
    # object whose first key is not ``url``; the columns hold the rest): nothing in the
    # file changes, and an older linkhealth, which could not rebuild such a row, refuses
    # the store (written by a newer linkhealth) instead of misreading it.
    Migration("0010_payload_uncolumned_fields", ()),
    # An unreached record's ``payload`` may hold its results' shared fields once and their
    # occurrences as columns (:mod:`linkhealth.store.unreached`; its first byte is ``C``,
    # never a zlib stream's): nothing in the file changes, and an older linkhealth, which
    # could not read such a record, refuses the store instead of calling it damaged.
    Migration("0011_unreached_columns", ()),
)

SCHEMA_VERSION = len(MIGRATIONS)
#: ``PRAGMA application_id`` of a linkhealth store ("LKHT"); set when a file is created.
#: Stores made before it was introduced have 0 and are known by ``schema_migrations``.
APPLICATION_ID = 0x4C4B4854


class NotAStore(Exception):
    """The file is an SQLite database, but another program's: not a linkhealth store."""


def user_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def foreign_reason(conn: sqlite3.Connection) -> str | None:
    """Why the open file is another program's database, or ``None`` when it is a
    linkhealth store or empty. Reads only: call it before anything changes the file
    (journal mode included).

    The header fields and the table list are read in one read transaction: read one by
    one, another process creating a new store meanwhile (its first migration committing
    between two reads) made a fresh store look like a foreign file."""
    if conn.in_transaction:
        return _foreign_reason(conn)
    conn.execute("BEGIN")
    try:
        return _foreign_reason(conn)
    finally:
        conn.execute("COMMIT")


def _foreign_reason(conn: sqlite3.Connection) -> str | None:
    app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    tables = {
        str(row[0]) for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    version = user_version(conn)
    if app_id not in (0, APPLICATION_ID):
        return f"its application_id is {app_id:#x}, another program's"
    if not tables:
        return None if version == 0 else "it has a schema version but no tables"
    if "schema_migrations" not in tables or version == 0:
        return "it holds tables but no linkhealth schema"
    return None


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> list[str]:
    """Apply the migrations this file lacks; return the names applied.

    ``conn`` must be in autocommit mode (``isolation_level=None``) so that the
    explicit transactions here are the only ones.
    """
    applied: list[str] = []
    for version, migration in enumerate(migrations, start=1):
        if user_version(conn) >= version:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            if user_version(conn) >= version:
                conn.execute("ROLLBACK")
                continue
            if version == 1:
                reason = foreign_reason(conn)  # again, now under the write lock
                if reason is not None:
                    raise NotAStore(reason)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID:d}")
            for statement in migration.statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (version, migration.name, datetime.now(UTC).isoformat()),
            )
            conn.execute(f"PRAGMA user_version = {version:d}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        applied.append(migration.name)
    return applied
