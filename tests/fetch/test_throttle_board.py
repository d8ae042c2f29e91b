"""The throttle view a progress bar reads: which hosts wait after 429/503, and for how long."""

from __future__ import annotations

import asyncio

from linkhealth.cli.check import throttle_text
from linkhealth.fetch import FetchResult, ThrottleBoard, fetch_all
from linkhealth.models import Verdict
from support.fetchkit import fast
from support.servers import Reply, ServerPool, html_page


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_board_counts_down_and_forgets_hosts_that_may_start_again() -> None:
    clock = Clock()
    board = ThrottleBoard(clock)
    assert board.waiting() == {}
    board.note("a.example", 12.0)
    board.note("b.example", 3.0)
    board.note("a.example", 5.0)  # a shorter pause does not shorten the longer one
    assert board.waiting() == {"a.example": 12.0, "b.example": 3.0}
    assert list(board.waiting()) == ["a.example", "b.example"]  # longest first
    clock.now += 4.0
    assert board.waiting() == {"a.example": 8.0}
    clock.now += 8.0
    assert board.waiting() == {}


def test_throttle_text_shows_at_most_three_hosts_safely() -> None:
    assert throttle_text({}) == ""
    assert throttle_text({"api.x.org": 2.1, "example.com": 11.5}) == (
        "waiting: example.com 12s, api.x.org 3s"
    )
    many = {f"h{n}.example": float(n) for n in range(1, 6)}
    assert throttle_text(many) == ("waiting: h5.example 5s, h4.example 4s, h3.example 3s (+2 more)")
    hostile = throttle_text({"evil\x1b[31m\nhost[bold]": 1.0})
    assert "\x1b" not in hostile and "\n" not in hostile
    assert hostile.startswith("waiting: evil") and hostile.endswith(" 1s")
    assert len(throttle_text({"x" * 300: 1.0})) < 60


def test_a_429_with_retry_after_is_reported_with_its_host(pool: ServerPool) -> None:
    page = html_page("Fine")
    slow = pool.host("127.0.0.2")
    slow.route("/", [Reply(429, headers={"Retry-After": "2"}), Reply(200, body=page)])
    calm = pool.host("127.0.0.3").route("/", Reply(200, body=page))
    board = ThrottleBoard()
    heard: list[tuple[str, float]] = []
    seen_waiting: list[dict[str, float]] = []

    def on_throttle(host: str, seconds: float) -> None:
        heard.append((host, seconds))
        board.note(host, seconds)
        seen_waiting.append(board.waiting())

    def on_result(result: FetchResult) -> None:
        seen_waiting.append(board.waiting())

    results = asyncio.run(
        fetch_all(
            [slow.url("/"), calm.url("/")],
            fast(),
            on_result=on_result,
            on_throttle=on_throttle,
        )
    )
    assert [r.verdict for r in results] == [Verdict.OK, Verdict.OK]
    assert results[0].attempts == 2
    assert heard == [("127.0.0.2", 2.0)]  # the calm host never throttled
    assert 1.5 < seen_waiting[0]["127.0.0.2"] <= 2.0
    assert board.waiting() == {}  # the pause is over once the retry succeeded


def test_plain_answers_report_no_throttle(pool: ServerPool) -> None:
    site = pool.host("127.0.0.2").route("/", Reply(200, body=html_page("Fine")))
    site.route("/gone", Reply(404))
    heard: list[tuple[str, float]] = []
    results = asyncio.run(
        fetch_all(
            [site.url("/"), site.url("/gone")],
            fast(host_interval=0.2),
            on_throttle=lambda h, s: heard.append((h, s)),
        )
    )
    assert [r.verdict for r in results] == [Verdict.OK, Verdict.BROKEN]
    assert heard == []  # the normal interval between requests is not a throttle
