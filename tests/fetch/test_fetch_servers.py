"""fetch_all against real servers on loopback (127.0.0.2, 127.0.0.3 … as separate hosts)."""

from __future__ import annotations

import itertools
import re
import time
from datetime import UTC

import pytest

from linkhealth.config import HostSettings
from linkhealth.models import ErrorKind, Verdict
from support.fetchkit import fast, one, run
from support.servers import Reply, Request, ServerPool, html_page, unused_port

PAGE = html_page("Hello", "<h1 id='intro'>Intro</h1>" + "<p>filler</p>" * 50)


def test_200_ok_reads_head_only(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2").route("/", Reply(200, body=PAGE, headers={"ETag": '"v1"'}))
    r = one(a.url("/"), fast())
    assert r.verdict is Verdict.OK
    assert r.http_status == 200
    assert r.attempts == 1
    assert r.body.startswith(b"<!doctype html>")
    assert b"</head>" in r.body and not r.truncated
    assert r.content_type == "text/html; charset=utf-8"
    assert r.etag == '"v1"' and r.headers["etag"] == '"v1"'
    assert r.checked_at is not None and r.checked_at.tzinfo is UTC
    assert r.final_url == a.url("/")


def test_redirect_chain_301_302_307_308(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2")
    a.route("/a", Reply(301, headers={"Location": "/b"}))
    a.route("/b", Reply(302, headers={"Location": "/c"}))
    a.route("/c", Reply(307, headers={"Location": a.url("/d")}))
    a.route("/d", Reply(308, headers={"Location": "/final"}))
    a.route("/final", Reply(200, body=PAGE))
    a.route("/t1", Reply(302, headers={"Location": "/t2"}))
    a.route("/t2", Reply(307, headers={"Location": "/final"}))
    r, t = run([a.url("/a"), a.url("/t1")], fast())
    assert r.verdict is Verdict.REDIRECTED
    assert [h.status for h in r.redirects] == [301, 302, 307, 308]
    assert [h.url for h in r.redirects] == [a.url(p) for p in ("/a", "/b", "/c", "/d")]
    assert r.final_url == a.url("/final") and r.permanent
    assert b"<title>Hello</title>" in r.body
    assert t.verdict is Verdict.REDIRECTED and not t.permanent
    # Redirect bodies are not the result's body; every hop was requested once.
    assert a.hits("/a") == a.hits("/b") == a.hits("/final") - 1 == 1


def test_cross_host_redirect(pool: ServerPool) -> None:
    b = pool.host("127.0.0.3").route("/there", Reply(200, body=PAGE))
    a = pool.host("127.0.0.2").route("/go", Reply(301, headers={"Location": b.url("/there")}))
    r = one(a.url("/go"), fast())
    assert r.verdict is Verdict.REDIRECTED
    assert r.final_url == b.url("/there")
    assert b.hits("/there") == 1


def test_redirect_loop_and_too_many(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2")
    a.route("/l1", Reply(302, headers={"Location": "/l2"}))
    a.route("/l2", Reply(302, headers={"Location": "/l1"}))
    for i in range(12):
        a.route(f"/n{i}", Reply(302, headers={"Location": f"/n{i + 1}"}))
    a.route("/n12", Reply(200, body=PAGE))
    loop, many, ok = run([a.url("/l1"), a.url("/n0"), a.url("/n2")], fast(max_redirects=10))
    assert loop.verdict is Verdict.BROKEN and loop.error_kind is ErrorKind.REDIRECT_LOOP
    assert loop.attempts == 1 and a.hits("/l1") == 1
    assert many.verdict is Verdict.BROKEN and many.error_kind is ErrorKind.TOO_MANY_REDIRECTS
    assert ok.verdict is Verdict.REDIRECTED and len(ok.redirects) == 10


def test_an_invalid_location_is_one_verdict_whichever_parser_refuses_it(pool: ServerPool) -> None:
    """A redirect whose Location cannot be joined is the link's problem, said the same way
    whether httpx refuses it (a bad port) or urllib's join does (an unclosed IPv6 bracket),
    or its port is out of range (both ValueErrors that were unclassified errors before)."""
    a = pool.host("127.0.0.2")
    a.route("/port", Reply(302, headers={"Location": "http://[::1/"}))
    a.route("/bracket", Reply(302, headers={"Location": "http:////["}))
    a.route("/range", Reply(302, headers={"Location": "http://127.0.0.2:99999/x"}))
    # Another scheme is judged by its scheme first, whatever its port (review9 F6).
    a.route("/js", Reply(302, headers={"Location": "javascript://h:99999/"}))
    a.route("/ftp", Reply(302, headers={"Location": "ftp://h:99999/"}))
    urls = [a.url(p) for p in ("/port", "/bracket", "/range", "/js", "/ftp")]
    port, bracket, out_of_range, js, ftp = run(urls, fast(retries=1))
    assert (js.verdict, js.error_kind) == (Verdict.UNSAFE, ErrorKind.POLICY)
    assert "dangerous javascript: URL" in js.detail
    assert ftp.error_kind is ErrorKind.PROTOCOL and "non-HTTP URL (ftp:)" in ftp.detail
    assert port.verdict is Verdict.BROKEN and port.error_kind is ErrorKind.PROTOCOL
    assert (bracket.verdict, bracket.error_kind) == (port.verdict, port.error_kind)
    assert (out_of_range.verdict, out_of_range.error_kind) == (port.verdict, port.error_kind)
    assert "invalid Location 'http://127.0.0.2:99999/x'" in out_of_range.detail
    assert "302 to an invalid Location 'http:////['" in bracket.detail
    assert bracket.final_url == a.url("/bracket") and bracket.attempts == 1


def test_definite_errors_are_not_retried(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2")
    a.route("/gone", Reply(410))
    r404, r410 = run([a.url("/missing"), a.url("/gone")], fast())
    assert (r404.verdict, r404.http_status, r404.attempts) == (Verdict.BROKEN, 404, 1)
    assert (r410.verdict, r410.http_status, r410.attempts) == (Verdict.BROKEN, 410, 1)
    assert a.hits("/missing") == 1 and a.hits("/gone") == 1
    assert r404.body == b""


def test_500_is_broken_after_retries(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2").route("/err", Reply(500))
    r = one(a.url("/err"), fast(retries=2))
    assert r.verdict is Verdict.BROKEN and r.http_status == 500
    assert r.attempts == 3 and a.hits("/err") == 3


def test_503_then_200(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2").route("/", [Reply(503), Reply(200, body=PAGE)])
    r = one(a.url("/"), fast())
    assert r.verdict is Verdict.OK and r.attempts == 2 and a.hits("/") == 2


def test_429_retry_after_is_honoured(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2")
    a.route("/", [Reply(429, headers={"Retry-After": "1"}), Reply(200, body=PAGE)])
    r = one(a.url("/"), fast())
    assert r.verdict is Verdict.OK and r.attempts == 2
    first, second = a.requests
    assert second.at - first.at >= 0.95


def test_429_that_never_clears_is_blocked(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2")
    a.route("/long", Reply(429, headers={"Retry-After": "120"}))
    a.route("/always", Reply(429))
    long = one(a.url("/long"), fast(retry_after_max=5))
    assert long.verdict is Verdict.BLOCKED and long.attempts == 1  # 120 s > limit: no wait
    always = one(a.url("/always"), fast(retry_after_max=5))
    assert always.verdict is Verdict.BLOCKED and always.attempts == 3


def test_head_405_host_is_fine_because_we_get(pool: ServerPool) -> None:
    def handler(req: Request) -> Reply:
        return Reply(405) if req.method == "HEAD" else Reply(200, body=PAGE)

    a = pool.host("127.0.0.2").route("/", handler)
    r = one(a.url("/"), fast())
    assert r.verdict is Verdict.OK
    assert [q.method for q in a.requests] == ["GET"]


def test_403_unless_browser_is_blocked_and_host_headers_apply(
    pool: ServerPool, monkeypatch: object
) -> None:
    def handler(req: Request) -> Reply:
        if "Mozilla" in req.headers.get("user-agent", ""):
            ok = req.headers.get("x-token") == "s3cret"
            return Reply(200 if ok else 401, body=PAGE)
        return Reply(403, body=html_page("Forbidden"))

    a = pool.host("127.0.0.2").route("/", handler)
    b = pool.host("127.0.0.3").route("/", handler)
    import os

    os.environ["LH_TEST_TOKEN"] = "s3cret"
    try:
        settings = fast(
            hosts={
                "127.0.0.3": HostSettings(
                    headers={"User-Agent": "Mozilla/5.0", "X-Token": "env:LH_TEST_TOKEN"}
                )
            }
        )
        plain, browser = run([a.url("/"), b.url("/")], settings)
    finally:
        del os.environ["LH_TEST_TOKEN"]
    assert plain.verdict is Verdict.BLOCKED and plain.http_status == 403
    assert plain.attempts == 1
    assert a.requests[0].headers["user-agent"].startswith("linkhealth/")
    assert browser.verdict is Verdict.OK


def test_bot_challenges_are_blocked(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2")
    a.route("/cf", Reply(403, headers={"cf-mitigated": "challenge"}, body=html_page("x")))
    a.route("/moment", Reply(503, body=html_page("Just a moment...")))
    a.route("/ok-moment", Reply(200, body=html_page("Just a moment…")))
    cf, moment, ok_moment = run([a.url("/cf"), a.url("/moment"), a.url("/ok-moment")], fast())
    for r in (cf, moment, ok_moment):
        assert r.verdict is Verdict.BLOCKED, r
        assert r.error_kind is ErrorKind.BOT_CHALLENGE
    assert a.hits("/moment") == 1  # a challenge is not retried


def test_slow_server_ends_at_the_attempt_deadline(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2").route("/", Reply(200, body=PAGE, delay=5))
    started = time.monotonic()
    r = one(a.url("/"), fast(timeout=0.5, retries=0))
    assert time.monotonic() - started < 4.0  # long before the 5 s answer (loaded CI margin)
    assert r.verdict is Verdict.TIMEOUT and r.error_kind is ErrorKind.TIMEOUT


def test_drip_feed_ends_at_the_url_deadline(pool: ServerPool) -> None:
    body = b"<html><head><title>" + b"x" * 500
    a = pool.host("127.0.0.2").route("/", Reply(200, body=body, drip=0.05))
    started = time.monotonic()
    r = one(a.url("/"), fast(timeout=1.0, read_timeout=1.0, url_deadline=1.5, retries=3))
    elapsed = time.monotonic() - started
    assert r.verdict is Verdict.TIMEOUT
    assert 1.0 <= elapsed < 4.0  # the drip would take 25 s; margin for a loaded machine
    assert r.attempts == 2  # the second attempt was cut by the URL deadline


def test_the_read_timeout_bounds_each_wait_not_the_whole_answer(pool: ServerPool) -> None:
    """A body dripped a byte every 0.15 s takes far longer than the read timeout in all,
    but no wait for its next byte does: it is read whole. An answer whose head is late by
    more than the read timeout (well inside the attempt's) times out on it."""
    host = pool.host("127.0.0.2")
    host.route("/drip", Reply(200, body=b"<title>dripped</title>", drip=0.15))
    host.route("/late", Reply(200, body=html_page("late"), delay=3.0))
    settings = fast(timeout=20.0, read_timeout=1.0, url_deadline=30.0, retries=0)
    dripped, late = run([host.url("/drip"), host.url("/late")], settings)
    assert dripped.verdict is Verdict.OK and dripped.body == b"<title>dripped</title>", (
        dripped.detail
    )
    assert late.verdict is Verdict.TIMEOUT, late.detail  # it would have come at 3 s: OK


def test_a_kept_connection_times_each_wait_from_its_own_start(pool: ServerPool) -> None:
    """Two answers on one kept-alive connection, each late by less than the read timeout
    (2 s): the second one's wait began 1 s after the first one's, so it ends after the
    first wait's deadline but before its own. Neither times out (a timer still set for
    the first wait's deadline must not end the second wait)."""
    host = pool.host("127.0.0.2")
    host.route("/a", Reply(200, body=html_page("a"), delay=1.0))
    host.route("/b", Reply(200, body=html_page("b"), delay=1.5))
    settings = fast(
        timeout=20.0, read_timeout=2.0, url_deadline=30.0, retries=0, host_concurrency=1
    )
    a, b = run([host.url("/a"), host.url("/b")], settings)
    assert (a.verdict, b.verdict) == (Verdict.OK, Verdict.OK), (a.detail, b.detail)
    assert host.connections == 1  # the second answer came on the first one's connection


def test_accept_then_silence_times_out(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2").route("/", Reply(silence=True))
    started = time.monotonic()
    r = one(a.url("/"), fast(timeout=0.4, retries=1))
    assert time.monotonic() - started < 4.0  # silence is endless; margin for a loaded machine
    assert r.verdict is Verdict.TIMEOUT and r.attempts == 2 and a.hits("/") == 2


def test_refused_port_is_error_after_retries() -> None:
    port = unused_port("127.0.0.2")
    r = one(f"http://127.0.0.2:{port}/", fast(retries=1))
    assert r.verdict is Verdict.ERROR and r.error_kind is ErrorKind.REFUSED
    assert r.attempts == 2 and r.http_status is None


def test_reset_mid_body(pool: ServerPool) -> None:
    body = b"<html><head><title>t" + b"x" * 5000
    a = pool.host("127.0.0.2").route("/", Reply(200, body=body, reset_after=100))
    r = one(a.url("/"), fast(retries=1))
    assert r.verdict is Verdict.ERROR and r.error_kind is ErrorKind.RESET, r
    assert a.hits("/") == 2


def test_ten_megabyte_body_is_capped(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2")
    a.route("/big", Reply(200, stream_size=10 * 1024 * 1024))
    a.route("/pdf", Reply(200, stream_size=10 * 1024 * 1024, content_type="application/pdf"))
    big, pdf = run([a.url("/big"), a.url("/pdf")], fast(max_body_bytes=256 * 1024))
    assert big.verdict is Verdict.OK and big.truncated
    assert len(big.body) == 256 * 1024
    # A PDF is read only as far as PDF_READ_BYTES (for its document title).
    assert pdf.verdict is Verdict.OK and pdf.truncated and len(pdf.body) == 64 * 1024


def test_gzip_body_is_decoded(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2").route("/", Reply(200, body=PAGE, gzip=True))
    r = one(a.url("/"), fast())
    assert r.verdict is Verdict.OK
    assert r.body.startswith(b"<!doctype html>") and b"<title>Hello</title>" in r.body
    assert "gzip" in a.requests[0].headers["accept-encoding"]


def test_gzip_and_brotli_bombs_stay_capped(pool: ServerPool) -> None:
    import gzip

    import brotli

    zeros = b"<html>" + b"\0" * (64 * 1024 * 1024)
    a = pool.host("127.0.0.2")
    a.route("/gz", Reply(200, body=gzip.compress(zeros, 9), raw_encoding="gzip"))
    a.route("/br", Reply(200, body=brotli.compress(zeros, quality=5), raw_encoding="br"))
    cap = 64 * 1024
    gz, br = run([a.url("/gz"), a.url("/br")], fast(max_body_bytes=cap))
    for r in (gz, br):
        assert r.verdict is Verdict.OK and r.truncated
        assert len(r.body) == cap and r.body.startswith(b"<html>")


def test_tls_with_test_ca_and_untrusted_cert(pool: ServerPool) -> None:
    good = pool.host("127.0.0.2", tls=True).route("/", Reply(200, body=PAGE))
    bad = pool.host("127.0.0.3", tls="untrusted").route("/", Reply(200, body=PAGE))
    ok, untrusted = run([good.url("/"), bad.url("/")], fast(ca_bundle=pool.ca_file))
    assert ok.verdict is Verdict.OK and ok.final_url is not None
    assert ok.final_url.startswith("https://")
    assert untrusted.verdict is Verdict.ERROR and untrusted.error_kind is ErrorKind.TLS
    assert untrusted.attempts == 1 and bad.hits() == 0
    # Without the bundle the test CA is not trusted either.
    assert one(good.url("/"), fast()).error_kind is ErrorKind.TLS


def test_per_host_concurrency_is_never_exceeded(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2")
    b = pool.host("127.0.0.3")
    for h in (a, b):
        for i in range(24):
            h.route(f"/p{i}", Reply(200, body=PAGE, delay=0.05))
    settings = fast(host_concurrency=3, hosts={"127.0.0.3": HostSettings(concurrency=2)})
    urls = [h.url(f"/p{i}") for i in range(24) for h in (a, b)]
    results = run(urls, settings)
    assert all(r.verdict is Verdict.OK for r in results)
    assert [r.url for r in results] == urls
    assert a.max_in_flight == 3 and b.max_in_flight == 2  # requests served at once
    # Sockets as the server counts them may include one the client just closed (its FIN
    # not yet read by the server's loop): one socket of teardown lag is allowed.
    assert a.max_connections <= 4 and b.max_connections <= 3


def test_host_interval_spaces_request_starts(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2")
    for i in range(5):
        a.route(f"/p{i}", Reply(200, body=PAGE))
    run([a.url(f"/p{i}") for i in range(5)], fast(host_interval=0.1, host_jitter=0.0))
    starts = sorted(r.at for r in a.requests)
    gaps = [b - a_ for a_, b in itertools.pairwise(starts)]
    # Starts are spaced by the client; the server sees the first request late by the
    # time its connection took to open (later ones reuse it), up to ~10 ms under load,
    # and a loaded machine may see any one request late (that gap shorter, the next one
    # longer by as much): every gap well over half the interval, and on average a whole
    # one (with no interval, or half of it, both fail).
    assert min(gaps) >= 0.06, gaps
    assert (starts[-1] - starts[1]) / (len(starts) - 2) >= 0.095, gaps


def test_busiest_host_starts_first(pool: ServerPool) -> None:
    small = pool.host("127.0.0.2").route("/", Reply(200, body=PAGE))
    big = pool.host("127.0.0.3")
    for i in range(3):
        big.route(f"/p{i}", Reply(200, body=PAGE))
    urls = [small.url("/"), *(big.url(f"/p{i}") for i in range(3))]
    seen: list[str] = []
    run(urls, fast(max_concurrency=1), on_result=lambda r: seen.append(r.url))
    assert seen[:3] == urls[1:] and seen[3] == urls[0]


def test_conditional_request_gives_not_modified(pool: ServerPool) -> None:
    def handler(req: Request) -> Reply:
        if req.headers.get("if-none-match") == '"v1"':
            return Reply(304, content_type=None)
        return Reply(200, body=PAGE, headers={"ETag": '"v1"'})

    a = pool.host("127.0.0.2").route("/", handler)
    fresh = one(a.url("/"), fast())
    again = one(a.url("/"), fast(), validators={a.url("/"): ('"v1"', None)})
    assert fresh.verdict is Verdict.OK and not fresh.not_modified
    assert again.verdict is Verdict.OK and again.not_modified and again.http_status == 304


def test_accept_ranges_and_filters(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2")
    a.route("/teapot", Reply(418))
    a.route("/skip", Reply(200))
    urls = [a.url("/teapot"), a.url("/skip"), "mailto:me@example.org", "tel:+100", "ftp://x/y"]
    teapot, skip, mail, tel, ftp = run(urls, fast(accept="200-299,418", exclude=["/skip$"]))
    assert teapot.verdict is Verdict.OK
    assert skip.verdict is Verdict.EXCLUDED and a.hits("/skip") == 0
    assert {mail.verdict, tel.verdict, ftp.verdict} == {Verdict.SKIPPED}
    only = run([a.url("/teapot"), a.url("/skip")], fast(include=["teapot"]))
    assert only[1].verdict is Verdict.EXCLUDED


def test_redirect_to_root_is_a_soft_404(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2")
    a.route("/blog/2019/post", Reply(301, headers={"Location": "/"}))
    a.route("/", Reply(200, body=PAGE))
    r = one(a.url("/blog/2019/post"), fast())
    assert r.verdict is Verdict.BROKEN and r.error_kind is ErrorKind.SOFT_404


@pytest.mark.usefixtures("no_network")
def test_unresolvable_hosts_look_like_an_outage() -> None:
    from linkhealth.fetch import is_outage

    urls = [f"http://host{i}.offline.test/page" for i in range(3)]
    results = run(urls, fast())
    assert all(r.verdict is Verdict.BROKEN and r.error_kind is ErrorKind.DNS for r in results)
    assert all(r.attempts == 1 for r in results)  # DNS failures are not retried
    assert is_outage(results, 0.9)


def test_fragment_checks_read_past_the_head(pool: ServerPool) -> None:
    page = html_page("Long", "<p>x</p>" * 1000 + "<h2 id='deep'>Deep</h2>")
    a = pool.host("127.0.0.2").route("/", Reply(200, body=page))
    head_only = one(a.url("/"), fast())
    assert b"</head>" in head_only.body and b"id='deep'" not in head_only.body
    assert b"id='deep'" in one(a.url("/"), fast(check_fragments=True)).body
    chosen = run([a.url("/")], fast(check_fragments=True), full_body=set())[0]
    assert b"id='deep'" not in chosen.body
    assert b"id='deep'" in run([a.url("/")], fast(), full_body={a.url("/")})[0].body


def test_a_finished_fetch_leaves_no_cycle_holding_its_run(pool: ServerPool) -> None:
    """Timed-out and refused requests keep their exception on the URL; without its frames
    (tracebacks), and with the cancelled watchdog and tuner let go, the run and every
    result are freed when the last reference goes, not left to the cycle collector."""
    import gc

    from linkhealth.fetch import engine

    a = pool.host("127.0.0.2").route("/slow", Reply(200, body=PAGE, delay=5))
    a.route("/ok", Reply(200, body=PAGE))
    refused = f"http://127.0.0.3:{unused_port('127.0.0.3')}/"
    urls = [a.url("/slow"), a.url("/ok"), refused]
    gc.collect()
    gc.disable()
    try:
        results = run(urls, fast(timeout=0.5, retries=1, max_concurrency=32))
        kinds = [r.error_kind for r in results]
        del results
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        left = [o for o in gc.garbage if isinstance(o, (engine._Run, engine._Hold))]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert kinds == [ErrorKind.TIMEOUT, None, ErrorKind.REFUSED]
    assert left == []


def test_a_result_callback_that_raises_ends_the_fetch_with_its_error(pool: ServerPool) -> None:
    """Attempts are not the run's task group's own tasks (engine: no done callback each):
    an error raised in one (a result callback's, such as a store write failing) still
    ends the whole fetch with that error in the group's exception, as a task of the
    group's would, and leaves no attempt running."""
    import asyncio

    from linkhealth.fetch import FetchResult, fetch_all

    class Broken(Exception):
        pass

    fast_host, slow_host = (pool.host(f"127.0.0.{i}") for i in (2, 3))
    for n in range(6):
        fast_host.route(f"/p{n}", Reply(200, body=html_page(f"Page {n}")))
        # In flight when the error comes: cancelled then, never waited out.
        slow_host.route(f"/p{n}", Reply(200, body=html_page(f"Slow {n}"), silence=True))
    urls = [h.url(f"/p{n}") for h in (fast_host, slow_host) for n in range(6)]
    seen: list[str] = []

    def on_result(result: FetchResult) -> None:
        seen.append(result.url)
        if len(seen) == 3:
            raise Broken(result.url)

    async def main() -> list[asyncio.Task[object]]:
        with pytest.raises(BaseExceptionGroup) as caught:
            async with asyncio.timeout(30):  # a broken engine would wait for the slow host
                await fetch_all(urls, fast(host_concurrency=2), on_result=on_result)
        found, _ = caught.value.split(Broken)
        assert found is not None and str(found.exceptions[0]) == seen[2]
        return [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

    assert asyncio.run(main()) == []
    assert all(url.startswith(fast_host.url()) for url in seen)  # the slow host's: cancelled


def test_a_cancelled_fetch_cancels_its_attempts_in_flight(pool: ServerPool) -> None:
    """review11 R3: attempts are not the task group's own, so a fetch cancelled (a stop, a
    Ctrl-C) must cancel those in flight itself: it ends at once, none left running, not
    when the silent host's requests time out (two minutes here)."""
    import asyncio

    from linkhealth.fetch import FetchResult, fetch_all

    fast_host, silent_host = (pool.host(f"127.0.0.{i}") for i in (2, 3))
    for n in range(4):
        fast_host.route(f"/p{n}", Reply(200, body=html_page(f"Page {n}")))
        silent_host.route(f"/p{n}", Reply(200, body=html_page(f"Silent {n}"), silence=True))
    urls = [h.url(f"/p{n}") for h in (fast_host, silent_host) for n in range(4)]
    settings = fast(timeout=120, read_timeout=120, url_deadline=300, host_concurrency=4)
    seen: list[str] = []

    async def main() -> list[asyncio.Task[object]]:
        answered = asyncio.Event()

        def on_result(result: FetchResult) -> None:
            seen.append(result.url)
            if len(seen) == 4:
                answered.set()

        fetch = asyncio.ensure_future(fetch_all(urls, settings, on_result=on_result))
        async with asyncio.timeout(30):
            await answered.wait()
        await asyncio.sleep(0.2)  # the silent host's four requests are out
        fetch.cancel()
        await asyncio.wait({fetch}, timeout=20)  # a broken engine waits out the silence
        assert fetch.cancelled()
        return [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

    assert asyncio.run(main()) == []
    assert sorted(seen) == sorted(fast_host.url(f"/p{n}") for n in range(4))


def test_no_result_is_handed_on_after_an_attempts_error() -> None:
    """review11 R1: the first error raised in an attempt (a result callback's) cancels every
    other attempt at once, as the task group did with its own tasks: no result reaches the
    callback after it, the group holds that one error, and no task ends with an error nobody
    retrieves (attempts ran on and raised into a group that was ending: 80 results and 40
    "never retrieved" logs here)."""
    import asyncio

    from linkhealth.fetch import FetchResult, fetch_all

    class Broken(Exception):
        pass

    hosts = [f"127.0.0.{i}" for i in range(2, 12)]
    urls = [f"http://{h}:{unused_port(h)}/p{n}" for h in hosts for n in range(20)]  # refused
    seen: list[str] = []

    def on_result(result: FetchResult) -> None:
        seen.append(result.url)
        if len(seen) >= 3:
            raise Broken(result.url)

    async def main() -> tuple[BaseExceptionGroup[BaseException], list[object]]:
        unretrieved: list[object] = []
        asyncio.get_running_loop().set_exception_handler(lambda _, ctx: unretrieved.append(ctx))
        with pytest.raises(BaseExceptionGroup) as caught:
            async with asyncio.timeout(30):
                await fetch_all(urls, fast(retries=0, host_concurrency=4), on_result=on_result)
        for _ in range(3):  # the loop's turns in which a dropped task would be reported
            await asyncio.sleep(0)
        return caught.value, unretrieved

    group, unretrieved = asyncio.run(main())
    import gc

    gc.collect()  # a task's unretrieved error is reported when the task is freed
    assert seen == seen[:3] and len(seen) == 3
    assert [str(e) for e in group.exceptions] == [seen[2]]
    assert unretrieved == []


def test_ended_attempts_deadlines_are_dropped_from_the_heap() -> None:
    """review11 R2: an ended attempt's deadline entry (which holds its task) is dropped once
    such entries are more than half the run's heap, not kept until its time comes."""
    import asyncio

    from linkhealth.fetch import engine

    async def main() -> int:
        loop = asyncio.get_running_loop()
        queue = engine._Deadlines(loop)
        peak = 0
        for _ in range(5_000):
            task = loop.create_task(asyncio.sleep(0))
            deadline = engine._Deadline(queue, task, loop.time() + 60)
            await task
            deadline.end()
            peak = max(peak, len(queue._heap))
        live_task = loop.create_task(asyncio.sleep(3600))
        live = engine._Deadline(queue, live_task, loop.time() + 0.01)
        await asyncio.sleep(0.05)  # the live one still fires after the purges
        assert live.fired and live_task.cancelling()
        live.end()
        with pytest.raises(asyncio.CancelledError):
            await live_task
        queue.close()
        return peak

    peak = asyncio.run(main())
    assert peak <= 2 * engine._MIN_STALE + 2


@pytest.mark.parametrize("plain", [True, False])
def test_credentials_go_with_plain_urls_and_parsed_ones(pool: ServerPool, plain: bool) -> None:
    """A basic-auth rule's credentials go with a URL it matches, and a URL's own userinfo
    is sent as Authorization, whether the client built the URL itself (a plain one, which
    looks for credentials only when rules or a token are set) or httpx parsed it."""
    from linkhealth.config import BasicAuth

    h = pool.host("127.0.0.2")
    page = Reply(200, body=html_page("Private"))
    h.route("/private/a", page).route("/open/b", page).route("/own/c", page)
    path = "/private/a" if plain else "/private/a|b"  # "|": a URL httpx parses
    h.route(path, page)
    rule = BasicAuth(re.compile(r"/private/"), "me", "secret")
    run([h.url(path), h.url("/open/b")], fast(basic_auth=[rule]))
    own = h.url("/own/c").replace("http://", "http://you:pw@")
    run([own], fast())
    sent = {r.path: r.headers.get("authorization") for r in h.requests}
    assert sent[path] == "Basic bWU6c2VjcmV0"  # me:secret
    assert sent["/open/b"] is None
    assert sent["/own/c"] == "Basic eW91OnB3"  # you:pw
