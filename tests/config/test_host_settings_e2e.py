"""Per-host settings from a config file take effect in a real `check` run on loopback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from linkhealth.cli import cli
from support.servers import Reply, ServerPool, html_page


def test_host_exclude_accept_and_env_headers(
    pool: ServerPool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    skipped = pool.host("127.0.0.2")
    skipped.route("/a", Reply(200, body=html_page("never fetched")))
    walled = pool.host("127.0.0.3")
    walled.route("/login", Reply(403, body=html_page("Members only")))
    walled.route(
        "/token",
        lambda req: Reply(200 if req.headers.get("x-token") == "s3cret" else 401),
    )
    other = pool.host("127.0.0.4")
    other.route("/login", Reply(403, body=html_page("Members only")))
    (tmp_path / "list.md").write_text(
        f"- {skipped.url('/a')}\n- {walled.url('/login')}\n- {walled.url('/token')}\n"
        f"- {other.url('/login')}\n"
    )
    (tmp_path / "linkhealth.toml").write_text(
        'allow-private = true\nretries = 0\nhost-interval = 0\nstore = "s.sqlite"\n'
        "no-reports = true\n"
        '[hosts."127.0.0.2"]\nexclude = true\n'
        '[hosts."127.0.0.3"]\naccept = "200-299,403"\nheaders = { X-Token = "env:LH_TEST_TOKEN" }\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LH_TEST_TOKEN", "s3cret")
    result = CliRunner().invoke(cli, ["check", "list.md", "--format", "json"])
    data = json.loads(result.output)
    verdicts = {r["url"]: r["verdict"] for r in data["results"]}
    assert verdicts[skipped.url("/a")] == "excluded"
    assert skipped.hits() == 0  # an excluded host is never contacted
    assert verdicts[walled.url("/login")] == "ok"  # 403 accepted on this host only
    assert verdicts[walled.url("/token")] == "ok"  # the header came from the environment
    assert verdicts[other.url("/login")] == "blocked"  # the global accept still applies
    assert result.exit_code == 0

    # Without the environment variable the run is a configuration error, not a crash.
    monkeypatch.delenv("LH_TEST_TOKEN")
    again = CliRunner().invoke(cli, ["check", "list.md", "--format", "json", "--max-age", "0"])
    assert again.exit_code == 2
    assert "LH_TEST_TOKEN" in again.output
