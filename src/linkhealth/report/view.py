"""What every renderer needs from the aggregate: which results fail, in which order.

Renderers never decide "is this failing?" themselves; they ask :class:`View`, which asks
:func:`linkhealth.models.fails_run` with the judging the run was made with
(``report.judged_with``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from operator import itemgetter
from typing import NamedTuple

from linkhealth.models import (
    CheckResult,
    ErrorKind,
    Finding,
    Occurrence,
    RunReport,
    Severity,
    Verdict,
    fails_run,
)


class Row(NamedTuple):
    """One occurrence of one result: a line in a report (a tuple: a 5,000-link report
    makes one per occurrence, and a frozen dataclass took ~1 us each to build)."""

    result: CheckResult
    occurrence: Occurrence | None
    failing: bool

    @property
    def file(self) -> str:
        return self.occurrence.file if self.occurrence else ""

    @property
    def line(self) -> int:
        return self.occurrence.line if self.occurrence else 0

    @property
    def column(self) -> int:
        return self.occurrence.column if self.occurrence else 0

    @property
    def section(self) -> str:
        return (self.occurrence.section if self.occurrence else None) or ""

    @property
    def state(self) -> str:
        """``failure``, ``skipped`` or ``passed`` (JUnit's three outcomes)."""
        if self.failing:
            return "failure"
        if self.result.verdict.is_ok():
            return "passed"
        return "skipped"


@dataclass(frozen=True)
class View:
    """The report's rows and failing results, each worked out once for every renderer
    of the report (``check`` writes three to eight files from one view): the report
    must not change once it has a view."""

    report: RunReport

    @property
    def outage(self) -> bool:
        return self.report.network == "outage"

    def is_failing(self, result: CheckResult) -> bool:
        return fails_run(result, self.report.judged_with, outage=self.outage)

    def rows(self) -> list[Row]:
        """Every occurrence of every result, in file, line, column order.

        A result without occurrences still gets one row (a link is never dropped).
        """
        return list(self._rows)

    @cached_property
    def _rows(self) -> tuple[Row, ...]:
        # Sorted by (file, line, column, URL) built once per row, not read through Row's
        # properties per comparison; the sort is stable as before.
        keyed: list[tuple[tuple[str, int, int, str], Row]] = []
        for result in self.report.results:
            failing = self.is_failing(result)
            if not result.occurrences:
                keyed.append((("", 0, 0, result.url), Row(result, None, failing)))
            for occ in result.occurrences:
                key = (occ.file, occ.line, occ.column, result.url)
                keyed.append((key, Row(result, occ, failing)))
        keyed.sort(key=itemgetter(0))
        return tuple(row for _, row in keyed)

    def failing_rows(self) -> list[Row]:
        return [row for row in self._rows if row.failing]

    def failing_results(self) -> list[CheckResult]:
        return list(self._failing_results)

    @cached_property
    def _failing_results(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.report.results if self.is_failing(r))

    def findings(self) -> list[Finding]:
        """Lint findings, less those already shown as an ``invalid``/``unsafe`` result
        at the same place (a typo is reported once, not twice)."""
        shown = {
            (occ.file, occ.line, occ.column)
            for result in self.report.results
            if result.verdict in (Verdict.INVALID, Verdict.UNSAFE)
            for occ in result.occurrences
        }
        kept = [f for f in self.report.findings if (f.file, f.line, f.column) not in shown]
        return sorted(kept, key=lambda f: (f.file, f.line, f.column, f.rule))

    def failing_findings(self) -> list[Finding]:
        return [f for f in self.findings() if f.severity is Severity.ERROR]

    def by_verdict(self) -> dict[str, int]:
        """Unique URLs per verdict, every verdict listed, in the enum's order."""
        counts = {v.value: 0 for v in Verdict}
        for result in self.report.results:
            counts[result.verdict.value] += 1
        return counts

    def failing_count(self) -> int:
        return len(self._failing_results)


def group(rows: list[Row]) -> Iterator[tuple[str, Iterator[tuple[str, list[Row]]]]]:
    """Rows grouped by file, then by section (in order of first appearance)."""
    files: dict[str, dict[str, list[Row]]] = {}
    for row in rows:
        files.setdefault(row.file, {}).setdefault(row.section, []).append(row)
    for file, sections in files.items():
        yield file, iter(sections.items())


def since(result: CheckResult, now: datetime) -> str:
    """``2025-01-02 (3 days)``: when this link started failing, or ``""``."""
    if result.failing_since is None:
        return ""
    start = result.failing_since
    try:
        days = (now - start).days
    except TypeError:  # one aware, one naive timestamp
        days = (now.replace(tzinfo=None) - start.replace(tzinfo=None)).days
    age = "today" if days < 1 else ("1 day" if days == 1 else f"{days} days")
    return f"{start.date().isoformat()} ({age})"


def plural(count: int, word: str) -> str:
    """``1 URL``, ``2 URLs``; ``1 place``, ``3 places``."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def status_text(result: CheckResult) -> str:
    """The HTTP status, or the error kind, or ``-``."""
    if result.http_status is not None:
        return str(result.http_status)
    if result.error_kind is not None:
        return result.error_kind.value
    return "-"


#: An error kind in words, for people (reports keep the code in JSON, SARIF, CSV).
ERROR_KIND_WORDS: dict[ErrorKind, str] = {
    ErrorKind.DNS: "host not found",
    ErrorKind.CONNECT: "could not connect",
    ErrorKind.REFUSED: "connection refused",
    ErrorKind.RESET: "connection reset",
    ErrorKind.TIMEOUT: "no answer in time",
    ErrorKind.TLS: "TLS (certificate) problem",
    ErrorKind.PROTOCOL: "broken HTTP answer",
    ErrorKind.TOO_MANY_REDIRECTS: "too many redirects",
    ErrorKind.REDIRECT_LOOP: "redirect loop",
    ErrorKind.POLICY: "refused by policy",
    ErrorKind.BODY_TOO_LARGE: "page too large",
    ErrorKind.SOFT_404: "page says not found",
    ErrorKind.FRAGMENT: "#fragment missing",
    ErrorKind.BOT_CHALLENGE: "bot wall",
    ErrorKind.MALFORMED: "malformed link",
    ErrorKind.NOT_FOUND: "file not found",
    ErrorKind.OTHER: "other error",
}


def status_words(result: CheckResult) -> str:
    """The status for people: ``404 Not Found``, ``host not found``, or ``-``."""
    if result.http_status is not None:
        from http import HTTPStatus

        try:
            return f"{result.http_status} {HTTPStatus(result.http_status).phrase}"
        except ValueError:  # 999 and other unofficial codes
            return str(result.http_status)
    if result.error_kind is not None:
        return ERROR_KIND_WORDS.get(result.error_kind, result.error_kind.value.replace("_", " "))
    return "-"


def verdict_label(result: CheckResult) -> str:
    """The verdict, with ``permanent`` and ``flaky`` marks."""
    label = result.verdict.value
    if result.verdict is Verdict.REDIRECTED and result.permanent:
        label += " (permanent)"
    if result.flaky:
        label += ", flaky"
    return label


def archive_note(result: CheckResult) -> str:
    """``archived copy (2024-03-01): https://web.archive.org/web/…`` (``check --archive``),
    or ``""`` without one. Plain text: each format escapes it."""
    if not result.archive_url:
        return ""
    when = result.archived_at.date().isoformat() if result.archived_at else "undated"
    return f"archived copy ({when}): {result.archive_url}"


def link_problem(result: CheckResult) -> str:
    """``url: verdict (status) detail. Suggestion: …``: how a CI annotation (GitHub,
    SARIF) names a link's trouble. Plain text: each format escapes it."""
    text = f"{result.url}: {result.verdict.value} ({status_text(result)})"
    if result.detail:
        text += f" {result.detail}"
    if result.suggestion:
        text += f". Suggestion: {result.suggestion}"
    return text


def archive_sentence(result: CheckResult) -> str:
    """``. Archived copy (…): …`` to end a message with, or ``""``."""
    note = archive_note(result)
    return f". {note[0].upper()}{note[1:]}" if note else ""


def finding_problem(finding: Finding) -> str:
    """A lint finding's message, with its suggested fix. Plain text."""
    return finding.message + (f". Suggestion: {finding.suggestion}" if finding.suggestion else "")


def location(file: str, line: int, column: int) -> str:
    return f"{file}:{line}:{column}" if line else file
