"""`linkhealth report`: re-render the last run from the store, without a request."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from linkhealth.cli import common
from linkhealth.cli.check import exit_code_for
from linkhealth.cli.common import UsageError, domain_errors, emit, format_option, output_option
from linkhealth.config import load_settings
from linkhealth.report import FORMATS, render_chunks

if TYPE_CHECKING:  # the store and the models load when a report is rendered, not for --help
    from linkhealth.models import RunReport


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
@click.option(
    "--strict/--no-strict",
    default=None,
    help="Count 'blocked' as failing (default: as the run did; it can only get stricter).",
)
@click.option(
    "--fail-after",
    type=click.IntRange(min=1),
    default=None,
    help="Fail links after N failing runs (default: as the run did; only lower is allowed).",
)
def command(
    fmt: str,
    output: str | None,
    store: str | None,
    config_file: Path | None,
    strict: bool | None,
    fail_after: int | None,
) -> None:
    """Re-render the last run from the store in any format (no network).

    The run is judged as `check` judged it (its --strict, --fail-after and accepted
    statuses are recorded); --strict or a lower --fail-after make it stricter, and
    stderr says so.

    \b
    Examples:
      linkhealth report --format markdown >> "$GITHUB_STEP_SUMMARY"
      linkhealth report --format sarif -o results.sarif
    """
    with domain_errors():
        settings, _ = load_settings({"store": store}, config_file=config_file)
        path = Path(settings.store)
        if not path.exists():
            raise UsageError(f"no store at {path}: run `linkhealth check` first")
        from linkhealth.store import Store

        opened = Store.open(path)
        try:
            for warning in opened.warnings:
                common.notice("warning: ", warning)
            report = opened.last_run()
        finally:
            opened.close()
        if report is None:
            raise UsageError(f"the store {path} holds no run yet: run `linkhealth check` first")
        report = _stricter(report, strict, fail_after)
        emit(render_chunks(report, fmt), output)
    click.get_current_context().exit(exit_code_for(report))


def _stricter(report: RunReport, strict: bool | None, fail_after: int | None) -> RunReport:
    """The run as recorded, made stricter by ``report``'s flags (and saying so)."""
    recorded = report.judged_with
    try:
        judging = recorded.stricter(strict=strict, fail_after=fail_after)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    changes = judging.differences(recorded)
    if not changes:
        return report
    was = ", ".join(recorded.differences(judging))
    click.echo(
        f"note: judged stricter than the run: {', '.join(changes)} (the run used {was})", err=True
    )
    return report.rejudged(judging)
