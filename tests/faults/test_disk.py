"""Broken machines: a file where the reports folder should be, a full disk (ENOSPC injected
at the rename, or SQLite's own "database or disk is full") while writing a report, the
list, or the store; a list changed on disk between read and write; an output that is a
device. Each case: a message with the path, exit 2, no traceback, previous files intact,
no temp file left, the store passes ``PRAGMA integrity_check``."""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import linkhealth.fsutil
from faults.faultkit import integrity_ok, run_cli
from linkhealth.cli import cli
from linkhealth.store import Store
from support.servers import HostServer, Reply, ServerPool, html_page


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HostServer]:
    monkeypatch.chdir(tmp_path)
    with ServerPool(lifetime=60) as pool:
        host = pool.host("127.0.0.1")
        for n in range(3):
            host.route(f"/p{n}", Reply(200, body=html_page(f"Page {n}")))
        host.route("/gone", Reply(404))
        lines = [f"- {host.url(f'/p{n}')}" for n in range(3)] + [f"- {host.url('/gone')}"]
        (tmp_path / "list.md").write_text("\n".join(lines) + "\n")
        yield host


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


CHECK = ("check", "list.md", "--allow-private", "--store", "s.sqlite", "--max-age", "0")


def _enospc_on_replace_into(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.replace

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if Path(dst).parent == folder.resolve():
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
        real(src, dst)

    monkeypatch.setattr(linkhealth.fsutil.os, "replace", replace)


def _temp_files(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_reports_folder_is_a_file(site: HostServer, tmp_path: Path) -> None:
    (tmp_path / "reports").write_text("not a folder")
    ran = run_cli(*CHECK, cwd=tmp_path)
    assert ran.code == 2
    assert "reports" in ran.stderr and "cannot write report" in ran.stderr
    assert (tmp_path / "reports").read_text() == "not a folder"
    assert integrity_ok(tmp_path / "s.sqlite")


def test_disk_full_while_writing_reports_keeps_the_previous_ones(
    site: HostServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out = invoke(*CHECK, "--report-format", "html")
    assert code == 1, out
    reports = tmp_path / "reports"
    before = {p.name: p.read_bytes() for p in reports.iterdir()}
    _enospc_on_replace_into(reports, monkeypatch)
    code, out = invoke(*CHECK, "--report-format", "html")
    assert code == 2
    assert "No space left on device" in out and "cannot write report" in out
    assert "reports/" in out or str(reports.resolve()) in out
    assert {p.name: p.read_bytes() for p in reports.iterdir()} == before
    assert _temp_files(reports) == []
    assert integrity_ok(tmp_path / "s.sqlite")


def test_disk_full_while_writing_the_output_file(
    site: HostServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out_file = tmp_path / "out" / "results.json"
    out_file.parent.mkdir()
    out_file.write_text("previous")
    _enospc_on_replace_into(out_file.parent, monkeypatch)
    code, out = invoke(*CHECK, "--no-reports", "--format", "json", "--output", str(out_file))
    assert code == 2 and "results.json" in out and "No space left" in out
    assert out_file.read_text() == "previous" and _temp_files(out_file.parent) == []


def test_disk_full_while_writing_the_list(
    site: HostServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "list.md"
    before = target.read_bytes()
    _enospc_on_replace_into(tmp_path, monkeypatch)
    code, out = invoke("annotate", "list.md", "--write", "--allow-private", "--store", "s.sqlite")
    assert code == 2
    assert "list.md" in out and "No space left" in out
    assert target.read_bytes() == before and _temp_files(tmp_path) == []


def test_disk_full_in_the_store_mid_run(
    site: HostServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite reports a full disk as SQLITE_FULL; ``max_page_count`` produces exactly that."""
    code, _ = invoke(*CHECK)  # a first, complete run
    assert code == 1
    store = tmp_path / "s.sqlite"
    reports = tmp_path / "reports"
    before = {p.name: p.read_bytes() for p in reports.iterdir()}
    real_open = Store.open.__func__  # type: ignore[attr-defined]

    def full_open(cls: type[Store], path: Path | str, **kw: float) -> Store:
        opened = real_open(cls, path, **kw)
        pages = opened._conn.execute("PRAGMA page_count").fetchone()[0]
        opened._conn.execute(f"PRAGMA max_page_count = {pages}")
        return opened

    monkeypatch.setattr(Store, "open", classmethod(full_open))
    # Big pages to write: many URLs so that the results cannot fit.
    many = [f"- {site.url(f'/p{n % 3}')}?n={n}" for n in range(300)]
    (tmp_path / "list.md").write_text("\n".join(many) + "\n")
    code, out = invoke(*CHECK)
    assert code == 2, out
    assert "s.sqlite" in out and "full" in out
    monkeypatch.undo()
    assert integrity_ok(store)
    assert {p.name: p.read_bytes() for p in reports.iterdir()} == before


def test_list_changed_between_read_and_write_writes_nothing(
    site: HostServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import linkhealth.annotate.paths as annotate

    target = tmp_path / "list.md"
    real = annotate.annotate_file

    def edit_meanwhile(path: Path, *args: object, **kw: object) -> annotate.AnnotateChange:
        change = real(path, *args, **kw)  # type: ignore[arg-type]
        path.write_bytes(path.read_bytes() + b"- https://added.example/ by someone else\n")
        return change

    monkeypatch.setattr(annotate, "annotate_file", edit_meanwhile)
    code, out = invoke("annotate", "list.md", "--write", "--allow-private", "--store", "s.sqlite")
    assert code == 2 and "changed on disk" in out and "list.md" in out
    assert target.read_bytes().endswith(b"by someone else\n")
    assert b"[Page 0]" not in target.read_bytes() and _temp_files(tmp_path) == []


def test_output_to_a_device_is_written_not_replaced(site: HostServer, tmp_path: Path) -> None:
    """``--output /dev/null`` as root must not replace the device node with a file."""
    device = tmp_path / "null"
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    code, out = invoke(*CHECK, "--no-reports", "--format", "json", "--output", str(device))
    assert code == 1, out
    assert stat.S_ISCHR(device.stat().st_mode)
    assert _temp_files(tmp_path) == []


def test_a_corrupt_store_is_moved_aside_and_a_newer_one_refused_end_to_end(
    site: HostServer, tmp_path: Path
) -> None:
    store = tmp_path / "s.sqlite"
    store.write_bytes(b"SQLite format 3\x00" + b"\x00garbage" * 100)
    ran = run_cli(*CHECK, cwd=tmp_path)
    assert ran.code == 1 and "warning:" in ran.stderr and "moved" in ran.stderr, ran.stderr
    assert integrity_ok(store)
    assert any(p.name != "s.sqlite" and p.name.startswith("s.sqlite") for p in tmp_path.iterdir())

    with sqlite3.connect(store) as conn:
        conn.execute("PRAGMA user_version = 9999")
    conn.close()
    before = sorted(p.name for p in tmp_path.iterdir())
    ran = run_cli(*CHECK, cwd=tmp_path)  # a newer linkhealth's store: refused, untouched
    assert ran.code == 2 and "newer linkhealth" in ran.stderr, ran.stderr
    assert "Traceback" not in ran.stderr
    ran = run_cli("report", "--store", "s.sqlite", cwd=tmp_path)
    assert ran.code == 2 and "newer linkhealth" in ran.stderr, ran.stderr
    assert "Traceback" not in ran.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert integrity_ok(store)
