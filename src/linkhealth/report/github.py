"""``--format github``: workflow commands that annotate files in a pull request.

``::error file=F,line=L,col=C,endLine=L2,endColumn=C2,title=T::message``; properties
and messages escaped as the Actions runner expects (``%``, ``\\r``, ``\\n``, and in
properties ``:`` and ``,``), escape sequences removed (the log viewer renders ANSI).
"""

from __future__ import annotations

from linkhealth import textsafe as escape
from linkhealth.models import Severity, Verdict
from linkhealth.report.view import View, archive_sentence, finding_problem, link_problem, since

MESSAGE_LIMIT = 500


def _command(
    level: str, file: str, line: int, col: int, end_line: int, end_col: int, title: str, msg: str
) -> str:
    props = [f"file={escape.gh_property(file)}"]
    if line:
        props += [f"line={line}", f"col={col}", f"endLine={end_line}", f"endColumn={end_col}"]
    props.append(f"title={escape.gh_property(title)}")
    return f"::{level} {','.join(props)}::{escape.gh_data(msg)}"


def render(view: View) -> str:
    now = view.report.finished_at or view.report.started_at
    out: list[str] = []
    for row in view.rows():
        r = row.result
        if row.failing:
            level = "error"
        elif r.verdict is Verdict.BLOCKED or r.verdict.is_failing(strict=False):
            level = "warning"  # refused us, or failing but not yet --fail-after runs
        else:
            continue
        msg = link_problem(r)
        if r.failing_since is not None:
            # A warning does not fail the run, so it does not say "failing".
            msg += f". {'Failing' if row.failing else 'Not ok'} since {since(r, now)}"
        if r.flaky:
            msg += ". Flaky: it has flipped between ok and failing in recent runs"
        msg += archive_sentence(r)
        occ = row.occurrence
        out.append(
            _command(
                level,
                row.file,
                row.line,
                row.column,
                occ.end_line if occ else 0,
                occ.end_column if occ else 0,
                f"link {r.verdict.value}",
                escape.shorten(escape.one_line(msg), MESSAGE_LIMIT),
            )
        )
    for f in view.findings():
        level = "error" if f.severity is Severity.ERROR else "warning"
        msg = finding_problem(f)
        out.append(
            _command(
                level,
                f.file,
                f.line,
                f.column,
                f.end_line or f.line,
                f.end_column or f.column,
                f"lint {f.rule}",
                escape.shorten(escape.one_line(msg), MESSAGE_LIMIT),
            )
        )
    return "".join(line + "\n" for line in out)
