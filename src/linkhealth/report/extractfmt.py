"""``linkhealth extract`` output: link occurrences as text, JSON or CSV.

Each renderer yields the output a piece at a time, cut at or beside a line end
(100,000 occurrences are never one text; :func:`~linkhealth.report.redact.redact_pieces`
screens them piece by piece).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from linkhealth import textsafe as escape
from linkhealth.records import Occurrence

CSV_FIELDS = (
    "url", "file", "line", "column", "end_line", "end_column", "text", "kind", "section",
    "in_comment",
)  # fmt: skip
_BATCH = 1000  # occurrences a piece


def render_text(occurrences: list[Occurrence]) -> Iterator[str]:
    for k in range(0, len(occurrences), _BATCH):
        yield "".join(_text_line(o) for o in occurrences[k : k + _BATCH])


def _text_line(o: Occurrence) -> str:
    return (
        f"{escape.terminal(o.file)}:{o.line}:{o.column} {o.kind.value} {escape.one_line(o.url)}\n"
    )


def render_json(occurrences: list[Occurrence]) -> Iterator[str]:
    yield from escape.json_records(o.as_json() for o in occurrences)
    yield "\n"


def render_csv(occurrences: list[Occurrence]) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for n, o in enumerate(occurrences, 1):
        row = o.as_json()
        writer.writerow(
            [
                escape.csv_cell(str(row[k])) if isinstance(row[k], str) else row[k]
                for k in CSV_FIELDS
            ]
        )
        if n % _BATCH == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


RENDERERS = {"text": render_text, "json": render_json, "csv": render_csv}
