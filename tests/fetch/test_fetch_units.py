"""Pure functions of the fetch stage: tables of cases, no network."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import ipaddress
import math
import random
import socket
import ssl
import time
import zlib
from collections.abc import Callable
from typing import Any

import aiohttp
import brotli
import httpx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from linkhealth.config import Settings
from linkhealth.errors import ConfigError
from linkhealth.fetch import FetchResult, is_outage, missing_fragment, soft_404
from linkhealth.fetch.classify import (
    NETWORK_KINDS,
    SOFT_404_TITLES,
    classify_exception,
    classify_status,
    is_challenge,
    is_retryable,
    parse_retry_after,
    tells_of_the_network,
    title_says_not_found,
)
from linkhealth.fetch.decode import MAX_CODINGS, BoundedDecoder, UnsupportedEncoding
from linkhealth.fetch.guard import AddressBlocked, Guard, is_blocked, is_canonical_ip, parse_ip
from linkhealth.fetch.hosts import HostState, PriorityLimiter
from linkhealth.fetch.probe import LookupProbe
from linkhealth.fetch.result import Outcome
from linkhealth.models import ErrorKind, Redirect, Verdict
from linkhealth.statuses import parse_accept
from linkhealth.weburl import host_key


@pytest.mark.parametrize(
    ("address", "blocked"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),  # cloud metadata
        ("100.64.0.1", True),  # CGNAT
        ("224.0.0.1", True),
        ("0.0.0.0", True),
        ("240.0.0.1", True),
        ("::1", True),
        ("::", True),
        ("fe80::1", True),
        ("fc00::1", True),
        ("ff02::1", True),
        ("::ffff:127.0.0.1", True),
        ("::ffff:10.0.0.1", True),
        ("64:ff9b::7f00:1", True),  # NAT64 of 127.0.0.1
        ("2002:c0a8:0101::1", True),  # 6to4 of 192.168.1.1
        ("fec0::1", True),  # site-local (deprecated, "global" to Python's tables)
        ("feff:ffff::1", True),  # the top of fec0::/10
        ("5f00::1", True),  # reserved, outside global unicast 2000::/3
        ("4000::1", True),  # unassigned, outside 2000::/3
        ("8.8.8.8", False),
        ("93.184.216.34", False),
        ("2606:4700::1111", False),
        ("2a00:1450:4001::1", False),
        ("64:ff9b::808:808", False),  # NAT64 of 8.8.8.8
        ("2002:808:808::1", False),  # 6to4 of 8.8.8.8
        ("::ffff:8.8.8.8", False),
    ],
)
def test_is_blocked(address: str, blocked: bool) -> None:
    assert is_blocked(ipaddress.ip_address(address)) is blocked


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("::1", "::1"),
        ("example.com", None),
        ("1e100.net", None),
        ("deadbeef", None),
    ],
)
def test_parse_ip_reads_legacy_forms(host: str, expected: str | None) -> None:
    ip = parse_ip(host)
    assert (str(ip) if ip else None) == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("8.8.8.8", True),
        ("::1", True),
        ("[::1]", True),
        ("fe80::a", True),  # an IPv6 address may end in a letter
        ("[2001:db8::ff]", True),
        ("2130706433", False),  # legacy forms: connected to by their canonical address
        ("127.1", False),
        ("0x7f.0.0.1", False),
        ("example.com", False),
        ("1.2.3.4.example", False),
        ("localhost", False),
        ("", False),
        ("[]", False),
    ],
)
def test_is_canonical_ip_is_the_one_ip_literal_rule(host: str, expected: bool) -> None:
    assert is_canonical_ip(host) is expected
    assert is_canonical_ip(host) is expected  # remembered: the same answer


def test_guard_literal_hosts_and_resolve_trust() -> None:
    guard = Guard(allow_private=False, resolve={"good.test": "127.0.0.2:8080"})
    guard.check_literal_host("good.test")
    guard.check_literal_host("8.8.8.8")
    for host in ("127.0.0.1", "2130706433", "[::ffff:127.0.0.1]", "10.0.0.1"):
        with pytest.raises(AddressBlocked):
            guard.check_literal_host(host)
    assert guard.allows(ipaddress.ip_address("127.0.0.2"))  # named in resolve
    assert not guard.allows(ipaddress.ip_address("127.0.0.3"))
    Guard(allow_private=True, resolve={}).check_literal_host("127.0.0.1")


@pytest.mark.parametrize("target", ["nope", "127.0.0.1:99999", "127.0.0.1:x"])
def test_bad_resolve_targets_are_config_errors(target: str) -> None:
    with pytest.raises(ConfigError):
        Guard(allow_private=False, resolve={"a.test": target})


def test_status_ranges() -> None:
    ranges = parse_accept("200-299, 429")
    assert 200 in ranges and 299 in ranges and 429 in ranges
    assert 300 not in ranges and 404 not in ranges
    for bad in ("", "abc", "300-200", "99"):
        with pytest.raises(ValueError, match="status"):
            parse_accept(bad)


ACCEPT = parse_accept("200-299")


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, Verdict.OK),
        (204, Verdict.OK),
        (304, Verdict.OK),
        (401, Verdict.BLOCKED),
        (403, Verdict.BLOCKED),
        (999, Verdict.BLOCKED),
        (429, Verdict.BLOCKED),
        (404, Verdict.BROKEN),
        (410, Verdict.BROKEN),
        (400, Verdict.BROKEN),
        (500, Verdict.BROKEN),
        (503, Verdict.BROKEN),
        (301, Verdict.BROKEN),  # a redirect without Location
    ],
)
def test_classify_status(status: int, verdict: Verdict) -> None:
    assert classify_status(status, {}, b"", ACCEPT, redirected=False)[0] is verdict


def test_challenge_detection() -> None:
    assert is_challenge({"cf-mitigated": "challenge"}, b"")
    assert is_challenge({}, b"<html><head><title>Just a moment...</title>")
    assert is_challenge({}, "<title>Just a moment…</title>".encode())
    assert not is_challenge({}, b"<title>Just a moment of your time: a poem</title>")
    assert not is_challenge({}, b"<title>A normal page</title>")


def _oserror_chain(inner: BaseException) -> BaseException:
    """What httpx-aiohttp raises: httpx error from aiohttp error from the OS error."""
    try:
        try:
            raise inner
        except BaseException as exc:
            raise aiohttp.ClientOSError(str(exc)) from exc
    except aiohttp.ClientOSError as exc:
        try:
            raise httpx.ConnectError("wrapped") from exc
        except httpx.ConnectError as outer:
            return outer


@pytest.mark.parametrize(
    ("inner", "verdict", "kind", "retry"),
    [
        (ConnectionRefusedError(), Verdict.ERROR, ErrorKind.REFUSED, True),
        (ConnectionResetError(), Verdict.ERROR, ErrorKind.RESET, True),
        (TimeoutError(), Verdict.TIMEOUT, ErrorKind.TIMEOUT, True),
        (ssl.SSLCertVerificationError("bad cert"), Verdict.ERROR, ErrorKind.TLS, False),
        (AddressBlocked("x", ["127.0.0.1"]), Verdict.UNSAFE, ErrorKind.POLICY, False),
        (socket.gaierror("no such host"), Verdict.BROKEN, ErrorKind.DNS, False),
        (OSError("no route"), Verdict.ERROR, ErrorKind.CONNECT, True),
    ],
)
def test_exceptions_classified_along_the_chain(
    inner: BaseException, verdict: Verdict, kind: ErrorKind, retry: bool
) -> None:
    exc = _oserror_chain(inner)
    assert classify_exception(exc)[:2] == (verdict, kind)
    assert is_retryable(Outcome(url="http://x/", error=exc)) is retry


def test_dns_errors_are_broken_and_not_retried() -> None:
    key = type("K", (), {"ssl": False, "host": "x.invalid", "port": 80})()
    dns = aiohttp.ClientConnectorDNSError(key, OSError("Name or service not known"))  # type: ignore[arg-type]
    assert classify_exception(dns)[:2] == (Verdict.BROKEN, ErrorKind.DNS)
    assert not is_retryable(Outcome(url="http://x.invalid/", error=dns))


@pytest.mark.parametrize(
    ("status", "retry"),
    [
        (408, True),
        (429, True),
        (500, True),
        (502, True),
        (503, True),
        (404, False),
        (410, False),
        (403, False),
        (200, False),
    ],
)
def test_is_retryable_statuses(status: int, retry: bool) -> None:
    assert is_retryable(Outcome(url="http://x/", status=status)) is retry


def test_redirect_problems_and_exhausted_outcomes_are_final() -> None:
    loop = Outcome(url="http://x/", status=302, redirect_problem=(ErrorKind.REDIRECT_LOOP, "loop"))
    assert not is_retryable(loop)
    assert not is_retryable(Outcome(url="http://x/", status=503, exhausted=True))


def test_parse_retry_after() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert parse_retry_after("Thu, 01 Jan 1970 00:01:40 GMT", now=40.0) == pytest.approx(60.0)


def _result(url: str, status: int = 200, final: str | None = None, hops: int = 0) -> FetchResult:
    return FetchResult(
        url,
        Verdict.REDIRECTED if hops else Verdict.OK,
        http_status=status,
        final_url=final or url,
        redirects=[Redirect(url=url, status=301)] * hops,
    )


@pytest.mark.parametrize(
    ("url", "final", "hops", "title", "soft"),
    [
        ("https://a.org/post/1", None, 0, "Page not found", True),
        ("https://a.org/post/1", None, 0, "404 – Example", True),
        ("https://a.org/post/1", None, 0, "Oops! That page doesn't exist", True),
        ("https://a.org/post/1", None, 0, "Finding Nemo: a review", False),
        ("https://a.org/post/1", None, 0, "HTTP status 4040 explained", False),
        ("https://a.org/post/1", "https://a.org/", 1, "Home", True),
        ("https://a.org/post/1", "https://a.org/index.html", 1, "Home", True),
        ("http://a.org/", "https://a.org/", 1, "Home", False),
        ("https://a.org/post/1", "https://a.org/posts/1", 1, "Post", False),
        ("https://a.org/post/1", None, 0, None, False),
    ],
)
def test_soft_404(url: str, final: str | None, hops: int, title: str | None, soft: bool) -> None:
    reason = soft_404(_result(url, final=final, hops=hops), title, url)
    assert (reason is not None) is soft
    if reason:
        assert reason.startswith("soft 404")


def test_soft_404_ignores_non_2xx() -> None:
    assert soft_404(_result("https://a.org/x", status=404), "Not Found", "https://a.org/x") is None


@pytest.mark.parametrize(
    ("fragment", "missing"),
    [
        ("intro", False),
        ("#intro", False),
        ("caf%C3%A9", False),
        ("nope", True),
        ("", False),
        (":~:text=hello", False),
        ("/route/x", False),
        ("!/hashbang", False),
        ("top", False),
    ],
)
def test_missing_fragment(fragment: str, missing: bool) -> None:
    assert missing_fragment(fragment, {"intro", "café"}) is missing


def _net_fail(url: str) -> FetchResult:
    return FetchResult(url, Verdict.BROKEN, error_kind=ErrorKind.DNS)


def test_is_outage() -> None:
    down = [_net_fail(f"https://h{i}.org/") for i in range(10)]
    assert is_outage(down, 0.9)
    one_up = [*down[:8], FetchResult("https://up.org/", Verdict.OK, http_status=200)]
    assert not is_outage(one_up, 0.9)
    assert not is_outage(down[:1], 0.9)  # one dead host is a dead host, not an outage
    four_oh_four = [
        FetchResult(f"https://h{i}.org/", Verdict.BROKEN, http_status=404) for i in range(5)
    ]
    assert not is_outage(four_oh_four, 0.9)
    skipped = [FetchResult("mailto:x@y.z", Verdict.SKIPPED), *down]
    assert is_outage(skipped, 0.9)
    # Hosts the caller knows are taken as given (the others still read from the URL).
    same = {r.url: "h0.org" for r in down[1:]}
    assert not is_outage(down, 0.9, hosts=same)  # one host: a dead site
    assert is_outage(down, 0.9, hosts={down[0].url: "h0.org"})


def _outage_by_reading_every_result(results: list[FetchResult], ratio: float) -> bool:
    """is_outage's rule read off every result, as written before it skipped the hosts
    that had answered (the reference of the property test below)."""
    reached: dict[str, bool] = {}
    for r in results:
        if r.verdict in (Verdict.SKIPPED, Verdict.EXCLUDED, Verdict.UNSAFE, Verdict.INVALID):
            continue
        host = host_key(r.url)
        if tells_of_the_network(host):
            net_fail = r.http_status is None and r.error_kind in NETWORK_KINDS
            reached[host] = reached.get(host, False) or not net_fail
    failing = sum(1 for ok in reached.values() if not ok)
    return len(reached) >= 2 and failing / len(reached) >= ratio


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a.org", "b.org", "c.org", "d.invalid", "e.org"]),
            st.sampled_from(list(Verdict)),
            st.none() | st.sampled_from([200, 404, 503]),
            st.none() | st.sampled_from(list(ErrorKind)),
        ),
        max_size=30,
    ),
    st.sampled_from([0.5, 0.75, 0.9, 1.0]),
)
# A host that failed at the network level and then answered is reached (review10 F1: a
# random draw shows this ~0.3 % of the time; "the first result decides" must fail here).
@example(
    [
        ("a.org", Verdict.ERROR, None, ErrorKind.DNS),
        ("a.org", Verdict.OK, 200, None),
        ("b.org", Verdict.ERROR, None, ErrorKind.DNS),
    ],
    0.9,
)
def test_is_outage_is_the_rule_read_off_every_result(
    rows: list[tuple[str, Verdict, int | None, ErrorKind | None]], ratio: float
) -> None:
    results = [
        FetchResult(f"https://{host}/{n}", verdict, status, error_kind=kind)
        for n, (host, verdict, status, kind) in enumerate(rows)
    ]
    assert is_outage(results, ratio) is _outage_by_reading_every_result(results, ratio)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_bounded_decoder_caps_bombs(encoding: str) -> None:
    plain = b"\0" * (32 * 1024 * 1024)
    packed = {
        "gzip": lambda: gzip.compress(plain),
        "deflate": lambda: zlib.compress(plain),
        "br": lambda: brotli.compress(plain, quality=4),
    }[encoding]()
    decoder = BoundedDecoder(encoding)
    out = decoder.feed(packed, 1000)
    assert len(out) == 1000


def test_bounded_decoder_streams_and_rejects_unknown() -> None:
    data = gzip.compress(b"hello world " * 1000)
    decoder = BoundedDecoder("gzip")
    out = b"".join(decoder.feed(data[i : i + 7], 10**6) for i in range(0, len(data), 7))
    assert out == b"hello world " * 1000
    raw = zlib.compressobj(wbits=-15)
    deflated = raw.compress(b"raw deflate") + raw.flush()
    assert BoundedDecoder("deflate").feed(deflated, 100) == b"raw deflate"
    with pytest.raises(UnsupportedEncoding):
        BoundedDecoder("zstd-unknown")


def _loop_late_host(concurrency: int = 4) -> tuple[HostState[int], float]:
    """A host paced at 0.1 s with new URLs queued, its first start made."""
    state: HostState[int] = HostState(
        "a", concurrency=concurrency, interval=0.1, jitter=0.0, backoff_cap=10.0
    )
    state.push_new(range(10))
    now = time.monotonic()
    assert state.try_take(now)
    return state, now


def test_a_start_the_event_loop_made_late_keeps_the_hosts_schedule() -> None:
    # Due at +0.1, started at +0.35 (a slot free, URLs queued: the loop was busy, e.g. the
    # first pages' lazy imports): the starts after it catch up, each half a gap after the
    # one before, until the schedule (+0.2, +0.3, ...) is kept again.
    state, now = _loop_late_host()
    assert state.try_take(now + 0.35)
    assert not state.try_take(now + 0.39)  # never within half a gap
    assert state.try_take(now + 0.401)  # a new schedule would wait until +0.45
    state.release(now)
    state.release(now + 0.35)
    for at in (0.452, 0.503, 0.554, 0.605):  # each half a gap on: +0.6 is due
        assert not state.try_take(now + at - 0.01)
        assert state.try_take(now + at)
        state.release(now + at)
    assert not state.try_take(now + 0.69)  # on schedule again: +0.7 is due
    assert state.try_take(now + 0.701)


def test_a_start_late_for_want_of_a_slot_or_of_a_url_starts_a_new_schedule() -> None:
    # All slots taken when the start was due: the host was not held back by the loop.
    state, now = _loop_late_host(concurrency=1)
    time.sleep(0.15)
    state.release(now)  # the slot came free after the next start was due (+0.1)
    assert state.try_take(now + 0.35)
    state.release(now + 0.35)
    assert not state.try_take(now + 0.40)
    # No new URL queued (only a retry, due later): the same.
    state, now = _loop_late_host()
    state.remove(lambda job: False)
    assert state.try_take(now + 0.35)
    assert not state.try_take(now + 0.40)
    # Later than CATCH_UP (0.5 s): a new schedule too.
    state, now = _loop_late_host()
    assert state.try_take(now + 0.7)
    assert not state.try_take(now + 0.75)
    # Paused after the start was due (a 429): the pause held it back.
    state, now = _loop_late_host()
    state.paused_until = now + 0.3
    assert state.try_take(now + 0.35)
    assert not state.try_take(now + 0.40)
    # A host paced by a limit's rate is never caught up with (the limit would refuse).
    state, now = _loop_late_host()
    state.rate = 10.0
    assert state.try_take(now + 0.35)
    assert not state.try_take(now + 0.40)


def test_host_state_spaces_starts_and_pauses_when_throttled() -> None:
    state: HostState[int] = HostState(
        "a", concurrency=2, interval=1.0, jitter=0.0, backoff_cap=10.0
    )
    now = time.monotonic()
    assert state.try_take(now)
    assert not state.try_take(now + 0.5)  # the interval spaces request starts
    assert state.try_take(now + 1.0)
    assert not state.try_take(now + 5.0)  # both slots are taken
    state.release(now)
    assert state.try_take(now + 5.0)  # late by more than half a gap: a new schedule
    state.release(now + 1.0)
    assert not state.try_take(now + 5.9)
    assert state.try_take(now + 6.2)  # a start 0.2 s late ...
    state.release(now + 5.0)
    assert state.try_take(now + 7.0)  # ... does not push the next one back
    state.release(now + 6.2)
    first = state.throttled(None, 0.5, now)
    second = state.throttled(None, 0.5, now)
    assert 0.5 <= first < second  # backoff grows while the host keeps throttling
    assert state.rate is None  # a pause, not a limit: nothing was probed
    assert state.throttled(120.0, 0.5, now) == 120.0  # Retry-After is the host's word
    assert state.paused_until >= time.monotonic() + 119
    assert not state.try_take(time.monotonic())  # paused as a whole


def _answering_host(interval: float) -> HostState[int]:
    """4 slots, 8 clean answers so far."""
    state: HostState[int] = HostState(
        "a", concurrency=4, interval=interval, jitter=0.0, backoff_cap=10.0
    )
    for _ in range(8):
        state.answered(time.monotonic())
    return state


def test_a_lone_429_lets_one_probe_through_and_its_answer_decides() -> None:
    state = _answering_host(interval=0.0)
    state.throttled(1.0, 0.5, time.monotonic(), probe=True)
    now = time.monotonic()
    assert state.paused_until > now + 0.5
    assert state.try_take(now)  # one probe goes at once ...
    assert not state.try_take(now)  # ... only one
    state.answered(now)  # served: that URL's own 429, not the host's
    assert state.paused_until <= time.monotonic() and state.rate is None
    assert state.try_take(time.monotonic())

    state.throttled(1.0, 0.5, time.monotonic(), probe=True)
    probe = time.monotonic()
    assert state.try_take(probe)
    state.throttled(1.0, 0.5, probe, probe=True)  # the probe is refused too ...
    assert state.rate is None  # ... but it may be another URL's own 429
    second = time.monotonic()
    assert state.try_take(second)  # one more probe
    state.throttled(1.0, 0.5, second, probe=True)  # refused again
    assert state.rate is not None  # the host's limit: paced from now on
    assert state.paused_until > time.monotonic() + 0.5
    assert not state.try_take(time.monotonic())  # and paused, no second probe

    # The pause runs out; the next lone 429 soon after that cut is the limit again: no
    # probe (the Wayback stand-in counted one request more than its three refusals),
    # and the rate is cut again.
    state.paused_until = time.monotonic()
    rate = state.rate
    state.throttled(0.01, 0.5, time.monotonic(), probe=True)
    assert not state.try_take(time.monotonic())
    assert state.rate < rate

    slow: HostState[int] = HostState(
        "b", concurrency=4, interval=0.0, jitter=0.0, backoff_cap=100.0
    )
    slow.throttled(60.0, 0.5, time.monotonic(), probe=True)
    assert not slow.try_take(time.monotonic())  # a long Retry-After is not probed


def test_two_urls_own_429s_close_together_are_no_host_limit() -> None:
    # 2 % of a list's URLs may answer their own 429 for a while: the probe sent after
    # one of them may meet another. A third request decides.
    state = _answering_host(interval=0.05)
    state.throttled(1.0, 0.5, time.monotonic(), probe=True)
    probe = time.monotonic()
    assert state.try_take(probe)
    state.throttled(1.0, 0.5, probe, probe=True)  # the probe met another URL's 429
    assert state.paused_until > time.monotonic() + 0.5
    second = time.monotonic()
    assert state.try_take(second)  # one more probe goes at once
    state.answered(second)  # served: both 429s were the URLs' own
    assert state.rate is None  # the host keeps its pace, no limit learnt
    assert state.paused_until <= time.monotonic()  # and its pause ends


def _host_with_hung_urls(interval: float) -> HostState[str]:
    """4 slots; queued jobs named ``hung...`` retry a URL whose last attempt hung."""
    return HostState(
        "a",
        concurrency=4,
        interval=interval,
        jitter=0.0,
        backoff_cap=10.0,
        is_slow=lambda job: job.startswith("hung"),
    )


def test_retries_of_urls_that_hung_wait_for_new_urls_on_a_host_with_no_pace() -> None:
    state = _host_with_hung_urls(interval=0.0)
    for job in ("new1", "new2"):
        state.push(job)
    for job in ("e503", "hung1"):
        state.push(job, not_before=1.0)
    # New URLs first (they find the other hanging URLs early); then the retries fill the
    # slots, the one of a URL that hung first (its chain is the longest way to go).
    assert state.start_next(2.0) == "new1"
    assert state.start_next(2.0) == "new2"
    assert state.start_next(2.0) == "hung1"
    assert state.start_next(2.0) == "e503"
    assert state.slow_in_flight == 1
    state.release(2.0)
    assert state.slow_in_flight == 1  # the slot given back was the oldest taken then


def test_retries_of_urls_that_hung_take_the_slots_a_paced_host_can_spare() -> None:
    state = _host_with_hung_urls(interval=0.05)
    for _ in range(4):
        state.answered(time.monotonic() - 0.06)
    # Answers take 60 ms; at one start per 50 ms new URLs keep 2 slots busy: the other 2
    # may hold retries of URLs that hung (each for a whole timeout) ahead of new URLs.
    assert 0.05 < state.latency < 0.07
    for job in ("new1", "new2", "new3", "new4"):
        state.push(job)
    for job in ("hung1", "hung2", "hung3"):
        state.push(job, not_before=1.0)
    t = [10.0 + 0.06 * i for i in range(6)] + [12.2, 12.26, 12.32]
    assert state.start_next(t[0]) == "hung1"
    assert state.start_next(t[1]) == "hung2"
    assert state.start_next(t[2]) == "new1"  # 2 slots hold hung requests: hung3 waits
    state.release(t[1])
    state.release(t[2])
    assert state.start_next(t[3]) == "hung3"  # a slot to spare again
    state.release(t[3])
    assert state.start_next(t[4]) == "new2"
    state.push("hung4", not_before=1.0)
    # At t[6] new2 has been in flight for 2 s (its host answers in 60 ms): it hangs
    # too, so hung1 and new2 hold the 2 slots to spare and hung4 waits.
    assert state.start_next(t[6]) == "new3"
    state.release(t[6])
    assert state.start_next(t[7]) == "new4"
    assert state.start_next(t[8]) == "hung4"  # no new URL waits: it goes


def _queue(**kw: Any) -> HostState[str]:
    """An unpaced host of 4 slots whose jobs are named strings."""
    return HostState("a", concurrency=4, interval=0.0, jitter=0.0, backoff_cap=10.0, **kw)


def test_a_ready_retry_waits_for_new_urls_until_its_budget_needs_it_to_go() -> None:
    start_by = {"e503": 5.0, "t429": 3.0}
    state = _queue(start_by=lambda job: start_by.get(job, 99.0))
    for job in ("new1", "new2", "new3"):
        state.push(job)
    for job in ("e503", "t429"):
        state.push(job, not_before=1.0)
    assert state.pop(2.0) == "new1"  # both retries are ready, but have time
    assert state.pop(3.0) == "t429"  # its budget needs it to start now
    assert state.pop(3.5) == "new2"
    assert state.pop(5.0) == "e503"
    assert state.pop(5.0) == "new3"
    assert state.next_ready(5.0) is None


def test_a_retry_whose_budget_needs_it_now_goes_before_retries_of_hung_urls() -> None:
    start_by = {"e503": 4.0, "hung-short": 3.5}
    state = _queue(is_slow=lambda job: job.startswith("hung"), start_by=start_by.get)
    for job in ("hung-short", "hung-long", "e503"):
        state.push(job, not_before=1.0)
    start_by["hung-long"] = 9.0
    # No new URL waits: retries of hung URLs would go first, but not past another
    # retry's latest start.
    assert state.pop(2.0) == "hung-short"  # (its start is not late either)
    assert state.pop(4.0) == "e503"
    assert state.pop(4.0) == "hung-long"


def test_of_the_ready_retries_of_urls_that_hung_the_longest_chain_goes_first() -> None:
    left = {"hung-last-try": 0, "hung-two-more": 2, "hung-one-more": 1}
    state = _queue(is_slow=lambda job: job.startswith("hung"), tries_left=left.__getitem__)
    state.push("e503", not_before=1.0)
    state.push("hung-last-try", not_before=1.0)
    state.push("hung-one-more", not_before=1.5)
    state.push("hung-two-more", not_before=2.0)
    order = [state.pop(3.0) for _ in range(4)]
    assert order == ["hung-two-more", "hung-one-more", "hung-last-try", "e503"]


def test_host_state_503s_back_off_the_host_only_when_several_come_in_a_row() -> None:
    state: HostState[int] = HostState(
        "a", concurrency=4, interval=0.0, jitter=0.0, backoff_cap=10.0
    )
    assert state.failed_503() is None and state.failed_503() is None
    state.answered()  # an answer in between: two lone 503s were two URLs' trouble
    assert state.failed_503() is None and state.failed_503() is None
    assert state.paused_until == 0.0
    pause = state.failed_503()
    assert pause is not None and pause > 0 and state.paused_until > time.monotonic()


def test_priority_limiter_serves_busiest_first() -> None:
    async def scenario() -> list[str]:
        limiter = PriorityLimiter(1)
        order: list[str] = []
        await limiter.acquire(0)

        async def waiter(name: str, priority: int) -> None:
            async with limiter.slot(priority):
                order.append(name)

        tasks = [
            asyncio.create_task(waiter(n, p))
            for n, p in [("small", -1), ("big", -50), ("mid", -10)]
        ]
        await asyncio.sleep(0)
        limiter.release()
        await asyncio.gather(*tasks)
        return order

    assert asyncio.run(scenario()) == ["big", "mid", "small"]


def test_priority_limiter_resizes_while_in_use() -> None:
    async def scenario() -> list[str]:
        limiter = PriorityLimiter(2)
        await limiter.acquire(0)
        await limiter.acquire(0)
        limiter.resize(1)  # two in use: the next release takes one place away
        order: list[str] = []

        async def waiter(name: str) -> None:
            async with limiter.slot(0):
                order.append(name)
                await asyncio.sleep(0)

        task = asyncio.create_task(waiter("a"))
        await asyncio.sleep(0)
        limiter.release()
        await asyncio.sleep(0)
        assert order == []  # that place went away
        limiter.release()
        await task
        assert order == ["a"]
        limiter.resize(3)
        await asyncio.gather(waiter("b"), waiter("c"), waiter("d"))
        return order

    assert asyncio.run(scenario()) == ["a", "b", "c", "d"]


def test_content_coding_chain_is_capped_before_it_is_split() -> None:
    """Issue 20: one decompressor per listed coding made a 1 MB header cost 790 MB."""
    body = b"<title>x</title>"
    packed = body
    for _ in range(MAX_CODINGS):
        packed = gzip.compress(packed)
    assert BoundedDecoder(", ".join(["gzip"] * MAX_CODINGS)).feed(packed, 100) == body
    with pytest.raises(UnsupportedEncoding, match=f"{MAX_CODINGS + 1} content-codings"):
        BoundedDecoder(", ".join(["identity"] * (MAX_CODINGS + 1)))
    with pytest.raises(UnsupportedEncoding, match="160000 content-codings"):
        BoundedDecoder(", ".join(["gzip"] * 160_000))


@pytest.mark.parametrize(
    "url",
    ["http://example.com/a?b=1#f", "https://xn--bcher-kva.example/%7Efoo", "http://[::1]:8080/x"],
)
def test_requests_are_built_as_httpx_builds_them(url: str) -> None:
    """The client builds each request itself (cheaper): the same method, URL, header
    list in the same order, timeouts and empty body as httpx's build_request."""
    from linkhealth.config import Settings
    from linkhealth.fetch.client import Client

    async def both() -> list[tuple[httpx.Request, httpx.Request]]:
        settings = Settings(headers={"X-Extra": "1", "User-Agent": "ua/1"}, connect_timeout=3)
        async with Client(settings) as client:
            target = httpx.URL(url)
            hop = {"Host": target.netloc.decode("ascii"), "If-None-Match": '"v1"'}
            hop["ACCEPT"] = "text/plain"  # a client header named again, in another case
            assert client._http is not None
            built = []
            # Each set of names twice (the second time the client's part is remembered),
            # and the names that leave every client header in.
            for names in (hop, hop, {"Host": hop["Host"]}, hop, {"Host": "other.example"}):
                want = client._http.build_request("GET", target, headers=names)
                built.append((want, client._request(target, dict(names))))
            # A request's header list is its own: changing one changes no later request.
            built[0][1].headers._list.append((b"X-Changed", b"x-changed", b"after"))
            want = client._http.build_request("GET", target, headers=hop)
            built.append((want, client._request(target, dict(hop))))
            return built[1:]

    for want, got in asyncio.run(both()):
        assert (got.method, got.url, got.headers.raw) == (want.method, want.url, want.headers.raw)
        assert (got.extensions, got.content) == (want.extensions, want.content)
        # The same object state: every attribute, the headers' encoded triples and encoding.
        assert vars(got).keys() == vars(want).keys()
        assert vars(got.headers) == vars(want.headers)
        assert got.headers.multi_items() == want.headers.multi_items()


def test_a_request_header_httpx_cannot_encode_is_refused_as_httpx_refuses_it() -> None:
    """The client encodes each hop's headers itself, as httpx.Headers does: a value that
    is not ASCII raises the same error httpx's build_request raises (the attempt's error)."""
    from linkhealth.config import Settings
    from linkhealth.fetch.client import Client

    async def both() -> list[str]:
        async with Client(Settings()) as client:
            assert client._http is not None
            target = httpx.URL("http://example.com/")
            hop = {"Host": "example.com", "X-Name": "caf\u00e9"}
            errors = []
            for build in (
                lambda: client._http.build_request("GET", target, headers=hop),  # type: ignore[union-attr]
                lambda: client._request(target, hop),
            ):
                with pytest.raises(UnicodeEncodeError) as caught:
                    build()
                errors.append(str(caught.value))
            return errors

    want, got = asyncio.run(both())
    assert got == want


def _parsed(make: Callable[[str], httpx.URL], text: str) -> tuple[object, ...]:
    try:
        url = make(text)
    except httpx.InvalidURL:
        return ("invalid",)
    parts = (url.scheme, url.userinfo, url.raw_host, url.port, url.raw_path, url.query)
    try:  # httpx cannot always read its own text again ("http:////::" -> port ":")
        again: bool | None = url == httpx.URL(str(url))
    except httpx.InvalidURL:
        again = None
    return (*parts, url.fragment, str(url), url.netloc, again)


_URL_KEPT = "aZ09-._~!$&'()*+,;=:@/%?"
_URL_OTHER = '#[]|^\\ "<>`{}é\t\x00'


@settings(max_examples=600, deadline=None)
@given(
    scheme=st.sampled_from(["http", "https", "HTTP", "ftp"]),
    host=st.sampled_from(
        [
            "example.com",
            "a-b.example",
            "Example.COM",
            "a--b.example",
            "xn--bcher-kva.example",
            "127.0.0.1",
            "01.2.3.4",
            "256.1.1.1",
            "1.2.3",
            "[::1]",
            "bücher.example",
            "h_x.example",
            "",
        ]
    ),
    port=st.sampled_from(["", ":80", ":443", ":8080", ":0", ":080", ":65535", ":65536"]),
    rest=st.lists(
        st.one_of(
            st.sampled_from(["/", "/.", "/..", "/./", "/../", ".", "?", "#", "%41", "%zz"]),
            st.text(alphabet=_URL_KEPT, max_size=6),
            st.sampled_from(_URL_OTHER),
        ),
        max_size=8,
    ).map("".join),
)
@example(scheme="http", host="example.com", port="", rest="/a/./b?x=1")
@example(scheme="https", host="example.com", port=":443", rest="?")
@example(scheme="http", host="127.0.0.1", port=":8080", rest="")
@example(scheme="http", host="example.com", port="", rest="/a<b")
@example(scheme="http", host="", port="", rest="//::")
def test_request_url_parses_as_httpx_parses(scheme: str, host: str, port: str, rest: str) -> None:
    """The client's cheap URL (no httpx parse for a URL httpx keeps as written) is the
    URL httpx makes of the same text: every part, its text and equality, its errors;
    the host, text and netloc it tells beside it are the host_key of that URL's text, its
    text and its netloc."""
    from linkhealth.fetch.client import request_target, request_url

    text = f"{scheme}://{host}{port}{rest}"
    assert _parsed(request_url, text) == _parsed(httpx.URL, text)
    with contextlib.suppress(httpx.InvalidURL):
        _told_as_asked(request_target(text))


def _told_as_asked(target: Any) -> None:
    """What a Target tells beside its URL is what asking the URL says."""
    from linkhealth.weburl import host_key

    url = target.url
    if target.host is not None:
        assert target.host == host_key(str(url))
    if target.text is not None:
        assert target.text == str(url)
    if target.netloc is not None:
        assert target.netloc == url.netloc.decode("ascii")
    assert (target.host is None) == (target.text is None) == (target.netloc is None)


@pytest.mark.parametrize("char", [*_URL_OTHER, *_URL_KEPT, "%2", "%4G", "é"])
@pytest.mark.parametrize("form", ["/a{c}b", "/a?q{c}r", "/{c}", "?{c}", "/a/{c}{c}/b", "{c}"])
def test_request_url_parses_every_character_as_httpx(char: str, form: str) -> None:
    from linkhealth.fetch.client import request_url

    for origin in ("http://example.com", "https://127.0.0.1:8443"):
        text = origin + form.format(c=char)
        assert _parsed(request_url, text) == _parsed(httpx.URL, text)


_REF_PIECES = st.lists(
    st.one_of(
        st.sampled_from(
            ["/", "//", "/.", "/..", "/./", "/../", ".", "?", "#", ";", "%41", "/..;", "/.;"]
        ),
        st.text(alphabet=_URL_KEPT, max_size=5),
        st.sampled_from(_URL_OTHER),
    ),
    max_size=6,
).map("".join)


def _joined(join: Callable[[httpx.URL, str], httpx.URL], base: httpx.URL, location: str) -> object:
    try:
        url = join(base, location)
    except (httpx.InvalidURL, ValueError):  # urljoin's own ValueError: "Invalid IPv6 URL"
        return ("invalid",)
    parts = (url.scheme, url.userinfo, url.raw_host, url.port, url.raw_path, url.query)
    return (*parts, url.fragment, str(url), url.netloc)


@settings(max_examples=800, deadline=None)
@given(
    base=st.sampled_from(
        [
            "http://example.com/a/b?q=1",
            "https://127.0.0.1:8443/r/1",
            "http://example.com",
            "http://user:pw@example.com/x/",
            "http://example.com/p#frag",
            "http://bücher.example/a;p",
            "https://EXAMPLE.com:443/",
            "http://[::1]:8080/v6",
        ]
    ),
    start=st.sampled_from(
        ["", "/", "//", "http://", "https://", "HTTP://", "ftp://", "?", "#", "./", "../", "a"]
    ),
    host=st.sampled_from(["", "example.com", "127.0.0.9:8080", "other.example:80", "x--y.test"]),
    rest=_REF_PIECES,
)
@example(base="http://example.com/a", start="/", host="", rest="land/1?")
@example(base="http://example.com/a", start="/", host="", rest="land;")
@example(base="http://example.com/a", start="http://", host="example.com", rest="/b?")
@example(base="https://example.com/a", start="http://", host="example.com", rest="/b?")
@example(base="http://example.com/a", start="/", host="", rest="a//b/./c")
@example(base="http://example.com/x/y", start="/", host="", rest="app/..;jsessionid=1")
@example(base="http://example.com/x/y", start="/", host="", rest=".;a?q=1")
@example(base="http://example.com/x/y", start="http://", host="example.com", rest="/a/..;p")
@example(base="http://example.com/a/b?q=1", start="http://", host="", rest="//[")
@example(base="http://example.com/a/b?q=1", start="http://", host="", rest="//^")
def test_redirect_targets_join_as_httpx_joins(base: str, start: str, host: str, rest: str) -> None:
    """A redirect's target (``join_url``: plain targets built without httpx's parser) is
    the URL httpx's ``join`` makes of the same base and ``Location``, every part and its
    text; what it tells beside it is what asking that URL says; the key a hop is
    remembered by is the text of the URL without its fragment."""
    from linkhealth.fetch.client import _without_fragment, join_url, request_url

    location = start + (host if start.endswith("//") else "") + rest
    base_url = request_url(base)
    fast = _joined(lambda b, loc: join_url(b, loc)[0], base_url, location)
    assert fast == _joined(httpx.URL.join, base_url, location)
    with contextlib.suppress(httpx.InvalidURL, ValueError):
        target = join_url(base_url, location)
        _told_as_asked(target)
        url, key = target.url, _without_fragment(target)
        # The key is the URL's text without its fragment: with none, the text as asked
        # (copy_with would parse it again, and httpx does not always read its own text
        # back the same: "http://%5E" gives "http://%5e").
        if url._uri_reference.fragment is None:
            assert key == str(url)
        else:
            assert key == str(url.copy_with(fragment=None))


def test_kept_headers_are_read_in_one_pass_as_lookups_read_them() -> None:
    from linkhealth.fetch.client import kept_headers
    from linkhealth.fetch.result import KEPT_HEADERS

    raw = [
        (b"Server", b"x"),
        (b"ETag", b'"a"'),
        (b"Link", b"<a>; rel=x"),
        (b"Set-Cookie", b"k=v"),
        (b"link", b"<b>; rel=y"),
        (b"Content-Type", b"text/html"),
    ]
    headers = httpx.Headers(raw)
    want = {k: headers[k] for k in KEPT_HEADERS if k in headers}
    assert kept_headers(headers) == want
    assert list(kept_headers(headers)) == list(want)
    assert want["link"] == "<a>; rel=x, <b>; rel=y"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([b"Content-Type", b"content-type", b"Link", b"X-A", b"X-\xe9"]),
            st.binary(max_size=6).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),
        ),
        max_size=6,
    )
)
def test_kept_headers_decode_values_as_httpx_does(raw: list[tuple[bytes, bytes]]) -> None:
    """Kept header values, ASCII or not (UTF-8, Latin-1 in any header), are the text
    httpx's own look-ups give."""
    from linkhealth.fetch.client import kept_headers
    from linkhealth.fetch.result import KEPT_HEADERS

    headers = httpx.Headers(raw)
    want = {k: httpx.Headers(raw)[k] for k in KEPT_HEADERS if k in headers}
    assert kept_headers(headers) == want
    assert list(kept_headers(headers)) == list(want)


_TITLE_PIECES = st.sampled_from(
    ["404", "4040", "page", "not", "found", "not found", "page not found", "does not", "doesn't",
     "no longer", "exist", "exists", "article", "post", "file", "available", "is", "missing",
     "unavailable", "nicht gefunden", "introuvable", "no encontrada", "Not Found", "ÉTÉ", "İ",
     " ", "  ", "\t", "-", "|", "—", "x", "error"]
)  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(st.lists(_TITLE_PIECES, max_size=8).map(" ".join))
@example("Error 404")
@example("Page Not Found | Site")
@example("The page doesn't exist")
@example("This article does not exist")
@example("post no longer exists")
@example("Offer no longer available")
@example("Page is missing")
@example("page unavailable")
@example("Seite nicht gefunden")
@example("Page introuvable")
@example("Página no encontrada")
def test_soft_404_title_words_skip_only_titles_no_pattern_matches(title: str) -> None:
    lowered = " ".join(title.lower().split())
    expected = any(pattern.search(lowered) for pattern in SOFT_404_TITLES)
    assert title_says_not_found(lowered) == expected


def test_lone_429s_back_to_back_on_a_paced_host_are_its_limit() -> None:
    # A host paced just over its limit: each request on schedule finds a token short, the
    # probe a moment later finds it, and every other request was a 429 with nothing cut.
    state = _answering_host(interval=0.0)
    state.rate = state.ceiling = 10.0
    for k in range(2):
        started = time.monotonic()
        state.throttled(1.0, 0.5, started - 0.01, probe=True)
        assert state.try_take(time.monotonic())  # the probe ...
        state.answered(time.monotonic())  # ... is served: maybe that URL's own 429
        assert state.rate == 10.0, k
    state.throttled(1.0, 0.5, time.monotonic() - 0.01, probe=True)  # a third within 1 s
    assert state.rate < 10.0  # the host's limit: cut
    assert not state.try_take(time.monotonic())  # paused, no probe


def test_a_503_to_the_probe_after_a_lone_429_lets_one_more_probe_go() -> None:
    state = _answering_host(interval=0.0)
    state.throttled(1.0, 0.5, time.monotonic(), probe=True)
    probe = time.monotonic()
    assert state.try_take(probe)
    state.release(probe)
    assert state.failed_503(probe) is None  # that URL's trouble: it says nothing of a limit
    assert state.paused_until > time.monotonic() + 0.5
    second = time.monotonic()
    assert state.try_take(second)  # one more probe, not the whole pause waited
    assert not state.try_take(second)  # only one
    state.answered(second)  # served: the 429 was that URL's own
    assert state.paused_until <= time.monotonic() and state.rate is None


def _cut_host(allows: float) -> HostState[int]:
    """A paced host cut 1.15 s ago by a probe refused after a lone 429, its pause over;
    its refusals showed it allows ``allows`` a second."""
    state = _answering_host(interval=0.0)
    state.rate = state.ceiling = 10.0
    state.reading.allows = allows
    now = time.monotonic()
    lone, refused = now - 1.2, now - 1.15
    for at in (lone, refused):
        state.next_start = 0.0
        assert state.try_take(at)
        state.release(at)
        state.throttled(1.0, 0.5, at, probe=True)
    assert state.rate is not None and state.rate < 10.0  # cut: the host's limit
    state.paused_until = time.monotonic()  # the pause ran out
    return state


def test_a_429_to_the_first_request_after_the_bucket_refilled_is_that_urls_own() -> None:
    state = _cut_host(allows=9.0)
    rate = state.rate
    first = time.monotonic()
    assert state.try_take(first)
    state.release(first)
    # 1.15 s at 9 a second refilled a token: that URL's own 429, not the limit again.
    state.throttled(1.0, 0.5, first, probe=True)
    assert state.rate == rate
    assert state.try_take(time.monotonic())  # a probe goes at once

    # Without a reading the same refusal is the limit again (nothing served since the
    # cut); so it is after a request let through in between (the token may be spent).
    for allows, between in ((0.0, False), (9.0, True)):
        state = _cut_host(allows)
        rate = state.rate
        first = time.monotonic()
        if between:
            state.next_start = 0.0
            assert state.try_take(first)
            state.release(first)
            first += 0.01
        state.next_start = 0.0
        assert state.try_take(first)
        state.release(first)
        state.throttled(1.0, 0.5, first, probe=True)
        assert state.rate < rate, (allows, between)
        assert not state.try_take(time.monotonic())


def test_the_search_cut_goes_to_the_rate_the_burst_reading_allows() -> None:
    state: HostState[int] = HostState(
        "a", concurrency=4, interval=0.0, jitter=0.0, backoff_cap=10.0
    )
    now = time.monotonic()
    state.rate = 12.0  # searching: no refusal seen while pacing yet
    burst = [now - 10.0] * 5
    state.reading.refused(burst, burst, now - 10.0, math.inf)  # a burst of 5
    # 10 a second from a full bucket after a quiet second: 5 + 10 x 3 s let through.
    starts = [now - 4.0 + i / 35 * 3.0 for i in range(35)]
    state._starts.append(now - 5.0)
    for at in starts:
        state.next_start = 0.0
        assert state.try_take(at)
        state.release(at)
    refused = now - 0.99
    state.next_start = 0.0
    assert state.try_take(refused)
    state.release(refused)
    state.throttled(1.0, 0.5, refused, probe=True)
    probe = time.monotonic()
    assert state.try_take(probe)
    state.throttled(1.0, 0.5, probe, probe=True)  # refused too: the host's limit
    assert state.rate is not None and 9.0 <= state.rate <= 10.0  # not 0.9 x 12 = 10.8


def test_an_attempts_deadline_cancels_only_its_own_task_and_tells_its_cancel_apart() -> None:
    from linkhealth.fetch.engine import _Deadline, _Deadlines

    queue: list[_Deadlines] = []

    async def attempt(delay: float, made: list[_Deadline], seconds: float = 10) -> str:
        # As the engine runs an attempt under its deadline.
        task = asyncio.current_task()
        assert task is not None
        deadline = _Deadline(queue[0], task, task.get_loop().time() + delay)
        made.append(deadline)
        try:
            await asyncio.sleep(seconds)
            return "answered"
        except asyncio.CancelledError:
            if deadline.end():
                return "timed out"
            raise
        finally:
            assert deadline.end() is deadline.end()  # asked again: the same answer

    async def main() -> None:
        loop = asyncio.get_running_loop()
        queue.append(_Deadlines(loop))
        made: list[_Deadline] = []
        # Fired: a timeout, its cancel taken back from the task's count.
        task = asyncio.ensure_future(attempt(0.02, made))
        assert await task == "timed out" and task.cancelling() == 0
        # Answered first: the timer is gone, nothing fires later.
        # (A long deadline: a process stalled past a short one would see both due at once.)
        assert await attempt(0.5, made, seconds=0.01) == "answered"
        await asyncio.sleep(0.6)
        assert not made[-1].fired
        # Cancelled by someone else before it fired: passed on, never a timeout.
        task = asyncio.ensure_future(attempt(10, made))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # Another cancel right after it fired, before the attempt woke: passed on.
        task = asyncio.ensure_future(attempt(0.01, made))
        await asyncio.sleep(0)
        loop.call_at(made[-1].when() or 0.0, task.cancel)  # queued behind the deadline's
        time.sleep(0.03)  # both are due on the loop's next turn
        with pytest.raises(asyncio.CancelledError):
            await task
        assert made[-1].fired and task.cancelling() == 1
        # Stopped (a hop waiting for another host's slot), then moved on.
        task = asyncio.ensure_future(attempt(0.02, made))
        await asyncio.sleep(0)
        made[-1].reschedule(None)
        assert made[-1].when() is None
        await asyncio.sleep(0.05)
        assert not task.done() and not made[-1].fired
        made[-1].reschedule(loop.time() + 0.02)
        assert await task == "timed out"

    asyncio.run(main())


def test_the_net_watch_looks_again_when_the_grace_since_the_first_request_ends() -> None:
    from linkhealth.fetch.engine import OUTAGE_GRACE, _NetWatch

    watch = _NetWatch(10, 0.9)
    tick = OUTAGE_GRACE / 8
    assert watch.next_look(5.0) == tick  # nothing requested yet
    watch.since = 100.0
    assert watch.next_look(100.2) == tick
    assert watch.next_look(100.0 + OUTAGE_GRACE - 0.03) == pytest.approx(0.03)
    assert watch.next_look(100.0 + OUTAGE_GRACE + 0.5) == tick  # over: the next tick


def _probe(asked: set[str], failed: set[str], since: float, answered: bool) -> LookupProbe:
    probe = LookupProbe()
    probe.asked, probe.failed, probe.since, probe.answered = asked, failed, since, answered
    return probe


def test_the_net_watch_counts_the_look_ups_made_ahead_while_none_answered() -> None:
    from linkhealth.fetch.engine import OUTAGE_GRACE, _NetWatch

    hosts = {f"h{i}" for i in range(10)}
    long_ago = time.monotonic() - 2 * OUTAGE_GRACE
    watch = _NetWatch(10, 0.9, _probe(hosts, set(list(hosts)[:8]), long_ago, answered=False))
    # Nothing requested yet: the look-ups' failures, since the first look-up.
    assert watch.evidence() == (set(list(hosts)[:8]), hosts, long_ago)
    assert watch.next_look(long_ago + OUTAGE_GRACE - 0.01) == pytest.approx(0.01)
    # Two look-ups still out: alone, the clock does not judge them (they may be waiting
    # for the loop, and answer); all failed would (the ratio).
    assert not watch.check() and watch.down is None
    # Once a request has started, the grace since the first look-up does.
    watch.since = time.monotonic()
    assert watch.check() and watch.down is not None and "(8 hosts failed" in watch.down
    every = _NetWatch(10, 0.9, _probe(hosts, set(list(hosts)[:9]), time.monotonic(), False))
    assert every.check() and every.down is not None and "(9 hosts failed" in every.down


def test_the_net_watch_ignores_look_ups_made_ahead_once_one_answered() -> None:
    from linkhealth.fetch.engine import OUTAGE_GRACE, _NetWatch

    hosts = {f"h{i}" for i in range(10)}
    long_ago = time.monotonic() - 2 * OUTAGE_GRACE
    watch = _NetWatch(10, 0.9, _probe(hosts, set(list(hosts)[:9]), long_ago, answered=True))
    assert watch.evidence() == (set(), set(), None)
    assert not watch.check() and watch.down is None


async def _looked_up(hosts: list[str], config: Settings) -> LookupProbe:
    probe = LookupProbe()
    probe.start(hosts, config)
    for _ in range(500):
        if not probe._tasks:  # every look-up ended
            break
        await asyncio.sleep(0.01)
    probe.stop()
    return probe


@pytest.mark.usefixtures("no_network")
def test_look_ups_ahead_fail_at_the_network_level_or_answer() -> None:
    dead = ["a.offline.test", "b.offline.test"]
    probe = asyncio.run(_looked_up(dead, Settings()))
    assert (probe.failed, probe.asked, probe.usable()) == (set(dead), set(dead), True)
    # A name under invalid. is answered by linkhealth itself: not asked, no evidence.
    probe = asyncio.run(_looked_up([*dead, "x.invalid"], Settings()))
    assert (probe.failed, probe.asked) == (set(dead), set(dead))
    # An address (here a literal) answers: the network may be up, the evidence is unused.
    probe = asyncio.run(_looked_up([*dead, "127.0.0.1"], Settings(allow_private=True)))
    assert probe.failed == set(dead) and probe.answered and not probe.usable()
    # So does a name --resolve maps, asked of no resolver.
    mapped = Settings(resolve={"c.offline.test": "127.0.0.2"}, allow_private=True)
    probe = asyncio.run(_looked_up([*dead, "c.offline.test"], mapped))
    assert probe.answered and not probe.usable()


@pytest.mark.usefixtures("no_network")
def test_look_ups_that_ended_while_the_loop_was_held_are_counted_once_caught_up() -> None:
    # The run plans with the loop held: look-ups end in their threads meanwhile, and are
    # counted only once the loop turns: caught_up turns it a few times.
    from linkhealth.fetch.engine import OUTAGE_GRACE

    dead = [f"h{i}.offline.test" for i in range(20)]

    async def held() -> tuple[set[str], set[str]]:
        probe = LookupProbe()
        probe.start(dead, Settings())
        await asyncio.sleep(0)  # each look-up to its thread
        time.sleep(0.3)  # the plan holds the loop; the threads end
        before = set(probe.failed)
        await probe.caught_up(OUTAGE_GRACE)
        probe.stop()
        return before, set(probe.failed)

    before, after = asyncio.run(held())
    assert before == set() and after == set(dead)


def test_look_ups_still_out_a_grace_after_the_loop_heard_them_hang_as_requests_do() -> None:
    # Before a request, look-ups still out decide nothing while they may only be waiting
    # for the loop; a grace after the loop could first hear them (caught_up), they hang as
    # a request that times out does, and the failures decide: no request need start.
    from linkhealth.fetch.engine import OUTAGE_GRACE, _NetWatch

    hosts = {f"h{i}" for i in range(10)}
    long_ago = time.monotonic() - 3 * OUTAGE_GRACE
    probe = _probe(hosts, set(list(hosts)[:8]), long_ago, answered=False)
    watch = _NetWatch(10, 0.9, probe)
    assert not watch.check()  # never heard with the loop free: open
    probe.heard_from = time.monotonic()
    assert not watch.check()  # heard just now: the grace runs
    probe.heard_from = time.monotonic() - 2 * OUTAGE_GRACE
    assert watch.check() and watch.down is not None and "(8 hosts failed" in watch.down


@pytest.mark.parametrize("most", [256, 40])
def test_look_ups_ahead_run_while_the_loop_is_held_and_the_rest_are_waited_for(
    monkeypatch: pytest.MonkeyPatch, most: int
) -> None:
    # More hosts than the requests' resolver runs at once (DNS_THREADS): the look-ups
    # ahead each take a thread at once, so all of them run while the plan holds the loop
    # (review9 F4: those waiting for a thread waited for the plan, and a long one decided
    # without them), and their grace runs from the start. Beyond the probe's own limit
    # (here 40) the rest run once the loop turns, and are waited for while every look-up
    # so far failed, their grace from then. Each fails after 20 ms, as a resolver with no
    # network may.
    from linkhealth.fetch import probe as probe_mod
    from linkhealth.fetch import resolver
    from linkhealth.fetch.engine import OUTAGE_GRACE
    from linkhealth.fetch.resolver import DNS_THREADS

    asked: list[str] = []

    def no_network(host: str, *args: object, **kwargs: object) -> object:
        asked.append(host)
        time.sleep(0.02)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(resolver.socket, "getaddrinfo", no_network)
    monkeypatch.setattr(probe_mod, "MAX_THREADS", most)
    dead = [f"h{i}.offline.test" for i in range(DNS_THREADS + 24)]

    async def held() -> tuple[int, float | None, set[str], float]:
        probe = LookupProbe()
        probe.start(dead, Settings())
        await asyncio.sleep(0)
        time.sleep(OUTAGE_GRACE + 0.2)  # a plan longer than the grace (review9 F8)
        during, heard = len(asked), probe.heard_from
        await asyncio.sleep(0)
        started = time.monotonic()
        await probe.caught_up(OUTAGE_GRACE)
        waited = time.monotonic() - started
        probe.stop()
        assert probe.heard_from is not None
        return during, heard, set(probe.failed), waited

    during, heard, failed, waited = asyncio.run(held())
    assert failed == set(dead) and waited < OUTAGE_GRACE
    if most == 256:
        assert during == len(dead) and heard is not None
    else:
        assert during == most and heard is None


def test_look_ups_ahead_ask_the_resolver_the_requests_ask(monkeypatch: pytest.MonkeyPatch) -> None:
    # A look-up ahead is what the host's first request makes first: the same resolver,
    # behind the same guard (here a stand-in that knows one name; the system knows none).
    from linkhealth.fetch import client as client_mod

    asked: list[str] = []

    class OneName:
        def __init__(self, threads: int) -> None:
            self.threads = threads

        async def resolve(
            self, host: str, port: int = 0, family: int = socket.AF_INET
        ) -> list[dict[str, object]]:
            asked.append(host)
            if host != "known.test":
                raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
            addr = {"hostname": host, "host": "127.0.0.2", "port": port, "proto": 0, "flags": 0}
            return [{**addr, "family": socket.AF_INET}]

        async def close(self) -> None:
            return None

    monkeypatch.setattr(client_mod, "_resolver", OneName)
    hosts = ["gone.test", "known.test"]
    probe = asyncio.run(_looked_up(hosts, Settings(allow_private=True)))
    assert sorted(asked) == hosts
    assert probe.failed == {"gone.test"} and probe.answered and not probe.usable()


@pytest.mark.parametrize("seed", range(5))
def test_the_runs_deadlines_fire_each_live_one_at_its_time_and_no_other(seed: int) -> None:
    """Unit test of _Deadlines (one loop timer for every attempt's deadline): deadlines
    added in any order, some ended and some moved before their time; each live one
    cancels its own task once its time has come, none that ended or moved away does."""
    from linkhealth.fetch.engine import _Deadline, _Deadlines

    rng = random.Random(seed)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        queue = _Deadlines(loop)
        start = loop.time()
        cut_at: dict[int, float] = {}

        async def sleeper(i: int) -> None:
            try:
                await asyncio.sleep(1)
            except asyncio.CancelledError:
                cut_at[i] = loop.time()
                raise

        tasks = [asyncio.ensure_future(sleeper(i)) for i in range(30)]
        await asyncio.sleep(0)
        deadlines = []
        for task in tasks:
            deadlines.append(_Deadline(queue, task, start + rng.uniform(0.01, 0.15)))
        expected: dict[int, float] = {}
        for i, deadline in enumerate(deadlines):
            fate = rng.choice(["live", "ended", "moved", "stopped"])
            if fate == "ended":
                assert deadline.end() is False
            elif fate == "moved":
                deadline.reschedule(start + rng.uniform(0.01, 0.15))
            elif fate == "stopped":
                deadline.reschedule(None)
            if fate in ("live", "moved"):
                when = deadline.when()
                assert when is not None
                expected[i] = when
        await asyncio.sleep(0.25)
        assert set(cut_at) == set(expected)
        for i, when in expected.items():
            assert deadlines[i].fired and cut_at[i] >= when - 0.002
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        queue.close()

    asyncio.run(main())


def test_a_hosts_waiters_wake_on_the_next_notify_and_timed_out_ones_are_dropped() -> None:
    """Unit test of HostState.changed/notify (futures, no Event per notify): every waiter
    of the moment wakes on the next notify, not on an earlier one; one that timed out is
    no longer held."""

    async def main() -> None:
        state: HostState[int] = HostState(
            "a.test", concurrency=1, interval=0.0, jitter=0.0, backoff_cap=10.0
        )
        state.notify()  # nobody waits: nothing is kept for a later waiter
        woke: list[str] = []

        async def wait(name: str, timeout: float | None) -> None:
            await state.changed(timeout)
            woke.append(name)

        first = asyncio.ensure_future(wait("first", None))
        second = asyncio.ensure_future(wait("second", 10.0))
        await asyncio.sleep(0.01)
        assert woke == []
        state.notify()
        await asyncio.gather(first, second)
        assert woke == ["first", "second"]
        await state.changed(0.01)  # times out
        assert state._waiting == []
        late = asyncio.ensure_future(wait("late", None))
        await asyncio.sleep(0.01)
        assert not late.done()
        state.notify()
        await late

    asyncio.run(main())


@pytest.mark.parametrize("bulk", [True, False])
def test_urls_the_look_ups_ahead_end_reach_the_caller_a_host_at_once_or_one_by_one(
    bulk: bool,
) -> None:
    # Every look-up ahead failed long ago: each URL ends unrequested before any request.
    # With on_unrequested, a call a host (its first URL's result and all of its URLs, the
    # hosts with the most URLs first), none through on_result nor in the returned list;
    # without, a result each, as before. An early result (refused by the policy) is
    # always one of its own.
    from linkhealth.fetch import fetch_all

    hosts = {f"h{i}.offline.test" for i in range(4)}
    probe = _probe(hosts, set(hosts), time.monotonic() - 60, answered=False)
    probe.heard_from = time.monotonic() - 60
    urls = [f"http://h{i % 4 if i % 5 else 0}.offline.test/{i}" for i in range(20)]
    urls.append("ftp://h1.offline.test/x")  # a scheme the policy refuses: early
    handed: list[tuple[FetchResult, list[str]]] = []
    heard: list[FetchResult] = []

    def on_unrequested(first: FetchResult, urls: Any) -> None:
        handed.append((first, list(urls)))

    got = asyncio.run(
        fetch_all(
            urls,
            Settings(),
            on_result=heard.append,
            ahead=probe,
            on_unrequested=on_unrequested if bulk else None,
        )
    )
    early = [r for r in heard if r.url.startswith("ftp:")]
    assert len(early) == 1 and early[0].detail.startswith("not checkable")
    if not bulk:
        assert handed == [] and [r.url for r in got] == urls
        assert len(heard) == len(urls)
        return
    assert got == early and heard == early
    by_host: dict[str, list[str]] = {}
    for url in urls[:-1]:
        by_host.setdefault(host_key(url), []).append(url)
    assert [u for _, u in handed] == sorted(by_host.values(), key=lambda u: -len(u))
    one = FetchResult("", handed[0][0].verdict, None, handed[0][0].detail, handed[0][0].error_kind)
    for first, its in handed:
        assert first.url == its[0] and first.attempts == 0 and "network" in first.detail
        assert (first.verdict, first.detail, first.error_kind) == (
            one.verdict,
            one.detail,
            one.error_kind,
        )
        assert first.checked_at is handed[0][0].checked_at  # one moment: the verdict's
