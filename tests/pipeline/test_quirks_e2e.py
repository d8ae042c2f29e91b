"""Known-site quirks through `check`: a YouTube link takes its title from oEmbed (a JSON
body, read only for follow-ups) and an arXiv PDF link from its abstract page; the store
keeps the merged metadata, so the next run's cache and `report` show it too."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from linkhealth.cli import cli
from support.servers import HostServer, Reply, ServerPool, html_page

VIDEO = "https://www.youtube.com/watch?v=KCXDr-UOb9A"
PAPER = "https://arxiv.org/pdf/2001.08361"
OEMBED = {
    "title": "LLMs in 5 formulas",
    "author_name": "A Channel",
    "provider_name": "YouTube",
    "type": "video",
}
ABSTRACT = (
    "<html><head><title>[2001.08361] Scaling Laws for Neural Language Models</title>"
    "<meta name='citation_title' content='Scaling Laws for Neural Language Models'>"
    "<meta name='citation_abstract' content='We study empirical scaling laws for language "
    "model performance on the cross-entropy loss.'></head><body></body></html>"
)


def oembed_hits(host: HostServer) -> int:
    return sum(1 for r in host.requests if r.path.startswith("/oembed?"))


def test_youtube_and_arxiv_quirks_end_to_end(pool: ServerPool, tmp_path: Path) -> None:
    host = pool.host("127.0.0.2", tls=True, names=["www.youtube.com", "arxiv.org"])
    host.route("/watch", Reply(200, body=html_page("- YouTube")))
    host.route(
        "/oembed", Reply(200, body=json.dumps(OEMBED).encode(), content_type="application/json")
    )
    host.route(
        "/pdf/2001.08361",
        Reply(
            200,
            body=b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
            content_type="application/pdf",
        ),
    )
    host.route("/abs/2001.08361", Reply(200, body=ABSTRACT.encode()))
    lst = tmp_path / "l.md"
    lst.write_text(f"- {VIDEO}\n- {PAPER}\n", encoding="utf-8")
    args = [
        "check",
        str(lst),
        "--format",
        "json",
        "--no-reports",
        "--store",
        str(tmp_path / "s.sqlite"),
        "--ca-bundle",
        str(pool.ca_file),
        "--resolve",
        f"www.youtube.com={host.target}",
        "--resolve",
        f"arxiv.org={host.target}",
        "--host-interval",
        "0",
    ]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    by_url = {r["url"]: r for r in json.loads(first.stdout)["results"]}
    assert by_url[VIDEO]["title"] == "LLMs in 5 formulas"
    assert by_url[VIDEO]["site_name"] == "A Channel"
    assert by_url[PAPER]["title"] == "Scaling Laws for Neural Language Models"
    assert by_url[PAPER]["description"].startswith("We study empirical scaling laws")
    assert by_url[PAPER]["content_type"] == "application/pdf"
    assert (oembed_hits(host), host.hits("/abs/2001.08361")) == (1, 1)

    # The next run inside --max-age reuses the stored, merged metadata.
    second = CliRunner().invoke(cli, args)
    assert second.exit_code == 0, second.output
    cached = {r["url"]: r for r in json.loads(second.stdout)["results"]}
    assert cached[VIDEO]["from_cache"] and cached[VIDEO]["title"] == "LLMs in 5 formulas"
    assert cached[PAPER]["title"] == "Scaling Laws for Neural Language Models"
    assert oembed_hits(host) == 1
