"""The command line: thin click commands over the library. Only this package prints or exits."""

from __future__ import annotations

import click

from linkhealth import __version__
from linkhealth.cli import annotate as _annotate
from linkhealth.cli import check as _check
from linkhealth.cli import extract as _extract
from linkhealth.cli import lint as _lint
from linkhealth.cli import report as _report

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name="linkhealth")
def cli() -> None:
    """Keep Markdown link lists healthy.

    \b
    Examples (the three jobs):
      linkhealth lint lists/            offline typo check (pre-commit)
      linkhealth check lists/           check every link, write reports/
      linkhealth annotate x.md --write  turn bare URLs into [Title](url) — description
    """


# Each command lives in its own module exposing ``command``. Unknown command and
# option names get click's "Did you mean ...?" (click >= 8.2 suggests both).
for _command in (
    _extract.command,
    _lint.command,
    _check.command,
    _report.command,
    _annotate.command,
):
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="linkhealth")
