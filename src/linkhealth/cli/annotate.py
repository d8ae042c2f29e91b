"""`linkhealth annotate`: show or write annotated lists."""

from __future__ import annotations

from typing import Any

import click

from linkhealth.annotate import (
    DESCRIPTION_MODES,
    FIX_DEAD_MODES,
    AnnotateChange,
    annotate_paths,
    write_change,
)
from linkhealth.cli.check import run_with_signals
from linkhealth.cli.common import EXIT_FAILING, EXIT_PARTIAL, EXIT_USAGE, domain_errors, notice
from linkhealth.cli.options import network_options, settings_from_params
from linkhealth.errors import LinkhealthError


def _deliver(changed: list[AnnotateChange], *, write: bool, check: bool) -> int:
    """Write the changes, name them (``--check``) or print their diff; the write errors."""
    errors = 0
    if write:
        for change in changed:
            try:
                write_change(change)
            except LinkhealthError as exc:
                notice("error: ", exc)
                errors += 1
                continue
            notice("annotated ", change.display)
    elif check:
        for change in changed:
            notice("would annotate ", change.display)
    else:
        text = "".join(c.diff for c in changed)
        if text:
            click.echo(text, nl=False)
    return errors


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
@click.option(
    "--fix-dead",
    type=click.Choice(FIX_DEAD_MODES),
    default=None,
    help="Archived copies of failing links (looked up as by check --archive): mark adds "
    "the copy to the failure marker, archive points the link at it until the original is back.",
)
@network_options
def command(
    paths: tuple[str, ...],
    write: bool,
    check: bool,
    descriptions: str,
    fix_redirects: bool,
    fix_typos: bool,
    fix_dead: str | None,
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
      linkhealth annotate lists/ --write --fix-dead archive
      linkhealth annotate --check lists/

    Exit codes: 0 done (or nothing to change), 1 --check found changes,
    2 usage or input error (or a file changed on disk meanwhile), 3 the run
    could not judge the links (no network, interrupted): nothing written.
    """
    ctx = click.get_current_context()
    if write and check:
        raise click.UsageError("--write and --check cannot be used together")
    with domain_errors():
        # --fix-dead turns the archive look-ups on (config `archive = true` does too).
        settings = settings_from_params(params, archive=True if fix_dead else None)
        outcome = run_with_signals(
            lambda stop: annotate_paths(
                paths,
                settings,
                descriptions="always" if descriptions == "always" else "missing",
                fix_redirects=fix_redirects,
                fix_typos=fix_typos,
                fix_dead="archive" if fix_dead == "archive" else "mark",
                stop=stop,
            )
        )
    for warning in outcome.warnings:
        notice("warning: ", warning)
    if outcome.not_judged:
        click.echo(
            f"{outcome.not_judged}: the links could not be judged; nothing annotated (exit 3)",
            err=True,
        )
        ctx.exit(EXIT_PARTIAL)
    for error in outcome.errors:
        notice("error: ", error)
    changed = outcome.changed
    errors = len(outcome.errors) + _deliver(changed, write=write, check=check)
    if errors:
        ctx.exit(EXIT_USAGE)
    if check and changed:
        ctx.exit(EXIT_FAILING)
