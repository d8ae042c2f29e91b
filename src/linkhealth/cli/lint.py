"""`linkhealth lint`: malformed links, typos, duplicates and unsafe schemes, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from linkhealth.cli.common import (
    EXIT_FAILING,
    EXIT_OK,
    domain_errors,
    emit,
    format_option,
    output_option,
)
from linkhealth.cli.options import changed_since_option, parse_options, settings_from_params
from linkhealth.lint import lint_paths
from linkhealth.report import lintfmt
from linkhealth.report.redact import redact_text


@click.command("lint")
@parse_options
@format_option(list(lintfmt.RENDERERS), "text")
@output_option()
@changed_since_option
def command(
    paths: tuple[str, ...],
    comments: str | None,
    globs: tuple[str, ...],
    config_file: Path | None,
    fmt: str,
    output: str | None,
    changed_since: str | None,
    **inputs: Any,
) -> None:
    """Find malformed links with a suggested fix (no network; fit for pre-commit).

    Each finding is `file:line:col rule message (suggestion)`. Rules: url-whitespace,
    scheme-typo, missing-scheme, missing-host, invalid-host, space-before-paren,
    unbalanced-brackets, empty-destination, unsafe-scheme (errors), duplicate-url and
    unclosed-ignore (warnings); relative links are checked against the repository's
    files and headings: broken-local-link, missing-anchor, unsafe-local-link (errors).
    Exit 1 when any error is found, 2 when a path cannot be read.

    \b
    Examples:
      linkhealth lint lists/
      linkhealth lint README.md docs/ --format github
      linkhealth lint --changed-since origin/main    # a pull request's lines only
    """
    with domain_errors():
        settings = settings_from_params(
            {
                "comments": comments,
                "globs": globs,
                "config_file": config_file,
                "changed_since": changed_since,
                **inputs,
            }
        )
        result = lint_paths(list(paths), settings)
    emit(redact_text(lintfmt.RENDERERS[fmt.lower()](result.findings)), output)
    if fmt.lower() == "text":
        counts = f"{result.errors} error(s), {result.warnings} warning(s)"
        click.echo(f"{counts} in {len(result.files)} file(s)", err=True)
    raise SystemExit(EXIT_FAILING if result.errors else EXIT_OK)
