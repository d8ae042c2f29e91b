"""`check` with no network and the JSON report's results written by a forked child
(report.ahead): stdout, results.json and every other report are the bytes the parent
alone writes; no child for a run that is no outage, nor when no JSON is written."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import pytest
from click.testing import CliRunner, Result

from linkhealth import procs
from linkhealth.cli import cli
from linkhealth.models import CheckResult
from linkhealth.report import ahead
from support.servers import ServerPool

#: Hostile text in URLs, link texts and sections (bidi, ``##[``, quotes, astral
#: characters, DEL), beside plain links.
HOSTILE = [
    '- [a \u202egnp.exe](http://host{h}.offline.test/p{i}?q="x") ##[error]\n',
    "- [b \U0001f389 'q'](http://host{h}.offline.test/{i}#top)\n",
    "- <http://host{h}.offline.test/del\x7f{i}>\n",
    "- [plain {i}](http://host{h}.offline.test/page{i})\n",
]
#: Userinfo and a token in a URL: the reports are written from a redacted copy of the
#: report (not the very results the child wrote).
CREDENTIALS = "- [c](http://u:ghp_abcdefghijklmnopqrstuvwxyz0123456789@host{h}.offline.test/{i})\n"


def outage_list(tmp_path: Path, *, credentials: bool = False) -> Path:
    kinds = [*HOSTILE, CREDENTIALS] if credentials else HOSTILE
    lines = ["# Links \u200b\n\n"]
    for i in range(60):
        if i % 20 == 0:
            lines.append(f"## Section {i} \u2066`##[`\n\n")
        lines.append(kinds[i % len(kinds)].format(h=i % 12, i=i))
    path = tmp_path / "list.md"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def check(tmp_path: Path, name: str, lst: Path, *args: str) -> Result:
    where = tmp_path / name
    return CliRunner().invoke(
        cli,
        [
            "check",
            str(lst),
            "--store",
            str(where / "state.sqlite"),
            "--reports-dir",
            str(where / "reports"),
            "--report-format",
            "junit",
            "--report-format",
            "sarif",
            "--report-format",
            "html",
            "--report-format",
            "csv",
            *args,
        ],
    )


_TIMES = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?|\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?"
    r"|time=\"[^\"]*\"|\d+\.\d+ ?s\b"
)


def masked(text: str) -> str:
    return _TIMES.sub("T", text)


def outputs(tmp_path: Path, name: str, result: Result) -> dict[str, str]:
    files = {"stdout": masked(result.stdout), "stderr": masked(result.stderr)}
    reports = tmp_path / name / "reports"
    if reports.exists():
        for path in sorted(reports.iterdir()):
            files[path.name] = masked(path.read_text(encoding="utf-8"))
    return files


@pytest.fixture
def used(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A second core free, any number of results worth a child; the lengths of the
    results whose text the child's file gave."""
    monkeypatch.setattr(procs, "free_core", lambda: True)
    monkeypatch.setattr(ahead, "MIN_RESULTS", 0)
    read: list[int] = []
    real = ahead.ResultsText.files

    def files(self: ahead.ResultsText, results: Sequence[CheckResult]) -> list[IO[bytes]] | None:
        given = real(self, results)
        if given is not None:
            read.append(len(results))
        return given

    monkeypatch.setattr(ahead.ResultsText, "files", files)
    return read


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize(
    ("args", "credentials", "child_read"),
    [
        (("--format", "json", "--no-reports"), False, [60]),
        (("--format", "json"), False, [60]),
        (("--format", "text"), False, [60]),
        (("--format", "json", "--no-reports"), True, [60]),
        (("--format", "json"), True, []),  # results.json: a redacted copy's results
    ],
)
def test_an_outages_outputs_are_the_same_written_by_a_child(
    tmp_path: Path,
    used: list[int],
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    credentials: bool,
    child_read: list[int],
) -> None:
    lst = outage_list(tmp_path, credentials=credentials)
    with_child = check(tmp_path, "child", lst, *args)
    assert with_child.exit_code == 3, with_child.output
    assert used == child_read  # the child's text was the one written
    monkeypatch.setattr(ahead, "start", lambda *a: None)
    alone = check(tmp_path, "alone", lst, *args)
    assert alone.exit_code == 3, alone.output
    assert used == child_read
    got, want = outputs(tmp_path, "child", with_child), outputs(tmp_path, "alone", alone)
    assert got == want
    assert '"network": "outage"' in (got.get("results.json") or got["stdout"])
    for command in (["--format", "json"], ["--format", "markdown"]):
        stored = [
            CliRunner().invoke(cli, ["report", "--store", str(where), *command])
            for where in (tmp_path / "child" / "state.sqlite", tmp_path / "alone" / "state.sqlite")
        ]
        assert stored[0].exit_code == stored[1].exit_code == 3
        assert masked(stored[0].stdout) == masked(stored[1].stdout)


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("platform", ["no-fork", "darwin"])
def test_no_child_where_fork_is_missing_or_unsafe(
    tmp_path: Path, used: list[int], monkeypatch: pytest.MonkeyPatch, platform: str
) -> None:
    """review11 R4: without ``os.fork`` (Windows), or on macOS, the parent writes the
    results itself: exit 3 and the same outputs, no traceback, nothing left open."""
    lst = outage_list(tmp_path)
    if platform == "no-fork":
        monkeypatch.delattr(os, "fork")
    else:
        monkeypatch.setattr(sys, "platform", "darwin")
    without = check(tmp_path, "without", lst, "--format", "json")
    assert without.exit_code == 3, without.output
    assert used == []  # no child's text
    monkeypatch.setattr(ahead, "start", lambda *a: None)
    alone = check(tmp_path, "alone", lst, "--format", "json")
    assert outputs(tmp_path, "without", without) == outputs(tmp_path, "alone", alone)


@pytest.mark.usefixtures("no_network")
def test_no_child_when_no_json_is_written(
    tmp_path: Path, used: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[int] = []
    monkeypatch.setattr(ahead, "start", lambda results, *_: started.append(len(results)))
    result = check(tmp_path, "text", outage_list(tmp_path), "--format", "text", "--no-reports")
    assert result.exit_code == 3, result.output
    assert started == [] and used == []
    result = check(tmp_path, "md", outage_list(tmp_path), "--format", "markdown")
    assert result.exit_code == 3, result.output
    assert started == [60]  # results.json is written


def test_no_child_for_a_run_that_is_no_outage(
    pool: ServerPool, tmp_path: Path, used: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[int] = []
    monkeypatch.setattr(ahead, "start", lambda results, *_: started.append(len(results)))
    a = pool.host("127.0.0.2")
    lst = tmp_path / "list.md"
    lst.write_text(f"- http://127.0.0.2:{a.port}/gone\n", encoding="utf-8")
    result = check(tmp_path, "up", lst, "--format", "json", "--allow-private")
    assert result.exit_code == 1, result.output
    assert started == [] and used == []


@pytest.mark.usefixtures("no_network")
def test_a_run_that_fails_after_the_child_started_ends_it(
    tmp_path: Path, used: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from linkhealth.errors import StoreError
    from linkhealth.pipeline.recorder import RunRecorder

    children: list[ahead.ResultsText] = []
    real = ahead.start

    def start(*args: object) -> ahead.ResultsText | None:
        child = real(*args)  # type: ignore[arg-type]
        assert child is not None
        children.append(child)
        return child

    def finish(*args: object, **kwargs: object) -> None:
        raise StoreError("the store is gone")

    monkeypatch.setattr(ahead, "start", start)
    monkeypatch.setattr(RunRecorder, "finish", finish)
    result = check(tmp_path, "fails", outage_list(tmp_path), "--format", "json")
    assert result.exit_code == 2, result.output
    assert "the store is gone" in result.output
    assert len(children) == 1 and used == []
    assert children[0].pids == [] and all(p.file is None for p in children[0].parts)  # ended


@pytest.mark.usefixtures("no_network")
def test_a_child_that_fails_is_said_and_the_report_written_all_the_same(
    tmp_path: Path, used: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    lst = outage_list(tmp_path)
    args = ("--format", "json", "--no-reports")
    alone = check(tmp_path, "alone", lst, *args)  # its child's text used: nothing said
    real = ahead.start

    def broken(results: Sequence[CheckResult]) -> Iterator[str]:
        yield "{"
        raise RuntimeError("the child's own trouble")

    monkeypatch.setattr(ahead, "start", lambda results, _, between: real(results, broken, between))
    failed = check(tmp_path, "failed", lst, *args)
    assert failed.exit_code == alone.exit_code == 3, failed.output
    assert used == [60]  # the first run's child only
    assert masked(failed.stdout) == masked(alone.stdout)
    said = (
        "warning: the JSON report's results were written again: the second process writing"
        " them exited with status 1\n"
    )
    assert masked(failed.stderr) == said + masked(alone.stderr)


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("fails", [False, True])
def test_the_child_s_text_is_copied_into_the_output_file(
    tmp_path: Path, used: list[int], monkeypatch: pytest.MonkeyPatch, fails: bool
) -> None:
    # --output: the child's file is copied as it is (or, the child failed, the results
    # written here): the file the run writes alone, byte for byte but its times.
    lst = outage_list(tmp_path)
    alone_out, child_out = tmp_path / "alone.json", tmp_path / "out" / "child.json"
    real = ahead.start
    monkeypatch.setattr(ahead, "start", lambda *a: None)
    alone = check(tmp_path, "alone", lst, "--format", "json", "--no-reports", "-o", str(alone_out))
    monkeypatch.setattr(ahead, "start", real)
    if fails:

        def broken(results: Sequence[CheckResult]) -> Iterator[str]:
            yield "{"
            raise RuntimeError("the child's own trouble")

        monkeypatch.setattr(
            ahead, "start", lambda results, _, between: real(results, broken, between)
        )
    child = check(tmp_path, "child", lst, "--format", "json", "--no-reports", "-o", str(child_out))
    assert child.exit_code == alone.exit_code == 3, child.output
    assert used == ([] if fails else [60])
    got, want = child_out.read_text(encoding="utf-8"), alone_out.read_text(encoding="utf-8")
    assert masked(got) == masked(want) and '"network": "outage"' in got
    assert ("exited with status 1" in child.stderr) is fails
    assert child.stdout == alone.stdout == ""
    assert sorted(p.name for p in child_out.parent.iterdir()) == ["child.json"]  # no temp left
