"""``linkhealth extract`` output: link occurrences as text, JSON or CSV.

Each renderer yields the output a piece at a time, cut at or beside a line end
(100,000 occurrences are never one text; :func:`~linkhealth.report.redact.redact_pieces`
screens them piece by piece).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from operator import attrgetter

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
    """:func:`~linkhealth.textsafe.json_records` of the occurrences' ``as_json()``, the same
    text (tests/report/test_extract_json.py), each record written by one template."""
    yield from escape.json_elements(_json_records(occurrences))
    yield "\n"


def _json_records(occurrences: list[Occurrence]) -> Iterator[str]:
    string = escape.json_string
    repeated: dict[str, str] = {}  # a file, kind or section -> its JSON string

    def cell(value: str) -> str:
        found = repeated.get(value)
        if found is None:
            found = repeated[value] = string(value)
        return found

    for o in occurrences:
        text, section = o.text, o.section
        yield (
            f'  {{\n    "url": {string(o.url)},\n    "file": {cell(o.file)},\n'
            f'    "line": {o.line:d},\n    "column": {o.column:d},\n'
            f'    "end_line": {o.end_line:d},\n    "end_column": {o.end_column:d},\n'
            f'    "text": {"null" if text is None else string(text)},\n'
            f'    "kind": {cell(o.kind.value)},\n'
            f'    "section": {"null" if section is None else cell(section)},\n'
            f'    "in_comment": {"true" if o.in_comment else "false"}\n  }}'
        )


# an occurrence's CSV_FIELDS, in one C call (its JSON values: ``kind`` as its value)
_CSV_ROW = attrgetter(*("kind.value" if f == "kind" else f for f in CSV_FIELDS))
_TEXTS = tuple(CSV_FIELDS.index(f) for f in ("url", "text"))
_REPEATED = tuple(CSV_FIELDS.index(f) for f in ("file", "kind", "section"))


def render_csv(occurrences: list[Occurrence]) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    cells: dict[str, str] = {}  # a file, kind or section -> its cell (they repeat)
    for k in range(0, len(occurrences), _BATCH):
        rows = []
        for values in map(_CSV_ROW, occurrences[k : k + _BATCH]):
            row = list(values)
            for i in _TEXTS:
                if row[i] is not None:
                    row[i] = escape.csv_cell(row[i])
            for i in _REPEATED:
                value = row[i]
                if value is not None:
                    cell = cells.get(value)
                    if cell is None:
                        cell = cells[value] = escape.csv_cell(value)
                    row[i] = cell
            rows.append(row)
        writer.writerows(rows)
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
    if not occurrences:
        yield buf.getvalue()


RENDERERS = {"text": render_text, "json": render_json, "csv": render_csv}
