"""Every report format carries the archived copy of a failing link (``check --archive``)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from linkhealth.models import RunReport
from linkhealth.report import FORMATS, broken_links_md, render
from report.reportdata import build_report

ARCHIVED = "https://web.archive.org/web/20250101000000/https://example.org/gone"


@pytest.fixture
def report() -> RunReport:
    return build_report()


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_names_the_copy(report: RunReport, fmt: str) -> None:
    out = render(report, fmt)
    assert out.count(ARCHIVED) >= 2 if fmt != "json" else ARCHIVED in out  # both places
    assert "2025-01-01" in out


def test_text_and_markdown_give_it_a_line_of_its_own(report: RunReport) -> None:
    text_lines = render(report, "text").splitlines()
    assert f"    archived copy (2025-01-01): {ARCHIVED}" in text_lines
    md = broken_links_md(report)
    assert "## Archived copies" in md
    assert f"[archived copy (2025-01-01)](<{ARCHIVED}>)" in md


def test_csv_has_the_columns(report: RunReport) -> None:
    rows = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    gone = [r for r in rows if r["url"] == "https://example.org/gone"]
    assert {r["archive_url"] for r in gone} == {ARCHIVED}
    assert {r["archived_at"] for r in gone} == {"2025-01-01T00:00:00+00:00"}
    assert all(r["archive_url"] == "" for r in rows if r not in gone)


def test_sarif_fix_replaces_exactly_the_written_url(report: RunReport) -> None:
    log = json.loads(render(report, "sarif"))
    fixed = [r for r in log["runs"][0]["results"] if "fixes" in r]
    assert len(fixed) == 2  # one per place the dead link is written
    for result in fixed:
        region = result["locations"][0]["physicalLocation"]["region"]
        (change,) = result["fixes"][0]["artifactChanges"]
        (replacement,) = change["replacements"]
        deleted = replacement["deletedRegion"]
        assert deleted == region
        # The fixture's line: the URL written at `column`; apply the fix to it.
        col = deleted["startColumn"]
        line = " " * (col - 1) + "https://example.org/gone" + " tail"
        fixed_line = (
            line[: col - 1]
            + replacement["insertedContent"]["text"]
            + line[deleted["endColumn"] - 1 :]
        )
        assert fixed_line == " " * (col - 1) + ARCHIVED + " tail"
    others = [r for r in log["runs"][0]["results"] if "fixes" not in r]
    assert others and all("web.archive.org" not in r["message"]["text"] for r in others)
