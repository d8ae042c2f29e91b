"""``--format text``: for a terminal. Failing links first, grouped by file, then a summary.

Every piece of fetched or user text goes through :func:`escape.terminal`, so the
output holds no escape sequence or control character from a page or a list.
"""

from __future__ import annotations

from linkhealth import textsafe as escape
from linkhealth.report.view import (
    View,
    archive_note,
    location,
    plural,
    since,
    status_text,
    verdict_label,
)

DETAIL_LIMIT = 200
URL_LIMIT = 300


def render(view: View) -> str:
    report = view.report
    now = report.finished_at or report.started_at
    lines: list[str] = []
    current = None
    for row in view.failing_rows():
        if row.file != current:
            current = row.file
            if lines:
                lines.append("")
            lines.append(escape.terminal(row.file or "(no file)"))
        r = row.result
        parts = [
            escape.terminal(location(row.file, row.line, row.column)),
            verdict_label(r),
            status_text(r),
            escape.shorten(escape.terminal(r.url), URL_LIMIT),
        ]
        detail = escape.shorten(escape.terminal(r.detail), DETAIL_LIMIT)
        if detail:
            parts.append(detail)
        if r.suggestion:
            suggestion = escape.shorten(escape.terminal(r.suggestion), URL_LIMIT)
            parts.append(f"(suggestion: {suggestion})")
        if r.failing_since is not None:
            parts.append(f"[failing since {since(r, now)}]")
        lines.append("  " + " ".join(parts))
        if note := archive_note(r):
            lines.append("    " + escape.shorten(escape.terminal(note), URL_LIMIT))
    findings = view.findings()
    if findings:
        if lines:
            lines.append("")
        lines.append("lint findings")
        for f in findings:
            text = (
                f"  {escape.terminal(location(f.file, f.line, f.column))} "
                f"{f.severity.value} {escape.terminal(f.rule)} "
                f"{escape.shorten(escape.terminal(f.message), DETAIL_LIMIT)}"
            )
            if f.suggestion:
                text += f" (suggestion: {escape.shorten(escape.terminal(f.suggestion), URL_LIMIT)})"
            lines.append(text)
    if lines:
        lines.append("")
    lines.append(summary_line(view))
    return "\n".join(lines) + "\n"


def summary_line(view: View) -> str:
    report = view.report
    counts = ", ".join(f"{n} {v}" for v, n in view.by_verdict().items() if n)
    text = (
        f"{plural(report.summary.urls, 'URL')} in {plural(report.summary.occurrences, 'place')}"
        f"{': ' + counts if counts else ''}; {view.failing_count()} failing"
    )
    if report.findings:
        text += f", {plural(len(view.failing_findings()), 'lint error')}"
    if report.network == "outage":
        text += " (network outage: links not judged; partial run)"
    elif report.partial:
        text += " (partial run)"
    return text
