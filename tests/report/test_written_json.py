""":class:`linkhealth.report.WrittenReports`: ``check --format json`` with reports prints
the run's own results.json text instead of rendering the report a second time (the command
end to end: tests/pipeline/test_check_e2e.py)."""

from __future__ import annotations

import os
from contextlib import closing
from pathlib import Path

import pytest

from linkhealth.fsutil import AtomicFiles
from linkhealth.models import RunReport
from linkhealth.report import WrittenReports, write_reports
from linkhealth.report.redact import screened


def test_text_is_read_whole_across_pieces(tmp_path: Path) -> None:
    # Two-, three- and four-byte characters across every 64 KiB boundary of the read.
    text = "abc" + "".join(f"{i:05d}\u00e9\u20ac\U0001f600\r\n" for i in range(40_000))
    path = tmp_path / "results.json"
    with AtomicFiles() as files:
        files.write(path, [text])
        written = WrittenReports([path])
        written.json_file = files.read_back(path)
    with closing(written):
        pieces = written.json_text()
        assert pieces is not None
        assert "".join(pieces) == text  # newlines as written, none translated


def test_the_runs_own_text_whatever_replaced_the_file(tmp_path: Path, report: RunReport) -> None:
    # Another run sharing the folder renames its results.json over this one's.
    report = screened(report)
    written = write_reports(report, tmp_path, keep_json=True)
    own = (tmp_path / "results.json").read_text(encoding="utf-8")
    other = tmp_path / "other.json"
    other.write_text("another run's", encoding="utf-8")
    other.replace(tmp_path / "results.json")
    with closing(written):
        pieces = written.json_text()
        assert pieces is not None and "".join(pieces) == own
    assert written.json_file is None  # closed


def test_nothing_kept_unless_asked_or_written_into_a_pipe(
    tmp_path: Path, report: RunReport
) -> None:
    report = screened(report)
    assert write_reports(report, tmp_path).json_text() is None
    fifo = tmp_path / "pipe" / "results.json"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    with AtomicFiles() as files:
        assert files.read_back(fifo) is None  # not staged: written into at once
        assert files.read_back(tmp_path / "other.json") is None


def test_a_failed_write_leaves_nothing_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, report: RunReport
) -> None:
    # (An unclosed file would be a ResourceWarning: an error in this suite.)
    report = screened(report)

    def refuse(self: AtomicFiles) -> None:
        raise OSError(28, "No space left on device", str(tmp_path / "results.json"))

    monkeypatch.setattr(AtomicFiles, "commit", refuse)
    with pytest.raises(Exception, match="No space left"):
        write_reports(report, tmp_path, keep_json=True)
