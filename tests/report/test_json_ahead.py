"""The JSON report's results written by a forked child (report.ahead): the parent writes
exactly the text it would have made, from the child's file when the child wrote that of
these very results, else by itself (the child failed, stalled, or the results differ)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from linkhealth import procs
from linkhealth.models import (
    CheckResult,
    ErrorKind,
    LinkKind,
    Occurrence,
    RunReport,
    Summary,
    ToolInfo,
    Verdict,
)
from linkhealth.report import ahead, jsonfmt

AT = datetime(2026, 12, 2, 7, 30, 1, 250000, tzinfo=UTC)
DETAIL = "not judged (network outage): cannot connect: not requested"


def results(count: int) -> list[CheckResult]:
    """An outage's never-requested results, a hostile one among them (written by
    pydantic, not from the shape), sharing their fields' objects as the run's do."""
    made = []
    for i in range(count):
        text = f"link {i}" if i != 7 else "\u202egnp.exe ##[error] \U0001f389 \x7f"
        url = f"http://h{i % 5}.example.test/p{i}" if i != 9 else "http://u:tok@h.test/\x7f"
        occ = Occurrence(
            url=url,
            file="lists/a.md",
            line=i + 1,
            column=3,
            end_line=i + 1,
            end_column=40,
            text=text,
            kind=LinkKind.INLINE,
            section="Section \u200b0",
        )
        made.append(
            CheckResult(
                url=url,
                verdict=Verdict.SKIPPED,
                detail=DETAIL,
                error_kind=ErrorKind.CONNECT,
                checked_at=AT,
                occurrences=[occ],
            )
        )
    return made


def report_of(items: list[CheckResult]) -> RunReport:
    return RunReport(
        tool=ToolInfo(version="0"),
        run_id=1,
        started_at=AT,
        finished_at=AT,
        partial=True,
        network="outage",
        summary=Summary(
            urls=len(items), occurrences=len(items), by_verdict={"skipped": len(items)}, failing=0
        ),
        results=items,
    )


@pytest.fixture
def idle_core(monkeypatch: pytest.MonkeyPatch) -> None:
    """A second core free, and any number of results worth a child."""
    monkeypatch.setattr(procs, "free_core", lambda: True)
    monkeypatch.setattr(ahead, "MIN_RESULTS", 0)


@pytest.mark.usefixtures("idle_core")
def test_the_childs_text_is_the_report_the_parent_writes() -> None:
    items = results(600)  # more than a batch of the writer: pieces of several batches
    report = report_of(items)  # a copy of the list, the very same results
    assert report.results is not items
    child = ahead.start(items, jsonfmt.result_pieces, jsonfmt.BETWEEN_PARTS)
    assert child is not None
    pieces = child.pieces(report.results)
    assert pieces is not None  # the child's text is used
    assert "".join(pieces) == "".join(jsonfmt.result_pieces(items))
    child = ahead.start(items, jsonfmt.result_pieces, jsonfmt.BETWEEN_PARTS)
    assert child is not None
    assert "".join(jsonfmt.chunks(report, child)) == jsonfmt.render(report)
    assert child.pids == [] and all(part.file is None for part in child.parts)  # reaped


@pytest.mark.usefixtures("idle_core")
def test_other_results_are_written_by_the_parent_and_the_child_ended() -> None:
    items = results(40)
    child = ahead.start(items, jsonfmt.result_pieces, jsonfmt.BETWEEN_PARTS)
    assert child is not None
    pids = child.pids
    assert len(pids) == 2  # a part each
    other = [*items[:-1], results(40)[-1]]  # equal, but not the very same result
    assert child.pieces(other) is None
    assert child.failure is None  # not the child's: nothing to say
    assert child.pids == []
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reaped: no zombie left
    report = report_of(items[:39])  # fewer results
    child = ahead.start(items, jsonfmt.result_pieces, jsonfmt.BETWEEN_PARTS)
    assert "".join(jsonfmt.chunks(report, child)) == jsonfmt.render(report)


def failing(items: Sequence[CheckResult]) -> Iterator[str]:
    yield "x" * 10
    raise RuntimeError("the child's own trouble")


def killed(items: Sequence[CheckResult]) -> Iterator[str]:
    yield "x" * (3 << 20)  # written before it dies
    os.kill(os.getpid(), signal.SIGKILL)
    yield "never"


def stuck(items: Sequence[CheckResult]) -> Iterator[str]:
    yield "x" * (3 << 20)
    time.sleep(3600)
    yield "never"


def handlers(items: Sequence[CheckResult]) -> Iterator[str]:
    """What the child's signal handling is while it writes (its text, read back)."""
    wakeup = signal.set_wakeup_fd(-1)
    yield repr(
        (
            signal.getsignal(signal.SIGINT) is signal.SIG_DFL,
            signal.getsignal(signal.SIGTERM) is signal.SIG_DFL,
            wakeup,
        )
    )


@pytest.mark.usefixtures("idle_core")
def test_the_child_keeps_none_of_the_parents_signal_handlers() -> None:
    """review11 R8: a signal sent to the child alone ends it, never runs the parent's
    handlers (asyncio's would write to the parent loop's wakeup socket, shared after the
    fork: the child's Ctrl-C read as the parent's)."""

    async def main() -> str | None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, lambda: None)  # a wakeup fd, as a run has
        try:
            items = results(3)
            child = ahead.start(items, handlers, "")
            assert child is not None
            pieces = child.pieces(items)
            return None if pieces is None else "".join(pieces)
        finally:
            loop.remove_signal_handler(signal.SIGTERM)

    assert asyncio.run(main()) == repr((True, True, -1)) * ahead.PARTS  # each child's


@pytest.mark.usefixtures("idle_core")
@pytest.mark.parametrize(
    ("write", "why"),
    [
        (failing, "exited with status 1"),
        (killed, "was killed by signal 9"),
        (stuck, "wrote nothing more for 0.3 s (ended)"),
    ],
)
@pytest.mark.timeout(60)  # a parent that never gives a stalled child up fails, not hangs
def test_a_child_that_fails_or_stalls_leaves_the_text_to_the_parent(
    write: object, why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ahead, "STALL_SECONDS", 0.3)
    items = results(30)
    report = report_of(items)
    child = ahead.start(items, write, "")  # type: ignore[arg-type]
    assert child is not None
    pids = child.pids
    assert child.pieces(report.results) is None
    assert child.failure == why
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
    child = ahead.start(items, write, "")  # type: ignore[arg-type]
    assert "".join(jsonfmt.chunks(report, child)) == jsonfmt.render(report)


@pytest.mark.usefixtures("idle_core")
def test_a_text_shorter_than_the_child_said_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    items = results(30)
    child = ahead.start(items, jsonfmt.result_pieces, jsonfmt.BETWEEN_PARTS)
    assert child is not None
    real = os.fstat
    # the file as if cut short after the child said its length
    monkeypatch.setattr(
        ahead.os, "fstat", lambda fd: os.stat_result((*real(fd)[:6], 1, *real(fd)[7:]))
    )
    assert child.pieces(report_of(items).results) is None
    assert child.failure is not None and child.failure.startswith("wrote 1 bytes of the ")


@pytest.mark.usefixtures("idle_core")
def test_closed_unread_the_child_is_ended() -> None:
    child = ahead.start(results(30), stuck, "")
    assert child is not None
    pids = child.pids
    child.close()
    child.close()  # again: nothing left to do
    assert child.pieces(results(30)) is None
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def test_no_child_without_an_idle_core_or_for_few_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(procs, "free_core", lambda: False)
    monkeypatch.setattr(ahead, "MIN_RESULTS", 0)
    assert ahead.start(results(30), jsonfmt.result_pieces, jsonfmt.BETWEEN_PARTS) is None
    monkeypatch.setattr(procs, "free_core", lambda: True)
    monkeypatch.setattr(ahead, "MIN_RESULTS", 31)
    assert ahead.start(results(30), jsonfmt.result_pieces, jsonfmt.BETWEEN_PARTS) is None


def test_no_child_without_the_memory_it_may_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """review11 R9: the child copies the pages of every result it reads, up to the
    parent's resident memory: without that much available, the parent writes them."""
    monkeypatch.setattr(procs, "free_core", lambda: True)
    monkeypatch.setattr(ahead, "MIN_RESULTS", 0)
    resident = procs.resident_bytes()
    assert resident > 0
    meminfo = tmp_path / "meminfo"
    monkeypatch.setattr(procs, "MEMINFO", meminfo)
    meminfo.write_text(f"MemTotal: 99999999 kB\nMemAvailable: {resident // 2048} kB\n")
    assert ahead.start(results(30), jsonfmt.result_pieces, jsonfmt.BETWEEN_PARTS) is None
    meminfo.write_text(f"MemAvailable: {4 * resident // 1024} kB\n")
    child = ahead.start(results(30), jsonfmt.result_pieces, jsonfmt.BETWEEN_PARTS)
    assert child is not None
    child.close()


@pytest.mark.usefixtures("idle_core")
@pytest.mark.parametrize(("parts", "cores"), [(1, 4), (2, 2), (3, 4), (3, 2), (4, 8)])
def test_the_parts_texts_joined_are_the_text_the_parent_writes(
    parts: int, cores: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As many children as parts, at most one a core; each writes its part's text, and
    # the parts' texts joined are the whole list's, whatever falls at a part's edge
    # (the hostile results 7 and 9 among a few, shapes cut in two among many).
    monkeypatch.setattr(ahead, "PARTS", parts)
    monkeypatch.setattr(procs, "usable_cores", lambda: cores)
    for count in (10, 17, 600):
        items = results(count)
        child = ahead.start(items, jsonfmt.result_pieces, jsonfmt.BETWEEN_PARTS)
        assert child is not None and len(child.parts) == min(parts, cores)
        pieces = child.pieces(report_of(items).results)
        assert pieces is not None
        assert "".join(pieces) == "".join(jsonfmt.result_pieces(items))


def late_failing(items: Sequence[CheckResult]) -> Iterator[str]:
    """The first part's text as the writer makes it; a later part's child fails."""
    if items[0].url != "http://h0.example.test/p0":
        raise RuntimeError("a later part's trouble")
    yield from jsonfmt.result_pieces(items)


@pytest.mark.usefixtures("idle_core")
def test_a_later_parts_failure_leaves_the_whole_text_to_the_parent() -> None:
    items = results(40)
    report = report_of(items)
    child = ahead.start(items, late_failing, jsonfmt.BETWEEN_PARTS)
    assert child is not None and len(child.parts) == 2
    pids = child.pids
    assert child.pieces(report.results) is None
    assert child.failure == "exited with status 1"
    assert child.pids == [] and all(part.file is None for part in child.parts)
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
    child = ahead.start(items, late_failing, jsonfmt.BETWEEN_PARTS)
    assert "".join(jsonfmt.chunks(report, child)) == jsonfmt.render(report)
