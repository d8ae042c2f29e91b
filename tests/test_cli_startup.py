"""Start-up stays light: a command imports only what it needs.

``python -X importtime`` lists every module a process imported (on stderr). The
offline commands must not pay for the network stack; ``--version`` and ``--help``
import no command at all. (Speed itself is measured in bench/, not asserted here.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

NETWORK = {"aiohttp", "httpx", "httpx_aiohttp", "tenacity", "selectolax"}
HEAVY = {"rich", "pydantic", "jinja2", "markdown_it", "linkhealth.fetch", "linkhealth.pipeline"}


def _imported(*args: str, cwd: Path) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "linkhealth", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=cwd,
    )
    modules = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            name = line.rsplit("|", 1)[1].strip()
            if name != "package":  # the header line
                modules.add(name)
    return modules, proc


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["lint", "--help"]])
def test_version_and_help_import_no_command(args: list[str], tmp_path: Path) -> None:
    modules, proc = _imported(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "click" in modules  # the importtime listing was read
    assert not (modules & NETWORK), sorted(modules & NETWORK)
    if args != ["lint", "--help"]:
        assert not (modules & HEAVY), sorted(modules & HEAVY)
        assert not any(m.startswith("linkhealth.cli.") for m in modules - {"linkhealth.cli"})


@pytest.mark.parametrize("command", ["lint", "extract"])
def test_offline_commands_do_not_import_the_network_stack(command: str, tmp_path: Path) -> None:
    small = tmp_path / "small.md"
    small.write_text(
        "# Links\n\n- [a](https://example.org/a)\n- https://example.org/b\n- [c](htps://x.org)\n",
        encoding="utf-8",
    )
    modules, proc = _imported(command, str(small), cwd=tmp_path)
    assert "linkhealth.parse" in modules  # it really parsed the file
    assert (proc.returncode, command) in ((1, "lint"), (0, "extract")), proc.stderr[-2000:]
    assert not (modules & NETWORK), sorted(modules & NETWORK)
    assert "rich" not in modules
    assert "markdown_it" not in modules  # markdown-it-py is the fallback, imported on need
    assert not any(m.startswith(("aiohttp.", "httpx.", "linkhealth.fetch")) for m in modules)
