"""``--format csv`` and ``results.csv``: one row per occurrence, spreadsheet-safe."""

from __future__ import annotations

import csv
import io

from linkhealth import textsafe as escape
from linkhealth.report.view import View

COLUMNS = (
    "file",
    "line",
    "column",
    "end_line",
    "end_column",
    "section",
    "url",
    "verdict",
    "failing",
    "http_status",
    "error_kind",
    "detail",
    "final_url",
    "suggestion",
    "failing_runs",
    "failing_since",
    "flaky",
    "from_cache",
    "title",
    "description",
    "elapsed_ms",
    "checked_at",
    "archive_url",
    "archived_at",
)


def render(view: View) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in view.rows():
        r, occ = row.result, row.occurrence
        writer.writerow(
            [
                escape.csv_cell(row.file),
                row.line or "",
                row.column or "",
                occ.end_line if occ else "",
                occ.end_column if occ else "",
                escape.csv_cell(row.section),
                escape.csv_cell(r.url),
                r.verdict.value,
                "true" if row.failing else "false",
                r.http_status if r.http_status is not None else "",
                r.error_kind.value if r.error_kind else "",
                escape.csv_cell(r.detail),
                escape.csv_cell(r.final_url or ""),
                escape.csv_cell(r.suggestion or ""),
                r.failing_runs,
                r.failing_since.isoformat() if r.failing_since else "",
                "true" if r.flaky else "false",
                "true" if r.from_cache else "false",
                escape.csv_cell(r.title or ""),
                escape.csv_cell(r.description or ""),
                f"{r.elapsed_ms:.0f}",
                r.checked_at.isoformat() if r.checked_at else "",
                escape.csv_cell(r.archive_url or ""),
                r.archived_at.isoformat() if r.archived_at else "",
            ]
        )
    return buf.getvalue()
