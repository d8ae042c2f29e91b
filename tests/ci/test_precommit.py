"""`.pre-commit-hooks.yaml`: the hook's entry, called as pre-commit calls it (entry + staged
Markdown file names), lints offline and fails on a typo."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_pre_commit_hook_runs_lint_on_the_given_files(tmp_path: Path) -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "linkhealth-lint")
    assert hook["language"] == "python" and hook["types"] == ["markdown"]
    entry = shlex.split(hook["entry"])
    assert entry == ["linkhealth", "lint"]
    good = tmp_path / "good.md"
    good.write_text("- [ok](https://example.com/)\n")
    bad = tmp_path / "bad.md"
    bad.write_text("- [typo](htps://example.com/)\n")
    command = [str(BIN / entry[0]), *entry[1:]]
    ok = subprocess.run([*command, "good.md"], cwd=tmp_path, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    fail = subprocess.run(
        [*command, "good.md", "bad.md"], cwd=tmp_path, capture_output=True, text=True
    )
    assert fail.returncode == 1
    assert "bad.md:1:10 scheme-typo" in fail.stdout
