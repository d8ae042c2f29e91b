"""Issue 20: what a pull request can commit (symlinks, odd names, special files, odd
hosts) run through the real CLI, as the nightly job would run it."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from faults.faultkit import CONTROL, Ran, child_env, cli_argv, run_cli
from support.gitrepo import git
from support.servers import Reply, ServerPool, html_page


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


# ---------------------------------------------------------------- writes and symlinks


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[tuple[Path, Path, str]]:
    """(repository, a folder outside it, the URL of a loopback page the list names)."""
    with ServerPool(lifetime=60) as pool:
        host = pool.host("127.0.0.1").route("/p", Reply(200, body=html_page("Page")))
        root, outside = tmp_path / "repo", tmp_path / "outside"
        (root / ".git").mkdir(parents=True)
        outside.mkdir()
        (root / "lists").mkdir()
        (root / "lists" / "l.md").write_text(f"- {host.url('/p')}\n", encoding="utf-8")
        yield root, outside, host.url("/p")


def _check(root: Path, *extra: str) -> Ran:
    return run_cli("check", "lists", "--allow-private", "--store", ".lh/s.sqlite", *extra,
                   cwd=root)  # fmt: skip


@pytest.mark.parametrize("name", ["broken-links.md", "enrichment.md", "results.json", "index.html"])
def test_a_report_file_symlinked_out_of_the_repository_is_refused(
    repo: tuple[Path, Path, str], name: str
) -> None:
    root, outside, _ = repo
    secret = outside / "secret.txt"
    secret.write_text("keep me\n", encoding="utf-8")
    (root / "reports").mkdir()
    (root / "reports" / name).symlink_to(secret)
    ran = _check(root, "--report-format", "html")
    assert ran.code == 2, (ran.code, ran.stderr)
    assert f"reports/{name}" in ran.stderr and "outside the repository" in ran.stderr
    assert secret.read_text(encoding="utf-8") == "keep me\n"
    assert (root / "reports" / name).is_symlink()  # refused, not replaced
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]


def test_a_reports_folder_symlinked_out_gets_nothing_written_below_it(
    repo: tuple[Path, Path, str],
) -> None:
    root, outside, _ = repo
    (root / "reports").symlink_to(outside, target_is_directory=True)
    ran = _check(root)
    assert ran.code == 2 and "outside the repository" in ran.stderr, ran.stderr
    assert list(outside.iterdir()) == []
    ran = _check(root, "--reports-dir", "reports/sub")
    assert ran.code == 2 and list(outside.iterdir()) == [], ran.stderr


def test_output_symlinked_out_is_refused_and_dev_stdout_still_works(
    repo: tuple[Path, Path, str],
) -> None:
    root, outside, url = repo
    secret = outside / "secret.txt"
    secret.write_text("keep me\n", encoding="utf-8")
    (root / "out.json").symlink_to(secret)
    ran = _check(root, "--no-reports", "--format", "json", "--output", "out.json")
    assert ran.code == 2 and "cannot write out.json" in ran.stderr, ran.stderr
    assert secret.read_text(encoding="utf-8") == "keep me\n"
    # a symlink that stays inside the repository is written through
    (root / "real.json").write_text("", encoding="utf-8")
    (root / "inside.json").symlink_to("real.json")
    ran = _check(root, "--no-reports", "--format", "json", "--output", "inside.json")
    assert ran.code == 0, ran.stderr
    assert json.loads((root / "real.json").read_text(encoding="utf-8"))["results"][0]["url"] == url
    # a device path the user names is written into (stdout is a pipe here)
    ran = run_cli("extract", "lists", "--format", "json", "--output", "/dev/stdout", cwd=root)
    assert ran.code == 0 and json.loads(ran.stdout)[0]["url"] == url, ran.stderr


@pytest.mark.parametrize("state", ["missing", "empty"])
def test_a_store_symlinked_out_is_refused_before_sqlite_touches_it(
    repo: tuple[Path, Path, str], state: str
) -> None:
    root, outside, _ = repo
    target = outside / "db"
    if state == "empty":
        target.write_bytes(b"")
    (root / ".lh").mkdir()
    (root / ".lh" / "s.sqlite").symlink_to(target)
    ran = _check(root, "--no-reports")
    assert ran.code == 2, ran.stderr
    assert "cannot use the store .lh/s.sqlite" in ran.stderr and "outside" in ran.stderr
    assert sorted(p.name for p in outside.iterdir()) == (["db"] if state == "empty" else [])
    if state == "empty":
        assert target.read_bytes() == b""


def test_annotate_write_never_rewrites_a_file_outside_through_a_symlink(
    repo: tuple[Path, Path, str],
) -> None:
    root, outside, url = repo
    real = outside / "list.md"
    real.write_text(f"- {url}\n", encoding="utf-8")
    (root / "lists" / "x.md").symlink_to(real)
    ran = run_cli("annotate", "lists/x.md", "--write", "--allow-private", "--store",
                  ".lh/s.sqlite", cwd=root)  # fmt: skip
    assert ran.code == 2 and "lists/x.md: cannot write" in ran.stderr, ran.stderr
    assert real.read_text(encoding="utf-8") == f"- {url}\n"
    assert sorted(p.name for p in outside.iterdir()) == ["list.md"]


def test_a_foreign_sqlite_file_as_store_is_refused_unchanged(repo: tuple[Path, Path, str]) -> None:
    """Issue 20: ``--store`` naming another program's database switched it to WAL first."""
    root, _, _ = repo
    other = root / "app.db"
    with closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE users (name TEXT)")
        conn.execute("INSERT INTO users VALUES ('ada')")
        conn.commit()
    before = other.read_bytes()
    ran = run_cli("check", "lists", "--allow-private", "--store", "app.db", cwd=root)
    assert ran.code == 2 and "not a linkhealth store" in ran.stderr, ran.stderr
    assert other.read_bytes() == before
    assert not (root / "app.db-wal").exists() and not (root / "reports").exists()


# ---------------------------------------------------------------- names printed


HOSTILE_NAME = "x\x1b]0;pwned\x07\n::error file=README.md,line=1::injected.md"


def _forged(text: str) -> list[str]:
    """Lines a terminal or a GitHub runner would take from a hostile name."""
    bad = [line for line in text.splitlines() if line.strip().startswith("::error file=README")]
    return bad + CONTROL.findall(text)


def test_hostile_file_names_are_escaped_in_every_message_and_header(
    repo: tuple[Path, Path, str],
) -> None:
    """Issue 20: a list's name reached lint/extract/check messages and annotate's diff
    headers and status lines raw (an OSC title change and a forged ``::error`` line)."""
    root, _, url = repo
    (root / "lists" / HOSTILE_NAME).write_text(f"- {url}\n- htps://typo.example/\n", "utf-8")
    bad = HOSTILE_NAME.removesuffix(".md") + "-bad.md"
    (root / "lists" / bad).write_bytes(b"- \xff\n")  # not UTF-8: an error naming the file
    one = f"lists/{HOSTILE_NAME}"
    net = ("--allow-private", "--store", "s.sqlite")
    runs = {
        "extract": ("extract", one),
        "lint": ("lint", one),
        "lint-bad": ("lint", "lists"),
        "check": ("check", one, *net, "--format", "github"),
        "annotate": ("annotate", one, *net),
        "annotate-check": ("annotate", one, "--check", *net),
        "annotate-write": ("annotate", one, "--write", *net),
    }
    runs = {name: run_cli(*args, cwd=root) for name, args in runs.items()}
    for name, ran in runs.items():
        assert _forged(ran.stdout) == [] and _forged(ran.stderr) == [], (name, ran)
        assert "injected" in ran.stdout + ran.stderr, (name, ran)  # still named
    assert runs["lint-bad"].code == 2 and "not valid UTF-8" in runs["lint-bad"].stderr
    assert "+++ b/lists/x]0;pwned" not in runs["annotate"].stdout  # the OSC body went too
    assert "would annotate lists/x" in runs["annotate-check"].stderr
    assert "annotated lists/x" in runs["annotate-write"].stderr


# ---------------------------------------------------------------- reads: the root, regular files


def _leaks(ran: Ran, secret: str) -> bool:
    return secret in ran.stdout or secret in ran.stderr


def test_lists_found_through_a_symlink_out_of_the_repository_are_not_read(
    repo: tuple[Path, Path, str],
) -> None:
    """Issue 20: ``lists/leak.md -> /proc/self/environ`` published the runner's secrets."""
    root, outside, url = repo
    (outside / "secret.md").write_text("- https://secret.example/token\n", "utf-8")
    (root / "lists" / "leak.md").symlink_to(outside / "secret.md")
    (root / "lists" / "env.md").symlink_to("/proc/self/environ")
    env = child_env(LEAKED="https://environ.example/token")
    for args in (
        ("extract", "lists"),
        ("lint", "lists"),
        ("extract", "lists/*.md"),
        ("check", "lists", "--allow-private", "--store", "s.sqlite", "--format", "github"),
    ):
        ran = run_cli(*args, cwd=root, env=env)
        assert ran.code == 2, (args, ran)
        assert "lists/env.md: a symlink to /proc/" in ran.stderr and "not read" in ran.stderr
        assert not _leaks(ran, "secret.example") and not _leaks(ran, "environ.example"), args
    assert not (root / "reports").exists()
    # A symlink that stays inside the repository is read as before ...
    (root / "lists" / "env.md").unlink()
    (root / "lists" / "leak.md").unlink()
    (root / "docs").mkdir()
    (root / "docs" / "shared.md").write_text("- https://shared.example/\n", "utf-8")
    (root / "lists" / "shared.md").symlink_to("../docs/shared.md")
    ran = run_cli("extract", "lists", cwd=root)
    assert ran.code == 0 and "shared.example" in ran.stdout and url in ran.stdout, ran
    # ... and a file the user names is read wherever it leads ...
    (root / "lists" / "leak.md").symlink_to(outside / "secret.md")
    ran = run_cli("extract", "lists/leak.md", cwd=root)
    assert ran.code == 0 and "secret.example" in ran.stdout, ran
    # ... but not one a --files-from list names (`git ls-files` lists committed symlinks).
    (root / "files.txt").write_text("lists/shared.md\nlists/leak.md\n", "utf-8")
    ran = run_cli("extract", "--files-from", "files.txt", cwd=root)
    assert ran.code == 2 and "lists/leak.md: a symlink to" in ran.stderr, ran
    assert not _leaks(ran, "secret.example")
    (root / "files.txt").write_text("lists/shared.md\n", "utf-8")
    ran = run_cli("extract", "--files-from", "files.txt", cwd=root)
    assert ran.code == 0 and "shared.example" in ran.stdout, ran


def test_a_linkhealthignore_symlinked_out_is_not_read(repo: tuple[Path, Path, str]) -> None:
    root, outside, _ = repo
    (outside / "patterns").write_text("https://secret.example/\n", "utf-8")
    (root / ".linkhealthignore").symlink_to(outside / "patterns")
    ran = run_cli("lint", "lists", cwd=root)
    assert ran.code == 2 and ".linkhealthignore: a symlink to" in ran.stderr, ran


def _bounded(args: tuple[str, ...], root: Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI with stdin a pipe nobody writes to or closes (a CI step's stdin)."""
    with subprocess.Popen(
        cli_argv(*args), cwd=root, env=child_env(), stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as proc:  # fmt: skip
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise AssertionError(f"{args} hung on a special file") from None
        return subprocess.CompletedProcess(args, proc.returncode, out, err)


@pytest.mark.parametrize("special", ["fifo", "stdin"])
def test_special_files_among_the_lists_are_refused_without_waiting(
    repo: tuple[Path, Path, str], special: str
) -> None:
    """Issue 20: a FIFO in the list folder, or a list symlinked to /dev/stdin, blocked
    extract/lint/check forever (and check then ignored SIGTERM). Only regular files are
    read: the file is opened without blocking, checked, and refused (exit 2)."""
    root, _, _ = repo
    target = root / "lists" / "z.md"
    if special == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to("/dev/stdin")
    net = ("--allow-private", "--store", "s.sqlite")
    for args in (
        ("extract", "lists"),
        ("lint", "lists"),
        ("check", "lists", *net),
        ("annotate", "lists", *net),
        ("extract", "lists/z.md"),  # named: read as named, still only if regular
    ):
        done = _bounded(args, root)
        assert done.returncode == 2, (args, done.stderr)
        assert "lists/z.md" in done.stderr and "Traceback" not in done.stderr, done.stderr
        if special == "fifo":
            assert "FIFO" in done.stderr or "not a regular file" in done.stderr, done.stderr


# ---------------------------------------------------------------- --changed-since


@pytest.mark.parametrize("attributes", ["", "*.md -diff\n"])
def test_a_diff_line_that_looks_like_a_file_header_cannot_blind_changed_since(
    tmp_path: Path, attributes: str
) -> None:
    """Issue 20: an added line ``++ b/decoy.md`` (shown by git as ``+++ b/decoy.md``)
    credited the file's later hunks to another path: a typo and a private-address link
    on changed lines went unreported and lint/check exited 0. A form feed split a line in
    two the same way, and ``-diff`` in .gitattributes made the list "binary" (no hunks)."""
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / ".gitattributes").write_text(attributes, "utf-8")
    lists = tmp_path / "lists"
    lists.mkdir()
    old = [f"- https://old.example/{n}\n" for n in range(20)]
    (lists / "a.md").write_text("".join(old), "utf-8")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    new = [*old[:2], "++ b/decoy.md\n", "- see\x0c+++ b/other.md\n", *old[2:]]
    new[12:12] = ["- htps://typo.example/\n"]
    new += ["- http://10.0.0.1/admin\n"]
    (lists / "a.md").write_text("".join(new), "utf-8")
    ran = run_cli("lint", "lists", "--changed-since", "HEAD", "--format", "json", cwd=tmp_path)
    assert ran.code == 1, ran
    found = [(f["file"], f["line"], f["rule"]) for f in json.loads(ran.stdout)]
    assert ("lists/a.md", 13, "scheme-typo") in found, found
    ran = run_cli("check", "lists", "--changed-since", "HEAD", "--store", "s.sqlite",
                  "--no-reports", "--format", "json", cwd=tmp_path)  # fmt: skip
    assert ran.code == 1, ran
    verdicts = {r["url"]: r["verdict"] for r in json.loads(ran.stdout)["results"]}
    assert verdicts["http://10.0.0.1/admin"] == "unsafe", verdicts
    assert verdicts["htps://typo.example/"] == "invalid", verdicts
    assert not any(u.startswith("https://old.example/") for u in verdicts), verdicts


def test_no_output_line_can_carry_a_workflow_command(repo: tuple[Path, Path, str]) -> None:
    """A GitHub runner acts on ``::cmd::`` at the start of a log line and on ``##[cmd]``
    anywhere in one: a list named ``::warning::x.md`` (walked from ``.``) started lint and
    extract lines with it, and ``##[stop-commands]`` in a URL would silence every later
    annotation of the job. Text, JSON and CSV output neutralise both."""
    root, _, url = repo
    (root / "::warning::x.md").write_text(
        f"- {url}\n- {url}##[stop-commands]tok\n- htps://typo.example/\n", "utf-8"
    )
    net = ("--allow-private", "--store", "s.sqlite")
    for args in (
        ("extract", "."),
        ("extract", ".", "--format", "json"),
        ("extract", ".", "--format", "csv"),
        ("lint", "."),
        ("lint", ".", "--format", "json"),
        ("check", ".", *net, "--retries", "0"),
        ("check", ".", *net, "--retries", "0", "--format", "json"),
        ("check", ".", *net, "--retries", "0", "--format", "csv"),
    ):
        ran = run_cli(*args, cwd=root)
        assert ran.code in (0, 1), (args, ran)
        for line in (ran.stdout + ran.stderr).splitlines():
            assert "##[" not in line and not line.lstrip().startswith("::"), (args, line)
        assert "warning::x.md" in ran.stdout, (args, ran.stdout)  # still named
    assert "##[" not in (root / "reports" / "broken-links.md").read_text("utf-8")
