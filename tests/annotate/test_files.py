"""annotate_file / write_change: every byte but the annotated spans is preserved."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from linkhealth.annotate import (
    AnnotateOptions,
    FileChangedError,
    annotate_file,
    annotate_text,
    write_change,
)
from linkhealth.errors import InputError
from linkhealth.models import CheckResult, Verdict
from linkhealth.parse import normalise_url

A = "https://a.example/x"
B = "https://b.example/"
RESULTS = {
    normalise_url(u): CheckResult(
        url=normalise_url(u), verdict=Verdict.OK, title=f"Title {u[8]}", description="Words."
    )
    for u in (A, B)
}
OPTS = AnnotateOptions()
LA = f"[Title a]({A}) — Words."
LB = f"[Title b]({B}) — Words."


def write(tmp_path: Path, data: bytes, name: str = "list.md") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def apply(path: Path) -> bytes:
    change = annotate_file(path, RESULTS, OPTS)
    assert write_change(change)
    assert path.read_bytes() == change.new
    # idempotent: nothing to do the second time
    again = annotate_file(path, RESULTS, OPTS)
    assert not again.changed and again.diff == ""
    assert write_change(again) is False
    return path.read_bytes()


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (f"# L\n\n- {A}\n- {B}\n", f"# L\n\n- {LA}\n- {LB}\n"),
        (f"# L\r\n\r\n- {A}\r\n- {B}\r\n", f"# L\r\n\r\n- {LA}\r\n- {LB}\r\n"),
        (f"# L\n\n- {A}\r\n- {B}\r\n\n", f"# L\n\n- {LA}\r\n- {LB}\r\n\n"),
        (f"- {A}\r- {B}", f"- {LA}\r- {LB}"),
        (f"- {A}\n- {B}", f"- {LA}\n- {LB}"),
        (f"\ufeff- {A}\n- {B}\n", f"\ufeff- {LA}\n- {LB}\n"),
        (f"\ufeff- {A}\r\n- {B}", f"\ufeff- {LA}\r\n- {LB}"),
        (
            f"---\ntitle: x\nlinks:\n  - {A}\n---\n- {A}\n",
            f"---\ntitle: x\nlinks:\n  - {A}\n---\n- {LA}\n",
        ),
        (f"<!--\n- {A}\n  - {B}\n-->\n", f"<!--\n- {LA}\n  - {LB}\n-->\n"),
    ],
    ids=[
        "lf",
        "crlf",
        "mixed",
        "cr",
        "no-final-newline",
        "bom",
        "bom-crlf-no-final",
        "front-matter",
        "comment",
    ],
)
def test_bytes_outside_the_spans_are_kept(tmp_path: Path, before: str, after: str) -> None:
    path = write(tmp_path, before.encode("utf-8"))
    assert apply(path) == after.encode("utf-8")


def test_diff_is_unified_with_git_paths_and_only_annotated_lines(tmp_path: Path) -> None:
    path = write(tmp_path, f"# L\n\n- {A}\n- keep\n- {B}".encode())
    change = annotate_file(path, RESULTS, OPTS)
    lines = change.diff.splitlines()
    assert lines[0] == f"--- a/{change.display}" and lines[1] == f"+++ b/{change.display}"
    removed = [x for x in lines[2:] if x.startswith("-")]
    added = [x for x in lines[2:] if x.startswith("+")]
    assert removed == [f"-- {A}", f"-- {B}"]
    assert added == [f"+- {LA}", f"+- {LB}"]
    assert lines[-1] == "\\ No newline at end of file"


def test_mode_is_kept(tmp_path: Path) -> None:
    path = write(tmp_path, f"- {A}\n".encode())
    os.chmod(path, 0o640)
    apply(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    os.chmod(path, 0o755)
    path.write_bytes(f"- {B}\n".encode())
    apply(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o755


def test_symlink_is_written_through(tmp_path: Path) -> None:
    target = write(tmp_path, f"- {A}\n".encode(), "real.md")
    link = tmp_path / "link.md"
    link.symlink_to(target.name)
    apply(link)
    assert link.is_symlink() and os.readlink(link) == target.name
    assert target.read_bytes() == f"- {LA}\n".encode()


def test_change_on_disk_between_read_and_write_writes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, f"- {A}\n".encode())
    change = annotate_file(path, RESULTS, OPTS)
    edited = f"- {A}\n- added by the author\n".encode()
    path.write_bytes(edited)
    with pytest.raises(FileChangedError, match=r"changed on disk.*nothing written"):
        write_change(change)
    assert path.read_bytes() == edited
    assert sorted(p.name for p in tmp_path.iterdir()) == ["list.md"]  # no temp file left


def test_unreadable_and_invalid_utf8_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        annotate_file(tmp_path / "missing.md", RESULTS, OPTS)
    bad = write(tmp_path, b"- https://a.example/\n\xff\xfe\n")
    with pytest.raises(InputError, match="not valid UTF-8 at byte offset 21"):
        annotate_file(bad, RESULTS, OPTS)
    assert bad.read_bytes() == b"- https://a.example/\n\xff\xfe\n"


def test_write_failure_leaves_the_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, f"- {A}\n".encode())
    change = annotate_file(path, RESULTS, OPTS)

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(InputError, match=r"list\.md: cannot write: No space left"):
        write_change(change)
    assert path.read_bytes() == f"- {A}\n".encode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["list.md"]


def test_annotate_text_keeps_a_bom_it_is_given() -> None:
    assert annotate_text(f"\ufeff- {A}\n", "x.md", RESULTS, options=OPTS) == f"\ufeff- {LA}\n"
