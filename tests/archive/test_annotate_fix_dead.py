"""`linkhealth annotate --fix-dead` end to end: a site whose page dies and comes back,
and a loopback Wayback stand-in."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from linkhealth.cli import cli
from support.servers import Reply, Request, ServerPool, html_page
from support.wayback import Wayback, loopback_flags


def annotate(tmp_path: Path, site_target: str, wb: Wayback, *args: str) -> Result:
    flags = loopback_flags(tmp_path, wb, **{"site.test": site_target})
    argv = ["annotate", str(tmp_path / "list.md"), *flags, *args]
    env = {"LINKHEALTH_ARCHIVE_ENDPOINT": wb.endpoint}
    return CliRunner().invoke(cli, argv, env=env, catch_exceptions=False)


def test_a_dead_link_points_at_its_copy_until_it_comes_back(
    tmp_path: Path, pool: ServerPool, wb: Wayback
) -> None:
    alive = {"now": False}
    site = pool.host("127.0.0.2")

    def post(_: Request) -> Reply:
        if alive["now"]:
            return Reply(200, body=html_page("The post"))
        return Reply(404, body=html_page("Not Found"))

    site.route("/post", post)
    gone = f"http://site.test:{site.port}/post"
    copy = f"{wb.endpoint}/web/20240301101500/{gone}"
    wb.capture(gone, "20240301101500")
    lst = tmp_path / "list.md"
    lst.write_text(f"# Reading\n\n- [The post]({gone}) — kept text\n", encoding="utf-8")

    # Without --fix-dead (and archive off) nothing is looked up: today's marker.
    shown = annotate(tmp_path, site.target, wb)
    assert shown.exit_code == 0, shown.output
    assert "(broken since" in shown.stdout and "archived copy" not in shown.stdout
    assert wb.server.hits() == 0

    written = annotate(tmp_path, site.target, wb, "--fix-dead", "archive", "--write")
    assert written.exit_code == 0, written.output
    text = lst.read_text(encoding="utf-8")
    assert text.startswith(f"# Reading\n\n- [The post]({copy}) (archived copy of http\\://site")
    assert text.endswith(") — kept text\n")

    # Idempotent: the original is checked again, still dead; the copy is not looked up again.
    hits = site.hits("/post")
    again = annotate(tmp_path, site.target, wb, "--fix-dead", "archive", "--write")
    assert again.exit_code == 0 and lst.read_text(encoding="utf-8") == text
    assert site.hits("/post") == hits + 1
    assert wb.asked("/wayback/available") == 1  # cached in the store

    # The page is back: the link is restored.
    alive["now"] = True
    restored = annotate(tmp_path, site.target, wb, "--write")
    assert restored.exit_code == 0, restored.output
    assert lst.read_text(encoding="utf-8") == f"# Reading\n\n- [The post]({gone}) — kept text\n"


def test_mark_adds_the_copy_to_the_marker(tmp_path: Path, pool: ServerPool, wb: Wayback) -> None:
    site = pool.host("127.0.0.2")
    site.route("/post", Reply(404, body=html_page("Not Found")))
    gone = f"http://site.test:{site.port}/post"
    wb.capture(gone, "20240301101500")
    (tmp_path / "list.md").write_text(f"- [The post]({gone})\n", encoding="utf-8")
    shown = annotate(tmp_path, site.target, wb, "--fix-dead", "mark")
    assert shown.exit_code == 0, shown.output
    assert f"+- [The post]({gone}) (broken since " in shown.stdout
    assert f"; [archived copy]({wb.endpoint}/web/20240301101500/{gone}))" in shown.stdout
