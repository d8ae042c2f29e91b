"""Markdown: the step summary (``--format markdown``), ``broken-links.md`` and ``enrichment.md``.

Every piece of fetched or user text goes through :mod:`escape`'s Markdown functions,
so that no title, URL or detail can open a link, HTML, a heading, a code fence or a
table cell. Output is capped (``$GITHUB_STEP_SUMMARY`` takes at most 1 MiB per step).
"""

from __future__ import annotations

from collections.abc import Iterator

from linkhealth import textsafe as escape
from linkhealth.models import Finding, RunReport, Verdict
from linkhealth.report.view import (
    Row,
    View,
    group,
    plural,
    since,
    status_text,
    verdict_label,
)

CELL_LIMIT = 300
TITLE_LIMIT = 200
DESCRIPTION_LIMIT = 400
MAX_ROWS = 1000  # failing rows in the step summary; the rest are counted


def _cell(text: str | None, limit: int = CELL_LIMIT) -> str:
    return escape.md_text(text or "", limit)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return lines


def _status_notes(report: RunReport) -> list[str]:
    notes = []
    if report.partial:
        notes.append("> **Partial run**: interrupted before every link was checked.")
    if report.network == "outage":
        notes.append("> **Network outage**: nearly every host failed; links were not judged.")
    return notes


def _summary_table(view: View) -> list[str]:
    rows = [[v, str(n)] for v, n in view.by_verdict().items() if n]
    rows.append(["**failing**", str(view.failing_count())])
    return _table(["verdict", "URLs"], rows)


def _findings(findings: list[Finding]) -> list[str]:
    if not findings:
        return []
    rows = [
        [
            _cell(f.file),
            str(f.line),
            f.severity.value,
            _cell(f.rule),
            _cell(f.message),
            _cell(f.suggestion),
        ]
        for f in findings
    ]
    return [
        "",
        "## Lint findings",
        "",
        *_table(["file", "line", "severity", "rule", "message", "suggestion"], rows),
    ]


def _url_cell(url: str | None) -> str:
    """A clickable link for an http(s) URL (the URL percent-encoded where it could break
    the table or the link), escaped text for anything else."""
    return escape.md_link(url or "", url or "", CELL_LIMIT)


def _failing_cells(row: Row, view: View) -> list[str]:
    r = row.result
    now = view.report.finished_at or view.report.started_at
    return [
        str(row.line),
        _cell(r.url) if r.verdict is Verdict.INVALID else _url_cell(r.url),  # a typo: as text
        _cell(verdict_label(r)),
        _cell(status_text(r)),
        _cell(r.detail),
        _cell(r.suggestion),
        _cell(since(r, now)),
    ]


def _archived(rows: list[Row], heading: str) -> list[str]:
    """One line per failing link with an archived copy (``check --archive``)."""
    lines = []
    for row in rows:
        r = row.result
        if r.archive_url:
            when = r.archived_at.date().isoformat() if r.archived_at else "undated"
            where = _cell(f"{row.file}:{row.line}" if row.line else row.file)
            copy = escape.md_link(f"archived copy ({when})", r.archive_url, CELL_LIMIT)
            lines.append(f"- {where}: {_url_cell(r.url)} → {copy}")
    return ["", heading, "", *lines] if lines else []


_FAILING_HEADER = ["line", "URL", "verdict", "status", "detail", "suggestion", "failing since"]


def render(view: View) -> str:
    """The step summary: a summary table, then failing links by file."""
    report = view.report
    lines = ["# linkhealth", ""]
    notes = _status_notes(report)
    if notes:
        lines += [*notes, ""]
    lines.append(
        f"{plural(report.summary.urls, 'URL')} in {plural(report.summary.occurrences, 'place')}, "
        f"**{view.failing_count()} failing**."
    )
    lines += ["", *_summary_table(view)]
    failing = view.failing_rows()
    if failing:
        lines += ["", "## Failing links"]
        shown = failing[:MAX_ROWS]
        for file, sections in group(shown):
            rows = [_failing_cells(row, view) for _, rs in sections for row in rs]
            lines += ["", f"### {_cell(file or '(no file)')}", "", *_table(_FAILING_HEADER, rows)]
        if len(failing) > len(shown):
            lines += ["", f"…and {len(failing) - len(shown)} more failing places."]
        lines += _archived(shown, "## Archived copies")
    lines += _findings(view.failing_findings())
    return "\n".join(lines) + "\n"


def broken_links(view: View) -> str:
    """``reports/broken-links.md``: failing links by file and section."""
    report = view.report
    lines = ["# Broken links", ""]
    notes = _status_notes(report)
    if notes:
        lines += [*notes, ""]
    failing = view.failing_rows()
    if not failing:
        lines.append("No failing links.")
    else:
        n = view.failing_count()
        lines.append(
            f"{n} failing {'URL' if n == 1 else 'URLs'} in {plural(len(failing), 'place')}."
        )
    header = ["line", "URL", "verdict", "detail", "suggestion", "failing since"]
    for file, sections in group(failing):
        lines += ["", f"## {_cell(file or '(no file)')}"]
        for section, rows in sections:
            if section:
                lines += ["", f"### {_cell(section)}"]
            cells = [[c for i, c in enumerate(_failing_cells(row, view)) if i != 3] for row in rows]
            lines += ["", *_table(header, cells)]
    lines += _archived(failing, "## Archived copies")
    lines += _worth_a_look(view)
    lines += _findings(view.failing_findings())
    return "\n".join(lines) + "\n"


def _worth_a_look(view: View) -> list[str]:
    """Links that do not fail the run but want a maintainer's eye: sites that refused us
    (``blocked``: the link may be fine, or may be gone behind a wall) and permanent
    redirects (update the list to the new URL)."""
    rows = [
        row
        for row in view.rows()
        if not row.failing
        and (
            row.result.verdict is Verdict.BLOCKED
            or (row.result.verdict is Verdict.REDIRECTED and row.result.permanent)
        )
    ]
    if not rows:
        return []
    cells = [
        [
            _cell(f"{row.file}:{row.line}" if row.line else row.file),
            _url_cell(row.result.url),
            _cell(verdict_label(row.result)),
            _cell(row.result.detail)
            if row.result.verdict is Verdict.BLOCKED
            else "now " + _url_cell(row.result.final_url),
        ]
        for row in rows
    ]
    return [
        "",
        "## Worth a look",
        "",
        "Not failing, but worth a maintainer's eye: sites that refused the checker "
        "(the link may be fine) and permanent redirects (the list could use the new URL).",
        "",
        *_table(["place", "URL", "verdict", "what to do"], cells),
    ]


def enrichment(view: View) -> str:
    """``reports/enrichment.md``: every link by file and section, with its metadata."""
    return "".join(enrichment_chunks(view))


def enrichment_chunks(view: View) -> Iterator[str]:
    """:func:`enrichment` a section at a time (a table per section, never the whole
    text of a 5,000-link list with its cells and lines at once)."""
    rows_all = view.rows()
    lines = ["# Links and their pages", ""]
    lines.append(f"{plural(view.report.summary.urls, 'URL')} in {plural(len(rows_all), 'place')}.")
    header = ["line", "link", "title", "description", "verdict"]
    for file, sections in group(rows_all):
        lines += ["", f"## {_cell(file or '(no file)')}"]
        for section, rows in sections:
            if section:
                lines += ["", f"### {_cell(section)}"]
            cells = [
                [
                    str(row.line),
                    _url_cell(row.result.url),
                    _cell(row.result.title, TITLE_LIMIT),
                    _cell(row.result.description, DESCRIPTION_LIMIT),
                    _cell(verdict_label(row.result)),
                ]
                for row in rows
            ]
            lines += ["", *_table(header, cells)]
            yield "".join(line + "\n" for line in lines)
            lines = []
    yield "".join(line + "\n" for line in lines)
