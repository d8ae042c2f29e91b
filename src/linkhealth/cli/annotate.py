"""`linkhealth annotate`: show or write annotated lists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from linkhealth.annotate import (
    DESCRIPTION_MODES,
    AnnotateChange,
    AnnotateOptions,
    annotate_file,
    write_change,
)
from linkhealth.cli.check import run_with_signals
from linkhealth.cli.common import EXIT_FAILING, EXIT_PARTIAL, EXIT_USAGE, domain_errors
from linkhealth.cli.options import network_options, settings_from_params
from linkhealth.errors import LinkhealthError
from linkhealth.inputs import extract_paths
from linkhealth.models import CheckResult, LinkKind, Occurrence, Severity
from linkhealth.parse import ParseResult


def _with_suggestions(parsed: ParseResult) -> ParseResult:
    """``parsed`` plus one occurrence per suggested fix, so that the run fetches the
    suggested URLs' titles and descriptions too (a fixed link is annotated at once)."""
    extra = [
        Occurrence(
            url=f.suggestion,
            file=f.file,
            line=f.line,
            column=f.column,
            end_line=f.end_line if f.end_line is not None else f.line,
            end_column=f.end_column if f.end_column is not None else f.column,
            kind=LinkKind.INLINE,
            section=f.section,
        )
        for f in parsed.findings
        if f.suggestion and f.severity is Severity.ERROR and f.suggestion != f.raw
    ]
    return ParseResult(parsed.occurrences + extra, parsed.findings, parsed.files)


@click.command("annotate")
@click.argument("paths", nargs=-1)
@click.option("--write", "write", is_flag=True, help="Write the annotated files (atomically).")
@click.option(
    "--check", "check", is_flag=True, help="Exit 1 when a file would change; write nothing."
)
@click.option(
    "--descriptions",
    type=click.Choice(DESCRIPTION_MODES),
    default="missing",
    show_default=True,
    help="missing: add a description only to items without one; always: (re)write it.",
)
@click.option("--fix-redirects", is_flag=True, help="Replace permanently redirected URLs.")
@click.option("--fix-typos", is_flag=True, help="Apply lint fixes whose suggested URL answered OK.")
@network_options
def command(
    paths: tuple[str, ...],
    write: bool,
    check: bool,
    descriptions: str,
    fix_redirects: bool,
    fix_typos: bool,
    **params: Any,
) -> None:
    """Turn bare URLs in PATH... (default lists/) into [Title](url) — description.

    Prints a unified diff by default; --write applies it, --check exits 1 when a
    file would change (for CI). Links with text keep it; failing links get a
    marker such as "(broken since 2026-11-20: 404)". Stored results are used;
    URLs without a fresh one are checked first. Nothing else in the file changes.

    \b
    Examples:
      linkhealth annotate lists/reading-list.md
      linkhealth annotate lists/ --write --fix-redirects
      linkhealth annotate --check lists/

    Exit codes: 0 done (or nothing to change), 1 --check found changes,
    2 usage or input error (or a file changed on disk meanwhile), 3 the run
    could not judge the links (no network, interrupted): nothing written.
    """
    ctx = click.get_current_context()
    if write and check:
        raise click.UsageError("--write and --check cannot be used together")
    with domain_errors():
        settings = settings_from_params(params)
        targets = list(paths) or list(settings.paths)
        parsed = extract_paths(targets, settings)
        if fix_typos:
            parsed = _with_suggestions(parsed)
        outcome = run_with_signals(settings, targets, None, parsed=parsed)
    for warning in outcome.warnings:
        click.echo(f"warning: {warning}", err=True)
    report = outcome.report
    if report.network == "outage" or report.partial:
        reason = "network outage" if report.network == "outage" else "run interrupted"
        click.echo(f"{reason}: the links could not be judged; nothing annotated (exit 3)", err=True)
        ctx.exit(EXIT_PARTIAL)

    results: dict[str, CheckResult] = {r.url: r for r in report.results}
    options = AnnotateOptions(
        descriptions="always" if descriptions == "always" else "missing",
        fix_redirects=fix_redirects,
        fix_typos=fix_typos,
        strict=settings.strict,
        fail_after=settings.fail_after,
        comments=settings.comments,
    )
    changes: list[AnnotateChange] = []
    errors = 0
    for file in parsed.files:
        try:
            changes.append(annotate_file(Path(file), results, options))
        except LinkhealthError as exc:
            click.echo(f"error: {exc}", err=True)
            errors += 1

    changed = [c for c in changes if c.changed]
    if write:
        for change in changed:
            try:
                write_change(change)
            except LinkhealthError as exc:
                click.echo(f"error: {exc}", err=True)
                errors += 1
                continue
            click.echo(f"annotated {change.display}", err=True)
    elif check:
        for change in changed:
            click.echo(f"would annotate {change.display}", err=True)
    else:
        text = "".join(c.diff for c in changed)
        if text:
            click.echo(text, nl=False)
    if errors:
        ctx.exit(EXIT_USAGE)
    if check and changed:
        ctx.exit(EXIT_FAILING)
