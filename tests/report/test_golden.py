"""Golden files for every format on the fixed fixture (timestamps and durations fixed).

Regenerate with ``LINKHEALTH_UPDATE_GOLDENS=1 .venv/bin/python -m pytest tests/report``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from linkhealth.models import Judging, RunReport
from linkhealth.report import FORMATS, broken_links_md, enrichment_md, render
from linkhealth.report.schema import schema_text
from report.reportdata import GOLDEN, UPDATE

SUFFIX = {
    "text": "txt",
    "json": "json",
    "markdown": "md",
    "junit": "xml",
    "sarif": "sarif",
    "github": "txt",
    "csv": "csv",
    "html": "html",
}
SCHEMA_FILE = Path(__file__).parents[2] / "docs" / "results.schema.json"


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(actual, encoding="utf-8", newline="")
    assert path.exists(), f"missing golden {path}; run with LINKHEALTH_UPDATE_GOLDENS=1"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{name} differs from its golden file"


@pytest.mark.parametrize("fmt", FORMATS)
def test_format_matches_golden(report: RunReport, fmt: str) -> None:
    check_golden(f"report.{fmt}.{SUFFIX[fmt]}", render(report, fmt))


@pytest.mark.parametrize("fmt", ["text", "markdown", "junit", "github"])
def test_strict_fail_after_golden(report: RunReport, fmt: str) -> None:
    # --strict makes `blocked` fail; --fail-after 2 spares the timeout failing for 1 run.
    out = render(report.rejudged(Judging(strict=True, fail_after=2)), fmt)
    check_golden(f"report.strict-fail-after-2.{fmt}.{SUFFIX[fmt]}", out)


def test_broken_links_md_golden(report: RunReport) -> None:
    check_golden("broken-links.md", broken_links_md(report))


def test_enrichment_md_golden(report: RunReport) -> None:
    check_golden("enrichment.md", enrichment_md(report))


def test_published_schema_matches_the_model() -> None:
    if UPDATE:
        SCHEMA_FILE.write_text(schema_text(), encoding="utf-8")
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "docs/results.schema.json drifted from RunReport; "
        "regenerate with LINKHEALTH_UPDATE_GOLDENS=1"
    )
