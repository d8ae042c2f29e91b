"""The CLI's base: help, version, module entry point."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from linkhealth import __version__
from linkhealth.cli import cli


def test_version_flag() -> None:
    result = CliRunner().invoke(cli, ["--version"], catch_exceptions=False)
    assert result.exit_code == 0
    assert __version__ in result.output


def test_short_help_flag() -> None:
    result = CliRunner().invoke(cli, ["-h"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_python_dash_m() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "linkhealth", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "linkhealth" in proc.stdout


def test_a_check_runs_with_fewer_young_collections_and_puts_them_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``check`` raises the cyclic GC's first threshold while the run lasts (a run keeps
    what it allocates: the collector's passes were ~0.3 s of a 5,000-link check) and
    restores it after, also when the run fails."""
    import linkhealth.pipeline as pipeline
    from linkhealth.cli.check import RUN_GC_THRESHOLD

    (tmp_path / "list.md").write_text("- [a](https://a.example/)\n")
    seen: list[tuple[int, int, int]] = []

    async def fake_run_check(*args: object, **kwargs: object) -> object:
        seen.append(gc.get_threshold())
        raise RuntimeError("stop here")

    monkeypatch.setattr(pipeline, "run_check", fake_run_check)
    before = gc.get_threshold()
    ran = CliRunner().invoke(
        cli, ["check", str(tmp_path / "list.md"), "--no-reports", "--store", str(tmp_path / "s")]
    )
    assert isinstance(ran.exception, RuntimeError)
    assert seen == [(max(before[0], RUN_GC_THRESHOLD), *before[1:])]
    assert gc.get_threshold() == before
