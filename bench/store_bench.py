"""Benchmark: the store over many nightly runs.

Simulates ``--runs`` nightly runs (default 90, the default retention) of a list
with ``--urls`` unique URLs (default 2,000, one occurrence each, titles and
descriptions of realistic length, 5 % failing). Each run does what the
pipeline does: ``fresh_results`` and ``validators`` for every URL, then
``apply_history`` and ``record`` in batches of 50, ``finish_run`` and
``checkpoint``. Reports the time of one run's store work, the time to open
the full store (``quick_check`` included), ``last_run()``, and the file size.

Usage::

    .venv/bin/python -m bench.store_bench
    .venv/bin/python -m bench.store_bench --runs 30 --urls 500

The last run's summary is checked against what was planted, so a fast but
wrong run fails loudly instead of producing a number.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from linkhealth.models import CheckResult, LinkKind, Occurrence, Verdict
from linkhealth.store import Store

BATCH = 50


def _result(n: int, when: datetime, failing: bool) -> CheckResult:
    url = f"https://host{n % 97}.example/articles/{n}/a-long-slug-for-the-page"
    return CheckResult(
        url=url,
        verdict=Verdict.BROKEN if failing else Verdict.OK,
        http_status=404 if failing else 200,
        checked_at=when,
        elapsed_ms=123.4,
        attempts=1,
        title=f"An article about topic {n}, with a title of typical length",
        description="A description of the page, as a careful person would write it. " * 2,
        etag=f'"{n:08x}"',
        occurrences=[
            Occurrence(
                url=url,
                file="lists/reading-list.md",
                line=n + 1,
                column=3,
                end_line=n + 1,
                end_column=3 + len(url),
                kind=LinkKind.BARE,
                section="Reading",
            )
        ],
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=90)
    parser.add_argument("--urls", type=int, default=2_000)
    args = parser.parse_args()
    start = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
    urls = [_result(n, start, False).url for n in range(args.urls)]
    failing = {n for n in range(args.urls) if n % 20 == 0}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "state.sqlite"
        run_times: list[float] = []
        for night in range(args.runs):
            when = start + timedelta(days=night)
            began = time.perf_counter()
            with Store.open(path) as store:
                store.fresh_results(urls, timedelta(hours=12), when)
                store.validators(urls)
                run = store.begin_run(when)
                for first in range(0, args.urls, BATCH):
                    batch = [
                        _result(n, when, n in failing)
                        for n in range(first, min(first + BATCH, args.urls))
                    ]
                    store.apply_history(batch, now=when, outage=False, run_id=run)
                    store.record(run, batch)
                store.finish_run(run, finished_at=when, partial=False, network="ok")
                store.checkpoint()
            run_times.append(time.perf_counter() - began)
        began = time.perf_counter()
        store = Store.open(path)
        opened = time.perf_counter() - began
        began = time.perf_counter()
        report = store.last_run()
        rebuilt = time.perf_counter() - began
        store.close()
        size = path.stat().st_size
    assert report is not None
    if report.summary.urls != args.urls or report.summary.failing != len(failing):
        print(f"wrong summary: {report.summary}", file=sys.stderr)
        return 1
    worst = max(report.results, key=lambda r: r.failing_runs)
    if worst.failing_runs != args.runs:
        print(f"wrong streak: {worst.failing_runs} != {args.runs}", file=sys.stderr)
        return 1
    run_times.sort()
    print(f"runs={args.runs} urls={args.urls} batch={BATCH}")
    print(f"store work per run: median {run_times[len(run_times) // 2]:.3f} s, "
          f"last {run_times[-1]:.3f} s (max)")  # fmt: skip
    print(f"open full store (quick_check): {opened:.3f} s")
    print(f"last_run(): {rebuilt:.3f} s")
    print(f"file size: {size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
