"""``results.sarif``: SARIF 2.1.0, one result per failing occurrence (code scanning)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from urllib.parse import quote

from linkhealth import textsafe as escape
from linkhealth.models import CheckResult, Finding, Occurrence, RunReport, Severity, Verdict
from linkhealth.report.view import (
    Row,
    View,
    archive_sentence,
    finding_problem,
    link_problem,
    since,
)

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/linkhealth/linkhealth"
MESSAGE_LIMIT = 1000

# One rule per verdict that can fail a run.
RULES: dict[Verdict, str] = {
    Verdict.BROKEN: "The link is broken: 404/410, another definite 4xx, 5xx after retries, "
    "a host that does not exist, or a soft 404.",
    Verdict.INVALID: "The link itself is malformed (a typo).",
    Verdict.BLOCKED: "The site refused the checker (401/403/999, a bot challenge, 429 that "
    "never cleared); the link may be fine.",
    Verdict.TIMEOUT: "No answer within the deadline after retries.",
    Verdict.ERROR: "Connection refused or reset, or a TLS or protocol failure, after retries.",
    Verdict.UNSAFE: "Refused by policy: a private address or a dangerous scheme.",
}


def rule_id(verdict: Verdict) -> str:
    return f"link/{verdict.value}"


def _text(text: str) -> str:
    return escape.shorten(escape.one_line(text), MESSAGE_LIMIT)


def _uri(path: str) -> str:
    """A relative URI reference for a file path (spaces and the like percent-encoded)."""
    return quote(escape.one_line(path).replace("\\", "/"), safe="/")


def _region(line: int, column: int, end_line: int, end_column: int) -> dict[str, int]:
    return {
        "startLine": max(line, 1),
        "startColumn": max(column, 1),
        "endLine": max(end_line, line, 1),
        "endColumn": max(end_column, 1),
    }


def _archive_fix(r: CheckResult, occ: Occurrence | None) -> list[dict[str, Any]]:
    """A fix replacing the link's destination with its archived copy (``check --archive``)."""
    if not r.archive_url or occ is None or occ.end_line != occ.line or occ.line < 1:
        return []
    when = r.archived_at.date().isoformat() if r.archived_at else "undated"
    change = {
        "artifactLocation": {"uri": _uri(occ.file), "uriBaseId": "%SRCROOT%"},
        "replacements": [
            {
                "deletedRegion": _region(occ.line, occ.column, occ.end_line, occ.end_column),
                "insertedContent": {"text": escape.one_line(r.archive_url)},
            }
        ],
    }
    description = f"Link the Wayback Machine's copy of {when} instead"
    return [{"description": {"text": description}, "artifactChanges": [change]}]


def _rules(report: RunReport) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The driver's rules (one per failing verdict, one per lint rule seen) and their index."""
    rules: list[dict[str, Any]] = [
        {
            "id": rule_id(verdict),
            "name": verdict.value.capitalize() + "Link",
            "shortDescription": {"text": f"Link {verdict.value}"},
            "fullDescription": {"text": description},
            "defaultConfiguration": {"level": "warning" if verdict is Verdict.BLOCKED else "error"},
        }
        for verdict, description in RULES.items()
    ]
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    for name in sorted({f.rule for f in report.findings}):
        index[f"lint/{name}"] = len(rules)
        rules.append(
            {
                "id": f"lint/{name}",
                "name": _text(name),
                "shortDescription": {"text": _text(f"Lint: {name}")},
                "defaultConfiguration": {"level": "error"},
            }
        )
    return rules, index


def _location(file: str, region: dict[str, int]) -> list[dict[str, Any]]:
    return [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": _uri(file), "uriBaseId": "%SRCROOT%"},
                "region": region,
            }
        }
    ]


def _link_result(row: Row, index: dict[str, int], now: datetime) -> dict[str, Any]:
    r, occ = row.result, row.occurrence
    message = link_problem(r)
    if r.failing_since is not None:
        message += f". Failing since {since(r, now)}"
    message += archive_sentence(r)
    result: dict[str, Any] = {
        "ruleId": rule_id(r.verdict),
        "ruleIndex": index[rule_id(r.verdict)],
        "level": "warning" if r.verdict is Verdict.BLOCKED else "error",
        "message": {"text": _text(message)},
        "partialFingerprints": {
            "linkhealth/url/v1": hashlib.sha256(r.url.encode("utf-8", "replace")).hexdigest()
        },
        "properties": {
            "url": _text(r.url),
            "verdict": r.verdict.value,
            "httpStatus": r.http_status,
            "failingRuns": r.failing_runs,
            "flaky": r.flaky,
        },
    }
    if occ is not None:
        result["locations"] = _location(
            occ.file, _region(occ.line, occ.column, occ.end_line, occ.end_column)
        )
    if fixes := _archive_fix(r, occ):
        result["fixes"] = fixes
    return result


def _finding_result(f: Finding, index: dict[str, int]) -> dict[str, Any]:
    return {
        "ruleId": f"lint/{f.rule}",
        "ruleIndex": index[f"lint/{f.rule}"],
        "level": "error" if f.severity is Severity.ERROR else "warning",
        "message": {"text": _text(finding_problem(f))},
        "locations": _location(
            f.file, _region(f.line, f.column, f.end_line or f.line, f.end_column or f.column)
        ),
    }


def render(view: View) -> str:
    report = view.report
    now = report.finished_at or report.started_at
    rules, index = _rules(report)
    results = [_link_result(row, index, now) for row in view.failing_rows()]
    results += [_finding_result(f, index) for f in view.failing_findings()]
    invocation: dict[str, Any] = {
        "executionSuccessful": not report.partial and report.network == "ok",
        "startTimeUtc": report.started_at.isoformat(),
    }
    if report.finished_at is not None:
        invocation["endTimeUtc"] = report.finished_at.isoformat()
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": report.tool.name,
                        "version": report.tool.version,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "invocations": [invocation],
                "columnKind": "unicodeCodePoints",
                "results": results,
                "properties": {"partial": report.partial, "network": report.network},
            }
        ],
    }
    return escape.json_text(log) + "\n"
