"""Every store call of one check run, behind one object.

:class:`RunRecorder` opens the store (refusing a store path that is one of the
lists), begins the run, hands out what earlier runs know (fresh results,
validators, stored metadata), commits results in batches as they arrive, applies
the history and finishes the run. The run never talks to :class:`Store` itself.
"""

from __future__ import annotations

import time
from collections.abc import Container, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from linkhealth.config import Settings
from linkhealth.errors import ConfigError
from linkhealth.models import CheckResult, PageMeta, RunReport, Verdict
from linkhealth.store import HISTORY_RUNS, FetchHints, Store

BATCH_SIZE = 50
BATCH_SECONDS = 1.0


class RunRecorder:
    """The store side of one run: results committed in batches as they arrive."""

    def __init__(self, store: Store, run_id: int) -> None:
        self.store, self.run_id = store, run_id
        self.pending: list[CheckResult] = []
        self.seen: set[int] = set()
        self.positions: dict[int, int] = {}  # id(result) -> its place in the run's report
        # Results given their history as they were committed (as in a run that is no
        # outage): see :meth:`apply_history`.
        self.historied: set[int] = set()
        self.last = time.monotonic()

    @classmethod
    def begin(
        cls, settings: Settings, *, lists: Iterable[str], paths: Sequence[str], started: datetime
    ) -> RunRecorder:
        """Open ``settings.store`` and begin a run; the caller must :meth:`close` it."""
        store_path = Path(settings.store)
        if store_path.exists() and any(store_path.resolve() == Path(f).resolve() for f in lists):
            # A store that cannot be read is moved aside: never do that to the user's list.
            raise ConfigError(f"the store path {store_path} is one of the lists being checked")
        store = Store.open(store_path)
        try:
            run_id = store.begin_run(started, paths=list(paths), judging=settings.judging())
        except BaseException:
            store.close()
            raise
        return cls(store, run_id)

    @property
    def warnings(self) -> list[str]:
        """What opening the store had to say (a damaged store moved aside, …)."""
        return self.store.warnings

    # -- what earlier runs know --------------------------------------------------------

    def fresh(
        self, urls: Iterable[str], max_age: timedelta, now: datetime
    ) -> dict[str, CheckResult]:
        """Stored OK results younger than ``max_age``, by URL (``urls`` read only when the
        store holds results)."""
        return self.store.fresh_results(urls, max_age, now)

    def fetch_hints(self, urls: Iterable[str]) -> FetchHints:
        """The stored ETag/Last-Modified of each URL, for conditional requests, and the
        URLs whose latest stored result timed out (started early in the fetch): one read
        (``urls`` read only when the store holds results)."""
        return self.store.fetch_hints(urls)

    def previous_meta(self, url: str) -> PageMeta | None:
        """The metadata stored for ``url`` (a 304 answer has no body to read)."""
        previous = self.store.latest_result(url)
        return previous.meta() if previous is not None else None

    # -- this run's results ------------------------------------------------------------

    def number(self, results: Sequence[CheckResult]) -> None:
        """The run's results in the order its report lists them (every result, before any
        is added): stored with each row, so that ``report`` lists them as ``check`` did."""
        self.positions = {id(result): place for place, result in enumerate(results)}

    def add(self, results: Iterable[CheckResult]) -> None:
        """Results that are final: committed with the next batch, with their history."""
        self._take(results)
        if len(self.pending) >= BATCH_SIZE or time.monotonic() - self.last > BATCH_SECONDS:
            self._history_first()
            self.flush()

    def _history_first(self) -> None:
        """The batch's failing streaks and flakiness, read before it is committed (as in
        a run that is no outage, which most are): settling the run then rewrites none of
        its rows. Results without a time of their own wait for the run's end (their
        streak starts then)."""
        dated = [result for result in self.pending if result.checked_at is not None]
        if dated:
            self.store.apply_history(dated, now=datetime.now(UTC), outage=False)
            self.historied.update(map(id, dated))

    def add_rest(
        self,
        results: Iterable[CheckResult],
        *,
        outage: bool = False,
        alike: Container[int] = frozenset(),
    ) -> None:
        """Every result not added yet (invalid, unsafe, skipped, excluded, not requested),
        committed: ``report`` must re-render exactly what ``check`` showed. In an outage
        the results never requested (``skipped``, no attempt: all but a few) are stored
        as one record (:meth:`~linkhealth.store.Store.record_unreached`), not a row each;
        ``alike``: those the run vouches have one shape (by id)."""
        self._take(results)
        if outage:
            skipped, positions = Verdict.SKIPPED, self.positions
            unreached: list[CheckResult] = []
            rest: list[CheckResult] = []
            for result in self.pending:  # one pass: an outage's 100,000
                if result.attempts == 0 and result.verdict is skipped:
                    unreached.append(result)
                else:
                    rest.append(result)
            if unreached:
                places = [positions.get(id(result)) for result in unreached]
                self.store.record_unreached(self.run_id, unreached, places, alike)
                self.pending = rest
        self.flush()

    def _take(self, results: Iterable[CheckResult]) -> None:
        """Queue the results not queued before (each is stored once: later changes to a
        stored one go through :meth:`record`)."""
        seen, pending = self.seen, self.pending
        for result in results:
            if id(result) not in seen:
                seen.add(id(result))
                pending.append(result)

    def flush(self) -> None:
        if self.pending:
            self.record(self.pending)
        self.pending = []
        self.last = time.monotonic()

    def record(self, results: Sequence[CheckResult]) -> None:
        """Store ``results`` now (again, if they changed after they were committed)."""
        places = [self.positions.get(id(result)) for result in results]
        self.store.record(self.run_id, results, places)

    def apply_history(self, results: list[CheckResult], *, now: datetime, outage: bool) -> None:
        """Failing streaks, flakiness and ``fails`` from the runs before this one: of every
        result in an outage (stored rows are rewritten: the run counts for nothing), else
        of those not given theirs as they were committed."""
        if not outage:
            results = [result for result in results if id(result) not in self.historied]
        self.store.apply_history(results, now=now, outage=outage)

    def finish(self, report: RunReport, *, finished_at: datetime, keep_runs: int) -> None:
        """Close the run with its summary, prune old runs, give the report its history."""
        self.store.finish_run(
            self.run_id,
            finished_at=finished_at,
            partial=report.partial,
            network=report.network,
            summary=report.summary,
            findings=report.findings,
        )
        self.store.prune(keep_runs=keep_runs)
        report.history = self.store.failing_history(HISTORY_RUNS - 1, before=self.run_id)
        self.store.checkpoint()

    def close(self) -> None:
        self.store.close()
