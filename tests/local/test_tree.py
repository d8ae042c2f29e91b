"""The test repository under ``tests/local/tree/``: files that link to each other.

The tree is copied to ``tmp_path/repo`` and the symlinks are made there at run
time (``docs/leak.md`` and ``linked/`` point outside the copy, ``alias.md``
stays inside), next to decoy files outside the root. Links are extracted from
the tree with markdown-it-py, as written, and must match the table exactly.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from linkhealth.local import LocalChecker, check_occurrences, is_local
from linkhealth.local import checker as checker_module
from linkhealth.models import ErrorKind, LinkKind, Occurrence, Verdict
from linkhealth.parse import extract_text, read_markdown

TREE = Path(__file__).parent / "tree"

OK, BROKEN, UNSAFE = Verdict.OK, Verdict.BROKEN, Verdict.UNSAFE

# (file, url as written) -> (verdict, suggestion, resolved key)
EXPECTED: dict[tuple[str, str], tuple[Verdict, str | None, str]] = {
    ("README.md", "docs/setup.md"): (OK, None, "docs/setup.md"),
    ("README.md", "docs/setup.md#installing"): (OK, None, "docs/setup.md#installing"),
    # renamed heading
    ("README.md", "docs/setup.md#install"): (
        BROKEN,
        "docs/setup.md#installing",
        "docs/setup.md#install",
    ),
    # renamed file
    ("README.md", "docs/getting-started.md"): (
        BROKEN,
        "docs/getting_started.md",
        "docs/getting-started.md",
    ),
    # directory links, with and without an index file
    ("README.md", "docs/"): (OK, None, "docs"),
    ("README.md", "docs"): (OK, None, "docs"),
    ("README.md", "guides/"): (BROKEN, None, "guides"),
    ("README.md", "site/"): (OK, None, "site"),
    # escaping the root
    ("README.md", "../outside.md"): (UNSAFE, None, "../outside.md"),
    ("README.md", "docs/../../../etc/passwd"): (UNSAFE, None, "../../etc/passwd"),
    ("README.md", "/../outside.md"): (UNSAFE, None, "../outside.md"),
    ("README.md", "/docs/setup.md#installing"): (OK, None, "docs/setup.md#installing"),
    # percent-encoded and space-containing paths
    ("README.md", "docs/My%20Notes.md"): (OK, None, "docs/My Notes.md"),
    ("README.md", "docs/My Notes.md"): (OK, None, "docs/My Notes.md"),
    ("README.md", "docs/%C3%9Cberblick.md#%C3%BCberblick"): (
        OK,
        None,
        "docs/Überblick.md#überblick",
    ),
    ("README.md", "docs/Überblick.md#überblick"): (OK, None, "docs/Überblick.md#überblick"),
    # same-file fragments
    ("README.md", "#pinned-note"): (OK, None, "README.md#pinned-note"),
    ("README.md", "#project"): (OK, None, "README.md#project"),
    ("README.md", "#projekt"): (BROKEN, "#project", "README.md#projekt"),
    ("README.md", "#top"): (OK, None, "README.md#top"),
    # a fragment into a non-Markdown file
    ("README.md", "data/table.csv#row=3"): (OK, None, "data/table.csv#row=3"),
    # images
    ("README.md", "img/logo.svg"): (OK, None, "img/logo.svg"),
    ("README.md", "img/logo.png"): (BROKEN, "img/logo.svg", "img/logo.png"),
    ("README.md", "docs/setup.md#faq-1"): (OK, None, "docs/setup.md#faq-1"),
    ("README.md", "docs/setup.md#custom-id"): (OK, None, "docs/setup.md#custom-id"),
    ("README.md", "docs/setup.md#Installing"): (
        BROKEN,
        "docs/setup.md#installing",
        "docs/setup.md#Installing",
    ),
    ("README.md", "docs/setup.md?plain=1#installing"): (OK, None, "docs/setup.md#installing"),
    ("README.md", "nowhere/file.md"): (BROKEN, None, "nowhere/file.md"),
    # symlinks made by the test
    ("README.md", "docs/leak.md#secret"): (UNSAFE, None, "docs/leak.md#secret"),
    ("README.md", "linked/secret.md"): (UNSAFE, None, "linked/secret.md"),
    ("README.md", "alias.md#faq"): (OK, None, "alias.md#faq"),
    # links from other files
    ("docs/setup.md", "../README.md#project"): (OK, None, "README.md#project"),
    ("docs/setup.md", "../"): (OK, None, "."),
    ("docs/setup.md", "getting_started.md"): (OK, None, "docs/getting_started.md"),
    ("docs/setup.md", "./My%20Notes.md#notes"): (OK, None, "docs/My Notes.md#notes"),
    ("docs/setup.md", "../README.md#pinned"): (
        BROKEN,
        "../README.md#pinned-note",
        "README.md#pinned",
    ),
    ("docs/README.md", "setup.md#faq"): (OK, None, "docs/setup.md#faq"),
    ("docs/README.md", "%C3%9Cberblick.md"): (OK, None, "docs/Überblick.md"),
    ("docs/getting_started.md", "setup.md#installing"): (OK, None, "docs/setup.md#installing"),
    ("docs/Überblick.md", "My Notes.md#notes"): (OK, None, "docs/My Notes.md#notes"),
    ("site/index.md", "/docs/"): (OK, None, "docs"),
    ("site/index.md", "/"): (OK, None, "."),
}

NOT_LOCAL = {("README.md", "https://example.com/"), ("README.md", "mailto:someone@example.com")}


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True})
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]  # keep URLs as written
    return md


def extract(root: Path) -> list[Occurrence]:
    """Every link and image in the tree's Markdown files, URL exactly as written."""
    md = _markdown()
    found: list[Occurrence] = []
    for path in sorted(root.rglob("*.md")):
        if path.is_symlink() or not path.resolve().is_relative_to(root.resolve()):
            continue
        tokens = md.parse(path.read_text(encoding="utf-8"))
        for token in tokens:
            for child in token.children or []:
                if child.type == "link_open":
                    url, kind = str(child.attrGet("href")), LinkKind.INLINE
                elif child.type == "image":
                    url, kind = str(child.attrGet("src")), LinkKind.IMAGE
                else:
                    continue
                line = (token.map[0] + 1) if token.map else 1
                found.append(
                    Occurrence(
                        url=url,
                        file=str(path),
                        line=line,
                        column=1,
                        end_line=line,
                        end_column=1 + len(url),
                        kind=kind,
                    )
                )
    return found


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(TREE, root)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("# Secret\n", encoding="utf-8")
    (tmp_path / "outside.md").write_text("# Outside\n", encoding="utf-8")  # decoy
    os.symlink(outside / "secret.md", root / "docs" / "leak.md")
    os.symlink(outside, root / "linked", target_is_directory=True)
    os.symlink(Path("docs") / "setup.md", root / "alias.md")
    return root


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every file the checker opens."""
    paths: list[str] = []
    real_open = open

    def spy(file: str, *args: object, **kwargs: object) -> object:
        paths.append(os.path.realpath(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(checker_module, "open", spy, raising=False)
    return paths


def test_table_lists_exactly_the_links_in_the_tree(repo: Path) -> None:
    written = {(Path(o.file).relative_to(repo).as_posix(), o.url) for o in extract(repo)}
    assert written == set(EXPECTED) | NOT_LOCAL


@pytest.mark.parametrize(("file", "url"), sorted(EXPECTED), ids=[f"{f}:{u}" for f, u in EXPECTED])
def test_each_link_has_its_verdict(repo: Path, opened: list[str], file: str, url: str) -> None:
    verdict, suggestion, resolved = EXPECTED[(file, url)]
    assert is_local(url)
    result = LocalChecker(repo).check(url, repo / file)
    assert (result.verdict, result.suggestion, result.resolved) == (
        verdict,
        suggestion,
        resolved,
    ), result.detail
    # Nothing outside the root is ever read, not even through a symlink.
    real_root = os.path.realpath(repo)
    assert all(path.startswith(real_root + os.sep) for path in opened), opened


def test_details_and_error_kinds(repo: Path) -> None:
    check = LocalChecker(repo).check
    readme = repo / "README.md"
    assert check("docs/setup.md#install", readme).error_kind is ErrorKind.FRAGMENT
    assert check("docs/getting-started.md", readme).error_kind is ErrorKind.NOT_FOUND
    assert check("../outside.md", readme).error_kind is ErrorKind.POLICY
    assert "symlink" in check("docs/leak.md#secret", readme).detail
    assert "README.md or index.md" in check("guides/", readme).detail
    assert "not a Markdown file" in check("data/table.csv#row=3", readme).detail
    assert "case-sensitive" in check("docs/setup.md#Installing", readme).detail
    assert "index.md" in check("site/", readme).detail


def test_directory_indexes_are_configurable(repo: Path) -> None:
    readme = repo / "README.md"
    only_index = LocalChecker(repo, directory_indexes=("index.md",))
    assert only_index.check("docs/", readme).verdict is BROKEN
    assert only_index.check("site/", readme).verdict is OK
    guides_ok = LocalChecker(repo, directory_indexes=("notes.txt",))
    assert guides_ok.check("guides/", readme).verdict is OK


def test_base_url_maps_root_relative_links(repo: Path) -> None:
    checker = LocalChecker(repo, base_url="https://docs.example.org/")
    result = checker.check("/docs/setup.md#installing", repo / "site" / "index.md")
    assert result.verdict is Verdict.SKIPPED
    assert result.resolved == "https://docs.example.org/docs/setup.md#installing"
    # relative links are still checked locally
    assert checker.check("../README.md#nothing", repo / "docs" / "setup.md").verdict is BROKEN


def test_each_markdown_file_is_parsed_once(repo: Path, opened: list[str]) -> None:
    checker = LocalChecker(repo)
    for anchor in ("installing", "faq", "faq-1", "custom-id", "nope"):
        checker.check(f"docs/setup.md#{anchor}", repo / "README.md")
        checker.check(f"#{anchor}", repo / "docs" / "setup.md")
        checker.check(f"/alias.md#{anchor}", repo / "site" / "index.md")
    assert opened == [os.path.realpath(repo / "docs" / "setup.md")]


def test_check_occurrences_groups_spellings_of_one_target(repo: Path) -> None:
    occurrences = extract(repo)
    results = check_occurrences(occurrences, repo)
    by_url = {r.url: r for r in results}
    # Every local occurrence lands in exactly one result; non-local ones in none.
    assert sum(len(r.occurrences) for r in results) == len(EXPECTED)
    assert "https://example.com/" not in by_url
    setup_installing = by_url["docs/setup.md#installing"]
    assert {o.url for o in setup_installing.occurrences} == {
        "docs/setup.md#installing",
        "/docs/setup.md#installing",
        "docs/setup.md?plain=1#installing",
        "setup.md#installing",
    }
    assert setup_installing.verdict is OK
    notes = by_url["docs/My Notes.md"]
    assert {o.url for o in notes.occurrences} == {"docs/My%20Notes.md", "docs/My Notes.md"}
    broken = by_url["docs/setup.md#install"]
    assert broken.verdict is BROKEN
    assert broken.error_kind is ErrorKind.FRAGMENT
    assert broken.suggestion == "docs/setup.md#installing"
    assert broken.occurrences[0].line == 8
    assert by_url["docs/leak.md#secret"].verdict is UNSAFE
    assert len(results) == len({resolved for _, _, resolved in EXPECTED.values()})


def test_check_occurrences_with_base_url_keys_by_absolute_url(repo: Path) -> None:
    results = check_occurrences(extract(repo), repo, base_url="https://docs.example.org")
    skipped = {r.url for r in results if r.verdict is Verdict.SKIPPED}
    assert skipped == {
        "https://docs.example.org/docs/setup.md#installing",
        "https://docs.example.org/outside.md",
        "https://docs.example.org/docs/",
        "https://docs.example.org/",
    }


def test_with_the_project_parser(repo: Path) -> None:
    """The occurrences ``linkhealth.parse`` extracts get the verdicts of the table."""
    occurrences: list[Occurrence] = []
    for path in sorted(repo.rglob("*.md")):
        if path.is_symlink() or not path.resolve().is_relative_to(repo.resolve()):
            continue
        occurrences += extract_text(read_markdown(path), str(path)).occurrences
    written = {(Path(o.file).relative_to(repo).as_posix(), o.url) for o in occurrences}
    assert written == set(EXPECTED) | NOT_LOCAL
    results = check_occurrences(occurrences, repo)
    seen = 0
    for result in results:
        for occurrence in result.occurrences:
            key = (Path(occurrence.file).relative_to(repo).as_posix(), occurrence.url)
            verdict, _, resolved = EXPECTED[key]
            assert (result.verdict, result.url) == (verdict, resolved), key
            seen += 1
    assert seen == len(EXPECTED)
