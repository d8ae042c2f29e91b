"""Every runtime dependency exercised for real, end to end through the CLI.

.ci/run also runs this module in a second venv holding the *lowest* versions
pyproject.toml allows (``uv pip install --resolution lowest-direct``), so a floor
that does not really work fails CI: aiohttp's ``socket_factory`` (3.12), brotli's
``output_buffer_limit`` (1.2), the TLS context built on certifi, selectolax's head
parsing, every report renderer (jinja2/markupsafe for HTML), click, pydantic, the
Markdown parser stack, retries and the Dask cluster path.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import brotli
import jsonschema
import pytest
from click.testing import CliRunner, Result

from linkhealth.cli import cli
from linkhealth.report import FORMATS, OPTIONAL_FILES
from linkhealth.report.schema import results_schema
from support.servers import HostServer, Reply, ServerPool, html_page

# Content-Encoding -> how the body is encoded (encodings are listed in the order applied).
ENCODINGS = {
    "identity": lambda b: b,
    "gzip": lambda b: gzip.compress(b),
    "x-gzip": lambda b: gzip.compress(b),
    "deflate": lambda b: zlib.compress(b),
    "br": lambda b: brotli.compress(b),
    "gzip, br": lambda b: brotli.compress(gzip.compress(b)),
}
RAW_DEFLATE = "deflate (raw)"


def _raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return c.compress(data) + c.flush()


@pytest.fixture
def pool() -> Iterator[ServerPool]:
    with ServerPool(lifetime=90) as p:
        yield p


def _site(pool: ServerPool) -> tuple[HostServer, HostServer, dict[str, str]]:
    """A plain host with one page per content coding, a flaky page, a 404, and a TLS host."""
    plain = pool.host("127.0.0.2")
    titles: dict[str, str] = {}
    for i, (name, encode) in enumerate(ENCODINGS.items()):
        title = f"Encoded {i} {name}"
        plain.route(f"/enc{i}", Reply(200, body=encode(html_page(title)), raw_encoding=name))
        titles[plain.url(f"/enc{i}")] = title
    raw = "Encoded raw deflate"
    plain.route("/raw", Reply(200, body=_raw_deflate(html_page(raw)), raw_encoding="deflate"))
    titles[plain.url("/raw")] = raw
    plain.route("/flaky", [Reply(503), Reply(200, body=html_page("Second try"))])
    titles[plain.url("/flaky")] = "Second try"
    plain.route("/gone", Reply(404, body=html_page("Not here")))
    secure = pool.host("127.0.0.3", tls=True)
    secure.route("/tls", Reply(200, body=html_page("Over TLS")))
    titles[secure.url("/tls")] = "Over TLS"
    return plain, secure, titles


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _check(tmp_path: Path, pool: ServerPool, listing: Path, *extra: str) -> Result:
    return _invoke(
        "check",
        str(listing),
        "--store",
        str(tmp_path / "state.sqlite"),
        "--reports-dir",
        str(tmp_path / "reports"),
        "--allow-private",
        "--ca-bundle",
        str(pool.ca_file),
        "--timeout",
        "10",
        "--retries",
        "1",
        "--host-interval",
        "0",
        "-q",
        *extra,
    )


def _listing(tmp_path: Path, urls: list[str]) -> Path:
    path = tmp_path / "list.md"
    lines = [f"- [link {i}]({u})" for i, u in enumerate(urls)]
    path.write_text("# Smoke\n\n" + "\n".join(lines) + "\n")
    return path


def test_every_encoding_tls_and_every_report_format(pool: ServerPool, tmp_path: Path) -> None:
    plain, _secure, titles = _site(pool)
    gone = plain.url("/gone")
    listing = _listing(tmp_path, [*titles, gone])
    report_files = [a for fmt in OPTIONAL_FILES for a in ("--report-format", fmt)]
    result = _check(tmp_path, pool, listing, "--format", "json", *report_files)
    assert result.exit_code == 1, result.output  # the 404 fails the run
    data = json.loads(result.stdout)
    by_url = {r["url"]: r for r in data["results"]}
    for url, title in titles.items():
        assert (by_url[url]["verdict"], by_url[url]["title"]) == ("ok", title), by_url[url]
    assert by_url[gone]["verdict"] == "broken"
    assert plain.hits("/flaky") == 2  # retried once, then ok

    reports = tmp_path / "reports"
    names = {p.name for p in reports.iterdir()}
    assert names >= {"broken-links.md", "enrichment.md", "results.json", *OPTIONAL_FILES.values()}
    assert "/gone" in (reports / "broken-links.md").read_text()
    assert "Over TLS" in (reports / "enrichment.md").read_text()
    assert "Over TLS" in (reports / "index.html").read_text()
    ElementTree.fromstring((reports / "junit.xml").read_bytes())
    jsonschema.validate(json.loads((reports / "results.json").read_text()), results_schema())
    rows = list(csv.DictReader(io.StringIO((reports / "results.csv").read_text())))
    assert {r["url"] for r in rows} >= set(titles)

    # `report` re-renders the stored run in every format, without the network.
    for fmt in FORMATS:
        shown = _invoke("report", "--store", str(tmp_path / "state.sqlite"), "--format", fmt)
        assert shown.exit_code in (0, 1), (fmt, shown.output)
        assert "/gone" in shown.stdout, fmt


def test_extract_lint_annotate(tmp_path: Path, pool: ServerPool) -> None:
    plain = pool.host("127.0.0.2")
    plain.route("/t", Reply(200, body=html_page("Annotated title")))
    listing = tmp_path / "list.md"
    listing.write_text(
        f"# Links\n\n- {plain.url('/t')}\n- [ref][r]\n- www.example.org/linkified\n"
        "- [inline](https://example.org/i) [typo](htps://example.org)\n\n[r]: https://example.org/ref\n"
    )
    extracted = json.loads(_invoke("extract", str(listing), "--format", "json").stdout)
    kinds = {o["kind"] for o in extracted}
    assert {"bare", "reference", "inline"} <= kinds
    lint = _invoke("lint", str(listing))
    assert lint.exit_code == 1 and "htps" in lint.output
    bare = tmp_path / "bare.md"
    bare.write_text(f"# Links\n\n- {plain.url('/t')}\n")
    diff = _invoke(
        "annotate",
        str(bare),
        "--store",
        str(tmp_path / "state.sqlite"),
        "--allow-private",
        "--host-interval",
        "0",
    )
    assert "Annotated title" in diff.output, diff.output


def test_cluster_path(pool: ServerPool, tmp_path: Path) -> None:
    _plain, _secure, titles = _site(pool)
    listing = _listing(tmp_path, list(titles))
    result = _check(tmp_path, pool, listing, "--workers", "1", "--format", "json", "--no-reports")
    assert result.exit_code == 0, result.output
    by_url = {r["url"]: r for r in json.loads(result.stdout)["results"]}
    assert all(by_url[u]["title"] == t for u, t in titles.items())
