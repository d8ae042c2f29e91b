"""`linkhealth report`: re-render the last run from the store, without a request."""

from __future__ import annotations

from pathlib import Path

import click

from linkhealth.cli.check import exit_code_for
from linkhealth.cli.common import UsageError, domain_errors, emit, format_option, output_option
from linkhealth.config import load_settings
from linkhealth.report import FORMATS, render
from linkhealth.store import Store


@click.command("report")
@format_option(list(FORMATS), "text")
@output_option()
@click.option("--store", default=None, help="History store (default .linkhealth/state.sqlite).")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file (default: linkhealth.toml or pyproject.toml [tool.linkhealth]).",
)
@click.option("--strict/--no-strict", default=None, help="Count 'blocked' as failing.")
def command(
    fmt: str,
    output: str | None,
    store: str | None,
    config_file: Path | None,
    strict: bool | None,
) -> None:
    """Re-render the last run from the store in any format (no network).

    \b
    Examples:
      linkhealth report --format markdown >> "$GITHUB_STEP_SUMMARY"
      linkhealth report --format sarif -o results.sarif
    """
    with domain_errors():
        settings, _ = load_settings({"store": store, "strict": strict}, config_file=config_file)
        path = Path(settings.store)
        if not path.exists():
            raise UsageError(f"no store at {path}: run `linkhealth check` first")
        opened = Store.open(path)
        try:
            for warning in opened.warnings:
                click.echo(f"warning: {warning}", err=True)
            report = opened.last_run()
        finally:
            opened.close()
        if report is None:
            raise UsageError(f"the store {path} holds no run yet: run `linkhealth check` first")
        emit(render(report, fmt, strict=settings.strict, fail_after=settings.fail_after), output)
    click.get_current_context().exit(exit_code_for(report))
