"""Signals as CI runners send them, against a slow loopback server: SIGINT, then SIGTERM
7.5 s later, then SIGKILL 2.5 s after that. The run must stop within 5 s of the SIGINT
with exit 3, keep what it finished (store), and write reports marked ``partial``; a
second SIGINT ends it at once; a SIGKILL loses at most the batch in flight."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from faults.faultkit import DEADLINE, child_env, cli_argv, integrity_ok, rows, run_cli
from linkhealth.pipeline import BATCH_SIZE
from support.servers import Reply, ServerPool, html_page

URLS = 60
DELAY = 1.5  # seconds per answer


@pytest.fixture
def slow_list(tmp_path: Path) -> Iterator[Path]:
    with ServerPool(lifetime=DEADLINE) as pool:
        host = pool.host("127.0.0.1")
        for n in range(URLS):
            host.route(f"/slow/{n}", Reply(200, body=html_page(f"Slow {n}"), delay=DELAY))
        lines = [f"- {host.url(f'/slow/{n}')}" for n in range(URLS)]
        (tmp_path / "list.md").write_text("\n".join(lines) + "\n")
        yield tmp_path


class Run:
    """``linkhealth check --verbose`` in its own process; stderr lines counted as they come."""

    def __init__(self, cwd: Path, *extra: str) -> None:
        self.proc = subprocess.Popen(
            cli_argv(
                "check", "list.md", "--allow-private", "--store", "s.sqlite", "--verbose",
                "--host-concurrency", "4", "--max-age", "0", "--format", "json", *extra,
            ),
            cwd=cwd,
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        self.lines: list[str] = []
        self.out = b""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._out_reader = threading.Thread(target=self._read_out, daemon=True)
        self._out_reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            self.lines.append(raw.decode("utf-8", "replace"))

    def _read_out(self) -> None:
        assert self.proc.stdout is not None
        self.out = self.proc.stdout.read()

    def checked(self) -> int:
        return sum(1 for line in self.lines if line.startswith("["))

    def wait_for(self, results: int) -> None:
        end = time.monotonic() + DEADLINE
        while self.checked() < results:
            assert self.proc.poll() is None, "".join(self.lines)
            assert time.monotonic() < end
            time.sleep(0.05)

    def finish(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(DEADLINE)
            self._reader.join(DEADLINE)
            self._out_reader.join(DEADLINE)
            for pipe in (self.proc.stdout, self.proc.stderr):
                if pipe is not None:
                    pipe.close()

    @property
    def stderr(self) -> str:
        return "".join(self.lines)


@pytest.mark.slow
def test_sigint_then_sigterm_then_sigkill_as_ci_cancels(slow_list: Path) -> None:
    run = Run(slow_list)
    run.wait_for(8)
    done_before = run.checked()
    sent = time.monotonic()
    run.proc.send_signal(signal.SIGINT)
    ended_at: list[float] = []

    def escalate() -> None:
        # What a CI runner does if the process is still there.
        for delay, sig in ((7.5, signal.SIGTERM), (2.5, signal.SIGKILL)):
            time.sleep(delay)
            if run.proc.poll() is not None:
                return
            run.proc.send_signal(sig)

    threading.Thread(target=escalate, daemon=True).start()
    code = run.finish(timeout=DEADLINE)
    ended_at.append(time.monotonic())
    assert ended_at[0] - sent < 5.0, ended_at[0] - sent
    assert code == 3, run.stderr
    assert "Traceback" not in run.stderr
    assert "interrupted" in run.stderr

    report = json.loads(run.out)
    assert report["partial"] is True
    finished = [r for r in report["results"] if r["verdict"] == "ok"]
    assert len(finished) >= done_before
    skipped = [r for r in report["results"] if r["verdict"] == "skipped"]
    assert len(finished) + len(skipped) == URLS and skipped
    for name in ("broken-links.md", "enrichment.md", "results.json"):
        assert (slow_list / "reports" / name).exists()
    written = json.loads((slow_list / "reports" / "results.json").read_text())
    assert written["partial"] is True
    assert "partial" in (slow_list / "reports" / "broken-links.md").read_text().lower()

    store = slow_list / "s.sqlite"
    assert integrity_ok(store)
    stored_ok = rows(store, "SELECT COUNT(*) FROM results WHERE verdict = 'ok'")[0][0]
    assert stored_ok >= done_before  # finished results were kept
    assert rows(store, "SELECT partial FROM runs ORDER BY id DESC LIMIT 1")[0][0] in (1, True)

    # The next run reuses what the interrupted one finished.
    again = run_cli(
        "check", "list.md", "--allow-private", "--store", "s.sqlite", "--no-reports",
        "--format", "json", "--url-deadline", "0.2", "--retries", "0",
        cwd=slow_list,
    )  # fmt: skip
    cached = [r for r in json.loads(again.stdout)["results"] if r["from_cache"]]
    assert len(cached) >= done_before


def test_second_sigint_exits_at_once(slow_list: Path) -> None:
    run = Run(slow_list)
    run.wait_for(2)
    sent = time.monotonic()
    run.proc.send_signal(signal.SIGINT)
    run.proc.send_signal(signal.SIGINT)
    code = run.finish(timeout=DEADLINE)
    assert time.monotonic() - sent < 2.0
    # Either the second signal ended it (130) or the graceful stop had already finished.
    assert code in (130, 3), run.stderr
    assert "Traceback" not in run.stderr
    assert integrity_ok(slow_list / "s.sqlite")


@pytest.mark.slow
def test_sigkill_mid_run_loses_at_most_one_batch(slow_list: Path) -> None:
    run = Run(slow_list, "--host-concurrency", "8")
    run.wait_for(20)
    time.sleep(1.2)  # let the batcher's timer flush what finished before this point
    done_before = run.checked()
    os.kill(run.proc.pid, signal.SIGKILL)
    run.finish(timeout=DEADLINE)
    store = slow_list / "s.sqlite"
    assert integrity_ok(store)
    stored = rows(store, "SELECT COUNT(*) FROM results")[0][0]
    assert stored >= done_before - BATCH_SIZE
    assert stored >= 1
    # The next run opens the same store (no "moved aside") and completes. Every link it
    # still fetches is asked at once (each answer takes DELAY): 4 a host took ten waves.
    again = run_cli(
        "check", "list.md", "--allow-private", "--store", "s.sqlite", "--no-reports",
        "--format", "json", "--host-concurrency", str(URLS), "--host-interval", "0",
        cwd=slow_list, timeout=DEADLINE,
    )  # fmt: skip
    assert again.code == 0, again.stderr
    assert "moved aside" not in again.stderr
    assert integrity_ok(store)
    assert sum(r["from_cache"] for r in json.loads(again.stdout)["results"]) >= 1
