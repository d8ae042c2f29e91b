"""A command with nothing to report prints nothing on stdout (not even a blank line), so
`linkhealth lint >> file` in a hook or a job summary stays clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

LINKHEALTH = str(Path(sys.executable).parent / "linkhealth")


def test_lint_without_findings_prints_nothing_on_stdout(tmp_path: Path) -> None:
    (tmp_path / "l.md").write_text("# List\n\n- https://example.com/a\n")
    clean = subprocess.run(
        [LINKHEALTH, "lint", "l.md"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert clean.returncode == 0
    assert clean.stdout == ""
    assert "0 error(s), 0 warning(s) in 1 file(s)" in clean.stderr
    (tmp_path / "l.md").write_text("# List\n\n- htps://example.com/a\n")
    dirty = subprocess.run(
        [LINKHEALTH, "lint", "l.md"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert dirty.returncode == 1
    assert dirty.stdout.startswith("l.md:3:3 scheme-typo")
