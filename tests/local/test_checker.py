"""Unit cases for the local checker: what counts as local, odd paths, caching."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from linkhealth.local import LocalChecker, is_local
from linkhealth.models import ErrorKind, Verdict

IS_LOCAL_CASES = [
    ("docs/setup.md", True),
    ("./setup.md", True),
    ("../x.md", True),
    ("#reading-list", True),
    ("/docs/x", True),
    ("setup.md?plain=1", True),
    ("My Notes.md", True),
    ("%C3%9Cberblick.md", True),
    ("", False),
    ("   ", False),
    ("http://example.com/a.md", False),
    ("HTTPS://example.com", False),
    ("mailto:someone@example.com", False),
    ("javascript:alert(1)", False),
    ("data:text/html,hi", False),
    ("file:///etc/passwd", False),
    ("ftp://example.com/x", False),
    ("//cdn.example.com/x.js", False),
    ("www.example.com/page", False),
    ("someone@example.com", False),
]


@pytest.mark.parametrize(
    ("url", "expected"), IS_LOCAL_CASES, ids=[u or "<empty>" for u, _ in IS_LOCAL_CASES]
)
def test_is_local(url: str, expected: bool) -> None:
    assert is_local(url) is expected


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    (root / "README.md").write_text("# Home\n\n## Usage\n", encoding="utf-8")
    (root / "docs" / "setup.md").write_text("# Setup\n\n## Installing\n", encoding="utf-8")
    return root


def test_not_local_is_skipped(repo: Path) -> None:
    result = LocalChecker(repo).check("https://example.com/", repo / "README.md")
    assert result.verdict is Verdict.SKIPPED


@pytest.mark.parametrize("url", ["docs/%00setup.md", "docs/%FF.md"])
def test_unusable_paths_are_invalid(repo: Path, url: str) -> None:
    result = LocalChecker(repo).check(url, repo / "README.md")
    assert result.verdict is Verdict.INVALID
    assert result.error_kind is ErrorKind.MALFORMED


@pytest.mark.parametrize(
    "url", ["%2e%2e/outside.md", "docs/.%2E/%2e%2e/outside.md", "/..%2Foutside.md"]
)
def test_encoded_dot_segments_cannot_escape(repo: Path, url: str) -> None:
    (repo.parent / "outside.md").write_text("# Outside\n", encoding="utf-8")
    result = LocalChecker(repo).check(url, repo / "README.md")
    assert result.verdict is Verdict.UNSAFE
    assert result.resolved == "../outside.md"


def test_empty_fragment_and_query_only(repo: Path) -> None:
    checker = LocalChecker(repo)
    assert checker.check("docs/setup.md#", repo / "README.md").verdict is Verdict.OK
    assert checker.check("?plain=1", repo / "README.md").verdict is Verdict.OK
    assert checker.check("#usage", repo / "README.md").verdict is Verdict.OK
    assert checker.check("#TOP", repo / "README.md").verdict is Verdict.OK


def test_source_file_relative_to_cwd(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    checker = LocalChecker(Path("."))
    result = checker.check("setup.md#installing", Path("docs/setup.md"))
    assert (result.verdict, result.resolved) == (Verdict.OK, "docs/setup.md#installing")


def test_case_only_file_mismatch_is_suggested(repo: Path) -> None:
    result = LocalChecker(repo).check("docs/Setup.md#installing", repo / "README.md")
    assert result.verdict is Verdict.BROKEN
    assert result.suggestion == "docs/setup.md#installing"


def test_suggested_file_names_are_percent_encoded(repo: Path) -> None:
    (repo / "docs" / "My Notes.md").write_text("# Notes\n", encoding="utf-8")
    result = LocalChecker(repo).check("docs/My%20Note.md", repo / "README.md")
    assert result.suggestion == "docs/My%20Notes.md"


def test_no_suggestion_when_nothing_is_close(repo: Path) -> None:
    checker = LocalChecker(repo)
    result = checker.check("docs/setup.md#zzzzqqqq", repo / "README.md")
    assert (result.verdict, result.suggestion) == (Verdict.BROKEN, None)
    assert checker.check("docs/qqqq.md", repo / "README.md").suggestion is None
    assert checker.check("docs/leak.md", repo / "README.md").suggestion is None


def test_directory_index_symlinked_out_of_the_root_does_not_count(repo: Path) -> None:
    outside = repo.parent / "outside"
    outside.mkdir()
    (outside / "README.md").write_text("# Out\n", encoding="utf-8")
    (repo / "guides").mkdir()
    os.symlink(outside / "README.md", repo / "guides" / "README.md")
    result = LocalChecker(repo).check("guides/#out", repo / "README.md")
    assert result.verdict is Verdict.BROKEN
    assert "directory without" in result.detail


def test_directory_fragment_checks_the_index(repo: Path) -> None:
    (repo / "docs" / "README.md").write_text("# Docs\n\n## Contents\n", encoding="utf-8")
    checker = LocalChecker(repo)
    assert checker.check("docs/#contents", repo / "README.md").verdict is Verdict.OK
    missing = checker.check("docs/#content", repo / "README.md")
    assert (missing.verdict, missing.suggestion) == (Verdict.BROKEN, "docs/#contents")


def test_anchors_api_refuses_files_outside_the_root(repo: Path) -> None:
    checker = LocalChecker(repo)
    assert checker.anchors(repo / "docs" / "setup.md") == ["setup", "installing"]
    outside = repo.parent / "elsewhere.md"
    outside.write_text("# Elsewhere\n", encoding="utf-8")
    with pytest.raises(ValueError, match="outside the repository root"):
        checker.anchors(outside)


def test_non_utf8_target_does_not_crash(repo: Path) -> None:
    (repo / "latin1.md").write_bytes("# Caf\xe9\n\n## Menu\n".encode("latin-1"))
    checker = LocalChecker(repo)
    assert checker.check("latin1.md#menu", repo / "README.md").verdict is Verdict.OK


def test_a_directory_named_like_markdown_is_not_read(repo: Path) -> None:
    (repo / "odd.md").mkdir()
    (repo / "odd.md" / "index.md").write_text("# Inside\n", encoding="utf-8")
    result = LocalChecker(repo).check("odd.md#inside", repo / "README.md")
    assert result.verdict is Verdict.OK


def test_root_named_through_a_symlink(repo: Path) -> None:
    alias = repo.parent / "checkout"
    os.symlink(repo, alias, target_is_directory=True)
    via_alias = LocalChecker(alias)
    # the file named by its real path, the root by the alias — and the other way round
    result = via_alias.check("docs/setup.md#installing", repo / "README.md")
    assert (result.verdict, result.resolved) == (Verdict.OK, "docs/setup.md#installing")
    result = LocalChecker(repo).check("../README.md#usage", alias / "docs" / "setup.md")
    assert (result.verdict, result.resolved) == (Verdict.OK, "README.md#usage")
    escaping = via_alias.check("../../x.md", repo / "docs" / "setup.md")
    assert escaping.verdict is Verdict.UNSAFE
