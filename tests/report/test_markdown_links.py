"""Markdown reports people act on: clickable http(s) links that stay one link, and a
"Worth a look" section for blocked links and permanent redirects (command level)."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from markdown_it import MarkdownIt

from linkhealth.cli import cli
from support.servers import Reply, ServerPool, html_page


def hrefs(markdown: str) -> list[str]:
    html = MarkdownIt("gfm-like").render(markdown)
    return re.findall(r'<a href="([^"]*)"', html)


def test_markdown_reports_link_and_list_what_is_worth_a_look(
    pool: ServerPool, tmp_path: Path
) -> None:
    a = pool.host("127.0.0.2")
    a.route("/gone", Reply(404, body=html_page("Not Found")))
    a.route("/old", Reply(301, headers={"Location": a.url("/new")}))
    a.route("/new", Reply(200, body=html_page("New home")))
    a.route("/wall", Reply(403, body=html_page("Forbidden")))
    a.route("/pipe|)", Reply(404, body=html_page("Odd")))
    odd = a.url("/pipe|)")
    lst = tmp_path / "list.md"
    lst.write_text(
        f"# L\n\n- <{a.url('/gone')}>\n- <{a.url('/old')}>\n- <{a.url('/wall')}>\n"
        f"- [odd](<{odd}>)\n- [js](javascript:alert(1))\n",
        encoding="utf-8",
    )
    reports = tmp_path / "reports"
    result = CliRunner().invoke(
        cli,
        [
            "check",
            str(lst),
            "--allow-private",
            "--retries",
            "0",
            "--host-interval",
            "0",
            "--store",
            str(tmp_path / "s.sqlite"),
            "--reports-dir",
            str(reports),
            "--format",
            "markdown",
        ],
    )
    assert result.exit_code == 1, result.output
    broken = (reports / "broken-links.md").read_text()
    links = hrefs(broken)
    assert a.url("/gone") in links
    assert a.url("/pipe%7C)") in links  # one link, the table intact
    assert all(h.startswith("http://") for h in links)  # javascript: is never a link
    worth = broken.split("## Worth a look", 1)[1]
    assert a.url("/new") in hrefs(worth) and a.url("/old") in hrefs(worth)
    assert a.url("/wall") in hrefs(worth) and "blocked" in worth
    assert a.url("/gone") not in hrefs(worth)
    assert a.url("/gone") in hrefs(result.stdout)  # --format markdown (the step summary)
    assert a.url("/old") in hrefs((reports / "enrichment.md").read_text())
