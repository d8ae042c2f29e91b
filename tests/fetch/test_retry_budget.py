"""A retry waits behind new URLs only while its URL's budget still holds every try it has
left after waiting for a slot (a slot may be held by a request that hangs a whole timeout)."""

from __future__ import annotations

import itertools

from linkhealth.models import Verdict
from support.fetchkit import fast, run
from support.servers import Reply, Request, ServerPool, html_page

PAGE = html_page("Fine")


def test_a_retry_behind_hanging_new_urls_keeps_a_whole_try(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2")
    calls = itertools.count()

    def once_503(req: Request) -> Reply:
        # 503 once, then a fine answer that takes 0.6 s (inside the 1 s timeout).
        return Reply(503) if next(calls) == 0 else Reply(200, body=PAGE, delay=0.6)

    a.route("/flaky", once_503)
    a.route("/hang1", Reply(200, body=PAGE, delay=2.0))
    a.route("/hang2", Reply(200, body=PAGE, delay=2.0))
    # One slot: the retry of /flaky waits while /hang1 and /hang2 each hold it for a whole
    # timeout. It must start while its budget still holds a whole try: it was let wait
    # until 2 s into its 2.5 s budget and its fine answer ended as a timeout.
    settings = fast(host_concurrency=1, timeout=1.0, retries=1, backoff_base=0.01, url_deadline=2.5)
    flaky, _, _ = run([a.url("/flaky"), a.url("/hang1"), a.url("/hang2")], settings)
    assert flaky.verdict is Verdict.OK, flaky
    assert flaky.attempts == 2
