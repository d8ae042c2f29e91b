"""What a person sees: a progress bar and a coloured closing summary on a terminal (a real
pseudo-terminal here), nothing but results when piped or with --quiet, colour off with
NO_COLOR, per-request lines with -v."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.servers import Reply, ServerPool, html_page
from support.terminal import run_on_pty

LINKHEALTH = str(Path(sys.executable).parent / "linkhealth")
COLOUR = re.compile(r"\x1b\[(?:\d+;)*(?:3[0-7]|9[0-7]|38;[25])[;m]")


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[tuple[Path, ServerPool]]:
    with ServerPool(lifetime=60) as pool:
        site = pool.host("127.0.0.2")
        for n in range(6):
            site.route(f"/p{n}", Reply(200, body=html_page(f"Page {n}"), delay=0.25))
        site.route("/gone", Reply(404, body=html_page("Not Found")))
        lines = [f"- {site.url(f'/p{n}')}\n" for n in range(6)] + [f"- {site.url('/gone')}\n"]
        (tmp_path / "l.md").write_text("".join(lines))
        yield tmp_path, pool


ARGS = [
    "check",
    "l.md",
    "--allow-private",
    "--retries",
    "0",
    "--host-concurrency",
    "1",
    "--host-interval",
    "0",
    "--store",
    "s.sqlite",
    "--no-reports",
]


def env(**extra: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    out.update({"TERM": "xterm-256color", "COLUMNS": "120", **extra})
    return out


def run_in_terminal(cwd: Path, args: list[str], **extra: str) -> tuple[int, str]:
    """Run linkhealth with stdin/stdout/stderr on a 120x30 pseudo-terminal."""
    return run_on_pty([LINKHEALTH, *args], cwd=cwd, env=env(**extra))


def test_terminal_shows_progress_and_a_coloured_summary(
    workspace: tuple[Path, ServerPool],
) -> None:
    cwd, _ = workspace
    code, screen = run_in_terminal(cwd, ARGS)
    assert code == 1
    assert "checking" in screen  # the progress bar
    assert re.search(r"\d+/7", screen)  # done/total
    assert re.search(r"\d+\.\d/s", screen)  # rate
    assert re.search(r"7 URLs in 7 places: .*6 ok.*1 broken.*1 failing", screen)
    assert re.search(r"\d+\.\d s, 7 requests, 0 cache hits", screen)
    assert COLOUR.search(screen), "colours expected on a terminal"
    assert "l.md:7:3 broken" in screen  # the clickable file:line:col of the failure


def test_no_color_on_a_terminal(workspace: tuple[Path, ServerPool]) -> None:
    cwd, _ = workspace
    code, screen = run_in_terminal(cwd, [*ARGS, "--max-age", "0"], NO_COLOR="1")
    assert code == 1
    assert "cache hits" in screen
    assert not COLOUR.search(screen)


def test_quiet_on_a_terminal_is_results_only(workspace: tuple[Path, ServerPool]) -> None:
    cwd, _ = workspace
    code, screen = run_in_terminal(cwd, [*ARGS, "--quiet"])
    assert code == 1
    assert "checking" not in screen and "cache hits" not in screen
    assert "l.md:7:3 broken" in screen


def test_piped_output_is_results_only_and_verbose_adds_requests(
    workspace: tuple[Path, ServerPool],
) -> None:
    cwd, pool = workspace
    piped = subprocess.run(
        [LINKHEALTH, *ARGS], cwd=cwd, env=env(), capture_output=True, text=True, timeout=60
    )
    assert piped.returncode == 1
    assert piped.stderr == ""
    assert "\x1b" not in piped.stdout
    assert "l.md:7:3 broken" in piped.stdout
    verbose = subprocess.run(
        [LINKHEALTH, *ARGS, "-v", "--max-age", "0"],
        cwd=cwd,
        env=env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    site = pool.hosts[0]
    request_lines = [line for line in verbose.stderr.splitlines() if line.startswith("[")]
    assert len(request_lines) == 7
    assert any(f"broken 404 {site.url('/gone')}" in line for line in request_lines)
    assert "7 requests, 0 cache hits" in verbose.stderr
    assert "\x1b" not in verbose.stderr
    again = subprocess.run(
        [LINKHEALTH, *ARGS, "-v"], cwd=cwd, env=env(), capture_output=True, text=True, timeout=60
    )
    lines = [line for line in again.stderr.splitlines() if line.startswith("[")]
    # OK results are reused without a request, and -v says so instead of an old timing.
    assert sum(line.endswith(" cached") for line in lines) == 6
    assert any(line.startswith("[") and "/gone" in line and line.endswith("ms") for line in lines)


def test_the_bar_names_a_host_that_is_throttling(tmp_path: Path) -> None:
    with ServerPool(lifetime=60) as pool:
        slow = pool.host("127.0.0.2")
        slow.route("/", [Reply(429, headers={"Retry-After": "3"}), Reply(200, body=html_page())])
        calm = pool.host("127.0.0.3").route("/", Reply(200, body=html_page()))
        (tmp_path / "l.md").write_text(f"- {slow.url('/')}\n- {calm.url('/')}\n")
        args = [*ARGS, "--max-age", "0"]
        args[args.index("--retries") + 1] = "1"
        code, screen = run_in_terminal(tmp_path, args)
    assert code == 0
    assert re.search(r"waiting: 127\.0\.0\.2 [123]s", screen)
    assert not re.search(r"waiting:[^\r\n\x1b]*127\.0\.0\.3", screen)  # it never throttled
    assert re.search(r"2 URLs in 2 places: .*2 ok", screen)
