"""Atomic writes: the previous file survives any failure."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from linkhealth.fsutil import AtomicFiles, OutsideWriteError, atomic_write_bytes, write_target


def test_replaces_content_and_keeps_mode(tmp_path: Path) -> None:
    target = tmp_path / "a.md"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o640


def test_writes_through_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.md"
    real.write_bytes(b"old")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    atomic_write_bytes(link, b"new")
    assert link.is_symlink()
    assert real.read_bytes() == b"new"


def test_failure_leaves_previous_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "a.md"
    target.write_bytes(b"old")

    with pytest.raises(TypeError):
        atomic_write_bytes(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]


def test_write_target_confines_to_the_repository_or_the_named_folder(tmp_path: Path) -> None:
    """Issue 20: the one rule for every write (reports, --output, annotate, the store)."""
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    (repo / "sub").mkdir(parents=True)
    outside.mkdir()
    (repo / "sub" / "in.md").symlink_to("../real.md")  # stays inside: written through
    assert write_target(repo / "sub" / "in.md", repo) == repo / "real.md"
    (repo / "out.md").symlink_to(outside / "x.md")  # dangling, leading out
    with pytest.raises(OutsideWriteError, match="outside the repository"):
        write_target(repo / "out.md", repo)
    (repo / "dir").symlink_to(outside, target_is_directory=True)
    with pytest.raises(OutsideWriteError):
        write_target(repo / "dir" / "new" / "x.md", repo)
    with pytest.raises(OutsideWriteError):
        atomic_write_bytes(repo / "out.md", b"x", root=repo)
    assert list(outside.iterdir()) == []
    # a path named outside the repository is confined to the folder it is named in
    (outside / "ok.md").write_bytes(b"")
    assert write_target(outside / "ok.md", repo) == outside / "ok.md"
    (outside / "back.md").symlink_to(repo / "sub" / "in.md")
    with pytest.raises(OutsideWriteError, match="outside the folder it is named in"):
        write_target(outside / "back.md", repo)
    assert write_target(Path("/dev/stdout"), repo) == Path("/dev/stdout")


def test_a_file_piece_is_copied_where_the_kernel_cannot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "part"
    source.write_bytes("é, the part\n".encode() * 1000)
    for copy in (None, "fails"):
        if copy is None:
            monkeypatch.delattr(os, "copy_file_range", raising=False)
        else:

            def refused(*_: object) -> int:
                raise OSError(errno.EXDEV, "cross-device")

            monkeypatch.setattr(os, "copy_file_range", refused, raising=False)
        target = tmp_path / f"out-{copy}"
        with AtomicFiles() as files:
            files.write(target, ["[", source.open("rb"), "]"])
        assert target.read_bytes() == b"[" + source.read_bytes() + b"]"
