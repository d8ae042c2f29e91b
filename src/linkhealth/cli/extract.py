"""`linkhealth extract`: every link occurrence, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from linkhealth.cli.common import EXIT_OK, domain_errors, emit, format_option, output_option
from linkhealth.cli.options import parse_options, settings_from_params
from linkhealth.inputs import extract_paths
from linkhealth.report import extractfmt
from linkhealth.report.redact import redact_pieces


@click.command("extract")
@parse_options
@format_option(list(extractfmt.RENDERERS), "text")
@output_option()
def command(
    paths: tuple[str, ...],
    comments: str | None,
    globs: tuple[str, ...],
    config_file: Path | None,
    fmt: str,
    output: str | None,
    **inputs: Any,
) -> None:
    """List every well-formed link occurrence with its exact place (no network).

    PATH is a file, a folder (walked for Markdown files) or a glob; default: lists/.
    Malformed links are not listed here: `linkhealth lint` reports them.

    \b
    Examples:
      linkhealth extract lists/
      linkhealth extract README.md --format json
      linkhealth extract docs/ --glob '*.mdx' --format csv -o links.csv
    """
    with domain_errors():
        settings = settings_from_params(
            {"comments": comments, "globs": globs, "config_file": config_file, **inputs}
        )
        fmt = fmt.lower()
        result = extract_paths(list(paths), settings, render=fmt)
        # (inside: a large file's second half is read back from its worker's file as it
        # is written out, and a read that fails there is an InputError)
        emit(redact_pieces(extractfmt.RENDERERS[fmt](result.occurrences, result.rendered)), output)
    malformed = sum(1 for f in result.findings if f.severity.value == "error")
    if malformed:
        click.echo(
            f"note: {malformed} malformed link(s) not listed; run `linkhealth lint` to see them",
            err=True,
        )
    raise SystemExit(EXIT_OK)
