"""`lint` checks relative links and anchors too, so the pre-commit hook catches renames."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from linkhealth.cli import cli


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "setup.md").write_text("# Setup\n\n## Install\n", encoding="utf-8")
    (tmp_path / "README.md").write_text(
        "# Top\n\n## Install steps\n\n"
        "- [setup](docs/setup.md#install)\n"
        "- [gone](docs/old.md)\n"
        "- [typo](#install-step)\n"
        "- [fine](#install-steps)\n"
        "- [escape](../outside.md)\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_lint_reports_local_breakage_with_places(repo: Path) -> None:
    result = CliRunner().invoke(cli, ["lint", "README.md", "--format", "json"])
    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)
    by_line = {f["line"]: f for f in findings}
    assert set(by_line) == {6, 7, 9}
    assert by_line[6]["rule"] == "broken-local-link"
    assert by_line[7]["rule"] == "missing-anchor"
    assert by_line[7]["suggestion"].endswith("#install-steps")
    assert by_line[9]["rule"] == "unsafe-local-link"
    assert by_line[6]["column"] == len("- [gone](") + 1


def test_lint_clean_tree_exits_zero(repo: Path) -> None:
    (repo / "README.md").write_text("# Top\n\n- [setup](docs/setup.md#install)\n")
    result = CliRunner().invoke(cli, ["lint", "README.md"])
    assert result.exit_code == 0, result.output
