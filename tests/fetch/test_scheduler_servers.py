"""The scheduler against loopback hosts: slots per request (redirect hops included), URLs
that wait for a retry in the queue instead of in a slot, host-wide pauses, the adaptive
rate against a host-wide rate limit, never-requested links, and the outage short cut."""

from __future__ import annotations

import asyncio
import gc
import itertools
import threading
import time

import pytest

from linkhealth.fetch import FetchResult, is_outage
from linkhealth.fetch.classify import classify_exception
from linkhealth.fetch.hosts import HostState, NetworkDown
from linkhealth.models import ErrorKind, Verdict
from support.fetchkit import fast, run
from support.servers import Reply, Request, ServerPool, html_page, unused_port

PAGE = html_page("Fine")


class TokenBucket:
    """A host-wide rate limit as real sites apply it: ``rate`` requests per second with a
    burst of ``burst``; beyond it ``429 Retry-After: 1``."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.at = time.monotonic()
        self.refused = 0
        self.lock = threading.Lock()

    def admit(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(float(self.burst), self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens >= 1.0:
                self.tokens -= 1.0
                return True
            self.refused += 1
            return False


def limited(bucket: TokenBucket, then: Reply | None = None) -> Reply | None:
    if not bucket.admit():
        return Reply(429, headers={"Retry-After": "1"}, content_type="text/plain")
    return then


def test_redirect_hops_take_a_slot_of_the_host_they_go_to(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2")
    b = pool.host("127.0.0.3")
    for i in range(12):
        a.route(f"/r{i}", Reply(302, headers={"Location": b.url(f"/t{i}")}))
        b.route(f"/t{i}", Reply(200, body=PAGE, delay=0.1))
        b.route(f"/p{i}", Reply(200, body=PAGE, delay=0.1))
    urls = [a.url(f"/r{i}") for i in range(12)] + [b.url(f"/p{i}") for i in range(12)]
    results = run(urls, fast(host_concurrency=2))
    assert [r.verdict for r in results] == [Verdict.REDIRECTED] * 12 + [Verdict.OK] * 12
    assert b.hits() == 24
    # b's own URLs and the hops from a's URLs share b's two slots.
    assert b.max_in_flight == 2
    assert a.max_in_flight <= 2


def test_a_hop_to_a_paced_host_waits_behind_its_new_urls(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2")
    b = pool.host("127.0.0.3").route("/t", Reply(200, body=PAGE))
    a.route("/r", Reply(302, headers={"Location": b.url("/t")}))
    for i in range(6):
        b.route(f"/p{i}", Reply(200, body=PAGE))
    # b starts a request every 0.3 s: its six new URLs take 1.5 s, the hop from a's URL
    # arrives within a few ms. Each start the hop takes would put back every new URL
    # after it (one of them may hang): it goes last. Its wait (longer than the 1 s
    # timeout) is not its attempt's time.
    urls = [b.url(f"/p{i}") for i in range(6)] + [a.url("/r")]
    settings = fast(host_interval=0.3, host_jitter=0.0, timeout=1.0, read_timeout=1.0)
    results = run(urls, settings)
    assert [r.verdict for r in results] == [Verdict.OK] * 6 + [Verdict.REDIRECTED]
    assert [r.path for r in b.requests] == [f"/p{i}" for i in range(6)] + ["/t"]
    # The interval holds: a start made late by a busy loop keeps the schedule, so the next
    # one may come sooner, but never within half a gap (hosts.HostState.try_take).
    starts = [r.at for r in b.requests]
    assert min(y - x for x, y in itertools.pairwise(starts)) >= 0.15


def test_a_hop_whose_urls_budget_runs_short_waits_no_longer(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2")
    b = pool.host("127.0.0.3").route("/t", [Reply(503), Reply(200, body=PAGE)])
    a.route("/r", Reply(302, headers={"Location": b.url("/t")}))
    for i in range(20):
        b.route(f"/p{i}", Reply(200, body=PAGE))
    # b's twenty new URLs take 5 s at 0.25 s a start; a's URL has 3.5 s for two tries of
    # up to 1 s each and its landing answers 503 once: behind all of them its retry would
    # find its budget spent (the 503 left as the verdict). Its hop waits only while the
    # budget holds every try it has left, then goes before b's queue.
    urls = [b.url(f"/p{i}") for i in range(20)] + [a.url("/r")]
    budget = {"timeout": 1.0, "read_timeout": 1.0, "retries": 1, "url_deadline": 3.5}
    results = run(urls, fast(host_interval=0.25, host_jitter=0.0, **budget))
    assert [r.verdict for r in results] == [Verdict.OK] * 20 + [Verdict.REDIRECTED]
    order = [r.path for r in b.requests]
    assert order.count("/t") == 2 and order.index("/t") < 8


def test_an_idn_host_is_one_host_however_a_url_or_redirect_spells_it(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2")
    puny = f"http://xn--bcher-kva.test:{a.port}"
    for i in range(6):
        a.route(f"/r{i}", Reply(302, headers={"Location": f"{puny}/t{i}"}))
        a.route(f"/t{i}", Reply(200, body=PAGE, delay=0.1))
        a.route(f"/p{i}", Reply(200, body=PAGE, delay=0.1))
    unicode = f"http://bücher.test:{a.port}"
    urls = [f"{unicode}/r{i}" for i in range(6)] + [f"{unicode}/p{i}" for i in range(6)]
    settings = fast(host_concurrency=1, resolve={"xn--bcher-kva.test": a.target})
    results = run(urls, settings)
    assert [r.verdict for r in results] == [Verdict.REDIRECTED] * 6 + [Verdict.OK] * 6
    assert a.hits() == 18
    # The Unicode spelling of the list and the punycode of the redirects share one slot.
    assert a.max_in_flight == 1


def test_a_url_waiting_for_its_retry_frees_its_slot(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2")
    a.route("/flaky", [Reply(503), Reply(200, body=PAGE)])
    for i in range(5):
        a.route(f"/p{i}", Reply(200, body=PAGE))
    urls = [a.url("/flaky")] + [a.url(f"/p{i}") for i in range(5)]
    results = run(urls, fast(host_concurrency=1, backoff_base=1.0))
    assert all(r.verdict is Verdict.OK for r in results)
    assert results[0].attempts == 2
    order = [r.path for r in a.requests]
    # One slot: the others went while /flaky waited for its retry (a 503 without
    # Retry-After is that URL's trouble, not a reason to pause the host).
    assert order[0] == "/flaky" and order[-1] == "/flaky"
    assert sorted(order[1:-1]) == [f"/p{i}" for i in range(5)]
    flaky = [r.at for r in a.requests if r.path == "/flaky"]
    assert flaky[1] - flaky[0] >= 0.95  # its own backoff was kept


def test_the_retry_of_a_timed_out_attempt_goes_at_once(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2")
    a.route("/hang", [Reply(silence=True), Reply(200, body=PAGE)])
    settings = fast(timeout=1.0, read_timeout=1.0, retries=1, backoff_base=0.5)
    results = run([a.url("/hang")], settings)
    assert results[0].verdict is Verdict.OK and results[0].attempts == 2
    first, second = (r.at for r in a.requests)
    # The backoff (0.5-0.75 s) runs from the failed attempt's start: the attempt waited
    # its whole timeout (1 s) already. Counted from the timeout it would be >= 1.5 s.
    assert 0.95 <= second - first < 1.4


def test_new_urls_go_before_a_ready_retry_while_its_budget_allows(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2")
    a.route("/flaky", [Reply(503), Reply(200, body=PAGE)])
    a.route("/late", [Reply(503), Reply(503), Reply(200, body=PAGE)])
    for i in range(80):
        a.route(f"/p{i}", Reply(200, body=PAGE, delay=0.05))
    # One slot, 4 s of new URLs, a 4.5 s budget per URL with up to two more tries of up
    # to 1 s each. New URLs go before the ready retries (one of them could hang: the
    # sooner it is tried, the sooner the host is done) until waiting longer (for a slot
    # too, up to a timeout) would cost a retry its try: then it goes, and every URL still
    # gets all its tries in time.
    urls = [a.url("/flaky"), a.url("/late")] + [a.url(f"/p{i}") for i in range(80)]
    budget = {"timeout": 1.0, "read_timeout": 1.0, "backoff_base": 0.01}
    results = run(urls, fast(host_concurrency=1, url_deadline=4.5, **budget))
    assert all(r.verdict is Verdict.OK for r in results)
    order = [r.path for r in a.requests]
    assert order[:2] == ["/flaky", "/late"] and len(order) == 85
    retries = [i for i, p in enumerate(order) if i >= 2 and not p.startswith("/p")]
    assert len(retries) == 3
    assert retries[0] > 10 and retries[-1] < 84  # after new URLs, before the last ones
    for path in ("/flaky", "/late"):
        at = [r.at for r in a.requests if r.path == path]
        assert at[-1] - at[0] < 4.5


def test_a_retry_whose_budget_runs_short_goes_before_retries_of_hung_urls(
    pool: ServerPool,
) -> None:
    a = pool.host("127.0.0.2")
    a.route("/flaky", [Reply(503), Reply(200, body=PAGE)])
    a.route("/hang", Reply(silence=True))
    for i in range(3):
        a.route(f"/p{i}", Reply(200, body=PAGE, delay=0.15))
    # Two slots, no pace, 0.5 s a try, 3 s a URL. Once no new URL waits, the retries of
    # the four hanging URLs would hold both slots until past 3 s; /flaky's retry waits
    # behind new URLs only as long as its budget allows, then takes the first free slot.
    urls = [a.url("/flaky")] + [a.url(f"/hang?{i}") for i in range(4)]
    urls += [a.url(f"/p{i}") for i in range(3)]
    budget = {"timeout": 0.5, "read_timeout": 0.5, "backoff_base": 0.01, "url_deadline": 3.0}
    results = run(urls, fast(host_concurrency=2, **budget))
    assert results[0].verdict is Verdict.OK and results[0].attempts == 2
    assert [r.verdict for r in results[1:5]] == [Verdict.TIMEOUT] * 4
    assert all(r.verdict is Verdict.OK for r in results[5:])


def test_a_backoff_runs_from_when_the_request_went_out(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2").route("/slow", Reply(200, body=PAGE, delay=1.0))
    b = pool.host("127.0.0.3").route("/flaky", [Reply(503), Reply(200, body=PAGE)])
    # One global place: /flaky's first attempt waits ~1 s for it (held by /slow), then
    # its 503 comes at once; its retry still waits its backoff after the request went
    # out, not after the attempt began waiting.
    settings = fast(max_concurrency=1, backoff_base=0.5)
    results = run([a.url("/slow"), b.url("/flaky")], settings)
    assert [r.verdict for r in results] == [Verdict.OK, Verdict.OK]
    first, second = (r.at for r in b.requests)
    assert first - a.requests[0].at >= 0.9  # it waited for the global place
    assert second - first >= 0.45


def test_retry_after_pauses_the_whole_host(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2")
    a.route("/busy", [Reply(503, headers={"Retry-After": "1"}), Reply(200, body=PAGE)])
    a.route("/next", Reply(200, body=PAGE))
    b = pool.host("127.0.0.3").route("/", Reply(200, body=PAGE))
    results = run([a.url("/busy"), a.url("/next"), b.url("/")], fast(host_concurrency=1))
    assert [r.verdict for r in results] == [Verdict.OK] * 3
    first = a.requests[0]
    nxt = next(r for r in a.requests if r.path == "/next")
    assert first.path == "/busy" and nxt.at - first.at >= 0.95
    assert b.requests[0].at - first.at < 0.9  # another host is not paused


def test_503s_back_to_back_from_several_urls_pause_the_host(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2")
    for i in range(3):
        a.route(f"/down{i}", [Reply(503), Reply(200, body=PAGE)])
    a.route("/later", Reply(200, body=PAGE))
    urls = [a.url(f"/down{i}") for i in range(3)] + [a.url("/later")]
    # Budgets with room for a later retry: the retries wait while new URLs go.
    results = run(urls, fast(host_concurrency=1, backoff_base=0.01, url_deadline=30.0))
    assert all(r.verdict is Verdict.OK for r in results)
    third = next(r for r in a.requests if r.path == "/down2")
    later = next(r for r in a.requests if r.path == "/later")
    assert later.at - third.at >= 0.45  # the host backed off as a whole


def test_one_urls_own_429_does_not_stop_its_host(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2")
    a.route("/own", [Reply(429, headers={"Retry-After": "3"}), Reply(200, body=PAGE)])
    for i in range(3):
        a.route(f"/p{i}", Reply(200, body=PAGE))
    urls = [a.url("/own")] + [a.url(f"/p{i}") for i in range(3)]
    results = run(urls, fast(host_concurrency=1))
    assert [r.verdict for r in results] == [Verdict.OK] * 4
    assert results[0].attempts == 2
    # The probe after the 429 was served, so the host went on while /own waited its 3 s
    # (before, the whole host waited and /own's retry went first).
    assert [r.path for r in a.requests] == ["/own", "/p0", "/p1", "/p2", "/own"]
    own = [r.at for r in a.requests if r.path == "/own"]
    assert own[1] - own[0] >= 2.95  # its own Retry-After was kept


def test_a_probe_answered_with_a_redirect_was_served(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2")
    b = pool.host("127.0.0.3").route("/t", Reply(200, body=PAGE))
    a.route("/own", [Reply(429, headers={"Retry-After": "3"}), Reply(200, body=PAGE)])
    a.route("/r", Reply(302, headers={"Location": b.url("/t")}))
    for i in range(2):
        a.route(f"/p{i}", Reply(200, body=PAGE))
    urls = [a.url("/own"), a.url("/r"), a.url("/p0"), a.url("/p1")]
    results = run(urls, fast(host_concurrency=1))
    assert [r.verdict for r in results] == [Verdict.OK, Verdict.REDIRECTED, Verdict.OK, Verdict.OK]
    # The probe after /own's 429 (/r) was answered, with a redirect: the host went on at
    # once (before, it waited the whole 3 s as if the probe had told nothing).
    assert [r.path for r in a.requests] == ["/own", "/r", "/p0", "/p1", "/own"]
    assert a.requests[2].at - a.requests[0].at < 2.0


def test_rate_limited_host_converges_without_false_alarms(pool: ServerPool) -> None:
    bucket = TokenBucket(rate=10.0, burst=5)
    a = pool.host("127.0.0.2")

    def handler(req: Request) -> Reply:
        once = req.path.startswith("/e503/") and a.hits(req.path) == 1
        return limited(bucket) or (Reply(503) if once else Reply(200, body=PAGE))

    paths = [f"/p/{i}" for i in range(70)] + [f"/e503/{i}" for i in range(10)]
    for p in paths:
        a.route(p, handler)
    results = run([a.url(p) for p in paths], fast(retries=1, url_deadline=60.0))
    # Nothing rate limited is reported: not the pages, not the 503-once pages whose
    # retries met the limit.
    assert [r.verdict for r in results] == [Verdict.OK] * 80
    assert all(r.http_status == 200 for r in results)
    # It slowed down instead of hammering: a handful of 429s, not one per request.
    assert bucket.refused <= 16, bucket.refused
    assert a.hits() <= 80 + 10 + bucket.refused


def test_a_rate_limit_is_found_in_a_few_429s_from_its_burst(pool: ServerPool) -> None:
    # 10 requests a second, a burst of 5. The first refusal shows the burst; the first
    # refusal while pacing (the rate grows until refused, overshooting by half) shows the
    # rate the bucket let through since it was full, and the host is cut to it at once,
    # not 10 % at a time with a 429 and a 1 s pause each (the old code: 15 429s here).
    bucket = TokenBucket(rate=10.0, burst=5)
    a = pool.host("127.0.0.2")
    for i in range(160):
        a.route(f"/p/{i}", lambda req: limited(bucket) or Reply(200, body=PAGE, delay=0.05))
    results = run([a.url(f"/p/{i}") for i in range(160)], fast(url_deadline=60.0))
    assert all(r.verdict is Verdict.OK for r in results)
    # Measured: this code 9-12 (loaded and quiet machines; 12 once in CI), the old code
    # 14-16: the line between them, not a goal.
    assert bucket.refused <= 13, bucket.refused


def test_a_link_never_requested_is_blocked_with_the_reason(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2")
    a.route("/a", Reply(429, headers={"Retry-After": "999999999"}))
    a.route("/b", Reply(200, body=PAGE))
    first, second = run([a.url("/a"), a.url("/b")], fast(host_concurrency=1))
    assert first.verdict is Verdict.BLOCKED and first.attempts == 1
    assert second.verdict is Verdict.BLOCKED and second.attempts == 0
    assert second.detail.startswith("rate limited: not requested: 127.0.0.2 asked us to wait")
    assert "beyond this URL's 10 s budget" in second.detail
    assert second.error_kind is not ErrorKind.TIMEOUT and second.http_status is None
    assert a.hits("/b") == 0


@pytest.mark.usefixtures("no_network")
def test_no_network_ends_in_a_few_requests_whatever_the_list_size() -> None:
    urls = [f"http://host{h}.offline.test/page/{i}" for h in range(40) for i in range(30)]
    results = run(urls, fast())
    assert all(r.error_kind in (ErrorKind.DNS, ErrorKind.CONNECT) for r in results)
    assert is_outage(results, 0.9)
    # Not 1,200 look-ups: once the first hosts all failed and none answered, the rest
    # were never requested (and the look-ups in flight were cut short).
    never = [r for r in results if r.attempts == 0]
    assert len(never) >= 800, len(never)
    assert all(r.detail.startswith("cannot connect: not requested") for r in never)


@pytest.mark.usefixtures("no_network")
def test_placeholder_hosts_do_not_hold_back_the_outage_verdict() -> None:
    # Five real hosts (40 links each) and ten placeholders under invalid. (no evidence
    # either way): the five are enough hosts for the early verdict, as five hosts alone
    # are; counting the placeholders among the hosts it needs requested every link.
    urls = [f"http://host{h}.offline.test/page/{i}" for h in range(5) for i in range(40)]
    urls += [f"http://placeholder{p}.invalid/" for p in range(10)]
    results = run(urls, fast())
    assert is_outage(results, 0.9)
    assert sum(r.attempts for r in results) <= 40, sum(r.attempts for r in results)


def test_nothing_accepting_connections_is_cut_short_too() -> None:
    names = [f"host{h}.test" for h in range(20)]
    resolve = {n: f"127.0.0.1:{unused_port()}" for n in names}
    urls = [f"http://{n}/page/{i}" for n in names for i in range(20)]
    results = run(urls, fast(resolve=resolve, retries=2, backoff_base=0.5))
    assert is_outage(results, 0.9)
    assert sum(r.attempts for r in results) <= 150


def test_dead_hosts_among_live_ones_are_not_an_outage(pool: ServerPool) -> None:
    live = [pool.host(f"127.0.0.{i}").route("/", Reply(200, body=PAGE)) for i in (2, 3, 4)]
    dead = [f"http://dead{i}.invalid/x/{j}" for i in range(10) for j in range(3)]
    results = run([*dead, *(h.url("/") for h in live)], fast())
    assert all(r.verdict is Verdict.BROKEN and r.attempts == 1 for r in results[:30])
    assert all(r.verdict is Verdict.OK for r in results[30:])
    assert not is_outage(results, 0.9)


def test_redirects_across_busy_hosts_never_wait_on_each_other(pool: ServerPool) -> None:
    # Every URL of a redirects to b and every URL of b to a, with few global places:
    # an attempt waiting for the other host's slot must not sit on a global place that
    # the other host's attempts need (that was a deadlock).
    a = pool.host("127.0.0.2")
    b = pool.host("127.0.0.3")
    for i in range(10):
        a.route(f"/r{i}", Reply(302, headers={"Location": b.url(f"/t{i}")}, delay=0.02))
        b.route(f"/r{i}", Reply(302, headers={"Location": a.url(f"/t{i}")}, delay=0.02))
        a.route(f"/t{i}", Reply(200, body=PAGE, delay=0.05))
        b.route(f"/t{i}", Reply(200, body=PAGE, delay=0.05))
    urls = [h.url(f"/r{i}") for i in range(10) for h in (a, b)]
    results = run(urls, fast(host_concurrency=1, max_concurrency=2))
    assert all(r.verdict is Verdict.REDIRECTED for r in results)
    assert a.max_in_flight == 1 and b.max_in_flight == 1


def test_urls_the_callers_policy_passed_are_not_asked_again(
    pool: ServerPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linkhealth.fetch import engine

    asked: list[str] = []
    precheck = engine._precheck

    def counted(url: str, policy: object) -> object:
        asked.append(url)
        return precheck(url, policy)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "_precheck", counted)
    a = pool.host("127.0.0.2").route("/p", Reply(200, body=PAGE))
    passed, other = a.url("/p"), a.url("/p?again")
    a.route("/p?again", Reply(200, body=PAGE))
    results = run([passed, other], fast(), hosts={passed: "127.0.0.2"})
    assert asked == [other]
    assert [r.verdict for r in results] == [Verdict.OK, Verdict.OK]


async def _woken_once(state: HostState[str]) -> list[str]:
    woken: list[str] = []

    async def waiter() -> None:
        await state.changed(None)
        woken.append("woken")

    task = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    state.push_new(["a", "b", "c"])
    await task
    return woken


def test_new_urls_queued_at_once_wake_the_hosts_waiters_and_keep_their_order() -> None:
    state: HostState[str] = HostState("h", concurrency=4, interval=0.0, jitter=0.0, backoff_cap=1)
    assert asyncio.run(_woken_once(state)) == ["woken"]
    now = time.monotonic()
    assert [state.pop(now) for _ in range(3)] == ["a", "b", "c"]


def test_a_hops_wait_for_another_hosts_slot_is_not_its_attempts_time(pool: ServerPool) -> None:
    # a's URL redirects to b, whose one slot b's own slow URL holds for 2 s; the hop's
    # answer takes 1.5 s more. The attempt lasts 3.5 s but only 1.5 s of it is its own:
    # the 3 s attempt deadline stops while the hop waits for b's slot, and moves on after.
    a = pool.host("127.0.0.2")
    b = pool.host("127.0.0.3")
    a.route("/r", Reply(302, headers={"Location": b.url("/t")}))
    b.route("/slow", Reply(200, body=PAGE, delay=2.0))
    b.route("/t", Reply(200, body=PAGE, delay=1.5))
    settings = fast(host_concurrency=1, timeout=3.0, read_timeout=3.0, retries=0)
    slow, hop = run([b.url("/slow"), a.url("/r")], settings)
    assert slow.verdict is Verdict.OK, slow.detail
    assert hop.verdict is Verdict.REDIRECTED, hop.detail
    assert hop.elapsed_ms > 3000  # longer than the deadline in all: the wait did not count
    assert b.max_in_flight == 1


def test_an_attempt_past_its_deadline_after_a_hop_times_out(pool: ServerPool) -> None:
    # The deadline stopped for the hop's wait runs again once it has the slot: a hop
    # target that answers after the attempt's remaining time ends the URL as a timeout.
    a = pool.host("127.0.0.2")
    b = pool.host("127.0.0.3")
    a.route("/r", Reply(302, headers={"Location": b.url("/t")}, delay=0.5))
    b.route("/slow", Reply(200, body=PAGE, delay=1.0))
    b.route("/t", Reply(200, body=PAGE, delay=5.0))
    settings = fast(host_concurrency=1, timeout=1.5, read_timeout=5.0, retries=0)
    started = time.monotonic()
    slow, hop = run([b.url("/slow"), a.url("/r")], settings)
    elapsed = time.monotonic() - started
    assert slow.verdict is Verdict.OK, slow.detail
    assert hop.verdict is Verdict.TIMEOUT and hop.error_kind is ErrorKind.TIMEOUT, hop.detail
    # 0.5 s to a's answer, the wait for b's slot (not counted), then the 1 s left.
    assert 1.9 < elapsed < 4.5


@pytest.mark.usefixtures("no_network")
def test_a_url_the_outage_left_unrequested_is_what_any_never_requested_result_is() -> None:
    urls = [f"http://host{h}.offline.test/page/{i}" for h in range(20) for i in range(10)]
    results = run(urls, fast())
    never = [r for r in results if r.attempts == 0]
    assert never
    verdict, kind, detail = classify_exception(NetworkDown(never[0].detail.split(": ", 1)[1]))
    for r in never:
        expected = FetchResult(r.url, verdict, detail=detail, error_kind=kind)
        expected.checked_at = r.checked_at
        assert r.checked_at is not None
        assert r == expected
    assert gc.isenabled()  # the burst's pause of the collector is over


@pytest.mark.usefixtures("no_network")
def test_the_outage_burst_leaves_a_disabled_collector_disabled() -> None:
    urls = [f"http://host{h}.offline.test/page/{i}" for h in range(20) for i in range(10)]
    gc.disable()
    try:
        results = run(urls, fast())
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert any(r.attempts == 0 for r in results)
