"""A store writer run as a separate process by the durability tests.

usage: writer.py STORE LABEL BATCHES BATCH_SIZE

Prints ``<run_id> <batches committed>`` after every committed batch.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from linkhealth.models import CheckResult, Verdict
from linkhealth.store import Store


def main() -> None:
    path, label, batches, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    with Store.open(path) as store:
        now = datetime.now(UTC)
        run_id = store.begin_run(now, paths=[label])
        for batch in range(batches):
            results = [
                CheckResult(
                    url=f"https://{label}.example/{batch}/{item}",
                    verdict=Verdict.OK,
                    http_status=200,
                    checked_at=now,
                    title=f"page {batch}/{item} " + "x" * 200,
                )
                for item in range(size)
            ]
            store.record(run_id, results)
            print(run_id, batch + 1, flush=True)
        store.finish_run(run_id, finished_at=datetime.now(UTC), partial=False, network="ok")
        store.checkpoint()


if __name__ == "__main__":
    main()
