"""The seed list: expectations computed here by a plain scan of its lines, not copied."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from linkhealth.cli import cli
from linkhealth.parse import extract_text, read_markdown

SEED = Path(__file__).resolve().parents[2] / "lists" / "reading-list.md"
URL_RE = re.compile(r"https?://[^\s)\]>]+")


def _expected() -> tuple[list[tuple[int, str]], list[int]]:
    """(line, url) for every http(s) URL outside the fenced block; lines whose URL has a space."""
    found: list[tuple[int, str]] = []
    broken: list[int] = []
    fenced = False
    for n, line in enumerate(SEED.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            continue
        for m in URL_RE.finditer(line):
            rest = line[m.end() :]
            if rest.startswith(" ") and "](" in line and ")" in rest and not rest.startswith(" ("):
                broken.append(n)  # "[t](https://simonwil lison.net/…)": not a link
                continue
            inline = line[: m.start()].endswith("](")
            # a bare URL loses trailing punctuation (GFM); a [t](dest) keeps all of it
            found.append((n, m.group() if inline else m.group().rstrip(".,")))
    return found, broken


def test_seed_extract_gives_199_urls_on_the_right_lines() -> None:
    expected, broken = _expected()
    assert broken == [37]
    assert len(expected) == 199
    result = extract_text(read_markdown(SEED), "lists/reading-list.md")
    got = [(o.line, o.url) for o in result.occurrences if o.url.startswith(("http:", "https:"))]
    assert got == expected
    assert all(o.in_comment for o in result.occurrences)  # the whole file is one comment
    assert not any(o.url.startswith("https://simonwil") for o in result.occurrences)
    lines = SEED.read_text(encoding="utf-8").splitlines()
    for o in result.occurrences:
        assert lines[o.line - 1][o.column - 1 : o.end_column - 1] == o.url


def test_seed_sections() -> None:
    occ = extract_text(read_markdown(SEED), "s.md").occurrences
    by_line = {o.line: o.section for o in occ}
    assert by_line[11] == "Evolution of LLMs"
    assert by_line[42] == "Reasoning models"
    assert by_line[61] == "CUDA & optimising GPUs"
    assert by_line[114] == "Guide for distributed training and training multiple GPUs"


def test_seed_lint_cli() -> None:
    result = CliRunner().invoke(cli, ["lint", str(SEED)], catch_exceptions=False)
    assert result.exit_code == 1
    line37 = [ln for ln in result.stdout.splitlines() if ":37:" in ln]
    assert line37 == [
        f"{SEED}:37:44 url-whitespace whitespace inside the link destination "
        "(https://simonwillison.net/2024/Dec/31/llms-in-2024/)"
    ]
    expected, _ = _expected()
    urls = [u for _, u in expected]
    repeated = {u for u in urls if urls.count(u) > 1}
    assert "https://github.com/srush/GPU-Puzzles" in repeated
    dup_lines = sorted(n for n, u in expected if u in repeated)
    got = sorted(
        int(ln.split(":")[1]) for ln in result.stdout.splitlines() if " duplicate-url " in ln
    )
    assert got == dup_lines


def test_seed_lint_json_and_github() -> None:
    out = CliRunner().invoke(cli, ["lint", str(SEED), "--format", "json"], catch_exceptions=False)
    data = json.loads(out.stdout)
    (typo,) = [f for f in data if f["rule"] == "url-whitespace"]
    assert typo["line"] == 37 and typo["severity"] == "error"
    assert typo["raw"] == "https://simonwil lison.net/2024/Dec/31/llms-in-2024/"
    gh = CliRunner().invoke(cli, ["lint", str(SEED), "--format", "github"], catch_exceptions=False)
    assert "::error file=" in gh.stdout and "line=37,col=44" in gh.stdout
    assert "::warning file=" in gh.stdout
