"""`linkhealth check`: the full run."""

from __future__ import annotations

import asyncio
import gc
import math
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

import click

from linkhealth.cli import keep_to_the_end
from linkhealth.cli.common import (
    EXIT_FAILING,
    EXIT_OK,
    EXIT_PARTIAL,
    UsageError,
    domain_errors,
    emit,
    format_option,
    notice,
    output_option,
    write_output,
)
from linkhealth.cli.options import changed_since_option, network_options, settings_from_params
from linkhealth.config import REPORT_FILES, Settings
from linkhealth.errors import ReportWriteError
from linkhealth.report import FORMATS, WrittenReports, render_chunks, write_reports
from linkhealth.report.redact import Redacted, screened

if TYPE_CHECKING:  # the network stack and the models load when a check runs, not for --help
    from linkhealth.fetch import OnThrottle
    from linkhealth.models import CheckResult, RunReport
    from linkhealth.pipeline import ProgressCallback, RunOutcome

EXTRA_REPORTS = tuple(REPORT_FILES)
T = TypeVar("T")


def exit_code_for(report: RunReport) -> int:
    if report.partial or report.network == "outage":
        return EXIT_PARTIAL
    return EXIT_FAILING if report.summary.failing else EXIT_OK


def run_with_signals(job: Callable[[asyncio.Event], Awaitable[T]]) -> T:
    """Run ``job(stop)`` in an event loop; the first SIGINT/SIGTERM sets ``stop`` (the job
    winds down gracefully), a second SIGINT exits now. ``check`` and ``annotate`` run here."""

    async def main() -> T:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        hits = 0

        def on_signal() -> None:
            nonlocal hits
            hits += 1
            if hits == 1:
                stop.set()
            else:
                os._exit(130)

        installed = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, on_signal)
                installed.append(sig)
            except (NotImplementedError, RuntimeError, ValueError):
                pass
        try:
            return await job(stop)
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)

    return asyncio.run(main())


WAITS_SHOWN = 3
HOST_CHARS = 40


def throttle_text(waiting: Mapping[str, float], limit: int = WAITS_SHOWN) -> str:
    """``waiting: example.com 12s, api.x.org 3s (+2 more)`` for hosts paused by 429/503.

    Plain text (host names made terminal-safe); print it without markup interpretation.
    Empty when no host is waiting.
    """
    from linkhealth.textsafe import shorten, terminal

    if not waiting:
        return ""
    ranked = sorted(waiting.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ", ".join(
        f"{shorten(terminal(host), HOST_CHARS)} {math.ceil(seconds)}s"
        for host, seconds in ranked[:limit]
    )
    more = f" (+{len(ranked) - limit} more)" if len(ranked) > limit else ""
    return f"waiting: {shown}{more}"


def _progress_bar(
    enabled: bool,
) -> tuple[ProgressCallback | None, Callable[[], None], OnThrottle | None]:
    if not enabled:
        return None, lambda: None, None
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        Task,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.text import Text

    from linkhealth.fetch import ThrottleBoard

    board = ThrottleBoard()

    class WaitsColumn(ProgressColumn):
        """Hosts paused by 429/503, re-read on every refresh so the seconds count down."""

        def render(self, task: Task) -> Text:
            # Text(), not markup: host names are fetched data.
            return Text(throttle_text(board.waiting()), style="yellow")

    bar = Progress(
        TextColumn("checking"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        WaitsColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task("check", total=None, rate="")
    bar.start()

    def update(done: int, total: int, result: CheckResult | None) -> None:
        elapsed = bar.tasks[0].elapsed or 0.0
        rate = f"{done / elapsed:.1f}/s" if elapsed > 0 else ""
        bar.update(task, completed=done, total=total, rate=rate)

    return update, bar.stop, board.note


VERDICT_STYLES = {
    "ok": "green",
    "redirected": "green",
    "excluded": "dim",
    "skipped": "dim",
    "blocked": "yellow",
}


def closing_summary(outcome: RunOutcome, seconds: float, *, counts_shown: bool = False) -> str:
    """One line of rich markup: counts per verdict, time, requests, cache hits.

    With ``counts_shown`` (the text report on the same terminal already counted the
    verdicts) only the time, requests and cache hits are added.
    """
    from rich.markup import escape as markup_escape

    from linkhealth.report.view import plural

    if counts_shown:
        return f"{seconds:.1f} s, {outcome.requests} requests, {outcome.cache_hits} cache hits"
    summary = outcome.report.summary
    counts = ", ".join(
        f"[{VERDICT_STYLES.get(verdict, 'bold red')}]{count} {markup_escape(verdict)}[/]"
        for verdict, count in sorted(summary.by_verdict.items(), key=lambda kv: -kv[1])
    )
    failing = (
        f"[bold red]{summary.failing} failing[/]" if summary.failing else "[green]none failing[/]"
    )
    return (
        f"{plural(summary.urls, 'URL')} in {plural(summary.occurrences, 'place')}: "
        f"{counts or 'none'}; {failing} "
        f"· {seconds:.1f} s, {outcome.requests} requests, {outcome.cache_hits} cache hits"
    )


def _verbose(inner: ProgressCallback | None) -> ProgressCallback:
    from linkhealth.report.redact import redact_text
    from linkhealth.textsafe import terminal_escape

    def update(done: int, total: int, result: CheckResult | None) -> None:
        if inner is not None:
            inner(done, total, result)
        if result is not None:
            status = result.http_status if result.http_status is not None else "-"
            # A reused result made no request: say so rather than repeat an old timing.
            took = "cached" if result.from_cache else f"{result.elapsed_ms:.0f}ms"
            click.echo(
                f"[{done}/{total}] {result.verdict.value} {status} "
                f"{terminal_escape(redact_text(result.url))} {took}",
                err=True,
            )

    return update


#: Allocations between two collections of the cyclic GC's youngest generation during a
#: run (Python's default is 700). A run keeps nearly everything it allocates (results,
#: occurrences, the plan) and makes little cyclic garbage: at 700 a 5,000-link check
#: collected ~250 times (0.3 s of CPU), and planning 50,000 links ran 5 full collections
#: (0.45 s); at 7,000, 22 passes (0.07 s) and none.
RUN_GC_THRESHOLD = 7000


@contextmanager
def fewer_collections() -> Iterator[None]:
    """The cyclic GC's youngest generation collected every :data:`RUN_GC_THRESHOLD`
    allocations while the block runs (the older generations' thresholds as they were)."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], RUN_GC_THRESHOLD), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _run_shown(
    settings: Settings, targets: list[str], *, bar: bool, verbose: bool, json_ahead: bool
) -> tuple[RunOutcome, float]:
    """Run the check with a progress bar and/or one line per result; the outcome and seconds
    (``json_ahead``: see :func:`~linkhealth.pipeline.run_check`)."""
    from linkhealth.pipeline import run_check

    progress, stop_bar, on_throttle = _progress_bar(bar)
    if verbose:
        progress = _verbose(progress)
    started = time.monotonic()
    try:
        with fewer_collections():
            outcome = run_with_signals(
                lambda stop: run_check(
                    settings,
                    paths=targets,
                    stop=stop,
                    progress=progress,
                    on_throttle=on_throttle,
                    json_ahead=json_ahead,
                )
            )
    finally:
        stop_bar()
    return outcome, time.monotonic() - started


def _write_outputs(outcome: RunOutcome, settings: Settings, fmt: str, output: str | None) -> None:
    """The warnings, the report files and the report in ``fmt`` (stdout or ``output``)."""
    for warning in outcome.warnings:
        notice("warning: ", warning)
    report = outcome.report
    ahead = outcome.results_text  # for the one JSON text written below
    to_render: RunReport | Redacted = report
    files = WrittenReports()
    if not settings.no_reports:
        to_render = screened(report)  # redacted once for the files and the output below
        try:
            files = write_reports(
                to_render,
                Path(settings.reports_dir),
                settings.report_formats,
                keep_json=fmt == "json",  # the same text: printed, not rendered again
                ahead=ahead,
            )
        except ReportWriteError as exc:
            raise UsageError(str(exc)) from exc
        ahead = None
    if fmt == "json" and output is not None and ahead is not None:
        # The results' text the second processes wrote is copied into the file as it is
        # (not read, decoded and encoded again: ~0.2 s of an outage of 200,000 links).
        from linkhealth.report import jsonfmt

        pieces = jsonfmt.spliced(report, ahead)
        if pieces is not None:
            _write_file(output, pieces)
            return
    with closing(files):
        written = files.json_text()
        emit(written if written is not None else render_chunks(to_render, fmt, ahead), output)


def _write_file(output: str, pieces: list[str | IO[bytes]]) -> None:
    """:func:`~linkhealth.cli.common.write_output` of text pieces and files copied as they
    are, every file closed even when the write stops before it."""
    try:
        write_output(output, pieces)
    finally:
        for piece in pieces:
            if not isinstance(piece, str):
                piece.close()


def _say_why_partial(report: RunReport) -> None:
    if report.network == "outage":
        click.echo(
            "network outage: nearly every host failed at the network level; "
            "no link was marked broken (exit 3)",
            err=True,
        )
    elif report.partial:
        click.echo("run interrupted: reports are partial (exit 3)", err=True)


@click.command("check")
@click.argument("paths", nargs=-1)
@format_option(list(FORMATS), "text")
@output_option()
@network_options
@changed_since_option
@click.option("--no-reports/--reports", default=None, help="Do not write reports/.")
@click.option("--reports-dir", default=None, help="Folder for reports (default reports/).")
@click.option(
    "--report-format",
    "report_formats",
    multiple=True,
    type=click.Choice(EXTRA_REPORTS),
    help="Also write this report (junit.xml, results.sarif, index.html, results.csv).",
)
@click.option(
    "--archive/--no-archive",
    default=None,
    help="Look up a Wayback Machine copy of every failing link (archive_url in the reports).",
)
@click.option(
    "--dump",
    is_flag=True,
    help="Print the links that would be checked, one per line, and exit (no request).",
)
@click.option("--offline/--no-offline", default=None, help="Check local links only: no request.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar, results only.")
@click.option("--verbose", "-v", is_flag=True, help="One line per request on stderr.")
def command(
    paths: tuple[str, ...],
    fmt: str,
    output: str | None,
    quiet: bool,
    verbose: bool,
    dump: bool,
    **params: Any,
) -> None:
    """Check every link in PATH... (default lists/) and write reports/.

    \b
    Examples:
      linkhealth check                         # lists/, reports in reports/
      linkhealth check docs/ README.md --format json -o results.json
      linkhealth check --fail-after 2 --max-age 12h
      linkhealth check --changed-since origin/main   # a pull request's lines only
      linkhealth check --archive               # archived copies of dead links
      linkhealth check --resolve example.com=127.0.0.1:8080 --allow-private

    Exit codes: 0 nothing failing, 1 failing links, 2 usage or input error,
    3 the run could not judge the links (no network, interrupted).
    """
    with domain_errors():
        extra = {
            "no_reports": params.pop("no_reports", None),
            "reports_dir": params.pop("reports_dir", None),
            "report_formats": list(params.pop("report_formats", ())) or None,
            "archive": params.pop("archive", None),
        }
        settings = settings_from_params(params, **extra)
        targets = list(paths) or list(settings.paths)
        if dump:
            from linkhealth.pipeline import links_to_check

            emit("".join(f"{url}\n" for url in links_to_check(targets, settings)), output)
            return
        show_bar = not quiet and not verbose and sys.stderr.isatty() and fmt == "text"
        json_ahead = fmt == "json" or not settings.no_reports  # results.json is a report
        outcome, seconds = _run_shown(
            settings, targets, bar=show_bar, verbose=verbose, json_ahead=json_ahead
        )
        keep_to_the_end(outcome)  # freed with the process, not as this returns
        ahead = outcome.results_text
        try:
            _write_outputs(outcome, settings, fmt, output)
        finally:
            if ahead is not None:
                ahead.close()
        if ahead is not None and ahead.failure is not None:
            notice(
                "warning: ",
                "the JSON report's results were written again: the second process writing"
                f" them {ahead.failure}",
            )
        report = outcome.report
        _say_why_partial(report)
        if not quiet and (verbose or sys.stderr.isatty()):
            from rich.console import Console

            # rich drops colour when NO_COLOR is set or stderr is not a terminal.
            shown = fmt.lower() == "text" and output is None and sys.stdout.isatty()
            Console(stderr=True, highlight=False).print(
                closing_summary(outcome, seconds, counts_shown=shown), soft_wrap=True
            )
    click.get_current_context().exit(exit_code_for(report))
