"""normalise_url, split_fragment, read_markdown, discover, and the CLI's input errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from linkhealth.cli import cli
from linkhealth.config import Settings
from linkhealth.errors import InputError
from linkhealth.inputs import discover, extract_paths
from linkhealth.parse import normalise_url, read_markdown, split_fragment


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("HTTPS://Example.COM", "https://example.com/"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a?b=1#Frag", "http://example.com/a?b=1#Frag"),
        ("http://example.com:8080", "http://example.com:8080/"),
        ("https://bücher.example/ü", "https://xn--bcher-kva.example/ü"),
        ("https://user@Example.com/", "https://user@example.com/"),
        ("https://[::1]:443/x", "https://[::1]/x"),
        ("mailto:Me@Example.com", "mailto:Me@Example.com"),
        ("docs/x.md", "docs/x.md"),
        ("https://example.com:bad/", "https://example.com:bad/"),
    ],
)
def test_normalise_url(url: str, key: str) -> None:
    assert normalise_url(url) == key


def test_split_fragment() -> None:
    assert split_fragment("https://a.example/x#sec") == ("https://a.example/x", "sec")
    assert split_fragment("https://a.example/x") == ("https://a.example/x", None)
    assert split_fragment("#top") == ("", "top")


def test_read_markdown_errors_name_file_and_byte_offset(tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"ok line\n\xff\xfe")
    with pytest.raises(InputError, match=r"bad\.md.*byte offset 8"):
        read_markdown(bad)
    with pytest.raises(InputError, match=r"missing\.md"):
        read_markdown(tmp_path / "missing.md")
    bom = tmp_path / "bom.md"
    bom.write_bytes("\ufeffhi".encode())
    assert read_markdown(bom) == "hi"


def test_discover_walks_sorted_and_honours_globs(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    for name in ("z.md", "a.markdown", "b/c.md", "b/notes.txt", ".git/x.md", "d.mdx"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    rel = [
        p.relative_to(tmp_path).as_posix()
        for p in discover([str(tmp_path)], ["*.md", "*.markdown"])
    ]
    assert rel == ["a.markdown", "z.md", "b/c.md"]
    got = discover([str(tmp_path / "*.mdx"), str(tmp_path / "z.md"), str(tmp_path)], ["*.md"])
    assert [p.name for p in got] == ["d.mdx", "z.md", "c.md"]
    with pytest.raises(InputError, match="nope"):
        discover([str(tmp_path / "nope")], ["*.md"])


def test_extract_paths_uses_settings(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("<!-- https://a.example/c -->\nhttps://a.example/v\n", "utf-8")
    default = extract_paths([str(tmp_path)], Settings())
    assert [o.url for o in default.occurrences] == ["https://a.example/v"]
    included = extract_paths([str(tmp_path)], Settings(comments="include"))
    assert [o.url for o in included.occurrences] == ["https://a.example/c", "https://a.example/v"]
    assert default.files == [(tmp_path / "a.md").as_posix()]


def test_cli_extract_formats(tmp_path: Path) -> None:
    f = tmp_path / "l.md"
    f.write_text("# S\n\n- [=cmd](https://a.example/1)\n- https://a.example/2\n", "utf-8")
    runner = CliRunner()
    text = runner.invoke(cli, ["extract", str(f)], catch_exceptions=False)
    assert text.exit_code == 0
    assert text.stdout.splitlines() == [
        f"{f}:3:10 inline https://a.example/1",
        f"{f}:4:3 bare https://a.example/2",
    ]
    data = json.loads(runner.invoke(cli, ["extract", str(f), "--format", "json"]).stdout)
    assert data[0] == {
        "url": "https://a.example/1", "file": f.as_posix(), "line": 3, "column": 10,
        "end_line": 3, "end_column": 29, "text": "=cmd", "kind": "inline", "section": "S",
        "in_comment": False,
    }  # fmt: skip
    out = tmp_path / "out.csv"
    res = runner.invoke(cli, ["extract", str(f), "--format", "csv", "-o", str(out)])
    assert res.exit_code == 0 and res.stdout == ""
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8"))))
    assert [r["url"] for r in rows] == ["https://a.example/1", "https://a.example/2"]
    assert rows[0]["text"] == "'=cmd"  # never read as a spreadsheet formula


def test_cli_input_errors_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"abc\xc3")
    runner = CliRunner()
    for command in ("extract", "lint"):
        res = runner.invoke(cli, [command, str(bad)])
        assert res.exit_code == 2
        assert "bad.md" in res.output and "byte offset 3" in res.output
        res = runner.invoke(cli, [command, str(tmp_path / "missing")])
        assert res.exit_code == 2 and "missing" in res.output


def test_cli_lint_clean_file_exits_0_and_warnings_do_not_fail(tmp_path: Path) -> None:
    f = tmp_path / "l.md"
    f.write_text("- https://a.example/1\n- https://a.example/1\n", "utf-8")
    res = CliRunner().invoke(cli, ["lint", str(f)], catch_exceptions=False)
    assert res.exit_code == 0
    assert [ln.split()[1] for ln in res.stdout.splitlines()] == ["duplicate-url", "duplicate-url"]
    f.write_text("- [t](htps://a.example/1)\n", "utf-8")
    res = CliRunner().invoke(cli, ["lint", str(f)], catch_exceptions=False)
    assert res.exit_code == 1
    assert res.stdout == f"{f}:1:7 scheme-typo misspelt scheme 'htps://' (https://a.example/1)\n"


def test_pre_commit_hook_runs_lint() -> None:
    # A flat YAML list of mappings; read it without a YAML dependency.
    text = (Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml").read_text("utf-8")
    fields = dict(
        line.strip().removeprefix("- ").split(": ", 1)
        for line in text.splitlines()
        if ": " in line and not line.lstrip().startswith("#")
    )
    assert fields["id"] == "linkhealth-lint"
    assert fields["entry"].split()[:2] == ["linkhealth", "lint"]
    assert fields["language"] == "python" and fields["types"] == "[markdown]"
