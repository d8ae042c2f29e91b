"""`linkhealth check --archive` end to end: a loopback site, a loopback Wayback stand-in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from linkhealth.cli import cli
from support.servers import HostServer, Reply, ServerPool, html_page
from support.wayback import Wayback, loopback_flags


@pytest.fixture
def site(pool: ServerPool) -> HostServer:
    a = pool.host("127.0.0.2")
    a.route("/ok", Reply(200, body=html_page("Good page")))
    a.route("/gone", Reply(404, body=html_page("Not Found")))
    return a


def run(tmp_path: Path, site: HostServer, wb: Wayback, *args: str) -> Result:
    lst = tmp_path / "list.md"
    lst.write_text(
        f"# Reading\n\n- [good](http://site.test:{site.port}/ok)\n"
        f"- [gone](http://site.test:{site.port}/gone)\n",
        encoding="utf-8",
    )
    flags = loopback_flags(tmp_path, wb, **{"site.test": site.target})
    reports = ["--reports-dir", str(tmp_path / "reports"), "--max-age", "0"]
    env = {"LINKHEALTH_ARCHIVE_ENDPOINT": wb.endpoint}
    argv = ["check", str(lst), *flags, *reports, *args]
    return CliRunner().invoke(cli, argv, env=env, catch_exceptions=False)


def by_url(result: Result) -> dict[str, dict[str, object]]:
    return {r["url"].rsplit("/", 1)[-1]: r for r in json.loads(result.stdout)["results"]}


def test_check_archive_records_the_copy_and_keeps_the_exit_code(
    tmp_path: Path, site: HostServer, wb: Wayback
) -> None:
    gone = f"http://site.test:{site.port}/gone"
    wb.capture(gone, "20240301101500")
    plain = run(tmp_path, site, wb, "--format", "json")
    assert wb.server.hits() == 0  # off by default
    assert by_url(plain)["gone"]["archive_url"] is None

    result = run(tmp_path, site, wb, "--archive", "--format", "json")
    assert result.exit_code == plain.exit_code == 1
    rows = by_url(result)
    assert rows["gone"]["archive_url"] == f"{wb.endpoint}/web/20240301101500/{gone}"
    assert rows["gone"]["archived_at"] == "2024-03-01T10:15:00Z"
    assert rows["gone"]["verdict"] == "broken"
    assert rows["ok"]["archive_url"] is None
    assert wb.server.hits() == 1

    # The copy is in results.json and in what `report` re-renders from the store.
    saved = json.loads((tmp_path / "reports" / "results.json").read_text(encoding="utf-8"))
    assert [r["archive_url"] for r in saved["results"] if r["archive_url"]] == [
        rows["gone"]["archive_url"]
    ]
    report = CliRunner().invoke(
        cli, ["report", "--store", str(tmp_path / "state.sqlite"), "--format", "json"]
    )
    assert by_url(report)["gone"]["archive_url"] == rows["gone"]["archive_url"]

    # The next night asks the store, not the archive.
    again = run(tmp_path, site, wb, "--archive", "--format", "json")
    assert by_url(again)["gone"]["archive_url"] == rows["gone"]["archive_url"]
    assert wb.server.hits() == 1


def test_an_archive_outage_changes_no_verdict_and_no_exit_code(
    tmp_path: Path, site: HostServer, wb: Wayback
) -> None:
    wb.server.route("/wayback/available", Reply(503, content_type="text/plain"))
    result = run(tmp_path, site, wb, "--archive", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["partial"] is False and data["network"] == "ok"
    assert by_url(result)["gone"]["verdict"] == "broken"
    assert "archive look-ups" in result.stderr and "verdicts are unchanged" in result.stderr


def test_a_bad_archive_endpoint_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["check", str(tmp_path), "--archive"],
        env={"LINKHEALTH_ARCHIVE_ENDPOINT": "javascript:alert(1)"},
    )
    assert result.exit_code == 2
    assert "LINKHEALTH_ARCHIVE_ENDPOINT" in result.stderr
    assert "Traceback" not in result.output
