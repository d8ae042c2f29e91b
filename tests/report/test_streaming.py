"""The JSON report written a piece at a time: the same bytes as the whole text, and a
write that fails half-way replaces nothing and leaves no temp file."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from linkhealth import textsafe
from linkhealth.cli.common import emit
from linkhealth.fsutil import AtomicFiles, atomic_write_text
from linkhealth.models import RunReport
from linkhealth.report import jsonfmt, render, render_chunks
from linkhealth.report.redact import redact_report

HOSTILE = 'line\nbreak ##[error] "quoted" \\ back \u202e\u200b \x85 \x7f \ud800 \U0001f389'


def whole_text(report: RunReport) -> str:
    """The JSON report as it was rendered before streaming: the whole dump, encoded once."""
    return textsafe.json_text(report.model_dump(mode="json")) + "\n"


@pytest.mark.parametrize("title", ["A benign title", HOSTILE])
def test_streamed_json_is_the_whole_text(make_report: Callable[..., RunReport], title: str) -> None:
    report = make_report(title=title)
    pieces = list(jsonfmt.chunks(report))
    assert "".join(pieces) == whole_text(report)
    assert json.loads("".join(pieces)) == json.loads(whole_text(report))
    # a bounded batch of results at a time: no piece holds more than a batch's URLs
    many = report.model_copy(update={"results": report.results * (jsonfmt._BATCH // 4)})
    pieces = list(jsonfmt.chunks(many))
    assert "".join(pieces) == whole_text(many)
    assert len(pieces) > 2
    for piece in pieces:
        assert piece.count('\n    {\n      "url": ') <= jsonfmt._BATCH


#: Everything but a surrogate (with one: the part is cleaned, then encoded alike).
HOSTILE_VALID = 'line\nbreak ##[error] "q" \\ \u202e\u200b \x85 \x7f \x00\x1f\t \u2028 é \U0001f389'


@pytest.mark.parametrize("title", [HOSTILE_VALID, "plain", HOSTILE_VALID + "\udc00"])
@pytest.mark.parametrize(
    "elapsed", [0.0, 95.5, 12, 1e-05, 0.0001, 9.5e-05, 1e16, 9999999999999998.0, 2.5e-08]
)
def test_each_result_is_written_by_one_encoder_as_json_writes_its_dump(
    make_report: Callable[..., RunReport], title: str, elapsed: float
) -> None:
    # One encoder (pydantic's) writes the report: the text json writes for the dump, byte
    # for byte, but for a float json spells with an exponent (1e-05; pydantic: 0.00001),
    # which reads back as the same number.
    report = make_report(title=title)
    for result in report.results:
        result.elapsed_ms = elapsed
        result.http_status = 2**70 if result.http_status == 404 else result.http_status
    text = jsonfmt.render(report)
    assert json.loads(text) == json.loads(whole_text(report))
    if "e" not in repr(float(elapsed)):
        assert text == whole_text(report)
    else:
        spelt = report.results[0].model_dump_json(include={"elapsed_ms"})  # {"elapsed_ms":…}
        pydantic_float = spelt.removeprefix('{"elapsed_ms":').removesuffix("}")
        key = '"elapsed_ms": '
        assert text == whole_text(report).replace(key + repr(elapsed), key + pydantic_float)


def test_streamed_json_without_results_or_with_one(report: RunReport) -> None:
    for results in ([], report.results[:1]):
        part = report.model_copy(update={"results": results})
        assert jsonfmt.render(part) == whole_text(part)


def test_render_chunks_is_render(report: RunReport) -> None:
    for fmt in ("json", "markdown", "text", "sarif"):
        assert "".join(render_chunks(report, fmt)) == render(report, fmt)
    assert render(report, "json") == whole_text(redact_report(report))


def test_emit_writes_the_same_bytes_streamed_or_whole(report: RunReport, tmp_path: Path) -> None:
    emit(render(report, "json"), str(tmp_path / "whole.json"))
    emit(render_chunks(report, "json"), str(tmp_path / "streamed.json"))
    assert (tmp_path / "streamed.json").read_bytes() == (tmp_path / "whole.json").read_bytes()
    assert sorted(os.listdir(tmp_path)) == ["streamed.json", "whole.json"]


@pytest.mark.parametrize("text", ["", "no newline", "ends with one\n", "a" * 70_000 + "b" * 9])
def test_emit_to_stdout_streamed_or_whole(text: str) -> None:
    whole = CliRunner().invoke(_echo_command(text))
    pieces = CliRunner().invoke(_echo_command(iter([text[:5], "", text[5:]])))
    assert pieces.stdout_bytes == whole.stdout_bytes
    wanted = text + "\n" if text and not text.endswith("\n") else text
    assert whole.stdout_bytes == wanted.encode()


def _echo_command(text: str | Iterator[str]) -> click.Command:
    @click.command()
    def command() -> None:
        emit(text, None)

    return command


def _failing_after(first: str, exc: BaseException) -> Iterator[str]:
    yield first
    raise exc


@pytest.mark.parametrize("exc", [RuntimeError("render bug"), KeyboardInterrupt()])
def test_interrupted_streamed_write_leaves_the_old_file_and_no_temp(
    tmp_path: Path, exc: BaseException
) -> None:
    target = tmp_path / "out.json"
    target.write_text("old report\n")
    with pytest.raises(type(exc)):
        atomic_write_text(target, _failing_after('{\n  "half": ', exc))
    assert target.read_text() == "old report\n"
    assert os.listdir(tmp_path) == ["out.json"]


def test_a_new_file_interrupted_is_never_created(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        emit(_failing_after("{", RuntimeError("render bug")), str(tmp_path / "new.json"))
    assert os.listdir(tmp_path) == []


def test_atomic_files_put_in_place_together_or_not_at_all(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("old a")
    with pytest.raises(RuntimeError), AtomicFiles() as files:
        files.write(tmp_path / "a.md", ["new a"])
        files.write(tmp_path / "b.md", _failing_after("half b", RuntimeError("bug")))
    assert (tmp_path / "a.md").read_text() == "old a"  # the first was not put in place
    assert os.listdir(tmp_path) == ["a.md"]
    with AtomicFiles() as files:
        files.write(tmp_path / "a.md", ["new a"])
        files.write_bytes(tmp_path / "b.md", b"new b")
        assert (tmp_path / "a.md").read_text() == "old a"  # only at the end of the block
    assert (tmp_path / "a.md").read_text() == "new a"
    assert sorted(os.listdir(tmp_path)) == ["a.md", "b.md"]


def test_enrichment_by_section_is_the_whole_text(report: RunReport) -> None:
    from linkhealth.report import markdown
    from linkhealth.report.view import View

    pieces = list(markdown.enrichment_chunks(View(report)))
    whole = markdown.enrichment(View(report))
    assert "".join(pieces) == whole
    sections = whole.count("\n### ")
    assert sections > 1 and len(pieces) > sections  # a table per piece, not the whole text
    assert all(piece.count("\n### ") <= 1 for piece in pieces)


def test_a_screened_report_is_rendered_without_screening_it_again(
    report: RunReport, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``check`` screens its report once for the files and the output (the screen encodes
    every result); each renderer takes a :class:`Redacted` report as it is."""
    from linkhealth.report import redact, write_reports

    calls: list[RunReport] = []
    real = redact.redact_report

    def counted(given: RunReport) -> RunReport:
        calls.append(given)
        return real(given)

    monkeypatch.setattr(redact, "redact_report", counted)
    once = redact.screened(report)
    assert calls == [report]
    write_reports(once, tmp_path / "reports", ["junit", "csv"])
    rendered = {fmt: render(once, fmt) for fmt in ("text", "markdown", "json")}
    assert calls == [report]
    for fmt, text in rendered.items():
        assert text == render(report, fmt)  # what the report itself renders as
    assert len(calls) == 3  # text and markdown screened it (json screens its own text)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
def test_a_full_device_behind_stdout_is_a_message_and_exit_2(tmp_path: Path) -> None:
    """Output to a device that refuses it (``> /dev/full``, a full disk): a one-line
    message and exit 2, never a traceback."""
    import subprocess
    import sys

    links = tmp_path / "links.md"
    links.write_text("".join(f"- [l{i}](https://example.com/{i})\n" for i in range(3000)))
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "linkhealth", "extract", str(links), "--format", "json"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
            cwd=tmp_path,
        )
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "cannot write to standard output" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("to_file", [False, True])
def test_extract_output_that_cannot_be_read_back_is_a_message_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, to_file: bool
) -> None:
    """A large file's second half is read back from its worker's file while extract
    writes it out; a read failing there (an InputError) is a message and exit 2, and
    ``-o FILE`` is not written (it was a traceback: emit ran outside the domain errors)."""
    from linkhealth.cli import extract as extract_cli
    from linkhealth.errors import InputError

    def failing(pieces: Iterator[str]) -> Iterator[str]:
        yield "[\n"
        raise InputError("cannot read back the second half's output: [Errno 5] EIO")

    monkeypatch.setattr(extract_cli, "redact_pieces", failing)
    links = tmp_path / "links.md"
    links.write_text("- [a](https://a.example/)\n", encoding="utf-8")
    out = tmp_path / "out.json"
    args = ["extract", str(links), "--format", "json", *(["-o", str(out)] if to_file else [])]
    from linkhealth.cli import cli

    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "cannot read back" in result.output
    assert not isinstance(result.exception, InputError)
    assert not out.exists()
