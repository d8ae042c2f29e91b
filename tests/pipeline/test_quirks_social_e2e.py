"""Issue 17's quirks through `check`: X/Twitter, TikTok, Spotify and Reddit links take their
metadata from loopback stand-ins of the public oEmbed endpoints (written from their
documentation), an Amazon-style product page from its product title element; every
follow-up goes through the fetcher and its address guard."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from click.testing import CliRunner

from linkhealth.cli import cli
from support.servers import Reply, Request, ServerPool

POST = "https://x.com/adaexample/status/1790000000000000001"
PROFILE = "https://x.com/adaexample"
TIKTOK = "https://www.tiktok.com/@ropelab/video/7300000000000000001"
SPOTIFY = "https://open.spotify.com/episode/4rOoJ6Egrf8K2IrywzwOMk"
REDDIT = "https://www.reddit.com/r/MachineLearning/comments/1abcde/what_made_it_click/"
PRODUCT = "https://www.amazon.com/Walnut-Desk-120/dp/B0TESTDESK"
HOSTS = [
    "x.com",
    "publish.twitter.com",
    "www.tiktok.com",
    "open.spotify.com",
    "www.reddit.com",
    "www.amazon.com",
]
JS_NOTICE = "JavaScript is disabled in this browser. Please enable JavaScript to continue."


def app_shell(title: str) -> bytes:
    return (
        f"<html><head><title>{title}</title>"
        f'<meta name="description" content="{JS_NOTICE}"></head><body></body></html>'
    ).encode()


def oembed(req: Request) -> Reply:
    """The oEmbed answers, per host, in the shape each provider documents."""
    page = parse_qs(urlsplit(req.path).query).get("url", [""])[0]
    data: dict[str, str]
    if req.host == "publish.twitter.com":
        data = {
            "author_name": "Ada Example",
            "author_url": "https://twitter.com/adaexample",
            "html": '<blockquote class="twitter-tweet"><p lang="en">Shipping the parser '
            "today.</p>&mdash; Ada Example (@adaexample)</blockquote>"
            if "/status/" in page
            else '<a class="twitter-timeline" href="https://twitter.com/adaexample">Tweets</a>',
            "provider_name": "Twitter",
            "type": "rich",
        }
    elif req.host == "www.tiktok.com":
        data = {"title": "Three knots every climber should know", "author_name": "Rope Lab"}
    elif req.host == "open.spotify.com":
        data = {"title": "Episode 12: Ropes and Editors", "provider_name": "Spotify"}
    elif req.host == "www.reddit.com":
        data = {"title": "What made backprop click?", "author_name": "grad_fan"}
    else:
        return Reply(404)
    return Reply(200, body=json.dumps(data).encode(), content_type="application/json")


def product(req: Request) -> Reply:
    """A shop page: a banner <title>, the product title a few hundred KiB into the body."""
    filler = "<a href='/deal'>Deal of the day</a>" * 9000
    return Reply(
        200,
        body=(
            "<html><head><title>Amazon.com. Spend less. Smile more.</title></head><body>"
            f"<div id='nav'>{filler}</div><h1><span id='productTitle'> Walnut Desk, 120 cm "
            "</span></h1></body></html>"
        ).encode(),
    )


def _check(pool: ServerPool, tmp_path: Path, urls: list[str], extra: list[str]) -> dict:
    lst = tmp_path / "l.md"
    lst.write_text("".join(f"- {u}\n" for u in urls), encoding="utf-8")
    args = ["check", str(lst), "--format", "json", "--no-reports"]
    args += ["--store", str(tmp_path / "s.sqlite"), "--ca-bundle", str(pool.ca_file)]
    args += ["--host-interval", "0", *extra]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 0, out.output
    return {r["url"]: r for r in json.loads(out.stdout)["results"]}


def test_social_and_shop_quirks_end_to_end(pool: ServerPool, tmp_path: Path) -> None:
    host = pool.host("127.0.0.2", tls=True, names=HOSTS)
    host.route("/adaexample/status/1790000000000000001", Reply(200, body=app_shell("X")))
    host.route("/adaexample", Reply(200, body=app_shell("X")))
    host.route("/@ropelab/video/7300000000000000001", Reply(200, body=app_shell("TikTok")))
    host.route("/episode/4rOoJ6Egrf8K2IrywzwOMk", Reply(200, body=app_shell("Spotify")))
    host.route(urlsplit(REDDIT).path, Reply(200, body=app_shell("reddit")))
    host.route("/oembed", oembed)
    host.route("/Walnut-Desk-120/dp/B0TESTDESK", product)
    host.route("/dp/B0TESTDESK", product)
    resolve = [a for name in HOSTS for a in ("--resolve", f"{name}={host.target}")]
    got = _check(pool, tmp_path, [POST, PROFILE, TIKTOK, SPOTIFY, REDDIT, PRODUCT], resolve)

    def fields(url: str) -> tuple[str | None, str | None, str | None]:
        return got[url]["title"], got[url]["description"], got[url]["site_name"]

    assert fields(POST) == ("Ada Example (@adaexample)", "Shipping the parser today.", "X")
    assert fields(PROFILE) == ("Ada Example (@adaexample)", None, "X")
    assert fields(TIKTOK) == ("Three knots every climber should know", None, "Rope Lab")
    assert fields(SPOTIFY) == ("Episode 12: Ropes and Editors", None, "Spotify")
    assert fields(REDDIT) == ("What made backprop click?", None, "r/MachineLearning")
    assert got[PRODUCT]["title"] == "Walnut Desk, 120 cm"
    oembed_hosts = sorted(r.host for r in host.requests if r.path.startswith("/oembed?"))
    assert oembed_hosts == sorted(["publish.twitter.com"] * 2 + HOSTS[2:5])


def test_follow_up_to_a_private_address_is_refused(pool: ServerPool, tmp_path: Path) -> None:
    """A page on an allowed (resolved) host advertises oEmbed on a private address: the
    follow-up goes through the guard, is refused, and that server never hears of it."""
    inner = pool.host("127.0.0.3").route("/oembed", Reply(200, body=b'{"title": "Leaked"}'))
    page = pool.host("127.0.0.2", tls=True, names=["videos.example"])
    advert = f'<link rel="alternate" type="application/json+oembed" href="{inner.url("/oembed")}">'
    page.route("/v/1", Reply(200, body=f"<html><head>{advert}</head></html>".encode()))
    got = _check(
        pool,
        tmp_path,
        ["https://videos.example/v/1"],
        ["--resolve", f"videos.example={page.target}"],
    )
    assert got["https://videos.example/v/1"]["title"] is None
    assert inner.hits() == 0 and page.hits("/v/1") == 1
    # Allowed on purpose, the same follow-up is made: the guard was what refused it.
    (tmp_path / "s.sqlite").unlink()
    got = _check(
        pool,
        tmp_path,
        ["https://videos.example/v/1"],
        ["--resolve", f"videos.example={page.target}", "--allow-private"],
    )
    assert got["https://videos.example/v/1"]["title"] == "Leaked"
    assert inner.hits() == 1
