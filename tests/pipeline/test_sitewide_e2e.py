"""The site-wide pass through `check`: a description every page of a host carries falls
through to each page's own text, a title affix every page carries is trimmed, and the
store keeps the judged values (`report` shows what `check` showed)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from linkhealth.cli import cli
from support.servers import Reply, ServerPool

MISSION = "We build tools for everyone, everywhere, every day."
PAGES = {
    "/blog/ropes": (
        "Ropes for editors",
        "Why a rope beats a gap buffer for large files, "
        "measured on three editors and a ten-megabyte log file.",
    ),
    "/blog/tries": (
        "Tries, briefly",
        "A trie in forty lines, and when a sorted array with "
        "binary search is simply the better choice.",
    ),
    "/models/tiny": ("tiny-model", None),
}


def page(title: str, summary: str | None) -> bytes:
    para = f"<p>{summary}</p>" if summary else "<p>short</p>"
    return (
        f"<html><head><title>{title} — Example Lab</title>"
        f'<meta name="description" content="{MISSION}">'
        f'<meta property="og:description" content="{MISSION}">'
        f"</head><body><main>{para}</main></body></html>"
    ).encode()


def test_sitewide_description_and_affix_end_to_end(pool: ServerPool, tmp_path: Path) -> None:
    host = pool.host("127.0.0.2", tls=True, names=["lab.example"])
    for path, (title, summary) in PAGES.items():
        host.route(path, Reply(200, body=page(title, summary)))
    lst = tmp_path / "l.md"
    lst.write_text("".join(f"- https://lab.example{p}\n" for p in PAGES), encoding="utf-8")
    store = str(tmp_path / "s.sqlite")
    common = ["--store", store, "--ca-bundle", str(pool.ca_file)]
    common += ["--resolve", f"lab.example={host.target}", "--host-interval", "0"]
    out = CliRunner().invoke(cli, ["check", str(lst), "--format", "json", "--no-reports", *common])
    assert out.exit_code == 0, out.output
    got = {r["url"]: (r["title"], r["description"]) for r in json.loads(out.stdout)["results"]}
    assert got == {f"https://lab.example{p}": v for p, v in PAGES.items()}

    shown = CliRunner().invoke(cli, ["report", "--format", "json", "--store", store])
    assert shown.exit_code in (0, 1), shown.output
    stored = {r["url"]: (r["title"], r["description"]) for r in json.loads(shown.stdout)["results"]}
    assert stored == got
