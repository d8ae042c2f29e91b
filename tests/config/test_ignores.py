"""Inline ignore markers, ``.linkhealthignore`` and ``--changed-since`` (real git repos)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from linkhealth.cli import cli
from linkhealth.config import Settings
from linkhealth.errors import ConfigError
from linkhealth.inputs import UrlIgnore, extract_paths
from linkhealth.parse import extract_text
from linkhealth.parse.ignore_markers import ignored_lines
from support.gitrepo import git

SEED = Path(__file__).resolve().parents[2] / "lists" / "reading-list.md"


def urls(text: str) -> list[str]:
    return [o.url for o in extract_text(text, "x.md").occurrences]


def test_next_line_marker_skips_only_the_next_line() -> None:
    text = (
        "- https://a.example/\n"
        "<!-- linkhealth-ignore-next-line -->\n"
        "- https://b.example/\n"
        "- https://c.example/\n"
    )
    assert urls(text) == ["https://a.example/", "https://c.example/"]


def test_start_end_block_skips_links_and_findings() -> None:
    text = (
        "- https://a.example/\n"
        "<!-- linkhealth-ignore-start -->\n"
        "- https://b.example/\n"
        "- [typo](htps://typo.example/)\n"
        "- https://exa mple.com/x\n"
        "<!-- linkhealth-ignore-end -->\n"
        "- https://c.example/\n"
    )
    result = extract_text(text, "x.md")
    assert [o.url for o in result.occurrences] == ["https://a.example/", "https://c.example/"]
    assert result.findings == []
    # Without the markers the same lines produce findings: the markers did the work.
    plain = extract_text(text.replace("linkhealth-ignore", "other"), "x.md")
    assert {f.rule for f in plain.findings} >= {"scheme-typo"}


def test_unclosed_start_ignores_to_the_end() -> None:
    assert ignored_lines("a\n<!-- linkhealth-ignore-start -->\nb\nc") == {2, 3, 4}


def test_ignored_duplicate_is_not_a_duplicate() -> None:
    text = "- https://a.example/\n<!-- linkhealth-ignore-next-line -->\n- https://a.example/\n"
    assert [f.rule for f in extract_text(text, "x.md").findings] == []


def test_marker_inside_a_whole_comment_file_keeps_the_draft_parsed() -> None:
    seed = SEED.read_text(encoding="utf-8")
    base = extract_text(seed, "r.md")
    typo = next(f for f in base.findings if f.rule == "url-whitespace")
    lines = seed.split("\n")
    # Put a marker right above the typo line (line numbers shift by one after it).
    lines.insert(typo.line - 1, "<!-- linkhealth-ignore-next-line -->")
    marked = extract_text("\n".join(lines), "r.md")
    assert all(o.in_comment for o in marked.occurrences)
    assert len(marked.occurrences) == len(base.occurrences) - sum(
        1 for o in base.occurrences if o.line == typo.line
    )
    assert not any(f.rule == "url-whitespace" for f in marked.findings)


def test_url_ignore_patterns() -> None:
    ignore = UrlIgnore.parse(
        ["# comment", "", "https://private.example/*", "re:^https?://(www\\.)?x\\.com/"]
    )
    assert ignore.matches("https://private.example/a/b")
    assert not ignore.matches("https://public.example/a")
    assert ignore.matches("http://www.x.com/status/1")
    assert not ignore.matches("https://nox.com/")
    with pytest.raises(ConfigError, match=r":1: invalid regular expression"):
        UrlIgnore.parse(["re:("])


def test_linkhealthignore_excludes_in_check_and_silences_duplicates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".linkhealthignore").write_text("# no network\nhttps://ignored.invalid/*\n")
    (tmp_path / "l.md").write_text(
        "- https://ignored.invalid/a\n- https://ignored.invalid/a\n"
        "- mailto:x@example.com\n- mailto:x@example.com\n"
    )
    monkeypatch.chdir(tmp_path)
    lint = CliRunner().invoke(cli, ["lint", "l.md", "--format", "json"])
    rules = [(f["line"], f["rule"]) for f in json.loads(lint.output)]
    assert rules == [(3, "duplicate-url"), (4, "duplicate-url")]
    run = CliRunner().invoke(
        cli, ["check", "l.md", "--format", "json", "--no-reports", "--store", "s.sqlite"]
    )
    assert run.exit_code == 0, run.output
    data = json.loads(run.output)
    verdicts = {r["url"]: (r["verdict"], r["detail"]) for r in data["results"]}
    assert verdicts["https://ignored.invalid/a"] == (
        "excluded",
        "matched a pattern in .linkhealthignore",
    )


# ---------------------------------------------------------------- --changed-since


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "a.md").write_text(
        "# A\n\n- https://old.example/1\n- https://old.example/2\n- https://old.example/3\n"
    )
    (lists / "b.md").write_text("- https://b.example/\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    git(tmp_path, "tag", "base")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_changed_since_keeps_changed_and_untracked_lines(repo: Path) -> None:
    a = repo / "lists" / "a.md"
    a.write_text(
        "# A\n\n- https://old.example/1\n- htps://new.example/typo\n"
        "- https://old.example/3\n- https://new.example/added\n"
    )
    (repo / "lists" / "c.md").write_text("- https://untracked.example/\n")
    settings = Settings(changed_since="base")
    result = extract_paths(["lists"], settings)
    assert sorted(o.url for o in result.occurrences) == [
        "https://new.example/added",
        "https://untracked.example/",
    ]
    assert [(f.line, f.rule) for f in result.findings] == [(4, "scheme-typo")]
    # Without the option every link is there.
    assert len(extract_paths(["lists"], Settings()).occurrences) == 5


def test_lint_changed_since_on_the_command_line(repo: Path) -> None:
    (repo / "lists" / "b.md").write_text("- https://b.example/\n- htps://typo.example/\n")
    (repo / "lists" / "a.md").write_text(
        (repo / "lists" / "a.md").read_text() + "- https://old.example/1\n"
    )
    git(repo, "commit", "-qam", "change")
    full = CliRunner().invoke(cli, ["lint", "lists", "--format", "json"])
    assert {f["rule"] for f in json.loads(full.output)} == {"scheme-typo", "duplicate-url"}
    head = CliRunner().invoke(cli, ["lint", "lists", "--format", "json", "--changed-since", "HEAD"])
    assert head.exit_code == 0
    assert json.loads(head.output) == []
    since = CliRunner().invoke(
        cli, ["lint", "lists", "--format", "json", "--changed-since", "base"]
    )
    assert since.exit_code == 1
    found = sorted((f["file"], f["line"], f["rule"]) for f in json.loads(since.output))
    assert found == [("lists/a.md", 6, "duplicate-url"), ("lists/b.md", 2, "scheme-typo")]


@pytest.mark.parametrize("command", ["lint", "check"])
def test_unknown_ref_is_a_usage_error(repo: Path, command: str) -> None:
    extra = ["--store", "s.sqlite", "--no-reports"] if command == "check" else []
    result = CliRunner().invoke(
        cli, [command, "lists", "--changed-since", "no-such-branch", *extra]
    )
    assert result.exit_code == 2
    assert "unknown git revision 'no-such-branch'" in result.output
    assert "Traceback" not in result.output


def test_changed_since_outside_git_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "l.md").write_text("- https://a.example/\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    result = CliRunner().invoke(cli, ["lint", "l.md", "--changed-since", "HEAD"])
    assert result.exit_code == 2
    assert "not inside a git repository" in result.output


def test_an_unclosed_ignore_start_is_a_warning_not_silence() -> None:
    from linkhealth.parse import extract_text

    text = (
        "- http://a.example/x\n<!-- linkhealth-ignore-start -->\n"
        "- http://b.example/y\n- http://c.example/z\n"
    )
    result = extract_text(text, "l.md")
    assert [o.url for o in result.occurrences] == ["http://a.example/x"]
    (warning,) = result.findings
    assert (warning.rule, warning.line, warning.severity.value) == ("unclosed-ignore", 2, "warning")
    assert "2 link(s)" in warning.message
    closed = text + "<!-- linkhealth-ignore-end -->\n"
    assert extract_text(closed, "l.md").findings == []


def test_parse_diff_follows_hunk_counts_not_prefixes(tmp_path: Path) -> None:
    """Content lines are counted off each hunk header; only then is a ``+++`` a header."""
    from linkhealth.inputs.gitchanges import parse_diff

    diff = (
        "diff --git a/l.md b/l.md\n--- a/l.md\n+++ b/l.md\n"
        "@@ -2,0 +3,2 @@\n+++ b/decoy.md\n+@@ -1 +99,5 @@\n"
        "@@ -9 +11 @@\n--- a/x\n+last\n\\ No newline at end of file\n"
        "diff --git a/m.md b/m.md\n--- a/m.md\n+++ b/m.md\n@@ -0,0 +1 @@\n+new\n"
    )
    assert parse_diff(diff, tmp_path) == {
        (tmp_path / "l.md").resolve(): {3, 4, 11},
        (tmp_path / "m.md").resolve(): {1},
    }
