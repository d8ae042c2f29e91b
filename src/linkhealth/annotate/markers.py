"""Failure markers after a link: ``(broken since 2026-11-20: 404)``.

A failing link gets one right after it; later runs recognise it (:data:`MARKER`)
and update, keep or remove it when the link recovers.
"""

from __future__ import annotations

import re
from datetime import date

from linkhealth.annotate.dead import COPY_IN_MARKER
from linkhealth.annotate.options import AnnotateOptions
from linkhealth.models import CheckResult, Judging, Verdict, fails_run

MARKER = re.compile(
    r"^ \((broken|invalid|timeout|error|unsafe|blocked) since (\d{4}-\d{2}-\d{2})"
    r"(?:: [A-Za-z0-9.\-]+)?" + COPY_IN_MARKER + r"\)"
)


def fails(result: CheckResult, options: AnnotateOptions) -> bool:
    """Whether ``result`` gets a marker: it fails the run (:func:`fails_run`)."""
    return fails_run(result, Judging(strict=options.strict, fail_after=options.fail_after))


def marker_text(result: CheckResult, existing_date: str | None, options: AnnotateOptions) -> str:
    when = result.failing_since or result.checked_at
    day = (
        when.date().isoformat()
        if when is not None
        else existing_date or (options.today or date.today()).isoformat()
    )
    reason = ""
    if result.http_status is not None:
        reason = str(result.http_status)
    elif result.error_kind is not None:
        reason = result.error_kind.value.replace("_", "-")
    elif result.verdict is Verdict.INVALID:
        reason = "malformed"
    tail = f": {reason}" if reason else ""
    return f" ({result.verdict.value} since {day}{tail})"
