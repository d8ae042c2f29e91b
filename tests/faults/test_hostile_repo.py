"""Issue 20: what a pull request can commit (symlinks, odd names, special files, odd
hosts) run through the real CLI, as the nightly job would run it."""

from __future__ import annotations

import json
from pathlib import Path

from faults.faultkit import run_cli


def test_a_host_with_a_bad_punycode_label_is_invalid_and_linted(tmp_path: Path) -> None:
    """``xn--127-0`` is no A-label: the HTTP client raised IDNAError (an ``error``) and
    lint said nothing. It is a malformed link: ``invalid`` in check, a finding in lint."""
    (tmp_path / "l.md").write_text("- http://xn--127-0.0.0.1/\n", encoding="utf-8")
    ran = run_cli("check", "l.md", "--no-reports", "--store", "s.sqlite", "--format", "json",
                  "--retries", "0", cwd=tmp_path)  # fmt: skip
    assert ran.code == 1, ran.stderr
    verdicts = {r["url"]: r for r in json.loads(ran.stdout)["results"]}
    bad = verdicts["http://xn--127-0.0.0.1/"]
    assert bad["verdict"] == "invalid" and "xn--127-0" in bad["detail"], bad
    assert bad["attempts"] == 0
    # lint flags it, and not the well-formed IDN beside it
    (tmp_path / "l.md").write_text(
        "- http://xn--127-0.0.0.1/\n- https://xn--bcher-kva.example/\n", encoding="utf-8"
    )
    lint = run_cli("lint", "l.md", cwd=tmp_path)
    assert lint.code == 1
    assert "l.md:1:3 invalid-host" in lint.stdout and "bcher" not in lint.stdout, lint.stdout
