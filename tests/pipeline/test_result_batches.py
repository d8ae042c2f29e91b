"""fetch_until_stopped hands the fetcher's results over a few at a time (pipeline.fetching
._Batched): every one, in the fetcher's order, by the time it returns, whatever ends the
fetch; a full batch, an old one or a heavy one goes at once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import pytest

from linkhealth.config import Settings
from linkhealth.fetch import FetchResult, OnThrottle
from linkhealth.fetch.engine import OnUnrequested
from linkhealth.fetch.probe import LookupProbe
from linkhealth.models import Verdict
from linkhealth.pipeline import fetching
from linkhealth.pipeline.fetching import RESULT_BATCH, RESULT_BYTES, fetch_until_stopped


def result(url: str, body: bytes = b"") -> FetchResult:
    return FetchResult(url=url, verdict=Verdict.OK, http_status=200, attempts=1, body=body)


class Script:
    """A fetcher that reports what ``steps`` say, a loop turn between steps: a result
    (``("r", url)``), a host's URLs ended unrequested (``("u", [urls])``), a look at what
    the run heard so far (``("look", None)``, noted in ``seen``), a sleep of that many
    seconds (``("sleep", s)``), that many seconds with the loop held (``("hold", s)``), or
    a wait for ``gate``."""

    def __init__(self, steps: list[tuple[str, Any]], heard: list[str]) -> None:
        self.steps = steps
        self.heard = heard
        self.seen: list[list[str]] = []
        self.gate = asyncio.Event()

    async def __call__(
        self,
        urls: Sequence[str],
        settings: Settings,
        *,
        on_result: Callable[[FetchResult], None] | None = None,
        validators: Mapping[str, tuple[str | None, str | None]] | None = None,
        on_throttle: OnThrottle | None = None,
        full_body: Collection[str] | None = None,
        hosts: Mapping[str, str] | None = None,
        ahead: LookupProbe | None = None,
        hung_before: Collection[str] | None = None,
        on_unrequested: OnUnrequested | None = None,
    ) -> list[FetchResult]:
        assert on_result is not None
        for kind, what in self.steps:
            await asyncio.sleep(0)
            if kind == "r":
                on_result(result(*what) if isinstance(what, tuple) else result(what))
            elif kind == "u":
                assert on_unrequested is not None
                on_unrequested(result(what[0]), what)
            elif kind == "look":
                self.seen.append(list(self.heard))
            elif kind == "sleep":
                await asyncio.sleep(what)
            elif kind == "hold":
                time.sleep(what)
            else:
                await self.gate.wait()
        return []


def run(
    steps: list[tuple[str, Any]], *, stop_after: int | None = None, bulk: bool = True
) -> tuple[list[str], Script, bool]:
    heard: list[str] = []
    script = Script(steps, heard)

    def on_unrequested(first: FetchResult, urls: Sequence[str]) -> None:
        heard.extend(f"u:{url}" for url in urls)

    async def main() -> bool:
        stop = asyncio.Event() if stop_after is not None else None
        task = asyncio.ensure_future(
            fetch_until_stopped(
                ["x"],
                Settings(),
                lambda item: heard.append(item.url),
                {},
                stop,
                script,
                on_unrequested=on_unrequested if bulk else None,
            )
        )
        if stop is not None:
            for _ in range(stop_after or 0):
                await asyncio.sleep(0)
            stop.set()
        return await task

    finished = asyncio.run(main())
    return heard, script, finished


def test_every_result_is_heard_in_the_fetchers_order_when_it_ends() -> None:
    urls = [f"u{i}" for i in range(RESULT_BATCH + 5)]
    steps: list[tuple[str, Any]] = [("r", u) for u in urls[:3]]
    steps += [("u", ["a", "b"])] + [("r", u) for u in urls[3:]]
    heard, _, finished = run(steps)
    assert finished
    assert heard == [*urls[:3], "u:a", "u:b", *urls[3:]]


def test_a_full_batch_is_heard_during_the_fetch_and_a_short_one_at_its_end() -> None:
    urls = [f"u{i}" for i in range(RESULT_BATCH + 1)]
    steps: list[tuple[str, Any]] = [("r", u) for u in urls[: RESULT_BATCH - 1]] + [("look", None)]
    steps += [("r", urls[RESULT_BATCH - 1]), ("look", None), ("r", urls[-1]), ("look", None)]
    heard, script, _ = run(steps)
    assert script.seen == [[], urls[:RESULT_BATCH], urls[:RESULT_BATCH]]
    assert heard == urls


def test_results_before_a_stop_are_heard_and_the_rest_never_come() -> None:
    steps: list[tuple[str, Any]] = [("r", "a"), ("r", "b"), ("wait", None), ("r", "c")]
    heard, _, finished = run(steps, stop_after=10)
    assert not finished
    assert heard == ["a", "b"]


def test_unrequested_urls_wait_for_the_results_before_them() -> None:
    heard, script, _ = run([("r", "a"), ("u", ["b"]), ("look", None)])
    assert script.seen == [["a", "u:b"]]
    assert heard == ["a", "u:b"]


def test_heavy_bodies_go_at_once() -> None:
    big = b"x" * (RESULT_BYTES // 2)
    steps: list[tuple[str, Any]] = [("r", ("a", big)), ("look", None)]
    steps += [("r", ("b", big)), ("look", None)]
    _, script, _ = run(steps)
    assert script.seen == [[], ["a", "b"]]


def test_a_batch_goes_once_its_first_result_has_waited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fetching, "RESULT_WAIT", 0.01)
    steps: list[tuple[str, Any]] = [("r", "a"), ("look", None), ("sleep", 0.05), ("look", None)]
    steps += [("r", "b"), ("r", "c"), ("sleep", 0.05), ("look", None)]
    _, script, _ = run(steps)
    assert script.seen == [[], ["a"], ["a", "b", "c"]]


def test_a_callbacks_error_ends_the_fetch() -> None:
    async def main() -> None:
        def fail(item: FetchResult) -> None:
            raise RuntimeError(f"bad {item.url}")

        script = Script([("r", "a"), ("r", "b")], [])
        await fetch_until_stopped(["x"], Settings(), fail, {}, None, script)

    with pytest.raises(RuntimeError, match="bad a"):
        asyncio.run(main())


def test_a_callbacks_error_in_a_waited_batch_ends_the_fetch_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fetching, "RESULT_WAIT", 0.01)
    heard: list[str] = []

    def fail(item: FetchResult) -> None:
        heard.append(item.url)
        raise RuntimeError(f"bad {item.url}")

    async def main() -> None:
        script = Script([("r", "a"), ("wait", None), ("r", "b")], [])
        await fetch_until_stopped(["x"], Settings(), fail, {}, asyncio.Event(), script)

    with pytest.raises(RuntimeError, match="bad a"):
        asyncio.run(main())
    assert heard == ["a"]  # the fetch waiting for ever was cancelled, nothing after


def test_a_callbacks_error_in_a_waited_batch_as_the_fetch_ends_is_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The loop held past RESULT_WAIT: the fetch's last turn and the late batch's timer run
    # in one loop turn, the fetch ending first (its cancel then cancels nothing). The
    # callback's error is raised all the same, not lost with the results after it.
    monkeypatch.setattr(fetching, "RESULT_WAIT", 0.2)  # (the steps before the hold: us)
    heard: list[str] = []

    def fail(item: FetchResult) -> None:
        heard.append(item.url)
        raise RuntimeError(f"bad {item.url}")

    async def main() -> None:
        script = Script([("r", "a"), ("r", "b"), ("hold", 0.4), ("look", None)], [])
        await fetch_until_stopped(["x"], Settings(), fail, {}, None, script)

    with pytest.raises(RuntimeError, match="bad a"):
        asyncio.run(main())
    assert heard == ["a"]
