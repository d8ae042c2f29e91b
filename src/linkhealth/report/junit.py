"""``junit.xml``: one test suite per file, one test case per occurrence.

A failing link is a ``<failure>``; a link that is not ok but does not fail the run
(blocked without ``--strict``, skipped, excluded, failing fewer than ``--fail-after``
runs, a network failure during an outage) is ``<skipped>``; an ok link passes.
Lint findings of severity ``error`` are failing test cases of their own.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from linkhealth import textsafe as escape
from linkhealth.report.view import Row, View, archive_note, since, status_text

MESSAGE_LIMIT = 1000


def _x(text: str, limit: int = MESSAGE_LIMIT) -> str:
    return escape.xml_text(escape.shorten(escape.one_line(text), limit))


def _case(suite: ET.Element, row: Row, view: View) -> None:
    r = row.result
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "classname": _x(row.file or "(no file)"),
            "name": _x(f"{row.line}:{row.column} {r.url}"),
            "time": f"{r.elapsed_ms / 1000:.3f}",
        },
    )
    message = f"{r.verdict.value} ({status_text(r)})" + (f": {r.detail}" if r.detail else "")
    if row.state == "failure":
        body = [f"URL: {r.url}", f"verdict: {r.verdict.value}", f"status: {status_text(r)}"]
        if r.detail:
            body.append(f"detail: {r.detail}")
        if r.suggestion:
            body.append(f"suggestion: {r.suggestion}")
        if r.failing_since is not None:
            now = view.report.finished_at or view.report.started_at
            body.append(f"failing since: {since(r, now)}")
        if r.flaky:
            body.append("flaky: flips between ok and failing in recent runs")
        if note := archive_note(r):
            body.append(note)
        failure = ET.SubElement(case, "failure", {"message": _x(message), "type": r.verdict.value})
        failure.text = "\n".join(_x(line) for line in body)
    elif row.state == "skipped":
        ET.SubElement(case, "skipped", {"message": _x(message)})


def render(view: View) -> str:
    report = view.report
    rows = view.rows()
    root = ET.Element("testsuites", {"name": "linkhealth"})
    suites: dict[str, ET.Element] = {}
    stats: dict[str, list[int]] = {}
    total_time = 0.0
    for row in rows:
        name = row.file or "(no file)"
        if name not in suites:
            suites[name] = ET.SubElement(root, "testsuite", {"name": _x(name)})
            stats[name] = [0, 0, 0, 0]  # tests, failures, skipped, milliseconds
        _case(suites[name], row, view)
        s = stats[name]
        s[0] += 1
        s[1] += row.state == "failure"
        s[2] += row.state == "skipped"
        s[3] += int(row.result.elapsed_ms)
        total_time += row.result.elapsed_ms
    findings = view.findings()
    if findings:
        suite = ET.SubElement(root, "testsuite", {"name": "lint"})
        suites["\0lint"] = suite
        stats["\0lint"] = [0, 0, 0, 0]
        for f in findings:
            case = ET.SubElement(
                suite,
                "testcase",
                {
                    "classname": _x(f.file),
                    "name": _x(f"{f.line}:{f.column} {f.rule}"),
                    "time": "0.000",
                },
            )
            failing = f.severity.value == "error"
            msg = f.message + (f" (suggestion: {f.suggestion})" if f.suggestion else "")
            if failing:
                el = ET.SubElement(case, "failure", {"message": _x(msg), "type": _x(f.rule)})
                el.text = _x(msg)
            else:
                ET.SubElement(case, "skipped", {"message": _x(msg)})
            stats["\0lint"][0] += 1
            stats["\0lint"][1] += failing
            stats["\0lint"][2] += not failing
    for name, suite in suites.items():
        tests, failures, skipped, ms = stats[name]
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", str(skipped))
        suite.set("time", f"{ms / 1000:.3f}")
        suite.set("timestamp", report.started_at.isoformat())
    root.set("tests", str(sum(s[0] for s in stats.values())))
    root.set("failures", str(sum(s[1] for s in stats.values())))
    root.set("errors", "0")
    root.set("skipped", str(sum(s[2] for s in stats.values())))
    root.set("time", f"{total_time / 1000:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
