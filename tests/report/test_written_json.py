""":func:`linkhealth.report.written_json`: ``check --format json`` with reports reads
results.json's text back instead of rendering the report a second time (the command
end to end: tests/pipeline/test_check_e2e.py)."""

from __future__ import annotations

import os
from pathlib import Path

from linkhealth.report import written_json


def test_text_is_read_whole_across_pieces(tmp_path: Path) -> None:
    # Two-, three- and four-byte characters across every 64 KiB boundary of the read.
    text = "abc" + "".join(f"{i:05d}\u00e9\u20ac\U0001f600\r\n" for i in range(40_000))
    path = tmp_path / "results.json"
    path.write_bytes(text.encode("utf-8"))
    pieces = written_json([tmp_path / "broken-links.md", path])
    assert pieces is not None
    assert "".join(pieces) == text  # newlines as written, none translated


def test_no_regular_results_json_is_rendered_instead(tmp_path: Path) -> None:
    assert written_json([tmp_path / "enrichment.md"]) is None
    assert written_json([tmp_path / "results.json"]) is None  # gone since
    fifo = tmp_path / "pipe" / "results.json"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    assert written_json([fifo]) is None  # at once: no wait for a writer
    assert written_json([Path("/dev/null").with_name("null")]) is None
