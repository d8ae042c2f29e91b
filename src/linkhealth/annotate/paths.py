"""``annotate`` as a library call: check the lists, then rewrite each file in memory.

:func:`annotate_paths` returns the changes (diff, bytes to write) without writing;
:func:`~linkhealth.annotate.files.write_change` writes one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from linkhealth.annotate.dead import FixDead, with_kept_originals
from linkhealth.annotate.files import AnnotateChange, annotate_file
from linkhealth.annotate.options import AnnotateOptions, DescriptionMode
from linkhealth.config import Settings
from linkhealth.errors import LinkhealthError
from linkhealth.inputs import extract_paths
from linkhealth.models import CheckResult, LinkKind, Occurrence, Severity
from linkhealth.parse import ParseResult


@dataclass
class AnnotateOutcome:
    """What ``annotate`` found: one change per file read, and what went wrong.

    ``not_judged`` says why nothing was annotated ("network outage", "run
    interrupted"); ``errors`` are files that could not be annotated.
    """

    changes: list[AnnotateChange] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    not_judged: str | None = None

    @property
    def changed(self) -> list[AnnotateChange]:
        return [c for c in self.changes if c.changed]


def with_suggestions(parsed: ParseResult) -> ParseResult:
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


async def annotate_paths(
    paths: Sequence[str],
    settings: Settings,
    *,
    descriptions: DescriptionMode = "missing",
    fix_redirects: bool = False,
    fix_typos: bool = False,
    fix_dead: FixDead = "mark",
    stop: asyncio.Event | None = None,
) -> AnnotateOutcome:
    """Check the links of the lists named by ``paths`` (``settings.paths`` when empty;
    stored results are used) and annotate every file in memory. A run that could not
    judge the links (outage, ``stop``) annotates nothing."""
    from linkhealth.pipeline import run_check  # the rewriting modules stay free of the network

    targets = list(paths) or list(settings.paths)
    parsed = extract_paths(targets, settings)
    if fix_typos:
        parsed = with_suggestions(parsed)
    parsed = with_kept_originals(parsed)  # a link pointed at its archived copy: is it back?
    run = await run_check(settings, paths=targets, stop=stop, parsed=parsed)
    outcome = AnnotateOutcome(warnings=list(run.warnings))
    report = run.report
    if report.network == "outage" or report.partial:
        outcome.not_judged = "network outage" if report.network == "outage" else "run interrupted"
        return outcome
    results: dict[str, CheckResult] = {r.url: r for r in report.results}
    options = AnnotateOptions(
        descriptions=descriptions,
        fix_redirects=fix_redirects,
        fix_typos=fix_typos,
        fix_dead=fix_dead,
        strict=settings.strict,
        fail_after=settings.fail_after,
        comments=settings.comments,
    )
    for file in parsed.files:
        try:
            outcome.changes.append(annotate_file(Path(file), results, options))
        except LinkhealthError as exc:
            outcome.errors.append(str(exc))
    return outcome
