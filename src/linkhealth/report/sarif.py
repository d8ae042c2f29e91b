"""``results.sarif``: SARIF 2.1.0, one result per failing occurrence (code scanning)."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

from linkhealth.models import Severity, Verdict
from linkhealth.report import escape
from linkhealth.report.view import View, since, status_text

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


def render(view: View) -> str:
    report = view.report
    now = report.finished_at or report.started_at
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
    lint_rules = sorted({f.rule for f in report.findings})
    for name in lint_rules:
        index[f"lint/{name}"] = len(rules)
        rules.append(
            {
                "id": f"lint/{name}",
                "name": _text(name),
                "shortDescription": {"text": _text(f"Lint: {name}")},
                "defaultConfiguration": {"level": "error"},
            }
        )
    results: list[dict[str, Any]] = []
    for row in view.failing_rows():
        r, occ = row.result, row.occurrence
        message = f"{r.url}: {r.verdict.value} ({status_text(r)})"
        if r.detail:
            message += f" {r.detail}"
        if r.suggestion:
            message += f". Suggestion: {r.suggestion}"
        if r.failing_since is not None:
            message += f". Failing since {since(r, now)}"
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
            result["locations"] = [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(occ.file), "uriBaseId": "%SRCROOT%"},
                        "region": {
                            "startLine": max(occ.line, 1),
                            "startColumn": max(occ.column, 1),
                            "endLine": max(occ.end_line, occ.line, 1),
                            "endColumn": max(occ.end_column, 1),
                        },
                    }
                }
            ]
        results.append(result)
    for f in view.failing_findings():
        results.append(
            {
                "ruleId": f"lint/{f.rule}",
                "ruleIndex": index[f"lint/{f.rule}"],
                "level": "error" if f.severity is Severity.ERROR else "warning",
                "message": {
                    "text": _text(
                        f.message + (f". Suggestion: {f.suggestion}" if f.suggestion else "")
                    )
                },
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": _uri(f.file), "uriBaseId": "%SRCROOT%"},
                            "region": {
                                "startLine": max(f.line, 1),
                                "startColumn": max(f.column, 1),
                                "endLine": max(f.end_line or f.line, 1),
                                "endColumn": max(f.end_column or f.column, 1),
                            },
                        }
                    }
                ],
            }
        )
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
