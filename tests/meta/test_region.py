"""One metadata region for a page however its body was read (:mod:`linkhealth.pageregion`):
the head and AFTER_HEAD_BYTES after ``</head>``, whether the fetcher kept only that or the
whole page (a link to it has a ``#fragment`` and ``--check-fragments`` reads it all)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from linkhealth.cli import cli
from linkhealth.meta import extract_meta
from linkhealth.meta.selectors import PARAGRAPH_MIN_CHARS
from linkhealth.pageregion import AFTER_HEAD_BYTES, metadata_bytes, region_end
from support.servers import Reply, ServerPool

HEAD = b"<html><head><title>Region page</title></head>"
PARAGRAPH = "A first long paragraph that a description fall-back would take from this page body."


def _page(paragraph_at: int) -> bytes:
    """A page whose first long paragraph starts ``paragraph_at`` bytes after ``</head>``."""
    filler = b"<body><h2 id=sec>Section</h2><div>"
    filler += b"x" * (paragraph_at - len(filler) - len(b"</div>")) + b"</div>"
    page = HEAD + filler + f"<p>{PARAGRAPH}</p>".encode() + b"x" * 20_000 + b"</body></html>"
    assert page.index(b"<p>") - len(HEAD) == paragraph_at
    return page


def _check(pool_host: Any, tmp_path: Path, links: list[str], name: str) -> dict[str, Any]:
    lst = tmp_path / f"{name}.md"
    lst.write_text("".join(f"- {link}\n" for link in links), encoding="utf-8")
    store = str(tmp_path / f"{name}.sqlite")
    flags = ["--format", "json", "--no-reports", "--check-fragments", "--host-interval", "0"]
    where = ["--store", store, "--resolve", f"pages.test={pool_host.target}"]
    result = CliRunner().invoke(cli, ["check", str(lst), *flags, *where])
    assert result.exit_code == 0, result.output
    return {r["url"].split("#")[0]: r for r in json.loads(result.stdout)["results"]}


def test_same_title_and_description_with_and_without_a_fragment_link(
    pool: ServerPool, tmp_path: Path
) -> None:
    host = pool.host("127.0.0.2")
    near, far = _page(3000), _page(6000)  # the paragraph inside / past the region
    host.route("/near", Reply(200, body=near, content_type="text/html; charset=utf-8"))
    host.route("/far", Reply(200, body=far, content_type="text/html; charset=utf-8"))
    base = f"http://pages.test:{host.port}"
    plain = _check(host, tmp_path, [f"{base}/near", f"{base}/far"], "plain")
    whole = _check(host, tmp_path, [f"{base}/near#sec", f"{base}/far#sec"], "whole")
    for url in (f"{base}/near", f"{base}/far"):
        fields = ("title", "description")
        assert {f: plain[url].get(f) for f in fields} == {f: whole[url].get(f) for f in fields}
        assert whole[url]["title"] == "Region page"
    assert plain[f"{base}/near"]["description"] == PARAGRAPH
    assert plain[f"{base}/far"].get("description") is None


def _at(chars_inside: int) -> int:
    """Where the paragraph starts when ``chars_inside`` of its text lie inside the region."""
    return AFTER_HEAD_BYTES - len("<p>") - chars_inside


@pytest.mark.parametrize(
    ("paragraph_at", "description"),
    [
        (_at(len(PARAGRAPH)), PARAGRAPH),  # its text ends at the region's end
        (_at(len(PARAGRAPH) - 1), PARAGRAPH[:-1]),  # one character past it
        (_at(PARAGRAPH_MIN_CHARS), PARAGRAPH[:PARAGRAPH_MIN_CHARS]),
        (_at(PARAGRAPH_MIN_CHARS - 1), None),  # too little of it inside to be a description
    ],
)
def test_the_region_boundary(paragraph_at: int, description: str | None) -> None:
    page = _page(paragraph_at)
    cut = metadata_bytes(page)
    assert len(cut) == len(HEAD) + AFTER_HEAD_BYTES
    for body in (page, cut):  # kept whole, or as an ordinary read keeps it
        meta = extract_meta(body, "text/html; charset=utf-8", "http://pages.test/p")
        assert meta.description == description


def test_region_end_rules() -> None:
    assert region_end(b"<p>no head end</p>") is None
    assert metadata_bytes(b"<p>no head end</p>" * 1000) == b"<p>no head end</p>" * 1000
    page = b"<HEAD></HEAD >" + b"y" * (2 * AFTER_HEAD_BYTES)
    assert region_end(page) == len(b"<HEAD></HEAD >") + AFTER_HEAD_BYTES
    assert region_end(page, 0, 5) is None  # searched only where asked
    short = b"<head></head>tail"
    assert metadata_bytes(short) == short
