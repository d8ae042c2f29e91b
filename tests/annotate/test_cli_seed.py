"""End to end: `linkhealth annotate` on a copy of the seed list, against a loopback
TLS server standing in for every host the list names (``--resolve``, a test CA)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner

from linkhealth.annotate import split_lines
from linkhealth.cli import cli
from linkhealth.parse import extract_text
from support.servers import Reply, Request, ServerPool, html_page

SEED = Path(__file__).resolve().parents[2] / "lists" / "reading-list.md"
TYPO_FIX = "https://simonwillison.net/2024/Dec/31/llms-in-2024/"


def _key(host: str, target: str) -> tuple[str, str, str]:
    parts = urlsplit(target)
    return host.lower(), unquote(parts.path or "/"), parts.query


class Site:
    """One TLS server answering for every seed host: a page per URL, 404 otherwise."""

    def __init__(self, pool: ServerPool, urls: list[str]) -> None:
        hosts = sorted({urlsplit(u).hostname or "" for u in urls})
        self.server = pool.host("127.0.0.1", tls=True, names=hosts)
        self.ca_file = pool.ca_file
        self.hosts = hosts
        self.pages: dict[tuple[str, str, str], tuple[str, str]] = {}
        for number, url in enumerate(urls, start=1):
            parts = urlsplit(url)
            key = _key(
                parts.hostname or "", parts.path + (f"?{parts.query}" if parts.query else "")
            )
            self.pages.setdefault(key, (f"Page {number}", f"Summary of page {number}."))
        for path in {k[1] for k in self.pages} | {"/abs", "/oembed"}:
            self.server.route(path, self.answer)
        # the server looks routes up by the raw request path: register encoded forms too
        for url in urls:
            self.server.route(urlsplit(url).path or "/", self.answer)

    def answer(self, req: Request) -> Reply:
        page = self.pages.get(_key(req.host, req.path))
        if page is None:
            return Reply(404, body=b"")
        title, description = page
        head = f'<meta name="description" content="{description}">'
        return Reply(200, body=html_page(title, "<p>text</p>", head_extra=head))

    def page_for(self, url: str) -> tuple[str, str]:
        parts = urlsplit(url)
        return self.pages[
            _key(parts.hostname or "", parts.path + (f"?{parts.query}" if parts.query else ""))
        ]

    def args(self) -> list[str]:
        out = ["--allow-private", "--ca-bundle", self.ca_file, "--timeout", "5", "--retries", "0"]
        for host in self.hosts:
            out += ["--resolve", f"{host}={self.server.target}"]
        return out


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    parsed = extract_text(SEED.read_text(encoding="utf-8"), "seed.md")
    urls = [o.url for o in parsed.occurrences] + [TYPO_FIX]
    with ServerPool(lifetime=120) as pool:
        yield Site(pool, urls)


def expected_line(content: str, next_line: str | None, site: Site) -> str:
    """An independent statement of what annotate does to one seed line."""
    item = re.match(r"^(\s*[-*] )(https://\S+)(\s*)$", content)
    if item:
        prefix, url, trailing = item.groups()
        title, description = site.page_for(url)
        continues = (
            next_line is not None
            and next_line.strip()
            and not re.match(r"^\s*[-*]( |$)", next_line)
        )
        tail = "" if continues else f" — {description}"
        return f"{prefix}[{title}]({url}){tail}{trailing}"
    item = re.match(r"^(\s*[-*] )(https://\S+)( .*\S.*)$", content)
    if item:
        prefix, url, rest = item.groups()
        return f"{prefix}[{site.page_for(url)[0]}]({url}){rest}"
    item = re.match(r"^(\s*[-*] \[[^\]]*\]\((https://[^)\s]+)\))(\s*)$", content)
    if item:
        link, url, trailing = item.groups()
        return f"{link} — {site.page_for(url)[1]}{trailing}"
    return content


def test_annotate_seed_end_to_end(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    lists = tmp_path / "lists"
    lists.mkdir()
    target = lists / "reading-list.md"
    shutil.copyfile(SEED, target)
    original = target.read_bytes()
    base = ["annotate", "lists/reading-list.md", "--store", "tmp/x.sqlite", *site.args()]
    runner = CliRunner()

    shown = runner.invoke(cli, base, catch_exceptions=False)
    assert shown.exit_code == 0, shown.output
    assert target.read_bytes() == original  # the default only shows the diff
    assert shown.stdout.startswith("--- a/lists/reading-list.md\n+++ b/lists/reading-list.md\n")

    written = runner.invoke(cli, [*base, "--write"], catch_exceptions=False)
    assert written.exit_code == 0, written.output
    new = target.read_bytes()
    assert new != original

    old_lines = split_lines(original.decode())
    new_lines = split_lines(new.decode())
    assert len(old_lines) == len(new_lines)
    assert new_lines[0] == old_lines[0] == ("<!-- ---", "\n")  # the comment is kept
    assert new_lines[-1] == old_lines[-1] == ("- -->", "\n")
    changed = 0
    for number, ((old, end), (line, new_end)) in enumerate(zip(old_lines, new_lines, strict=True)):
        assert new_end == end
        if number == 36:  # line 37: the typo, marked (not fixed without --fix-typos)
            marker = r" \(invalid since \d{4}-\d{2}-\d{2}: malformed\)"
            assert re.fullmatch(re.escape(old) + marker, line), line
            continue
        following = old_lines[number + 1][0] if number + 1 < len(old_lines) else None
        assert line == expected_line(old, following, site), number + 1
        changed += line != old
    bare_items = sum(1 for c, _ in old_lines if re.match(r"^\s*[-*] https://", c))
    assert bare_items > 90 and changed > bare_items  # every bare item and many links
    # the diff touched exactly those lines
    diff_lines = [
        x for x in shown.stdout.splitlines() if x.startswith("-") and not x.startswith("---")
    ]
    assert len(diff_lines) == changed + 1  # + line 37

    again = runner.invoke(cli, base, catch_exceptions=False)
    assert again.exit_code == 0 and again.stdout == ""
    check = runner.invoke(cli, [*base, "--check"], catch_exceptions=False)
    assert check.exit_code == 0, check.output
    assert target.read_bytes() == new


def test_fix_typos_end_to_end(site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "list.md"
    typo = "https://simonwil lison.net/2024/Dec/31/llms-in-2024/"
    target.write_text(f"<!--\n- [Things]({typo})\n-->\n", encoding="utf-8")
    base = ["annotate", "list.md", "--store", "tmp/x.sqlite", *site.args()]
    runner = CliRunner()
    check = runner.invoke(cli, [*base, "--check", "--fix-typos"], catch_exceptions=False)
    assert check.exit_code == 1 and "would annotate list.md" in check.stderr
    done = runner.invoke(cli, [*base, "--write", "--fix-typos"], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    _title, description = site.page_for(TYPO_FIX)
    assert target.read_text() == f"<!--\n- [Things]({TYPO_FIX}) — {description}\n-->\n"
    again = runner.invoke(cli, [*base, "--check", "--fix-typos"], catch_exceptions=False)
    assert again.exit_code == 0, again.output


def test_fix_redirects_end_to_end(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    final = "https://tridao.me/blog/"
    site.server.route("/moved-away", Reply(301, headers={"Location": final}))
    site.server.route("/elsewhere", Reply(302, headers={"Location": final}))
    target = tmp_path / "list.md"
    text = "- [A](https://tridao.me/moved-away)\r\n- [B](https://tridao.me/elsewhere)\r\n"
    target.write_bytes(text.encode())
    base = ["annotate", "list.md", "--store", "tmp/x.sqlite", *site.args()]
    runner = CliRunner()
    kept = runner.invoke(cli, [*base, "--write"], catch_exceptions=False)
    assert kept.exit_code == 0, kept.output
    _, description = site.page_for(final)
    assert (
        target.read_bytes()
        == (
            f"- [A](https://tridao.me/moved-away) — {description}\r\n"
            f"- [B](https://tridao.me/elsewhere) — {description}\r\n"
        ).encode()
    )
    fixed = runner.invoke(cli, [*base, "--write", "--fix-redirects"], catch_exceptions=False)
    assert fixed.exit_code == 0, fixed.output
    # only the permanent redirect is replaced
    assert (
        target.read_bytes()
        == (
            f"- [A]({final}) — {description}\r\n"
            f"- [B](https://tridao.me/elsewhere) — {description}\r\n"
        ).encode()
    )


def test_write_and_check_together_is_a_usage_error(tmp_path: Path) -> None:
    target = tmp_path / "list.md"
    target.write_text("- https://a.example/\n")
    result = CliRunner().invoke(cli, ["annotate", str(target), "--write", "--check"])
    assert result.exit_code == 2 and "cannot be used together" in result.output
    assert target.read_text() == "- https://a.example/\n"
