"""The docs cannot drift: the README's usage block is `--help` of the group and of every
command (regenerate it with ``python tests/docs/test_docs.py``), every command's help has
worked examples, mistyped commands and options get "did you mean"."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from linkhealth.cli import cli

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
START = "<!-- usage:start (generated from --help; python tests/docs/test_docs.py) -->"
END = "<!-- usage:end -->"
WIDTH = 100


def help_text(*args: str) -> str:
    result = CliRunner().invoke(
        cli, [*args, "--help"], prog_name="linkhealth", terminal_width=WIDTH
    )
    assert result.exit_code == 0, result.output
    return result.output


def commands() -> list[str]:
    assert isinstance(cli, click.Group)
    return sorted(cli.commands)


def usage_block() -> str:
    parts = []
    for args in [(), *[(name,) for name in commands()]]:
        parts.append(f"$ linkhealth {' '.join([*args, '--help'])}\n{help_text(*args)}")
    body = "\n".join(parts)
    return f"{START}\n```text\n{body}```\n{END}"


def readme_block(text: str) -> str:
    match = re.search(re.escape(START) + r".*?" + re.escape(END), text, re.S)
    assert match, "README.md has no usage block"
    return match.group(0)


def test_readme_usage_block_equals_help() -> None:
    assert readme_block(README.read_text(encoding="utf-8")) == usage_block(), (
        "README usage block is stale: run `python tests/docs/test_docs.py`"
    )


def test_readme_keeps_the_two_commands_that_ci_runs() -> None:
    readme = README.read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)\n```", readme, re.S)
    install_run, install_test = blocks[0], blocks[1]
    assert install_run.endswith("linkhealth check lists/")
    assert "pytest" in install_test
    assert install_test in ci.splitlines(), ".ci/run must run the README's test command verbatim"


@pytest.mark.parametrize("name", ["", *commands()])
def test_every_help_has_examples(name: str) -> None:
    text = help_text(*([name] if name else []))
    match = re.search(r"^\s*Examples[^\n]*:\n((?:\s+linkhealth .*\n)+)", text, re.M)
    assert match, f"`linkhealth {name} --help` has no Examples section"
    assert len(match.group(1).strip().splitlines()) >= 2


def test_every_option_has_help() -> None:
    missing = []
    for name in commands():
        command = cli.commands[name]
        assert command.help, name
        for param in command.params:
            if isinstance(param, click.Option) and not param.help:
                missing.append(f"{name} {param.opts[0]}")
    assert missing == []


def test_mistyped_command_and_option_get_suggestions() -> None:
    result = CliRunner().invoke(cli, ["chek"], prog_name="linkhealth")
    assert result.exit_code == 2
    assert "Did you mean 'check'?" in result.output
    result = CliRunner().invoke(cli, ["check", "--retrys", "2"], prog_name="linkhealth")
    assert result.exit_code == 2
    assert "--retries" in result.output and "Did you mean" in result.output
    result = CliRunner().invoke(cli, ["lint", "--format", "jsn"], prog_name="linkhealth")
    assert result.exit_code == 2 and "'jsn' is not one of" in result.output


if __name__ == "__main__":  # regenerate the README's usage block
    text = README.read_text(encoding="utf-8")
    new = text.replace(readme_block(text), usage_block())
    README.write_text(new, encoding="utf-8")
    sys.exit(0)
