"""`check` starts the links that timed out on the last run (the store's word) early in
their host's queue, spread over its first 85 % (``fetch.hosts.spread_early``); with
nothing stored, in list order. Order only: the verdicts are the answers'."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from linkhealth.cli import cli
from support.servers import HostServer, Reply, ServerPool, html_page

PAGE = html_page("Fine")
LINKS = 20
HUNG = (15, 18)  # near the end of the list, as a real list's dead server may be


def check(tmp_path: Path, host: HostServer) -> list[str]:
    """``check`` of the host's links (one slot: arrival order is start order); the
    paths in the order their first request arrived."""
    lst = tmp_path / "list.md"
    lst.write_text("".join(f"- {host.url(f'/p{i}')}\n" for i in range(LINKS)), encoding="utf-8")
    before = len(host.requests)
    args = ["check", str(lst), "--format", "json", "--store", str(tmp_path / "state.sqlite"),
            "--no-reports", "--max-age", "0", "--allow-private", "--timeout", "2", "--retries", "0",
            "--host-interval", "0", "--host-concurrency", "1"]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.stdout)
    verdicts = {r["url"].rsplit("/", 1)[1]: r["verdict"] for r in data["results"]}
    hung = {f"p{i}" for i in HUNG if verdicts[f"p{i}"] == "timeout"}
    assert {p for p, v in verdicts.items() if v != "ok"} == hung
    arrived = [r.path.lstrip("/") for r in host.requests[before:]]
    return list(dict.fromkeys(arrived))


def test_links_that_timed_out_last_run_start_within_the_first_85_percent(
    pool: ServerPool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the fetch takes from the store (validators, the URLs that timed out) is one
    # read of the URLs' latest rows (review9 F7: two, ~0.3-0.6 s each at 100,000 URLs).
    from linkhealth.pipeline import run as pipeline_run
    from linkhealth.store import Store

    reads: list[int] = []
    latest_rows, fetch = Store._latest_rows, pipeline_run._Run.fetch

    def counted(self: Store, *args: Any, **kwargs: Any) -> list[Any]:
        reads[-1] += 1
        return latest_rows(self, *args, **kwargs)

    async def fetching(self: pipeline_run._Run) -> None:
        reads.append(0)
        await fetch(self)

    monkeypatch.setattr(Store, "_latest_rows", counted)
    monkeypatch.setattr(pipeline_run._Run, "fetch", fetching)
    host = pool.host("127.0.0.2")
    for i in range(LINKS):
        host.route(f"/p{i}", Reply(silence=True) if i in HUNG else Reply(200, body=PAGE))
    listed = [f"p{i}" for i in range(LINKS)]
    # An empty store: the list's order (the two hang: stored as timed out).
    assert check(tmp_path, host) == listed
    # They answer now; the store says they timed out: each starts within the first 85 %
    # of the host's requests (at the end of the list they came 16th and 19th of 20), the
    # others in list order.
    for i in HUNG:
        host.route(f"/p{i}", Reply(200, body=PAGE))
    order = check(tmp_path, host)
    assert sorted(order) == sorted(listed)
    assert all(order.index(f"p{i}") < 0.85 * LINKS for i in HUNG)
    assert [p for p in order if int(p[1:]) not in HUNG] == [
        p for p in listed if int(p[1:]) not in HUNG
    ]
    # They answered: the next run's order is the list's again.
    assert check(tmp_path, host) == listed
    assert reads == [1, 1, 1]
