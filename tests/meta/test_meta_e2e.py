"""Charsets end to end: pages served over loopback in five encodings come out right in
`check`'s results (the fetcher keeps bytes, meta decodes them; `response.text` is never used)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from linkhealth.cli import cli
from support.servers import Reply, ServerPool

TITLES = {
    "cp1251": ("windows-1251", "Привет, мир: заметки о трансформерах"),
    "sjis": ("shift_jis", "日本語のページ：大規模言語モデル入門"),
    "gb": ("gb18030", "中文页面：注意力机制详解"),
    "latin": ("iso-8859-1", "Café résumé — naïve façade"),
    "utf8": ("utf-8", "Ünïcödé ✓ straße"),
}


def _page(codec: str, title: str, *, meta_only: bool) -> Reply:
    head = f"<meta charset='{codec}'>" if meta_only else ""
    html = f"<html><head>{head}<title>{title}</title></head><body><p>x</p></body></html>"
    # latin-1 pages may say iso-8859-1 and use windows-1252 bytes (the HTML standard's rule).
    data = html.encode("cp1252" if codec == "iso-8859-1" else codec)
    ctype = "text/html" if meta_only else f"text/html; charset={codec}"
    return Reply(200, body=data, content_type=ctype)


@pytest.mark.parametrize("meta_only", [False, True], ids=["header-charset", "meta-charset"])
def test_five_charsets_through_check(pool: ServerPool, tmp_path: Path, meta_only: bool) -> None:
    host = pool.host("127.0.0.2")
    lines = []
    for path, (codec, title) in TITLES.items():
        host.route(f"/{path}", _page(codec, title, meta_only=meta_only))
        lines.append(f"- http://pages.test:{host.port}/{path}\n")
    lst = tmp_path / "l.md"
    lst.write_text("".join(lines), encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        [
            "check",
            str(lst),
            "--format",
            "json",
            "--no-reports",
            "--store",
            str(tmp_path / "s.sqlite"),
            "--resolve",
            f"pages.test={host.target}",
            "--host-interval",
            "0",
        ],
    )
    assert result.exit_code == 0, result.output
    titles = {r["url"].rsplit("/", 1)[1]: r["title"] for r in json.loads(result.stdout)["results"]}
    assert titles == {path: title for path, (_, title) in TITLES.items()}
