"""The HTML report for people: local times to the second, statuses in words, "failing
since" on failing rows only, and each place linked to its file (its line on GitHub)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from linkhealth.models import RunReport, Verdict
from linkhealth.report import render
from linkhealth.report.html import source_links
from report.reportdata import build_report


def rows(page: str) -> list[str]:
    body = page.split('id="links"')[1].split("</tbody>")[0]
    return body.split("<tr")[2:]


def test_times_statuses_and_failing_since_only_where_failing() -> None:
    report = build_report()
    blocked = next(r for r in report.results if r.verdict is Verdict.BLOCKED)
    blocked.failing_since = datetime(2025, 2, 1, tzinfo=UTC)  # not failing: not --strict
    report.started_at = datetime(2025, 3, 1, 2, 0, 0, 123456, tzinfo=UTC)
    page = render(report, "html")
    assert '<time datetime="2025-03-01T02:00:00Z">2025-03-01 02:00:00 UTC</time>' in page
    assert "123456" not in page and "+00:00" not in page
    assert "<td>404 Not Found</td>" in page and "<td>malformed link</td>" in page
    assert "<td>malformed</td>" not in page and "<td>timeout</td>" not in page
    linkedin = next(r for r in rows(page) if "linkedin" in r)
    assert "2025-02-01" not in linkedin and 'class="failing"' not in linkedin
    gone = next(r for r in rows(page) if "example.org/gone" in r)
    assert "2025-02-26 (3 days)" in gone


def test_places_link_to_the_line_on_github(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "octo/lists")
    monkeypatch.setenv("GITHUB_SHA", "0123abc")
    page = render(build_report(), "html")
    base = "https://github.com/octo/lists/blob/0123abc/lists/reading-list.md"
    assert f'<a href="{base}#L9"' in page and f'<a href="{base}"' in page
    assert "https://github.com/octo/lists/blob/0123abc/lists/other%20list.md#L12" in page


@pytest.mark.parametrize(
    ("file", "href"),
    [
        ("lists/a b.md", "lists/a%20b.md"),
        ("javascript:alert(1).md", "./javascript:alert(1).md"),
        ("lists/#x?.md", "lists/%23x%3F.md"),
        ("//evil.example/x.md", "/evil.example/x.md"),
    ],
)
def test_places_link_to_the_file_outside_actions(file: str, href: str) -> None:
    file_href, line_href = source_links({})(file, 3)
    assert (file_href, line_href) == (href, None)


def test_file_outside_the_checkout_is_not_linked_on_github(tmp_path: object) -> None:
    env = {
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_SHA": "abc",
        "GITHUB_WORKSPACE": "/nonexistent/checkout",
    }
    assert source_links(env)("/etc/hosts.md", 1) == (None, None)


def test_written_report_links_files_relative_to_its_folder(
    report: RunReport, tmp_path: object
) -> None:
    from pathlib import Path

    from linkhealth.report import write_reports

    out = Path(str(tmp_path)) / "reports"
    write_reports(report, out, ["html"])
    page = (out / "index.html").read_text()
    rel = re.escape("../")
    assert re.search(rf'href="({rel})+', page)  # lists/… seen from reports/
