"""The command line: thin click commands over the library. Only this package prints or exits."""

from __future__ import annotations

import click

from linkhealth import __version__

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name="linkhealth")
def cli() -> None:
    """Keep Markdown link lists healthy.

    \b
    Jobs:
      linkhealth lint lists/            offline typo check (pre-commit)
      linkhealth check lists/           check every link, write reports/
      linkhealth annotate x.md --write  turn bare URLs into [Title](url) — description
    """


def _register() -> None:
    # Each command lives in its own module; import them here so `cli` knows them.
    import importlib

    for name in ("extract", "lint", "check", "report", "annotate"):
        try:
            module = importlib.import_module(f"linkhealth.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"linkhealth.cli.{name}":
                raise
            continue
        cli.add_command(module.command)


_register()


def main() -> None:
    cli(prog_name="linkhealth")
