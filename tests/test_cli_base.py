"""The CLI's base: help, version, module entry point."""

from __future__ import annotations

import subprocess
import sys

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
