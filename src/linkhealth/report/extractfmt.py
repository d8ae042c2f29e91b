"""``linkhealth extract`` output: link occurrences as text, JSON or CSV.

Each renderer yields the output a piece at a time, cut at or beside a line end
(100,000 occurrences are never one text; :func:`~linkhealth.report.redact.redact_pieces`
screens them piece by piece).

A large file's second half is rendered by the process that parsed it (parse/split.py):
:func:`records` of its occurrences, the renderer's text for them without what frames
the whole; the renderers take such texts (``rendered``: (the number of ``occurrences``
before it, its text or texts)) in their places among the occurrences.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from operator import attrgetter

from linkhealth import textsafe as escape
from linkhealth.records import Occurrence

CSV_FIELDS = (
    "url", "file", "line", "column", "end_line", "end_column", "text", "kind", "section",
    "in_comment",
)  # fmt: skip
_BATCH = 1000  # occurrences a piece
# (the number of occurrences before it, the records text of others, or such texts read
# one after the other: see the module's text)
Rendered = Sequence[tuple[int, str | Iterable[str]]]


def records(fmt: str, occurrences: list[Occurrence]) -> str:
    """The text ``fmt``'s renderer writes for ``occurrences`` among others ("" for
    none): JSON elements (not yet cleaned: the renderer cleans them as its own), text
    lines or CSV rows."""
    if fmt == "json":
        return ",\n".join(_json_records(occurrences))
    if fmt == "csv":
        return "".join(_csv_rows(occurrences, {}))
    return "".join(_text_lines(occurrences))


def _parts(occurrences: list[Occurrence], rendered: Rendered) -> Iterator[list[Occurrence] | str]:
    """``occurrences`` in slices of up to :data:`_BATCH`, and the ``rendered`` texts (not
    empty) in their places."""
    at = 0
    for before, text in [*rendered, (len(occurrences), "")]:
        for k in range(at, before, _BATCH):
            yield occurrences[k : min(k + _BATCH, before)]
        at = before
        if isinstance(text, str):
            if text:
                yield text
        else:
            yield from filter(None, text)


def render_text(occurrences: list[Occurrence], rendered: Rendered = ()) -> Iterator[str]:
    for part in _parts(occurrences, rendered):
        yield part if isinstance(part, str) else "".join(_text_lines(part))


def _text_lines(occurrences: list[Occurrence]) -> Iterator[str]:
    return map(_text_line, occurrences)


def _text_line(o: Occurrence) -> str:
    return (
        f"{escape.terminal(o.file)}:{o.line}:{o.column} {o.kind.value} {escape.one_line(o.url)}\n"
    )


def render_json(occurrences: list[Occurrence], rendered: Rendered = ()) -> Iterator[str]:
    """:func:`~linkhealth.textsafe.json_records` of the occurrences' ``as_json()``, the same
    text (tests/report/test_extract_json.py), each record written by one template (a
    ``rendered`` text is one element to it: the elements it joins, cleaned as they are)."""
    yield from escape.json_elements(_json_elements(occurrences, rendered))
    yield "\n"


def _json_elements(occurrences: list[Occurrence], rendered: Rendered) -> Iterator[str]:
    if not rendered:
        yield from _json_records(occurrences)
        return
    for part in _parts(occurrences, rendered):
        if isinstance(part, str):
            yield part
        else:
            yield from _json_records(part)


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


def render_csv(occurrences: list[Occurrence], rendered: Rendered = ()) -> Iterator[str]:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(CSV_FIELDS)
    yield buf.getvalue()
    cells: dict[str, str] = {}  # a file, kind or section -> its cell (they repeat)
    for part in _parts(occurrences, rendered):
        if isinstance(part, str):
            yield part
        else:
            yield from _csv_rows(part, cells)


def _csv_rows(occurrences: list[Occurrence], cells: dict[str, str]) -> Iterator[str]:
    """The CSV rows of ``occurrences``, a batch a piece (``cells``: the repeated cells
    written so far)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
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


RENDERERS = {"text": render_text, "json": render_json, "csv": render_csv}
