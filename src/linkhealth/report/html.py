"""``index.html``: one self-contained page (summary, charts, sortable table).

No external assets: styles, the SVG charts and the sorting script are inline, and a
Content-Security-Policy meta tag allows nothing else (the script by its hash). Every
value goes through Jinja2's autoescape; fetched text is also cut to one line.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment
from markupsafe import Markup

from linkhealth import textsafe as escape
from linkhealth.models import Verdict
from linkhealth.report.view import Row, View, since, status_words, verdict_label

TITLE_LIMIT = 200
DETAIL_LIMIT = 300

COLORS: dict[str, str] = {
    Verdict.OK: "#2da44e",
    Verdict.REDIRECTED: "#54aeff",
    Verdict.BROKEN: "#cf222e",
    Verdict.INVALID: "#a40e26",
    Verdict.BLOCKED: "#bf8700",
    Verdict.TIMEOUT: "#fb8500",
    Verdict.ERROR: "#8250df",
    Verdict.UNSAFE: "#6e7781",
    Verdict.EXCLUDED: "#afb8c1",
    Verdict.SKIPPED: "#d0d7de",
}

# Sorts a table when a header is clicked, by data-sort (numbers numerically);
# ``#sort=N`` in the address sorts the first table by column N on load.
SCRIPT = """
document.querySelectorAll("table.sortable th").forEach(function (th, col) {
  th.addEventListener("click", function () {
    var table = th.closest("table"), body = table.tBodies[0];
    var asc = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var key = function (row) {
      var cell = row.cells[col], v = cell.getAttribute("data-sort");
      if (v === null) { v = cell.textContent; }
      var n = Number(v);
      return v !== "" && !isNaN(n) ? n : v.toLowerCase();
    };
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      if (typeof x !== typeof y) { x = String(x); y = String(y); }
      return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
var wanted = /^#sort=([0-9]+)$/.exec(location.hash);
var first = document.querySelectorAll("table.sortable")[0];
if (wanted && first && first.tHead.rows[0].cells[wanted[1]]) {
  first.tHead.rows[0].cells[wanted[1]].click();
}
document.querySelectorAll("time[datetime]").forEach(function (t) {
  var d = new Date(t.getAttribute("datetime"));
  if (isNaN(d.getTime())) { return; }
  var p = function (n) { return (n < 10 ? "0" : "") + n; };
  t.textContent = d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + " " +
    p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds());
  t.title = "local time; " + t.getAttribute("datetime") + " UTC";
});
document.documentElement.setAttribute("data-sortable", "ready");
"""
SCRIPT_HASH = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; "
    f"script-src 'sha256-{SCRIPT_HASH}'; img-src data:; base-uri 'none'; form-action 'none'"
)

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>linkhealth report</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1f2328; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
.meta { color: #59636e; margin-bottom: 16px; }
.note { background: #fff8c5; border: 1px solid #d4a72c; padding: 8px 12px; margin: 8px 0; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin: 12px 0 20px; }
.card { border: 1px solid #d0d7de; border-radius: 6px; padding: 10px 16px; min-width: 110px; }
.card b { display: block; font-size: 24px; }
.card.failing b { color: #cf222e; }
.charts { display: flex; gap: 32px; flex-wrap: wrap; margin-bottom: 20px; }
.charts figure { margin: 0; }
figcaption { font-weight: 600; margin-bottom: 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #d0d7de; padding: 4px 8px; text-align: left;
  vertical-align: top; overflow-wrap: anywhere; }
th { cursor: pointer; background: #f6f8fa; user-select: none; white-space: nowrap; }
th[aria-sort=ascending]::after { content: " \\25B2"; }
th[aria-sort=descending]::after { content: " \\25BC"; }
tr.failing td:first-child { border-left: 4px solid #cf222e; }
.verdict { font-weight: 600; }
</style>
</head>
<body>
<h1>linkhealth report</h1>
<div class="meta">{{ tool }} &middot; started <time datetime="{{ started.iso }}">
{{- started.text }}</time>{% if finished %} &middot;
finished <time datetime="{{ finished.iso }}">{{ finished.text }}</time>{% endif %}</div>
{% for note in notes %}<div class="note">{{ note }}</div>
{% endfor %}
<section id="summary" class="cards">
<div class="card"><b>{{ urls }}</b>URLs</div>
<div class="card"><b>{{ occurrences }}</b>places</div>
<div class="card failing"><b>{{ failing }}</b>failing</div>
{% if findings %}<div class="card"><b>{{ findings|length }}</b>lint findings</div>{% endif %}
</section>
<section class="charts">
<figure id="verdict-chart">
<figcaption>URLs by verdict</figcaption>
<svg xmlns="http://www.w3.org/2000/svg" width="{{ bar_width + 190 }}"
 height="{{ bars|length * 22 + 10 }}" role="img" aria-label="URLs by verdict">
{% for bar in bars %}<g transform="translate(0,{{ loop.index0 * 22 + 4 }})">
<text x="0" y="14" font-size="12">{{ bar.label }}</text>
<rect x="90" y="2" width="{{ bar.width }}" height="16" fill="{{ bar.color }}"></rect>
<text x="{{ 96 + bar.width }}" y="14" font-size="12">{{ bar.count }}</text>
</g>
{% endfor %}</svg>
</figure>
<figure id="history-chart">
<figcaption>Failing URLs per run</figcaption>
<svg xmlns="http://www.w3.org/2000/svg" width="{{ hist_w }}" height="{{ hist_h + 30 }}"
 role="img" aria-label="Failing URLs per run">
<line x1="30" y1="{{ hist_h }}" x2="{{ hist_w }}" y2="{{ hist_h }}" stroke="#8c959f"></line>
<text x="0" y="12" font-size="11">{{ hist_max }}</text>
<text x="0" y="{{ hist_h }}" font-size="11">0</text>
{% if points|length > 1 %}<polyline fill="none" stroke="#cf222e" stroke-width="2"
 points="{% for p in points %}{{ p.x }},{{ p.y }} {% endfor %}"></polyline>{% endif %}
{% for p in points %}<circle cx="{{ p.x }}" cy="{{ p.y }}" r="3" fill="#cf222e">
<title>{{ p.label }}: {{ p.value }} failing</title></circle>
{% endfor %}<text x="30" y="{{ hist_h + 20 }}" font-size="11">{{ points|length }} runs,
 oldest first; the last is this run</text>
</svg>
</figure>
</section>
<h2>Links</h2>
<table class="sortable" id="links">
<thead><tr><th>file</th><th>line</th><th>URL</th><th>verdict</th><th>status</th>
<th>title</th><th>detail</th><th>suggestion</th><th>failing since</th><th>archived copy</th>
</tr></thead>
<tbody>
{% for row in rows %}<tr{% if row.failing %} class="failing"{% endif %}>
<td>{% if row.file_href %}<a href="{{ row.file_href }}" rel="noopener noreferrer">
{{- row.file }}</a>{% else %}{{ row.file }}{% endif %}</td>
<td data-sort="{{ row.line }}">{% if row.line_href %}<a href="{{ row.line_href }}"
 rel="noopener noreferrer">{{ row.line }}</a>{% else %}{{ row.line }}{% endif %}</td>
<td>{% if row.href %}<a href="{{ row.href }}" rel="noopener noreferrer nofollow">{{ row.url }}</a>
{%- else %}{{ row.url }}{% endif %}</td>
<td class="verdict" style="color: {{ row.color }}">{{ row.verdict }}</td>
<td>{{ row.status }}</td><td>{{ row.title }}</td><td>{{ row.detail }}</td>
<td>{{ row.suggestion }}</td><td>{{ row.since }}</td>
<td>{% if row.archive_href %}<a href="{{ row.archive_href }}" rel="noopener noreferrer nofollow">
{{- row.archived }}</a>{% endif %}</td></tr>
{% endfor %}</tbody>
</table>
{% if findings %}<h2>Lint findings</h2>
<table class="sortable" id="findings">
<thead><tr><th>file</th><th>line</th><th>severity</th><th>rule</th><th>message</th>
<th>suggestion</th></tr></thead>
<tbody>
{% for f in findings %}<tr><td>{{ f.file }}</td><td data-sort="{{ f.line }}">{{ f.line }}</td>
<td>{{ f.severity }}</td><td>{{ f.rule }}</td><td>{{ f.message }}</td>
<td>{{ f.suggestion }}</td></tr>
{% endfor %}</tbody>
</table>{% endif %}
<script>{{ script }}</script>
</body>
</html>
"""

_ENV = Environment(autoescape=True, keep_trailing_newline=True)
_TEMPLATE = _ENV.from_string(TEMPLATE)


@dataclass(frozen=True)
class _Point:
    x: int
    y: int
    value: int
    label: str


def _t(text: str | None, limit: int = DETAIL_LIMIT) -> str:
    return escape.shorten(escape.html_text(text or ""), limit)


def _href(url: str) -> str | None:
    """Only http(s) URLs become links (autoescape handles quotes and ampersands)."""
    dest = escape.md_url(url)  # None unless http(s); percent-encodes controls and spaces
    return dest[1:-1] if dest else None


def source_links(
    env: Mapping[str, str], page_dir: Path | None = None
) -> Callable[[str, int], tuple[str | None, str | None]]:
    """``(file_href, line_href)`` for a list's ``file`` and ``line``: in GitHub Actions
    (GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_SHA set) the file and the line on GitHub
    at the commit checked; otherwise the file, relative to the page's folder."""
    server = env.get("GITHUB_SERVER_URL", "").rstrip("/")
    repo, sha = env.get("GITHUB_REPOSITORY", ""), env.get("GITHUB_SHA", "")
    on_github = bool(server and repo and sha) and _href(server) is not None

    def links(file: str, line: int) -> tuple[str | None, str | None]:
        if not file or "://" in file:
            return None, None
        if on_github:
            checkout = Path(env.get("GITHUB_WORKSPACE") or Path.cwd()).resolve()
            path = Path(os.path.relpath(Path(file).resolve(), checkout))
            if path.is_absolute() or path.as_posix().startswith("../"):
                return None, None  # outside the checkout: nothing on GitHub to point at
            base = _href(f"{server}/{repo}/blob/{sha}/{path.as_posix()}")
            return base, f"{base}#L{line}" if base and line else None
        target = Path(file) if page_dir is None else Path(os.path.relpath(file, page_dir))
        href = escape.percent_encode(target.as_posix(), "#?%")
        if ":" in href.split("/", 1)[0]:
            href = "./" + href  # a file named "javascript:x.md" is a path, not a scheme
        elif href.startswith("//"):
            href = "/" + href.lstrip("/")  # //host/x would name another host
        return href, None

    return links


def _row(
    row: Row, now: datetime, links: Callable[[str, int], tuple[str | None, str | None]]
) -> dict[str, object]:
    """One occurrence as the links table shows it (every text escaped)."""
    file_href, line_href = links(row.file, row.line)
    return {
        "failing": row.failing,
        "file": _t(row.file),
        "file_href": file_href,
        "line_href": line_href,
        "line": row.line,
        "url": _t(row.result.url),
        # A malformed or refused URL is shown, never offered as a link to click.
        "href": None
        if row.result.verdict in (Verdict.INVALID, Verdict.UNSAFE)
        else _href(row.result.url),
        "verdict": verdict_label(row.result),
        "color": COLORS.get(row.result.verdict, "#999"),
        "status": _t(status_words(row.result)),
        "title": _t(row.result.title, TITLE_LIMIT),
        "detail": _t(row.result.detail),
        "suggestion": _t(row.result.suggestion),
        "since": since(row.result, now) if row.failing else "",
        "archive_href": _href(row.result.archive_url) if row.result.archive_url else None,
        "archived": row.result.archived_at.date().isoformat()
        if row.result.archived_at
        else "undated",
    }


def _time(moment: datetime) -> dict[str, str]:
    """A ``<time>``: UTC to the second in the page; the script shows it in local time."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    utc = utc.replace(microsecond=0)
    return {"iso": utc.isoformat().replace("+00:00", "Z"), "text": f"{utc:%Y-%m-%d %H:%M:%S} UTC"}


def render(view: View, *, page_dir: Path | None = None) -> str:
    """The page; ``page_dir`` is where it is written (file links are relative to it)."""
    report = view.report
    now = report.finished_at or report.started_at
    counts = {v: n for v, n in view.by_verdict().items() if n}
    top = max(counts.values(), default=1)
    bar_width = 360
    bars = [
        {
            "label": v,
            "count": n,
            "width": max(2, round(bar_width * n / top)),
            "color": COLORS.get(v, "#999"),
        }
        for v, n in counts.items()
    ]
    series = [*report.history, view.failing_count()]
    hist_w, hist_h = 420, 140
    hist_max = max(max(series), 1)
    step = (hist_w - 50) / max(len(series) - 1, 1)
    points = [
        _Point(
            x=round(40 + i * step),
            y=round(hist_h - (hist_h - 16) * value / hist_max),
            value=value,
            label="this run" if i == len(series) - 1 else f"run {i + 1}",
        )
        for i, value in enumerate(series)
    ]
    notes = []
    if report.partial:
        notes.append("Partial run: interrupted before every link was checked.")
    if report.network == "outage":
        notes.append("Network outage: nearly every host failed; links were not judged.")
    links = source_links(os.environ, page_dir)
    rows = [
        _row(row, now, links)
        for row in sorted(view.rows(), key=lambda r: (not r.failing, r.file, r.line, r.column))
    ]
    findings = [
        {
            "file": _t(f.file),
            "line": f.line,
            "severity": f.severity.value,
            "rule": _t(f.rule),
            "message": _t(f.message),
            "suggestion": _t(f.suggestion),
        }
        for f in view.findings()
    ]
    return _TEMPLATE.render(
        csp=CSP,
        tool=_t(f"{report.tool.name} {report.tool.version}"),
        started=_time(report.started_at),
        finished=_time(report.finished_at) if report.finished_at else None,
        notes=notes,
        urls=report.summary.urls,
        occurrences=report.summary.occurrences,
        failing=view.failing_count(),
        findings=findings,
        bars=bars,
        bar_width=bar_width,
        points=points,
        hist_w=hist_w,
        hist_h=hist_h,
        hist_max=hist_max,
        rows=rows,
        script=Markup(SCRIPT),
    )
