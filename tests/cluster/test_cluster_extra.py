"""Without the ``cluster`` extra, --workers/--cluster is a usage error naming the extra."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# Runs the CLI in a child interpreter where ``distributed`` cannot be imported, as after
# ``pip install linkhealth`` without ``[cluster]``.
CHILD = """
import sys
sys.modules["distributed"] = None
from linkhealth.cli import main
sys.argv = ["linkhealth", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("flag", [["--workers", "2"], ["--cluster", "tcp://127.0.0.1:9"]])
def test_cluster_flags_without_the_extra_are_a_usage_error(tmp_path: Path, flag: list[str]) -> None:
    listing = tmp_path / "list.md"
    listing.write_text("- <http://127.0.0.1:9/x>\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, "check", *flag, "--no-reports", "-q", str(listing)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stderr
    assert "pip install 'linkhealth[cluster]'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "reports").exists()
