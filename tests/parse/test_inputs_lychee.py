"""Inputs as a lychee user gives them: '-' (stdin), --files-from, .gitignore/.ignore and
hidden files skipped when a folder is walked (--no-ignore, --hidden to read them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from linkhealth.cli import cli
from linkhealth.inputs.gitignore import parse_rules


def extract(cwd: Path, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["extract", "--format", "json", *args], input=stdin)


def urls(result: Result) -> list[str]:
    assert result.exit_code == 0, result.output
    return [o["url"] for o in json.loads(result.stdout)]


def files(result: Result) -> set[str]:
    assert result.exit_code == 0, result.output
    return {o["file"] for o in json.loads(result.stdout)}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()  # the repository root
    for name in (
        "docs/a.md",
        "docs/build/gen.md",
        "docs/.draft.md",
        "docs/.hidden/x.md",
        "docs/keep/tmp.md",
        "docs/skip.md",
        "notes/n.md",
    ):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"- <https://example.org/{name}>\n")
    (tmp_path / ".gitignore").write_text("build/\n*.md~\n/notes/\n")
    (tmp_path / "docs" / ".ignore").write_text("tmp.md\nskip.md\n!keep/tmp.md\n")
    return tmp_path


def test_walking_honours_ignore_files_and_skips_hidden(repo: Path) -> None:
    assert files(extract(repo, "docs")) == {"docs/a.md", "docs/keep/tmp.md"}
    assert files(extract(repo, ".")) == {"docs/a.md", "docs/keep/tmp.md"}


def test_no_ignore_and_hidden_read_them(repo: Path) -> None:
    got = files(extract(repo, "docs", "--no-ignore"))
    assert got == {"docs/a.md", "docs/build/gen.md", "docs/keep/tmp.md", "docs/skip.md"}
    got = files(extract(repo, "docs", "--hidden"))
    assert got == {"docs/a.md", "docs/keep/tmp.md", "docs/.draft.md", "docs/.hidden/x.md"}


def test_a_named_file_is_read_even_if_ignored(repo: Path) -> None:
    assert files(extract(repo, "docs/build/gen.md", "notes/n.md")) == {
        "docs/build/gen.md",
        "notes/n.md",
    }


@pytest.mark.parametrize(
    ("pattern", "path", "is_dir", "ignored"),
    [
        ("build/", "x/build", True, True),
        ("build/", "x/build", False, False),
        ("/top.md", "top.md", False, True),
        ("/top.md", "sub/top.md", False, False),
        ("a/**/b.md", "a/x/y/b.md", False, True),
        ("a/**/b.md", "a/b.md", False, True),
        ("*.md", "deep/er/file.md", False, True),
        ("f?le.md", "file.md", False, True),
        ("[ab].md", "c.md", False, False),
        ("\\#lit.md", "#lit.md", False, True),
    ],
)
def test_gitignore_rules(pattern: str, path: str, is_dir: bool, ignored: bool) -> None:
    (rule,) = parse_rules(pattern, Path("/r"))
    matched = bool(rule.regex.match(path)) and (is_dir or not rule.dir_only)
    assert matched is ignored


def test_stdin_is_an_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = extract(tmp_path, "-", stdin="# From a pipe\n\n- <https://example.org/piped>\n")
    assert urls(result) == ["https://example.org/piped"]
    assert files(result) == {"<stdin>"}


def test_stdin_not_utf8_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["extract", "-"], input=b"\xff\xfe bad")
    assert result.exit_code == 2 and "not valid UTF-8" in result.output


def test_files_from(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.md").write_text("- <https://example.org/a>\n")
    (tmp_path / "b.md").write_text("- <https://example.org/b>\n")
    (tmp_path / "list.txt").write_text("# inputs\n\na.md\n  b.md  \n")
    assert urls(extract(tmp_path, "--files-from", "list.txt")) == [
        "https://example.org/a",
        "https://example.org/b",
    ]
    piped = extract(tmp_path, "--files-from", "-", stdin="b.md\n")
    assert urls(piped) == ["https://example.org/b"]
    missing = CliRunner().invoke(cli, ["extract", "--files-from", "nope.txt"])
    assert missing.exit_code == 2 and "nope.txt" in missing.output
    twice = CliRunner().invoke(cli, ["extract", "-", "--files-from", "-"], input="x\n")
    assert twice.exit_code == 2 and "only once" in twice.output


def test_check_reads_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        cli, ["check", "-", "--dump"], input="- <https://example.org/x>\n- [l](here.md)\n"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["https://example.org/x", "here.md"]
