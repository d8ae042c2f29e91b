"""Memory between runs: a SQLite store of runs and of one result per URL per run.

Only this package imports :mod:`sqlite3`. The public API::

    from linkhealth.store import Store

    with Store.open(".linkhealth/state.sqlite") as store:   # Store.open(path: Path | str)
        for message in store.warnings: ...                   # list[str]: file moved aside, …
        fresh = store.fresh_results(urls, max_age, now)      # dict[str, CheckResult]
        tags = store.validators(urls)                        # dict[str, (etag, last_modified)]
        hints = store.fetch_hints(urls)                      # .validators and .timed_out, one read
        old = store.latest_result(url)                       # CheckResult | None
        seen = store.last_ok(urls, before_run=run_id)        # dict[str, datetime]
        cached = store.archive_lookups([(url, before)])      # dict[key, ArchiveLookup]
        store.save_archive_lookups([ArchiveLookup(...)])     # Wayback look-ups, found or not
        run_id = store.begin_run(started_at, settings_digest="…", paths=[…],
                                 judging=Judging(strict=False, fail_after=1))  # -> int
        store.apply_history(batch, now=now, outage=False, run_id=run_id)
        store.record(run_id, batch)                          # one BEGIN IMMEDIATE per batch
        store.finish_run(run_id, finished_at=…, partial=False, network="ok",
                         summary=None, findings=())
        store.prune(keep_runs=90)                            # optional retention
        store.checkpoint()                                   # WAL folded in: one complete file
    report = store.last_run()                                # RunReport | None, judged_with set
    counts = store.failing_history(29, before=run_id)        # list[int], oldest first

Whether a result fails is :func:`linkhealth.models.fails_run` with the run's judging.

Guarantees:

* WAL journal, ``synchronous=NORMAL`` (a killed process loses at most the batch
  it was writing; the file stays consistent), a 30 s busy timeout and
  ``BEGIN IMMEDIATE`` for every write, so concurrent runs wait for each other
  instead of failing with "database is locked".
* The schema is a list of named migrations (:mod:`linkhealth.store.schema`)
  tracked by ``PRAGMA user_version``; each applies in one transaction.
* A corrupt file is renamed to ``<name>.corrupt-<UTC stamp>`` (with its
  ``-wal``/``-shm``) and a fresh store is started; ``Store.warnings`` says so.
  A file from a newer schema is refused untouched (a newer linkhealth keeps its
  history). Anything else raises :class:`linkhealth.errors.StoreError` naming the path.
* Every result is kept whole (its JSON) next to queryable columns, so
  :meth:`Store.last_run` re-renders a run exactly and without any request.

History rules (:mod:`linkhealth.store.history`): ``failing_runs`` counts the
consecutive non-outage runs in which the link failed, this one included;
``failing_since`` is when that streak began; ``flaky`` means at least two
flips between ok and failing in the link's last ten results. An outage run is
recorded but is never read as history, and in it streaks are carried over.
"""

from linkhealth.store.core import (
    DEFAULT_BUSY_TIMEOUT,
    DEFAULT_KEEP_RUNS,
    HISTORY_FIELDS,
    HISTORY_RUNS,
    ArchiveLookup,
    FetchHints,
    Store,
)
from linkhealth.store.history import FLAKY_MIN_FLIPS, FLAKY_WINDOW
from linkhealth.store.schema import MIGRATIONS, SCHEMA_VERSION

__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "DEFAULT_KEEP_RUNS",
    "FLAKY_MIN_FLIPS",
    "FLAKY_WINDOW",
    "HISTORY_FIELDS",
    "HISTORY_RUNS",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "ArchiveLookup",
    "FetchHints",
    "Store",
]
