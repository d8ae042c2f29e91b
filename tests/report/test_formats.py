"""Each format parses back and says what the aggregate says; writing is atomic."""

from __future__ import annotations

import csv
import io
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from linkhealth.errors import ConfigError, ReportWriteError
from linkhealth.models import Judging, RunReport, Verdict, fails_run
from linkhealth.report import ALWAYS_WRITTEN, jsonfmt, render, write_reports
from linkhealth.report.schema import results_schema

HERE = Path(__file__).parent
SARIF_SCHEMA = json.loads((HERE / "sarif-schema-2.1.0.trimmed.json").read_text())


# --- which links fail ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("verdict", "runs", "strict", "fail_after", "expected"),
    [
        (Verdict.BROKEN, 0, False, 1, True),  # history unknown: this run counts
        (Verdict.BROKEN, 0, False, 3, False),  # no history counts as this one run
        (Verdict.INVALID, 1, False, 3, True),  # a typo never heals by waiting
        (Verdict.BROKEN, 1, False, 2, False),  # first failing run of two needed
        (Verdict.BROKEN, 2, False, 2, True),
        (Verdict.BLOCKED, 5, False, 1, False),
        (Verdict.BLOCKED, 5, True, 1, True),
        (Verdict.OK, 0, True, 1, False),
        (Verdict.SKIPPED, 0, True, 1, False),
        (Verdict.UNSAFE, 1, False, 1, True),
    ],
)
def test_fails_run(
    report: RunReport, verdict: Verdict, runs: int, strict: bool, fail_after: int, expected: bool
) -> None:
    result = report.results[0].model_copy(update={"verdict": verdict, "failing_runs": runs})
    assert fails_run(result, Judging(strict=strict, fail_after=fail_after)) is expected


def test_outage_does_not_fail_network_failures(report: RunReport) -> None:
    report.network = "outage"
    text = render(report, "text")
    assert "slow.example.com" not in text.split("lint findings")[0]
    assert "network outage" in text
    assert "example.org/gone" in text  # a 404 is still an answer


# --- JUnit ---------------------------------------------------------------------------


def test_junit_one_testcase_per_occurrence(report: RunReport) -> None:
    root = ET.fromstring(render(report, "junit"))
    cases = [c for c in root.iter("testcase") if c.get("classname", "").startswith("lists/")]
    link_cases = [c for s in root.iter("testsuite") if s.get("name") != "lint" for c in s]
    assert len(link_cases) == sum(len(r.occurrences) for r in report.results)
    failures = [c for c in link_cases if c.find("failure") is not None]
    skipped = [c for c in link_cases if c.find("skipped") is not None]
    assert len(failures) == 4  # broken twice, invalid, timeout
    assert len(skipped) == 2  # blocked (not strict), mailto
    assert {c.find("failure").get("type") for c in failures} == {"broken", "invalid", "timeout"}  # type: ignore[union-attr]
    assert int(root.get("tests", "0")) == len(cases)
    # The line-37 lint error is shown once, as its invalid result, not again as a finding.
    assert int(root.get("failures", "0")) == 4


def test_junit_strict_counts_blocked(report: RunReport) -> None:
    root = ET.fromstring(render(report.rejudged(Judging(strict=True)), "junit"))
    blocked = [c for c in root.iter("testcase") if "linkedin" in c.get("name", "")]
    assert blocked[0].find("failure") is not None


# --- SARIF ---------------------------------------------------------------------------


def test_sarif_validates_and_has_one_result_per_failing_occurrence(report: RunReport) -> None:
    log = json.loads(render(report, "sarif"))
    jsonschema.Draft7Validator(
        SARIF_SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    ).validate(log)
    results = log["runs"][0]["results"]
    link_results = [r for r in results if r["ruleId"].startswith("link/")]
    assert len(link_results) == 4
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    region = next(r for r in link_results if "simonwil" in r["message"]["text"])["locations"][0][
        "physicalLocation"
    ]["region"]
    assert region == {"startLine": 37, "startColumn": 3, "endLine": 37, "endColumn": 35}
    uri = link_results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "lists/other%20list.md"


def test_sarif_schema_rejects_a_broken_log(report: RunReport) -> None:
    log = json.loads(render(report, "sarif"))
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(log, SARIF_SCHEMA)


# --- JSON ----------------------------------------------------------------------------


def test_json_is_the_model_and_validates_against_the_published_schema(report: RunReport) -> None:
    data = json.loads(render(report, "json"))
    jsonschema.validate(data, results_schema())
    assert RunReport.model_validate(data) == report
    documented = {"schema_version", "tool", "started_at", "finished_at", "partial", "network"}
    assert documented | {"summary", "results", "findings"} <= data.keys()
    result_keys = {
        "url", "verdict", "http_status", "detail", "error_kind", "final_url", "redirects",
        "attempts", "elapsed_ms", "checked_at", "from_cache", "failing_runs", "title",
        "description", "site_name", "canonical_url", "content_type", "lang", "suggestion",
        "occurrences",
    }  # fmt: skip
    assert result_keys <= data["results"][0].keys()
    assert set(data["summary"]) == {"occurrences", "urls", "by_verdict", "failing"}


def test_json_survives_lone_surrogates(make_report) -> None:  # type: ignore[no-untyped-def]
    out = render(make_report(title="bad \ud800 byte"), "json")
    out.encode("utf-8")  # would raise on a lone surrogate
    assert "bad \ufffd byte" in json.loads(out)["results"][2]["title"]


# --- GitHub, CSV, text -----------------------------------------------------------------


def test_github_commands_have_exact_locations(report: RunReport) -> None:
    lines = render(report, "github").splitlines()
    assert (
        "::error file=lists/reading-list.md,line=37,col=3,endLine=37,endColumn=35,"
        "title=link invalid::" in "\n".join(lines)
    )
    assert all(line.startswith(("::error ", "::warning ")) for line in lines)
    assert sum(line.startswith("::error") for line in lines) == 4  # the typo once


def test_github_escapes_properties_and_data(make_report) -> None:  # type: ignore[no-untyped-def]
    out = render(make_report(title="a,b:c%d\r\n::error::x"), "github")
    for line in out.splitlines():
        assert line.startswith("::")
    assert "a,b:c%25d ::error::x" in out  # one line; `%` escaped; `:` and `,` kept in data
    assert len(out.splitlines()) == 6  # the typo's lint finding folds into its result


def test_github_escapes_file_property(report: RunReport) -> None:
    for r in report.results:
        for o in r.occurrences:
            o.file = "a,b:c%d\nx.md"
    out = render(report, "github")
    assert "file=a%2Cb%3Ac%25d%0Ax.md,line=" in out
    assert len(out.splitlines()) == 7  # files renamed: the finding no longer matches a result


def test_csv_rows_and_formula_neutralised(make_report) -> None:  # type: ignore[no-untyped-def]
    rows = list(csv.DictReader(io.StringIO(render(make_report(title="=HYPERLINK(1)"), "csv"))))
    assert len(rows) == 8
    assert {r["title"] for r in rows if r["verdict"] == "broken"} == {"'=HYPERLINK(1)"}
    assert [r["failing"] for r in rows].count("true") == 4


def test_text_lists_failing_first_then_summary(report: RunReport) -> None:
    lines = render(report, "text").splitlines()
    assert lines[0] == "lists/other list.md"
    assert lines[-1].startswith("7 URLs in 8 places")
    assert "3 failing" in lines[-1]
    assert any("[failing since 2025-02-26 (3 days)]" in line for line in lines)
    assert any("timeout, flaky" in line for line in lines)


def test_partial_is_marked_everywhere(report: RunReport) -> None:
    report.partial = True
    assert "partial run" in render(report, "text")
    assert "Partial run" in render(report, "markdown")
    assert "Partial run" in render(report, "html")
    sarif = json.loads(render(report, "sarif"))
    assert sarif["runs"][0]["invocations"][0]["executionSuccessful"] is False


def test_unknown_format_is_a_clear_error(report: RunReport) -> None:
    with pytest.raises(ConfigError, match="unknown report format 'yaml'"):
        render(report, "yaml")


# --- writing -------------------------------------------------------------------------


def test_write_reports_writes_the_files(report: RunReport, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    paths = write_reports(report, out, ["junit", "sarif", "html", "csv"])
    names = sorted(p.name for p in paths)
    assert names == sorted(
        [*ALWAYS_WRITTEN, "junit.xml", "results.sarif", "index.html", "results.csv"]
    )
    assert json.loads((out / "results.json").read_text()) == report.model_dump(mode="json")
    assert sorted(os.listdir(out)) == names  # no temp file left


def written_then_changed(report: RunReport, folder: Path) -> dict[str, bytes]:
    """The reports written into ``folder`` (their bytes), then ``report`` changed."""
    write_reports(report, folder)
    report.results[0].title = "changed"
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_failed_write_keeps_previous_reports(
    report: RunReport, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = written_then_changed(report, tmp_path)

    real_replace = os.replace

    def failing_replace(src: str, dst: str) -> None:
        if str(dst).endswith("enrichment.md"):
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(ReportWriteError) as info:
        write_reports(report, tmp_path)
    assert "enrichment.md" in str(info.value)
    assert "No space left on device" in str(info.value)
    assert (tmp_path / "enrichment.md").read_bytes() == before["enrichment.md"]
    assert sorted(os.listdir(tmp_path)) == sorted(before)  # temp files removed


def test_reports_replaced_only_when_every_file_is_written(
    report: RunReport, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """results.json is rendered while it is written: a failure half-way through it
    leaves every previous report as it was (none is put in place before all are written)."""
    before = written_then_changed(report, tmp_path)

    def broken_chunks(_: RunReport, ahead: object = None) -> Iterator[str]:
        yield "{"
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(jsonfmt, "chunks", broken_chunks)
    with pytest.raises(ReportWriteError, match=r"results\.json: No space left on device"):
        write_reports(report, tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_folder_that_is_a_file_is_a_report_write_error(report: RunReport, tmp_path: Path) -> None:
    # Works as root too (permissions would not stop root).
    target = tmp_path / "reports"
    target.write_text("not a directory")
    with pytest.raises(ReportWriteError, match=str(target)):
        write_reports(report, target)
    assert target.read_text() == "not a directory"


def test_unknown_file_format_is_rejected_before_writing(report: RunReport, tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        write_reports(report, tmp_path / "r", ["pdf"])
    assert not (tmp_path / "r").exists()
