"""Issue 16, at command level: `check` and `report` never contradict each other.

`report` judges a run as `check` judged it (strict, fail-after, accept ranges are
recorded with the run); its flags may only make that stricter, and it says so.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner, Result

from linkhealth.cli import cli
from support.servers import HostServer, Reply, ServerPool, html_page


def check(tmp_path: Path, *args: str) -> Result:
    base = ["--store", str(tmp_path / "state.sqlite"), "--reports-dir", str(tmp_path / "reports")]
    net = ["--allow-private", "--timeout", "3", "--retries", "0", "--host-interval", "0"]
    return CliRunner().invoke(cli, ["check", *args, *base, *net])


def report(tmp_path: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["report", "--store", str(tmp_path / "state.sqlite"), *args])


def listed(tmp_path: Path, host: HostServer, *paths: str) -> str:
    lst = tmp_path / "list.md"
    lst.write_text("".join(f"- http://site.test:{host.port}{p}\n" for p in paths))
    return str(lst)


def resolve(host: HostServer) -> list[str]:
    return ["--resolve", f"site.test={host.target}"]


def test_report_strict_after_a_lenient_check_fails_in_text_and_exit_code(
    pool: ServerPool, tmp_path: Path
) -> None:
    site = pool.host("127.0.0.2")
    site.route("/forbidden", Reply(403, body=html_page("Forbidden")))
    checked = check(tmp_path, listed(tmp_path, site, "/forbidden"), *resolve(site))
    assert checked.exit_code == 0, checked.output  # blocked fails only with --strict

    plain = report(tmp_path)
    assert plain.exit_code == 0 and re.search(r"\b0 failing\b", plain.stdout), plain.stdout
    strict = report(tmp_path, "--strict")
    assert strict.exit_code == 1, strict.output
    assert re.search(r"\b1 failing\b", strict.stdout), strict.stdout
    assert "judged stricter than the run: --strict" in strict.stderr
    assert site.hits("/forbidden") == 1  # report never fetches


def test_report_flags_never_make_a_run_more_lenient(pool: ServerPool, tmp_path: Path) -> None:
    site = pool.host("127.0.0.2")
    site.route("/forbidden", Reply(403, body=html_page("Forbidden")))
    lst = listed(tmp_path, site, "/forbidden")
    assert check(tmp_path, lst, *resolve(site), "--strict").exit_code == 1
    # The config file says not strict: the run was, so report is too.
    (tmp_path / "linkhealth.toml").write_text("strict = false\n")
    again = CliRunner().invoke(
        cli,
        [
            "report",
            "--store",
            str(tmp_path / "state.sqlite"),
            "--config",
            str(tmp_path / "linkhealth.toml"),
        ],
    )
    assert again.exit_code == 1 and re.search(r"\b1 failing\b", again.stdout)
    lenient = report(tmp_path, "--no-strict")
    assert lenient.exit_code == 2
    assert "judged with --strict" in lenient.output
    later = report(tmp_path, "--fail-after", "3")
    assert later.exit_code == 2 and "--fail-after 1" in later.output


def test_html_chart_counts_each_run_once(pool: ServerPool, tmp_path: Path) -> None:
    site = pool.host("127.0.0.2")
    site.route("/gone", Reply(404, body=html_page("Not Found")))
    lst = listed(tmp_path, site, "/gone")
    first = check(tmp_path, lst, *resolve(site), "--report-format", "html")
    assert first.exit_code == 1
    page = (tmp_path / "reports" / "index.html").read_text()
    assert re.search(r"\b1 runs?\b", page), "the first run is one run"
    assert "2 runs" not in page
    check(tmp_path, lst, *resolve(site), "--report-format", "html")
    rerendered = report(tmp_path, "--format", "html").stdout
    for page in ((tmp_path / "reports" / "index.html").read_text(), rerendered):
        assert re.search(r"\b2 runs\b", page) and "3 runs" not in page


def test_bad_accept_is_a_usage_error_even_when_every_result_is_cached(
    pool: ServerPool, tmp_path: Path
) -> None:
    site = pool.host("127.0.0.2")
    site.route("/ok", Reply(200, body=html_page("Fine")))
    lst = listed(tmp_path, site, "/ok")
    assert check(tmp_path, lst, *resolve(site)).exit_code == 0
    cached = check(tmp_path, lst, *resolve(site), "--format", "json")
    assert json.loads(cached.stdout)["results"][0]["from_cache"] is True  # no request needed
    bogus = check(tmp_path, lst, *resolve(site), "--accept", "bogus")
    assert bogus.exit_code == 2, bogus.output
    assert "--accept" in bogus.output and "bogus" in bogus.output
    assert "Traceback" not in bogus.output
    assert site.hits("/ok") == 1
