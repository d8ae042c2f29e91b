"""A fixed RunReport (timestamps and durations fixed) that every report test renders.

Imported as ``report.reportdata`` (``tests/`` is on the path).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from linkhealth.models import (
    CheckResult,
    ErrorKind,
    Finding,
    LinkKind,
    Occurrence,
    Redirect,
    RunReport,
    Severity,
    Summary,
    ToolInfo,
    Verdict,
)

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("LINKHEALTH_UPDATE_GOLDENS") == "1"

T0 = datetime(2025, 3, 1, 2, 0, 0, tzinfo=UTC)
T1 = datetime(2025, 3, 1, 2, 0, 42, tzinfo=UTC)


def occ(
    url: str, line: int, col: int = 3, *, file: str = "lists/reading-list.md", section: str = ""
) -> Occurrence:
    return Occurrence(
        url=url,
        file=file,
        line=line,
        column=col,
        end_line=line,
        end_column=col + len(url),
        text=None,
        kind=LinkKind.BARE,
        section=section or None,
    )


def build_report(title: str = "A benign title", url_extra: str = "") -> RunReport:
    """The fixture; ``title`` lands in a title, a detail, a description, a suggestion and a
    section name of a failing link, ``url_extra`` is appended to a failing URL."""
    bad_url = "https://example.org/gone" + url_extra
    results = [
        CheckResult(
            url="https://example.com/",
            verdict=Verdict.OK,
            http_status=200,
            attempts=1,
            elapsed_ms=120.0,
            checked_at=T0,
            title="Example Domain",
            description="This domain is for use in illustrative examples.",
            occurrences=[occ("https://example.com/", 5, section="Reading")],
        ),
        CheckResult(
            url="http://old.example.net/page",
            verdict=Verdict.REDIRECTED,
            permanent=True,
            http_status=200,
            final_url="https://new.example.net/page",
            redirects=[Redirect(url="https://new.example.net/page", status=301)],
            attempts=1,
            elapsed_ms=80.0,
            checked_at=T0,
            title="New page",
            occurrences=[occ("http://old.example.net/page", 7, section="Reading")],
        ),
        CheckResult(
            url=bad_url,
            verdict=Verdict.BROKEN,
            http_status=404,
            detail=f"Not Found: {title}",
            error_kind=ErrorKind.NOT_FOUND,
            attempts=1,
            elapsed_ms=95.5,
            checked_at=T0,
            failing_runs=3,
            failing_since=datetime(2025, 2, 26, 2, 0, tzinfo=UTC),
            title=title,
            description=f"desc {title}",
            suggestion=f"https://example.org/moved?{title}",
            archive_url=f"https://web.archive.org/web/20250101000000/{bad_url}",
            archived_at=datetime(2025, 1, 1, tzinfo=UTC),
            occurrences=[
                occ(bad_url, 9, section=title),
                occ(bad_url, 12, 5, file="lists/other list.md", section="Misc"),
            ],
        ),
        CheckResult(
            url="https://simonwil lison.net/2024/",
            verdict=Verdict.INVALID,
            detail="a space inside the URL",
            error_kind=ErrorKind.MALFORMED,
            suggestion="https://simonwillison.net/2024/",
            elapsed_ms=0.0,
            occurrences=[occ("https://simonwil lison.net/2024/", 37, section="Blogs")],
        ),
        CheckResult(
            url="https://slow.example.com/",
            verdict=Verdict.TIMEOUT,
            error_kind=ErrorKind.TIMEOUT,
            detail="no answer within 20 s (3 attempts)",
            attempts=3,
            elapsed_ms=60000.0,
            checked_at=T0,
            failing_runs=1,
            flaky=True,
            failing_since=datetime(2025, 3, 1, 2, 0, tzinfo=UTC),
            occurrences=[occ("https://slow.example.com/", 15, section="Blogs")],
        ),
        CheckResult(
            url="https://www.linkedin.com/in/someone",
            verdict=Verdict.BLOCKED,
            http_status=999,
            error_kind=ErrorKind.BOT_CHALLENGE,
            detail="the site refused automated requests",
            attempts=1,
            elapsed_ms=300.0,
            checked_at=T0,
            occurrences=[occ("https://www.linkedin.com/in/someone", 20, section="People")],
        ),
        CheckResult(
            url="mailto:someone@example.com",
            verdict=Verdict.SKIPPED,
            detail="not checkable over HTTP",
            occurrences=[occ("mailto:someone@example.com", 22, section="People")],
        ),
    ]
    findings = [
        Finding(
            file="lists/reading-list.md",
            line=37,
            column=3,
            rule="space-in-url",
            message="a space inside the URL",
            suggestion="https://simonwillison.net/2024/",
            severity=Severity.ERROR,
            end_line=37,
            end_column=35,
        ),
        Finding(
            file="lists/other list.md",
            line=3,
            column=1,
            rule="duplicate",
            message="the same URL appears twice",
            severity=Severity.WARNING,
        ),
    ]
    by_verdict: dict[str, int] = {}
    for r in results:
        by_verdict[r.verdict.value] = by_verdict.get(r.verdict.value, 0) + 1
    return RunReport(
        tool=ToolInfo(version="0.0.0-test"),
        run_id=7,
        started_at=T0,
        finished_at=T1,
        summary=Summary(
            occurrences=sum(len(r.occurrences) for r in results),
            urls=len(results),
            by_verdict=by_verdict,
            failing=3,
        ),
        results=results,
        findings=findings,
        history=[0, 2, 1, 3],
    )
