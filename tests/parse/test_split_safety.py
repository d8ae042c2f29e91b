"""The extraction worker runs linkhealth's own code only, never the checked repository's."""

from __future__ import annotations

import subprocess
from pathlib import Path

from linkhealth.parse import split


def test_the_worker_imports_nothing_from_the_current_directory(tmp_path: Path) -> None:
    # A repository being checked may hold a json.py (or any module the worker imports):
    # started with "-c", the worker put the current directory first and ran it.
    marker = tmp_path / "ran"
    (tmp_path / "json.py").write_text(
        f"open({str(marker)!r}, 'w').write('ran')\nraise SystemExit(7)\n", encoding="utf-8"
    )
    done = subprocess.run(
        split._worker_argv(),
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert not marker.exists()
    assert done.returncode == 1  # its own json read an empty header: the parent falls back
