"""What a run produced: the :class:`RunReport` every output renders, and the run's counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from linkhealth import __version__
from linkhealth.config import Settings
from linkhealth.models import CheckResult, RunReport, ToolInfo, summarise
from linkhealth.parse import ParseResult

if TYPE_CHECKING:
    from linkhealth.report.ahead import ResultsText


@dataclass
class RunOutcome:
    """What a run produced, for the CLI to render and map to an exit code."""

    report: RunReport
    warnings: list[str] = field(default_factory=list)
    requests: int = 0
    cache_hits: int = 0
    #: The JSON report's results text a second process writes (an outage's; asked for with
    #: ``run_check(json_ahead=True)``): the caller closes it.
    results_text: ResultsText | None = None
    #: The run's own objects (its plan, the fetch's results), held with the outcome: freed
    #: with it, not as the run returns (a program that ends at once frees neither).
    kept: object = field(default=None, repr=False, compare=False)

    def failing(self) -> int:
        return self.report.summary.failing


def utcnow() -> datetime:
    return datetime.now(UTC)


def build_report(
    results: list[CheckResult],
    parsed: ParseResult,
    settings: Settings,
    *,
    started: datetime,
    finished: datetime | None,
    partial: bool,
    outage: bool,
    run_id: int | None,
) -> RunReport:
    judging = settings.judging()
    return RunReport(
        tool=ToolInfo(version=__version__),
        run_id=run_id,
        started_at=started,
        finished_at=finished,
        partial=partial,
        network="outage" if outage else "ok",
        summary=summarise(results, judging, outage=outage),
        results=results,
        findings=list(parsed.findings),
        judged_with=judging,
    )
