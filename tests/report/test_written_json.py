"""``check --format json`` with reports writes results.json's text once: stdout and
``--output`` read it back (:func:`linkhealth.report.written_json`) instead of rendering
the report a second time, byte for byte the same."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from linkhealth.cli import cli
from linkhealth.report import jsonfmt, written_json
from support.servers import Reply, ServerPool, html_page, unused_port


def _check(tmp_path: Path, lst: Path, *args: str) -> tuple[int, bytes]:
    result = CliRunner().invoke(
        cli,
        [
            "check",
            str(lst),
            "--format",
            "json",
            "--store",
            str(tmp_path / "state.sqlite"),
            "--reports-dir",
            str(tmp_path / "reports"),
            "--allow-private",
            "--timeout",
            "3",
            "--retries",
            "0",
            "--host-interval",
            "0",
            *args,
        ],
    )
    return result.exit_code, result.stdout_bytes


def test_json_output_is_results_json_rendered_once(
    pool: ServerPool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = pool.host("127.0.0.2")
    # A non-ASCII title, a bidi control (escaped), credentials (redacted): the text
    # written must be the one rendered for results.json, each of these included.
    host.route("/ok", Reply(200, body=html_page("Caf\u00e9 \u202eevil \u2014 ok")))
    host.route("/gone", Reply(404, body=html_page("Not Found")))
    base = f"http://127.0.0.2:{host.port}"
    lst = tmp_path / "list.md"
    lst.write_text(
        f"# Links\n\n- [ok]({base}/ok)\n- [gone]({base}/gone)\n"
        f"- [secret](http://user:hunter2@127.0.0.2:{host.port}/ok)\n"
        f"- [refused](http://127.0.0.1:{unused_port()}/x)\n- [mail](mailto:a@example.org)\n",
        encoding="utf-8",
    )
    calls = []
    real = jsonfmt.chunks

    def counted(report: object) -> Iterator[str]:
        calls.append(report)
        return real(report)  # type: ignore[arg-type]

    monkeypatch.setattr(jsonfmt, "chunks", counted)
    code, stdout = _check(tmp_path, lst)
    written = (tmp_path / "reports" / "results.json").read_bytes()
    assert code == 1
    assert stdout == written
    assert "Caf\u00e9".encode() in written and b"hunter2" not in written
    assert len(calls) == 1  # results.json's rendering only

    out = tmp_path / "out" / "results.json"
    code, stdout = _check(tmp_path, lst, "--output", str(out))
    assert code == 1 and stdout == b""
    assert out.read_bytes() == (tmp_path / "reports" / "results.json").read_bytes()
    assert len(calls) == 2

    # The output file may be the report file itself: it is read before it is replaced.
    target = tmp_path / "reports" / "results.json"
    code, _ = _check(tmp_path, lst, "--output", str(target))
    data = json.loads(target.read_bytes())
    assert code == 1 and data["run_id"] == 3 and len(data["results"]) == 5
    assert len(calls) == 3


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
