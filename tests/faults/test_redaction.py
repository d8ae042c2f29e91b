"""Credentials in URLs (``https://user:token@host/``) are used for fetching but never
appear in any output: every stdout format, every report file, ``--verbose`` lines,
``extract`` and ``lint``."""

from __future__ import annotations

import pytest

from faults.faultkit import run_cli
from linkhealth.report.redact import redact_text
from support.servers import Reply, Request, ServerPool, html_page

SECRET = "s3cr3t-T0KEN"
EXTRA = [a for f in ("junit", "sarif", "html", "csv") for a in ("--report-format", f)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://user:pw@host/x", "https://***@host/x"),
        ("see http://TOKEN@h.example:8080/a?b=c@d", "see http://***@h.example:8080/a?b=c@d"),
        ("https://a:b@c@host/", "https://***@host/"),
        (
            "https://host/path@x and mail me@example.com",
            "https://host/path@x and mail me@example.com",
        ),
        ("no url here", "no url here"),
    ],
)
def test_redact_text(text: str, expected: str) -> None:
    assert redact_text(text) == expected


def test_credentials_never_reach_an_output(tmp_path: object) -> None:
    from pathlib import Path

    work = Path(str(tmp_path))
    seen: list[str] = []
    with ServerPool(lifetime=60) as pool:
        host = pool.host("127.0.0.1")

        def page(req: Request) -> Reply:
            seen.append(req.headers.get("authorization", ""))
            return Reply(200, body=html_page("Private page"))

        host.route("/private", page)
        host.route("/gone", Reply(404))
        base = host.url("/").removeprefix("http://")
        lines = [
            f"- http://alice:{SECRET}@{base}private",
            f"- [gone](http://{SECRET}@{base}gone)",
            f"- [typo](htps://bob:{SECRET}@{base}x)",
        ]
        (work / "list.md").write_text("\n".join(lines) + "\n")
        outputs = []
        for fmt in ("text", "json", "markdown", "github"):
            ran = run_cli(
                "check", "list.md", "--allow-private", "--store", "s.sqlite", "--verbose",
                "--host-interval", "0",
                "--format", fmt, *EXTRA,
                cwd=work,
            )  # fmt: skip
            assert ran.code == 1, ran.stderr
            outputs += [ran.stdout, ran.stderr]
    assert seen and all(h.startswith("Basic ") for h in seen)  # the credentials were used
    outputs += [p.read_text() for p in (work / "reports").iterdir()]
    for command in ("extract", "lint"):
        for fmt in ("text", "json"):
            ran = run_cli(command, "list.md", "--format", fmt, cwd=work)
            outputs += [ran.stdout, ran.stderr]
    report = run_cli("report", "--store", "s.sqlite", "--format", "json", cwd=work)
    outputs += [report.stdout]
    everything = "\n".join(outputs)
    assert "***@" in everything
    assert SECRET not in everything
    assert "alice" not in everything and "bob:" not in everything


@pytest.mark.parametrize(
    "detail",
    [
        "echoed:\nghp_" + "A" * 30,  # JSON writes "\n": a word character before the token
        "page says https://u:pw@host/ \udc80",  # a lone surrogate: no JSON text to screen
        "page says https://u:pw@host/",
    ],
)
def test_redact_report_finds_what_the_quick_screen_must_not_miss(detail: str) -> None:
    from datetime import UTC, datetime

    from linkhealth.models import CheckResult, RunReport, Summary, ToolInfo, Verdict
    from linkhealth.report.redact import REDACTED, redact_report

    # The screen reads the report result by result: the secret is in the last one.
    clean = [CheckResult(url=f"https://ok.example/{i}", verdict=Verdict.OK) for i in range(2)]
    result = CheckResult(url="https://ok.example/", verdict=Verdict.OK, detail=detail)
    report = RunReport(
        tool=ToolInfo(version="0"),
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        summary=Summary(occurrences=0, urls=3, by_verdict={"ok": 3}, failing=0),
        results=[*clean, result],
    )
    redacted = redact_report(report)
    assert redacted is not report
    assert REDACTED in redacted.results[-1].detail
    assert "ghp_A" not in redacted.results[-1].detail and "u:pw" not in redacted.results[-1].detail


def test_redact_report_screens_what_is_outside_the_results() -> None:
    from datetime import UTC, datetime

    from linkhealth.models import CheckResult, Finding, RunReport, Summary, ToolInfo, Verdict
    from linkhealth.report.redact import redact_report

    finding = Finding(
        file="a.md", line=1, column=1, rule="r", message="see https://u:pw@host/ here"
    )
    report = RunReport(
        tool=ToolInfo(version="0"),
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        summary=Summary(occurrences=0, urls=1, by_verdict={"ok": 1}, failing=0),
        results=[CheckResult(url="https://ok.example/", verdict=Verdict.OK)],
        findings=[finding],
    )
    redacted = redact_report(report)
    assert "u:pw" not in redacted.findings[0].message


def test_redact_report_returns_a_clean_report_itself() -> None:
    from datetime import UTC, datetime

    from linkhealth.models import CheckResult, RunReport, Summary, ToolInfo, Verdict
    from linkhealth.report.redact import redact_report

    report = RunReport(
        tool=ToolInfo(version="0"),
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        summary=Summary(occurrences=0, urls=1, by_verdict={"ok": 1}, failing=0),
        results=[CheckResult(url="https://github.com/x", verdict=Verdict.OK, title="gh_ no")],
    )
    assert redact_report(report) is report


@pytest.mark.parametrize(
    "detail",
    [
        "echoed:\nghp_" + "A" * 30,
        "page says https://u:pw@host/ \udc80",
        "page says https://u:pw@host/",
        "nothing to hide",
    ],
)
@pytest.mark.parametrize("where", ["result", "finding"])
def test_the_json_report_redacts_each_part_as_redact_report_does(detail: str, where: str) -> None:
    """``--format json`` screens the text it writes, part by part, instead of the report
    first: what it writes is what redact_report's copy gives (strings made valid Unicode)."""
    import json
    from datetime import UTC, datetime

    from linkhealth.models import CheckResult, Finding, RunReport, Summary, ToolInfo, Verdict
    from linkhealth.report import jsonfmt, render, render_chunks
    from linkhealth.report.redact import redact_report

    results = [CheckResult(url=f"https://ok.example/{i}", verdict=Verdict.OK) for i in range(2)]
    findings = []
    if where == "result":
        results.append(CheckResult(url="https://ok.example/", verdict=Verdict.OK, detail=detail))
    else:
        findings.append(Finding(file="a.md", line=1, column=1, rule="r", message=detail))
    report = RunReport(
        tool=ToolInfo(version="0"),
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        summary=Summary(occurrences=0, urls=3, by_verdict={"ok": 3}, failing=0),
        results=results,
        findings=findings,
    )
    text = render(report, "json")
    assert "ghp_A" not in text and "u:pw" not in text
    assert "".join(render_chunks(report, "json")) == text
    assert text == jsonfmt.render(redact_report(report))
    data = json.loads(text)
    if where == "result" and detail == "nothing to hide":
        assert data["results"][-1]["detail"] == detail
    if "\udc80" in detail:
        part = data["results"][-1]["detail"] if where == "result" else data["findings"][0]
        assert "\ufffd" in str(part)
