"""Issue 16: one URL parser and one URL policy, at command level.

``http://☕.example/`` was ``error`` (InvalidCodepoint): urllib+idna, httpx.URL and yarl
read its host differently. Planning and the fetcher's precheck refused URLs with
different messages.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from linkhealth.cli import cli
from linkhealth.config import load_settings
from linkhealth.fetch import fetch_all
from support.servers import Reply, ServerPool, html_page


def check_json(tmp_path: Path, lst: Path, *args: str) -> dict[str, object]:
    result = CliRunner().invoke(
        cli,
        [
            *("check", str(lst), "--format", "json", "--no-reports", "--retries", "0"),
            *("--timeout", "3", "--store", str(tmp_path / "state.sqlite"), *args),
        ],
    )
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(
    "written", ["http://☕.example:{port}/cup", "http://xn--53h.example:{port}/cup"]
)
@pytest.mark.parametrize("resolve_as", ["☕.example", "xn--53h.example"])
def test_an_idna_2003_host_is_checked_like_any_other(
    pool: ServerPool, tmp_path: Path, written: str, resolve_as: str
) -> None:
    site = pool.host("127.0.0.2")
    site.route("/cup", Reply(200, body=html_page("Coffee")))
    lst = tmp_path / "list.md"
    lst.write_text(f"- [cup]({written.format(port=site.port)})\n", encoding="utf-8")
    data = check_json(tmp_path, lst, "--allow-private", "--resolve", f"{resolve_as}={site.target}")
    (result,) = data["results"]  # type: ignore[misc]
    assert result["url"] == f"http://xn--53h.example:{site.port}/cup"
    assert (result["verdict"], result["http_status"], result["title"]) == ("ok", 200, "Coffee")
    assert site.hits("/cup") == 1
    assert site.requests[-1].headers.get("host") == f"xn--53h.example:{site.port}"


REFUSED = [
    "javascript:alert(1)",
    "mailto:someone@example.org",
    "http://127.0.0.1:9/private",
    "http://localhost:9/private",
    "https://skip.example/page",
    "http://bad.example:99999/port",
]


def test_planning_and_the_fetcher_refuse_with_one_message(tmp_path: Path) -> None:
    lst = tmp_path / "list.md"
    lst.write_text("".join(f"- <{url}>\n" for url in REFUSED), encoding="utf-8")
    planned = {
        r["url"]: (r["verdict"], r["detail"], r["error_kind"])  # type: ignore[index]
        for r in check_json(tmp_path, lst, "--exclude", "^https://skip\\.")["results"]  # type: ignore[union-attr]
    }
    settings, _ = load_settings({"exclude": ["^https://skip\\."]}, env={}, cwd=tmp_path)
    fetched = asyncio.run(fetch_all(REFUSED, settings))
    for url, item in zip(REFUSED, fetched, strict=True):
        kind = item.error_kind.value if item.error_kind else None
        assert planned[url] == (item.verdict.value, item.detail, kind), url
        assert item.attempts == 0


def test_a_url_linked_only_with_a_fragment_is_asked_of_the_policy_as_fetched(
    pool: ServerPool, tmp_path: Path
) -> None:
    # The plan passes the link (the include pattern reads its fragment); the URL fetched
    # has none: the fetcher's own look at the policy excludes it, as before the plan gave
    # the fetcher the hosts it passed.
    site = pool.host("127.0.0.2")
    site.route("/doc", Reply(200, body=html_page("Doc")))
    lst = tmp_path / "list.md"
    lst.write_text(f"- {site.url('/doc')}#keep\n- {site.url('/other')}\n", encoding="utf-8")
    config = tmp_path / "linkhealth.toml"
    config.write_text('include = ["#keep", "/other"]\n', encoding="utf-8")
    data = check_json(tmp_path, lst, "--allow-private", "--config", str(config))
    verdicts = {r["url"]: (r["verdict"], r["detail"]) for r in data["results"]}  # type: ignore[attr-defined]
    assert verdicts[f"{site.url('/doc')}#keep"] == (
        "excluded",
        "not matched by any include pattern",
    )
    assert site.hits("/doc") == 0 and site.hits("/other") == 1
