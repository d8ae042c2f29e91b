"""`linkhealth check` end to end against loopback hosts: verdicts, exit codes, reports,
the cache between runs, revalidation, --fail-after, typos, outage, `report`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from linkhealth.cli import cli
from linkhealth.report import jsonfmt
from support.servers import HostServer, Reply, Request, ServerPool, html_page, unused_port

PAGE = html_page("Fine")


def run(tmp_path: Path, *args: str) -> Result:
    base = [
        "--store",
        str(tmp_path / "state.sqlite"),
        "--reports-dir",
        str(tmp_path / "reports"),
        "--allow-private",
        "--timeout",
        "3",
        "--retries",
        "0",
        "--host-interval",
        "0",
    ]
    return CliRunner().invoke(cli, ["check", *args, *base])


def write_list(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "list.md"
    path.write_text(text, encoding="utf-8")
    return path


def no_outage_verdicts(tmp_path: Path, text: str, *args: str) -> dict[str, int]:
    """``check`` of the list ``text``: exit 1 (some link broken), no outage; its counts."""
    result = run(tmp_path, str(write_list(tmp_path, text)), "--format", "json", *args)
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["network"] != "outage"
    counts: dict[str, int] = data["summary"]["by_verdict"]
    return counts


def resolve(host: HostServer, name: str) -> list[str]:
    return ["--resolve", f"{name}={host.target}"]


def run_mapped(tmp_path: Path, lst: Path, host: HostServer) -> Result:
    """``check`` of ``lst`` as JSON, root-relative links mapped to docs.test on ``host``."""
    base = f"http://docs.test:{host.port}"
    return run(
        tmp_path, str(lst), "--format", "json", "--base-url", base, *resolve(host, "docs.test")
    )


def site(pool: ServerPool) -> HostServer:
    a = pool.host("127.0.0.2")
    a.route("/ok", Reply(200, body=html_page("Good page", "<p>fine</p>")))
    a.route("/gone", Reply(404, body=html_page("Not Found")))
    return a


def test_check_verdicts_json_exit_code_and_reports(pool: ServerPool, tmp_path: Path) -> None:
    a = site(pool)
    port = a.port
    lst = write_list(
        tmp_path,
        "# Reading\n\n"
        f"- [good](http://site-a.test:{port}/ok)\n"
        f"- http://site-a.test:{port}/gone\n"
        f"- again http://site-a.test:{port}/ok\n"
        "- [mail](mailto:someone@example.org)\n",
    )
    result = run(tmp_path, str(lst), "--format", "json", *resolve(a, "site-a.test"))
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {
        "schema_version",
        "tool",
        "started_at",
        "finished_at",
        "partial",
        "network",
        "summary",
        "results",
        "findings",
    }
    assert data["network"] == "ok" and data["partial"] is False
    by_url = {r["url"]: r for r in data["results"]}
    ok = by_url[f"http://site-a.test:{port}/ok"]
    assert ok["verdict"] == "ok" and ok["http_status"] == 200
    assert ok["title"] == "Good page"
    assert [o["line"] for o in ok["occurrences"]] == [3, 5]  # deduped, every place kept
    gone = by_url[f"http://site-a.test:{port}/gone"]
    assert gone["verdict"] == "broken" and gone["http_status"] == 404
    assert by_url["mailto:someone@example.org"]["verdict"] == "skipped"
    assert data["summary"]["failing"] == 1
    assert data["summary"]["occurrences"] == 4
    assert a.hits("/ok") == 1  # one GET per unique URL
    broken_md = (tmp_path / "reports" / "broken-links.md").read_text()
    assert "/gone" in broken_md and "| 4 |" in broken_md
    assert (
        json.loads((tmp_path / "reports" / "results.json").read_text())["summary"]["failing"] == 1
    )
    assert "Good page" in (tmp_path / "reports" / "enrichment.md").read_text()


def test_json_output_is_results_json_rendered_once(
    pool: ServerPool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = pool.host("127.0.0.2")
    # A non-ASCII title, a bidi control (escaped), credentials (redacted): the text
    # written must be the one rendered for results.json, each of these included.
    host.route("/ok", Reply(200, body=html_page("Caf\u00e9 \u202eevil \u2014 ok")))
    host.route("/gone", Reply(404, body=html_page("Not Found")))
    base = f"http://127.0.0.2:{host.port}"
    lst = tmp_path / "list.md"
    lst.write_text(
        f"# Links\n\n- [ok]({base}/ok)\n- [gone]({base}/gone)\n"
        f"- [secret](http://user:hunter2@127.0.0.2:{host.port}/ok)\n"
        f"- [refused](http://127.0.0.1:{unused_port()}/x)\n- [mail](mailto:a@example.org)\n",
        encoding="utf-8",
    )
    calls = []
    real = jsonfmt.chunks

    def counted(report: object, ahead: object = None) -> Iterator[str]:
        calls.append(report)
        return real(report, ahead)  # type: ignore[arg-type]

    monkeypatch.setattr(jsonfmt, "chunks", counted)
    result = run(tmp_path, str(lst), "--format", "json")
    code, stdout = result.exit_code, result.stdout_bytes
    written = (tmp_path / "reports" / "results.json").read_bytes()
    assert code == 1
    assert stdout == written
    assert "Caf\u00e9".encode() in written and b"hunter2" not in written
    assert len(calls) == 1  # results.json's rendering only

    out = tmp_path / "out" / "results.json"
    result = run(tmp_path, str(lst), "--format", "json", "--output", str(out))
    code, stdout = result.exit_code, result.stdout_bytes
    assert code == 1 and stdout == b""
    assert out.read_bytes() == (tmp_path / "reports" / "results.json").read_bytes()
    assert len(calls) == 2

    # The output file may be the report file itself: it is read before it is replaced.
    target = tmp_path / "reports" / "results.json"
    code = run(tmp_path, str(lst), "--format", "json", "--output", str(target)).exit_code
    data = json.loads(target.read_bytes())
    assert code == 1 and data["run_id"] == 3 and len(data["results"]) == 5
    assert len(calls) == 3


def test_all_ok_exits_zero_and_text_output(pool: ServerPool, tmp_path: Path) -> None:
    a = site(pool)
    lst = write_list(tmp_path, f"- http://site-a.test:{a.port}/ok\n")
    result = run(tmp_path, str(lst), *resolve(a, "site-a.test"))
    assert result.exit_code == 0, result.output
    assert "1 URL in 1 place: 1 ok; 0 failing" in result.stdout


def test_second_run_inside_max_age_sends_no_request_for_ok_links(
    pool: ServerPool, tmp_path: Path
) -> None:
    a = site(pool)
    lst = write_list(
        tmp_path, f"- http://site-a.test:{a.port}/ok\n- http://site-a.test:{a.port}/gone\n"
    )
    first = run(tmp_path, str(lst), *resolve(a, "site-a.test"))
    assert first.exit_code == 1
    assert (a.hits("/ok"), a.hits("/gone")) == (1, 1)
    second = run(tmp_path, str(lst), "--format", "json", *resolve(a, "site-a.test"))
    assert second.exit_code == 1
    assert a.hits("/ok") == 1  # reused from the store
    assert a.hits("/gone") == 2  # failures are always re-checked
    by_url = {r["url"]: r for r in json.loads(second.stdout)["results"]}
    cached = by_url[f"http://site-a.test:{a.port}/ok"]
    assert cached["from_cache"] is True and cached["title"] == "Good page"


def test_revalidation_304_keeps_stored_metadata(pool: ServerPool, tmp_path: Path) -> None:
    a = pool.host("127.0.0.2")
    seen: list[Request] = []

    def page(req: Request) -> Reply:
        seen.append(req)
        if req.headers.get("if-none-match") == '"v1"':
            return Reply(304, content_type=None, headers={"ETag": '"v1"'})
        return Reply(200, body=html_page("Versioned"), headers={"ETag": '"v1"'})

    a.route("/v", page)
    lst = write_list(tmp_path, f"- http://site-a.test:{a.port}/v\n")
    assert run(tmp_path, str(lst), *resolve(a, "site-a.test")).exit_code == 0
    second = run(
        tmp_path, str(lst), "--max-age", "0", "--format", "json", *resolve(a, "site-a.test")
    )
    assert second.exit_code == 0, second.output
    assert seen[-1].headers.get("if-none-match") == '"v1"'
    (only,) = json.loads(second.stdout)["results"]
    assert only["verdict"] == "ok" and only["title"] == "Versioned"
    assert only["from_cache"] is False


def test_fail_after_two_fails_on_the_second_failing_run(pool: ServerPool, tmp_path: Path) -> None:
    a = site(pool)
    lst = write_list(tmp_path, f"- http://site-a.test:{a.port}/gone\n")
    args = (str(lst), "--fail-after", "2", "--format", "json", *resolve(a, "site-a.test"))
    first = run(tmp_path, *args)
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["results"][0]["failing_runs"] == 1
    second = run(tmp_path, *args)
    assert second.exit_code == 1
    assert json.loads(second.stdout)["results"][0]["failing_runs"] == 2


def test_typo_is_invalid_and_its_suggestion_is_checked(pool: ServerPool, tmp_path: Path) -> None:
    a = pool.host("127.0.0.3")
    a.route("/2024/x/", Reply(200, body=html_page("Fixed")))
    lst = write_list(tmp_path, f"- [t](http://simonwil lison.test:{a.port}/2024/x/)\n")
    result = run(tmp_path, str(lst), "--format", "json", *resolve(a, "simonwillison.test"))
    assert result.exit_code == 1, result.output
    (invalid,) = [r for r in json.loads(result.stdout)["results"] if r["verdict"] == "invalid"]
    assert invalid["suggestion"] == f"http://simonwillison.test:{a.port}/2024/x/"
    assert invalid["suggestion_ok"] is True
    assert invalid["occurrences"][0]["line"] == 1
    assert a.hits("/2024/x/") == 1


def _unreachable_hosts(count: int) -> list[str]:
    """``--resolve`` flags pointing ``host0.test``... at loopback ports nobody listens on."""
    resolves: list[str] = []
    for i in range(count):
        resolves += ["--resolve", f"host{i}.test=127.0.0.1:{unused_port()}"]
    return resolves


def test_every_host_unreachable_is_an_outage_not_broken_links(tmp_path: Path) -> None:
    lines = [f"- http://host{i}.test/page\n" for i in range(6)]
    lst = write_list(tmp_path, "".join(lines))
    resolves = _unreachable_hosts(6)
    result = run(tmp_path, str(lst), "--format", "json", *resolves)
    assert result.exit_code == 3, result.output
    data = json.loads(result.stdout)
    assert data["network"] == "outage"
    assert data["summary"]["failing"] == 0
    assert data["summary"]["by_verdict"] == {"skipped": 6}
    for r in data["results"]:
        assert r["error_kind"] == "refused"
        assert r["detail"].startswith("not judged (network outage)")


def test_report_shows_an_outages_links_never_requested_as_check_did(tmp_path: Path) -> None:
    # The links never requested are stored as one record of the run, not a row each:
    # `report` lists every one, in check's order, with every field check gave it.
    lines = [f"- [l{i}](http://host{i % 12}.test/page{i})\n" for i in range(60)]
    lst = write_list(tmp_path, "".join(lines))
    args = ("--format", "json", "--max-concurrency", "2", *_unreachable_hosts(12))
    checked = run(tmp_path, str(lst), *args)
    assert checked.exit_code == 3, checked.output
    before = json.loads(checked.stdout)
    assert before["network"] == "outage"
    never = [r for r in before["results"] if "not requested" in r["detail"]]
    assert len(never) >= 30, [r["detail"] for r in before["results"]]
    reported = CliRunner().invoke(
        cli, ["report", "--store", str(tmp_path / "state.sqlite"), "--format", "json"]
    )
    assert reported.exit_code == 3, reported.output
    after = json.loads(reported.stdout)
    assert after["results"] == before["results"]
    assert (after["summary"], after["network"]) == (before["summary"], "outage")


def test_report_rerenders_the_last_run_without_a_request(pool: ServerPool, tmp_path: Path) -> None:
    a = site(pool)
    lst = write_list(tmp_path, f"- http://site-a.test:{a.port}/gone\n")
    assert run(tmp_path, str(lst), *resolve(a, "site-a.test")).exit_code == 1
    hits = a.hits()
    result = CliRunner().invoke(
        cli, ["report", "--store", str(tmp_path / "state.sqlite"), "--format", "github"]
    )
    assert result.exit_code == 1, result.output
    assert result.stdout.startswith("::error file=")
    assert "line=1" in result.stdout
    assert a.hits() == hits


def test_report_without_a_store_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", "--store", str(tmp_path / "none.sqlite")])
    assert result.exit_code == 2
    assert "no store" in result.output


def test_missing_path_is_exit_2(tmp_path: Path) -> None:
    result = run(tmp_path, str(tmp_path / "nope.md"))
    assert result.exit_code == 2
    assert "nope.md" in result.output


def test_dangerous_schemes_are_unsafe_results_and_fail_the_run(tmp_path: Path) -> None:
    lst = write_list(
        tmp_path,
        "- [x](javascript:alert(1))\n- [y]( JAVASCRIPT:alert(1))\n- [d](data:text/html,hi)\n",
    )
    result = run(tmp_path, str(lst), "--format", "json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert [r["verdict"] for r in data["results"]] == ["unsafe"] * 3
    assert data["summary"]["failing"] == 3
    github = run(tmp_path, str(lst), "--format", "github")
    # Each place is annotated once (as its result), not again as a lint finding.
    assert [line.split(",")[1] for line in github.stdout.splitlines()] == [
        "line=1",
        "line=2",
        "line=3",
    ]


def test_base_url_maps_root_relative_links_to_the_site(pool: ServerPool, tmp_path: Path) -> None:
    a = site(pool)
    lst = write_list(tmp_path, "- [ok](/ok)\n- [gone](/gone)\n")
    result = run_mapped(tmp_path, lst, a)
    assert result.exit_code == 1, result.output
    verdicts = {r["url"]: r["verdict"] for r in json.loads(result.stdout)["results"]}
    assert verdicts == {
        f"http://docs.test:{a.port}/ok": "ok",
        f"http://docs.test:{a.port}/gone": "broken",
    }
    assert (a.hits("/ok"), a.hits("/gone")) == (1, 1)


def test_report_shows_exactly_what_check_showed(pool: ServerPool, tmp_path: Path) -> None:
    a = site(pool)
    lst = write_list(
        tmp_path,
        f"- http://site-a.test:{a.port}/ok\n"
        f"- [t](http://site-a.test:{a.port}/go ne)\n"
        "- [mail](mailto:x@example.org)\n"
        "- [js](javascript:alert(1))\n"
        f"- http://site-a.test:{a.port}/ok again\n",
    )
    checked = run(tmp_path, str(lst), "--format", "json", *resolve(a, "site-a.test"))
    assert checked.exit_code == 1, checked.output
    reported = CliRunner().invoke(
        cli, ["report", "--store", str(tmp_path / "state.sqlite"), "--format", "json"]
    )
    assert reported.exit_code == 1, reported.output
    before, after = json.loads(checked.stdout), json.loads(reported.stdout)
    assert after["summary"] == before["summary"]
    assert sorted((r["url"], r["verdict"]) for r in after["results"]) == sorted(
        (r["url"], r["verdict"]) for r in before["results"]
    )
    assert after["findings"] == before["findings"]


def test_a_mapped_link_to_a_url_also_written_out_is_one_result(
    pool: ServerPool, tmp_path: Path
) -> None:
    # `/ok` with --base-url is the URL the list also writes out: one result with both
    # places (the store keeps one row per URL, and `report` must show what `check` did).
    a = site(pool)
    lst = write_list(tmp_path, f"- [ok](/ok)\n- [gone](/gone)\n- http://docs.test:{a.port}/ok\n")
    checked = run_mapped(tmp_path, lst, a)
    assert checked.exit_code == 1, checked.output
    results = json.loads(checked.stdout)["results"]
    assert [(r["url"], r["verdict"]) for r in results] == [
        (f"http://docs.test:{a.port}/ok", "ok"),
        (f"http://docs.test:{a.port}/gone", "broken"),
    ]
    assert sorted(o["line"] for o in results[0]["occurrences"]) == [1, 3]
    assert (a.hits("/ok"), a.hits("/gone")) == (1, 1)
    reported = CliRunner().invoke(
        cli, ["report", "--store", str(tmp_path / "state.sqlite"), "--format", "json"]
    )
    assert json.loads(reported.stdout)["results"] == results


def test_report_lists_the_results_in_the_order_check_did(pool: ServerPool, tmp_path: Path) -> None:
    # The first links answer last (slow hosts): the store receives them after the others,
    # and local links are checked (and stored) before any request; `check` lists results
    # in first-occurrence order with local links last, and `report` must list the same.
    a, b = pool.host("127.0.0.2"), pool.host("127.0.0.3")
    a.route("/slow", Reply(200, body=html_page("Slow", "<p>late</p>"), delay=0.6))
    a.route("/gone", Reply(404, body=html_page("Not Found"), delay=0.3))
    b.route("/fast", Reply(200, body=html_page("Fast", "<p>soon</p>")))
    (tmp_path / "here.md").write_text("# Here\n", encoding="utf-8")
    lst = write_list(
        tmp_path,
        "- [here](here.md)\n"
        f"- [slow](http://a.test:{a.port}/slow)\n"
        "- [missing](missing.md)\n"
        f"- [gone](http://a.test:{a.port}/gone)\n"
        f"- [typo](http://b.test:{b.port}/fa st)\n"
        "- [mail](mailto:x@example.org)\n"
        f"- [fast](http://b.test:{b.port}/fast)\n"
        "- [js](javascript:alert(1))\n"
        # the same malformed and refused links again: one result each, two occurrences
        f"- [typo again](http://b.test:{b.port}/fa st)\n"
        "- [js again](javascript:alert(1))\n"
        "- [scheme](htp://x.test/)\n"
        "- [scheme again](htp://x.test/)\n",
    )
    checked = run(
        tmp_path, str(lst), "--format", "json", *resolve(a, "a.test"), *resolve(b, "b.test")
    )
    assert checked.exit_code == 1, checked.output
    reported = CliRunner().invoke(
        cli, ["report", "--store", str(tmp_path / "state.sqlite"), "--format", "json"]
    )
    assert reported.exit_code == 1, reported.output
    before, after = json.loads(checked.stdout), json.loads(reported.stdout)
    order = [r["url"] for r in before["results"]]
    # local links last, as `check` lists them
    assert [url.rsplit("/", 1)[-1] for url in order[-2:]] == ["here.md", "missing.md"]
    assert [r["url"] for r in after["results"]] == order
    assert after["results"] == before["results"]
    assert len(order) == len(set(order))  # one result per URL
    assert after["summary"] == before["summary"]
    twice = [r for r in before["results"] if len(r["occurrences"]) == 2]
    assert sorted(r["verdict"] for r in twice) == ["invalid", "invalid", "unsafe"]


def test_old_runs_are_pruned_to_keep_runs(pool: ServerPool, tmp_path: Path) -> None:
    import sqlite3

    a = site(pool)
    lst = write_list(tmp_path, f"- http://site-a.test:{a.port}/gone\n")
    (tmp_path / "linkhealth.toml").write_text("keep-runs = 2\n", encoding="utf-8")
    config = ["--config", str(tmp_path / "linkhealth.toml")]
    for _ in range(3):
        assert run(tmp_path, str(lst), *config, *resolve(a, "site-a.test")).exit_code == 1
    with sqlite3.connect(tmp_path / "state.sqlite") as conn:
        (runs,) = conn.execute("SELECT COUNT(*) FROM runs").fetchone()
    assert runs == 2
    # The streak survives pruning: the fourth failing run in a row.
    out = run(tmp_path, str(lst), *config, "--format", "json", *resolve(a, "site-a.test"))
    assert json.loads(out.stdout)["results"][0]["failing_runs"] == 4


def test_output_into_a_new_folder_is_created(pool: ServerPool, tmp_path: Path) -> None:
    a = site(pool)
    lst = write_list(tmp_path, f"- http://site-a.test:{a.port}/ok\n")
    target = tmp_path / "out" / "deeper" / "results.sarif"
    result = run(
        tmp_path, str(lst), "--format", "sarif", "-o", str(target), *resolve(a, "site-a.test")
    )
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text())["version"] == "2.1.0"


def test_a_bad_exclude_pattern_is_a_usage_error(tmp_path: Path) -> None:
    lst = write_list(tmp_path, "- http://a.test/x\n")
    result = run(tmp_path, str(lst), "--exclude", "(")
    assert result.exit_code == 2
    assert "--exclude" in result.output and "not a valid regular expression" in result.output


def test_the_store_is_never_pointed_at_a_list(tmp_path: Path) -> None:
    lst = write_list(tmp_path, "- http://a.test/x\n")
    before = lst.read_bytes()
    result = CliRunner().invoke(cli, ["check", str(lst), "--no-reports", "--store", str(lst)])
    assert result.exit_code == 2
    assert "is one of the lists being checked" in result.output
    assert lst.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["list.md"]


@pytest.mark.usefixtures("no_network")
def test_no_network_is_seen_by_the_look_ups_made_while_the_run_plans(tmp_path: Path) -> None:
    # The first hosts are looked up before planning (fetch.probe); with every name failing,
    # the verdict comes before any request: no link was requested, none is broken.
    assert_outage_before_any_request(tmp_path)


def assert_skipped_unrequested(tmp_path: Path, lines: list[str]) -> None:
    """The list of ``lines`` checked: exit 3, every link skipped with no attempt."""
    result = run(tmp_path, str(write_list(tmp_path, "".join(lines))), "--format", "json")
    assert result.exit_code == 3, result.output
    data = json.loads(result.stdout)
    assert data["summary"]["by_verdict"] == {"skipped": len(lines)}
    assert all(r["attempts"] == 0 for r in data["results"])


def assert_outage_before_any_request(tmp_path: Path) -> None:
    """60 links on 12 dead hosts: exit 3, every link skipped as not requested, with the
    verdict's own words, checked at one moment (the verdict's)."""
    lines = [f"- [l{i}](http://host{i % 12}.offline.test/page{i})\n" for i in range(60)]
    result = run(tmp_path, str(write_list(tmp_path, "".join(lines))), "--format", "json")
    assert result.exit_code == 3, result.output
    data = json.loads(result.stdout)
    assert data["network"] == "outage"
    assert data["summary"]["by_verdict"] == {"skipped": 60}
    assert len({r["checked_at"] for r in data["results"]}) == 1
    for r in data["results"]:
        assert (r["attempts"], r["error_kind"], r["elapsed_ms"]) == (0, "connect", 0.0), r
        assert r["detail"] == (
            "not judged (network outage): cannot connect: not requested: no host answered "
            "(12 hosts failed at the network level): the network looks down"
        )


@pytest.mark.usefixtures("no_network")
def test_no_network_seen_after_a_plan_longer_than_the_grace_queues_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A big list's plan holds the loop past the grace second: 128 dead hosts' look-ups,
    # more than the resolver's threads take at once, are heard only once it turns. They
    # are waited for (all fail at once, offline): the verdict comes before any job.
    import time

    from linkhealth.fetch import engine
    from linkhealth.pipeline import run as pipeline_run

    make_plan = pipeline_run._Run.make_plan

    def held_plan(self: pipeline_run._Run) -> None:
        make_plan(self)
        time.sleep(1.5)  # the loop held, past the grace

    def no_queue(*args: object) -> None:
        raise AssertionError("a job was queued")

    monkeypatch.setattr(pipeline_run._Run, "make_plan", held_plan)
    monkeypatch.setattr(engine, "_queue", no_queue)
    lines = [f"- http://host{i % 128}.offline.test/page{i}\n" for i in range(256)]
    assert_skipped_unrequested(tmp_path, lines)


def test_look_ups_that_hang_past_the_grace_with_the_rest_failed_queue_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No network, and a resolver that answers some names at once (EAI_AGAIN) and keeps
    # others until it times out (3 s here), as an offline machine's may: a grace after the
    # loop heard the look-ups ahead, those still out hang as requests would, and the
    # verdict comes before any job (waiting for a request made it come ~6 s later at
    # 100,000 links).
    import socket
    import time

    from linkhealth.fetch import engine, resolver

    def offline(host: str, *args: object, **kwargs: object) -> object:
        if host.startswith("slow"):
            time.sleep(3)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    def no_queue(*args: object) -> None:
        raise AssertionError("a job was queued")

    monkeypatch.setattr(resolver.socket, "getaddrinfo", offline)
    monkeypatch.setattr(engine, "_queue", no_queue)
    names = [f"slow{i}" if i < 3 else f"host{i}" for i in range(12)]
    lines = [f"- http://{names[i % 12]}.offline.test/page{i}\n" for i in range(60)]
    assert_skipped_unrequested(tmp_path, lines)


@pytest.mark.usefixtures("no_network")
def test_no_network_seen_before_the_fetch_queues_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The look-ups ahead have all failed before the fetch begins (it is held here, as a
    # slow plan or store holds it): the fetch ends every URL unrequested at once, without
    # a job queued or a host's pump started for any, with the verdict's own words.
    import asyncio

    from linkhealth.fetch import engine
    from linkhealth.pipeline import run as pipeline_run

    fetch = pipeline_run._Run.fetch

    async def held_fetch(self: pipeline_run._Run) -> None:
        assert self.ahead is not None
        for _ in range(200):  # until every look-up ahead has failed (at once, offline)
            if len(self.ahead.failed) == 12:
                break
            await asyncio.sleep(0.01)
        await fetch(self)

    def no_queue(*args: object) -> None:
        raise AssertionError("a job was queued")

    monkeypatch.setattr(pipeline_run._Run, "fetch", held_fetch)
    import gc

    frozen: list[int] = []
    down_before = engine._Run.down_before

    def counted(self: engine._Run, *args: object) -> None:
        before = gc.get_freeze_count()
        down_before(self, *args)  # type: ignore[arg-type]
        frozen.append(gc.get_freeze_count() - before)

    monkeypatch.setattr(engine, "_queue", no_queue)
    monkeypatch.setattr(engine._Run, "down_before", counted)
    assert_outage_before_any_request(tmp_path)
    # Its results are kept out of the collector's sight (no pass walks them all at once),
    # and the run gives them back when it ends.
    assert len(frozen) == 1 and frozen[0] >= 60
    assert gc.get_freeze_count() == 0


@pytest.mark.usefixtures("no_network")  # every name under offline.test fails at once
def test_dead_hosts_named_first_are_no_outage_when_the_busiest_hosts_live(
    pool: ServerPool, tmp_path: Path
) -> None:
    # 64 dead hosts named first, one link each; ten live hosts with two links each after
    # them. The hosts looked up ahead are the busiest, those the fetch starts with: the
    # live ones answer, so the look-ups are no evidence, and their answers show the
    # network up (looking up the first 64 named would have found only dead ones).
    live = [pool.host(f"127.0.0.{i}").route("/ok", Reply(200, body=PAGE)) for i in range(2, 12)]
    dead = [f"- http://dead{i}.offline.test/x\n" for i in range(64)]
    links = [f"- {host.url('/ok')}?n={n}\n" for host in live for n in range(2)]
    verdicts = no_outage_verdicts(tmp_path, "".join(dead + links), "--max-concurrency", "4")
    assert verdicts == {"broken": 64, "ok": 20}


@pytest.mark.parametrize("held", ["fetch", "plan"])
def test_dead_busiest_hosts_are_no_outage_when_lighter_hosts_live(
    pool: ServerPool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, held: str
) -> None:
    # The 64 busiest hosts are dead names (three links each; the resolver says "no such
    # name" after 20 ms, as a working one does), ten live hosts have one link each. Every
    # host the fetch's first requests can reach is looked up ahead, the live ones too:
    # they answer, so the look-ups decide nothing. The run is held before its fetch (as a
    # slow store would) so that every look-up has ended by then: looking up only the 64
    # busiest judged an outage before any request (review8 F6). Or its plan holds the
    # event loop for longer than the outage's grace (as a big list's does): only the
    # look-ups the resolver's threads took before it ended (dead names) have failed, the
    # live ones' wait for the loop, and the grace alone judged an outage (review9 F4).
    import asyncio
    import socket
    import time

    from linkhealth.fetch import resolver
    from linkhealth.pipeline import run as pipeline_run

    real = resolver.socket.getaddrinfo
    live = [pool.host(f"127.0.0.{i}").route("/ok", Reply(200, body=PAGE)) for i in range(2, 12)]

    def no_such_name(host: str, *args: object, **kwargs: object) -> object:
        time.sleep(0.02)  # a resolver's latency
        if host.startswith("live"):  # live<n>.test: its loopback host, a little later
            time.sleep(0.03)
            return real(live[int(host[4:].partition(".")[0])].address, *args, **kwargs)  # type: ignore[arg-type]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    fetch, make_plan = pipeline_run._Run.fetch, pipeline_run._Run.make_plan

    async def held_fetch(self: pipeline_run._Run) -> None:
        await asyncio.sleep(0.5)
        await fetch(self)

    def held_plan(self: pipeline_run._Run) -> None:
        make_plan(self)
        time.sleep(1.5)  # the loop held, past the grace

    monkeypatch.setattr(resolver.socket, "getaddrinfo", no_such_name)
    if held == "fetch":
        monkeypatch.setattr(pipeline_run._Run, "fetch", held_fetch)
    else:
        monkeypatch.setattr(pipeline_run._Run, "make_plan", held_plan)
    dead = [f"- http://dead{i}.test/{n}\n" for i in range(64) for n in range(3)]
    links = [f"- http://live{n}.test:{host.port}/ok\n" for n, host in enumerate(live)]
    verdicts = no_outage_verdicts(tmp_path, "".join(dead + links))
    assert verdicts == {"broken": 192, "ok": 10}


def test_placeholder_invalid_names_are_no_evidence_of_an_outage(
    pool: ServerPool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ten placeholder hosts under invalid. (linkhealth answers "no such name" itself, at
    # once) and a live host whose look-up takes longer than the outage's grace second (a
    # cold cache, a slow resolver): the placeholders say nothing of the network, so the
    # run waits for the live host (review8 F3: exit 3, every link skipped).
    import time

    from linkhealth.fetch import resolver

    real = resolver.socket.getaddrinfo

    def slow(host: str, *args: object, **kwargs: object) -> object:
        if host == "live.test":
            time.sleep(1.3)
            return real("127.0.0.2", *args, **kwargs)  # type: ignore[arg-type]
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(resolver.socket, "getaddrinfo", slow)
    live = pool.host("127.0.0.2").route("/ok", Reply(200, body=PAGE))
    dead = [f"- http://placeholder{i}.invalid/x\n" for i in range(10)]
    links = [f"- http://live.test:{live.port}/ok?n={n}\n" for n in range(20)]
    assert no_outage_verdicts(tmp_path, "".join(dead + links)) == {"broken": 10, "ok": 20}
