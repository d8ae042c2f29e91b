"""http(s) URLs of Markdown and HTML documents as inputs of `check`: fetched under the
guard, their links checked and reported against the document's URL, relative links
resolved against the URL the document was served from."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from linkhealth.cli import cli
from support.servers import Reply, ServerPool, html_page


def check(tmp_path: Path, *args: str) -> Result:
    store = ["--store", str(tmp_path / "s.sqlite"), "--reports-dir", str(tmp_path / "r")]
    return CliRunner().invoke(
        cli, ["check", *args, *store, "--retries", "0", "--host-interval", "0", "--format", "json"]
    )


def test_markdown_and_html_documents_by_url(pool: ServerPool, tmp_path: Path) -> None:
    docs = pool.host("127.0.0.2")
    site = pool.host("127.0.0.3")
    markdown = (
        "# Awesome\n\n"
        f"- [ok]({site.url('/ok')})\n"
        "- [relative](sub/page.html)\n"
        f"- [gone]({site.url('/gone')})\n"
    )
    docs.route("/old.md", Reply(301, headers={"Location": docs.url("/lists/awesome.md")}))
    docs.route(
        "/lists/awesome.md",
        Reply(200, body=markdown.encode(), content_type="text/markdown; charset=utf-8"),
    )
    docs.route("/lists/sub/page.html", Reply(200, body=html_page("Sub page")))
    page = html_page("List", f'<a href="{site.url("/ok")}">ok</a> <a href="../up.html">up</a>')
    docs.route("/pages/list.html", Reply(200, body=page))
    docs.route("/up.html", Reply(200, body=html_page("Up")))
    site.route("/ok", Reply(200, body=html_page("Fine")))
    site.route("/gone", Reply(404, body=html_page("Not Found")))

    result = check(tmp_path, docs.url("/old.md"), docs.url("/pages/list.html"), "--allow-private")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    by_url = {r["url"]: r for r in data["results"]}
    assert by_url[site.url("/ok")]["verdict"] == "ok"
    assert by_url[site.url("/gone")]["verdict"] == "broken"
    assert by_url[docs.url("/lists/sub/page.html")]["title"] == "Sub page"  # final URL's folder
    assert by_url[docs.url("/up.html")]["verdict"] == "ok"
    places = {o["file"] for r in data["results"] for o in r["occurrences"]}
    assert places == {docs.url("/old.md"), docs.url("/pages/list.html")}
    gone = by_url[site.url("/gone")]["occurrences"][0]
    assert (gone["file"], gone["line"]) == (docs.url("/old.md"), 5)


def test_document_url_goes_through_the_guard(pool: ServerPool, tmp_path: Path) -> None:
    docs = pool.host("127.0.0.2")
    docs.route("/a.md", Reply(200, body=b"- <https://example.org/>\n", content_type="text/plain"))
    result = check(tmp_path, docs.url("/a.md"))  # loopback, without --allow-private
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "cannot fetch this input" in result.output and docs.hits() == 0


def test_missing_document_is_an_input_error(pool: ServerPool, tmp_path: Path) -> None:
    docs = pool.host("127.0.0.2")
    result = check(tmp_path, docs.url("/nope.md"), "--allow-private")
    assert result.exit_code == 2 and "HTTP 404" in result.output


def test_extract_says_url_inputs_are_for_check(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["extract", "https://example.org/list.md"])
    assert result.exit_code == 2 and "linkhealth check" in result.output
