"""``linkhealth lint`` output: findings as text, JSON or GitHub workflow commands."""

from __future__ import annotations

from linkhealth import textsafe as escape
from linkhealth.records import Finding, Severity


def render_text(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        line = (
            f"{escape.terminal(f.file)}:{f.line}:{f.column} {f.rule} {escape.one_line(f.message)}"
        )
        if f.suggestion:
            line += f" ({escape.one_line(f.suggestion)})"
        lines.append(line + "\n")
    return "".join(lines)


def render_json(findings: list[Finding]) -> str:
    return "".join(escape.json_records(f.as_json() for f in findings)) + "\n"


def render_github(findings: list[Finding]) -> str:
    out = []
    for f in findings:
        level = "error" if f.severity is Severity.ERROR else "warning"
        props = [
            f"file={escape.gh_property(f.file)}",
            f"line={f.line}",
            f"col={f.column}",
            f"endLine={f.end_line or f.line}",
            f"endColumn={f.end_column or f.column}",
            f"title={escape.gh_property('lint ' + f.rule)}",
        ]
        msg = escape.one_line(f.message)
        if f.suggestion:
            msg += f". Suggestion: {escape.one_line(f.suggestion)}"
        out.append(f"::{level} {','.join(props)}::{escape.gh_data(msg)}\n")
    return "".join(out)


RENDERERS = {"text": render_text, "json": render_json, "github": render_github}
