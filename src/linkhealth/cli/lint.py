"""`linkhealth lint`: malformed links, typos, duplicates and unsafe schemes, offline."""

from __future__ import annotations

from pathlib import Path

import click

from linkhealth.cli.common import (
    EXIT_FAILING,
    EXIT_OK,
    domain_errors,
    emit,
    format_option,
    output_option,
)
from linkhealth.cli.extract import parse_options
from linkhealth.cli.options import changed_since_option, settings_from_params
from linkhealth.inputs import extract_paths
from linkhealth.local import as_findings, check_occurrences, default_root
from linkhealth.models import Finding, Severity
from linkhealth.report import escape
from linkhealth.report.redact import redact_text


def render_text(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        line = f"{f.file}:{f.line}:{f.column} {f.rule} {escape.one_line(f.message)}"
        if f.suggestion:
            line += f" ({escape.one_line(f.suggestion)})"
        lines.append(line + "\n")
    return "".join(lines)


def render_json(findings: list[Finding]) -> str:
    return escape.json_text([f.model_dump(mode="json") for f in findings]) + "\n"


def render_github(findings: list[Finding]) -> str:
    out = []
    for f in findings:
        level = "error" if f.severity is Severity.ERROR else "warning"
        props = [
            f"file={escape.gh_property(f.file)}",
            f"line={f.line}",
            f"col={f.column}",
            f"endLine={f.end_line or f.line}",
            f"endColumn={f.end_column or f.column}",
            f"title={escape.gh_property('lint ' + f.rule)}",
        ]
        msg = escape.one_line(f.message)
        if f.suggestion:
            msg += f". Suggestion: {escape.one_line(f.suggestion)}"
        out.append(f"::{level} {','.join(props)}::{escape.gh_data(msg)}\n")
    return "".join(out)


RENDERERS = {"text": render_text, "json": render_json, "github": render_github}


@click.command("lint")
@parse_options
@format_option(list(RENDERERS), "text")
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
            }
        )
        result = extract_paths(list(paths), settings)
        root = Path(settings.root) if settings.root else default_root(Path.cwd())
        local = check_occurrences(
            result.occurrences,
            root,
            base_url=settings.base_url,
            directory_indexes=settings.directory_indexes,
        )
    findings = sorted(
        [*result.findings, *as_findings(local)], key=lambda f: (f.file, f.line, f.column)
    )
    emit(redact_text(RENDERERS[fmt.lower()](findings)), output)
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    warnings = len(findings) - errors
    if fmt.lower() == "text":
        click.echo(
            f"{errors} error(s), {warnings} warning(s) in {len(result.files)} file(s)", err=True
        )
    raise SystemExit(EXIT_FAILING if errors else EXIT_OK)
