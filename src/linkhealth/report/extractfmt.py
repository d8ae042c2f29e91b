"""``linkhealth extract`` output: link occurrences as text, JSON or CSV."""

from __future__ import annotations

import csv
import io

from linkhealth import textsafe as escape
from linkhealth.records import Occurrence

CSV_FIELDS = (
    "url", "file", "line", "column", "end_line", "end_column", "text", "kind", "section",
    "in_comment",
)  # fmt: skip


def render_text(occurrences: list[Occurrence]) -> str:
    return "".join(
        f"{escape.terminal(o.file)}:{o.line}:{o.column} {o.kind.value} {escape.one_line(o.url)}\n"
        for o in occurrences
    )


def render_json(occurrences: list[Occurrence]) -> str:
    return escape.json_text([o.as_json() for o in occurrences]) + "\n"


def render_csv(occurrences: list[Occurrence]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for o in occurrences:
        row = o.as_json()
        writer.writerow(
            [
                escape.csv_cell(str(row[k])) if isinstance(row[k], str) else row[k]
                for k in CSV_FIELDS
            ]
        )
    return buf.getvalue()


RENDERERS = {"text": render_text, "json": render_json, "csv": render_csv}
