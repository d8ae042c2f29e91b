"""A loopback stand-in for the hosts a reading list links to, in the shapes those sites use
(written for this bench from how the sites lay out their heads; no page is copied), and
the share of links whose title and description come out as a careful person would write
them — measured end to end through ``linkhealth check``.

    .venv/bin/python -m bench.meta_standin score lists/reading-list.md bench/meta_extra.md
    .venv/bin/python -m bench.meta_standin annotate lists/reading-list.md
    PYTHONPATH=/path/to/old/src .venv/bin/python -m bench.meta_standin score ...  # before

Every page is generated from a *truth* (the title and the page's own summary, or no
summary when the page has none of its own) wrapped in the noise its host adds: site
names on either side of the title, bylines, JavaScript and cookie notices, site-wide
descriptions, a megabyte of inline script before ``<title>``. A link counts as
"unedited" when the title equals the truth and the description equals the truth (or is
absent where the page has no summary of its own).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.servers import Reply, Request, ServerPool

MISSION = (
    "We're on a journey to advance and democratize artificial intelligence through open "
    "source and open science."
)
JS_NOTICE = (
    "We've detected that JavaScript is disabled in this browser. Please enable JavaScript "
    "or switch to a supported browser to continue using x.com. You can see a list of "
    "supported browsers in our Help Center."
)
COOKIES = "This website uses cookies to ensure you get the best experience on our website."
GIST = "GitHub Gist: instantly share code, notes, and snippets."


@dataclass
class Shape:
    body: bytes
    title: str | None  # the truth
    description: str | None
    content_type: str = "text/html; charset=utf-8"


def _pick(key: str, n: int) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % n


def _words(segment: str) -> str:
    segment = re.sub(r"\.(html?|md|pdf)$", "", unquote(segment))
    segment = re.sub(r"[-_][0-9a-f]{8,}$", "", segment)
    words = [w for w in re.split(r"[-_+ ]+", segment) if w]
    return " ".join(w if w.isupper() else w.capitalize() for w in words) or "Home"


def _slug_title(url: str) -> str:
    parts = [p for p in urlsplit(url).path.split("/") if p]
    if not parts:
        return _site_label(urlsplit(url).hostname or "") + " Notes"
    for part in reversed(parts):
        if not re.fullmatch(r"[0-9a-f]{6,}|\d+|index(\.html)?|p|posts?|blog", part):
            return _words(part)
    return _words(urlsplit(url).hostname or "home")


def _summary(title: str) -> str:
    return f"What {title.lower()} is about, in the author's words, and why it matters."


def _head(inner: str, body: str = "<p>…</p>") -> bytes:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"{inner}</head><body>{body}</body></html>"
    ).encode()


def _m(key: str, value: str) -> str:
    attr = "property" if key.startswith(("og:", "article:")) else "name"
    value = value.replace('"', "&quot;")
    return f'<meta {attr}="{key}" content="{value}">'


def _site_label(host: str) -> str:
    label = host.removeprefix("www.").split(".")[0]
    return label.capitalize()


def github(url: str) -> Shape:
    parts = [p for p in urlsplit(url).path.split("/") if p]
    repo = "/".join(parts[:2]) if len(parts) >= 2 else parts[0]
    if len(parts) == 1 or (len(parts) > 2 and urlsplit(url).hostname == "github.com"):
        what = f"{parts[-1]} · {repo}" if len(parts) > 2 else f"{repo} (A. Person)"
        desc = f"{parts[0]} has 42 repositories available. Follow their code on GitHub."
        desc = desc if len(parts) == 1 else ""
        head = f"<title>{what} · GitHub</title>" + _m("og:title", what)
        head += _m("og:description", desc) + _m("og:site_name", "GitHub")
        return Shape(_head(head), what, desc or None)
    if urlsplit(url).hostname == "gist.github.com":
        title = _slug_title(url) if len(parts) < 2 else f"{parts[0]}'s gist"
        head = f"<title>{title} · GitHub</title>" + _m("og:title", title)
        head += _m("og:description", GIST) + _m("og:site_name", "Gist")
        return Shape(_head(head), title, None)
    has_desc = _pick(repo, 3) != 0
    desc = f"{_words(parts[-1])}: a small, readable implementation." if has_desc else ""
    full = f"GitHub - {repo}: {desc}" if desc else f"GitHub - {repo}"
    contribute = f"Contribute to {repo} development by creating an account on GitHub."
    head = f"<title>{full}</title>" + _m("og:title", full)
    head += _m("og:description", f"{desc} {contribute}".strip()) + _m("og:site_name", "GitHub")
    head += _m("description", f"{desc} {contribute}".strip())
    return Shape(_head(head), repo, desc or None)


def huggingface(url: str) -> Shape:
    title = _slug_title(url)
    sep = " · " if _pick(url, 2) else " - "
    head = f"<title>{title}{sep}Hugging Face</title>" + _m("description", MISSION)
    head += _m("og:title", f"{title}{sep}Hugging Face") + _m("og:description", MISSION)
    return Shape(_head(head, f"<header>{'<a>nav</a>' * 400}</header>"), title, None)


def arxiv(url: str, pool: dict[str, bytes]) -> Shape:
    paper = urlsplit(url).path.split("/")[-1].removesuffix(".pdf")
    title = f"A Study of {paper.replace('.', ' ')} in Language Models"
    abstract = f"We study {paper} and report what we measured across four benchmarks."
    if "/pdf/" in url:
        return Shape(
            b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
            title,
            abstract,
            "application/pdf",
        )
    head = f"<title>[{paper}] {title}</title>" + _m("citation_title", title)
    head += _m("citation_abstract", abstract) + _m("og:title", title)
    head += _m("og:description", abstract) + _m("og:site_name", "arXiv.org")
    return Shape(_head(head), title, abstract)


def youtube(url: str) -> Shape:
    vid = parse_qs(urlsplit(url).query).get("v", [""])[0]
    if not vid:  # a channel or a playlist
        name = urlsplit(url).path.strip("/").split("/")[0].lstrip("@") or "channel"
        ident = parse_qs(urlsplit(url).query).get("list", [name])[0]
        title = f"Videos of {ident}"
        head = f"<title>{title} - YouTube</title>" + _m("og:title", title)
        head += _m("og:description", "Share your videos with friends, family, and the world")
        return Shape(_head(head), title, None)
    title = f"Lecture on {vid}"
    desc = f"In this video we walk through {vid} step by step."
    head = f"<title>{title} - YouTube</title>" + _m("og:title", title)
    head += _m("og:description", desc) + _m("og:site_name", "YouTube")
    return Shape(_head(head), title, desc)


def medium(url: str) -> Shape:
    title = _slug_title(url)
    full = f"{title} | by Some Author | Medium"
    head = f"<title>{full}</title>" + _m("og:title", full) + _m("og:site_name", "Medium")
    head += _m("og:description", _summary(title)) + _m("author", "Some Author")
    return Shape(_head(head), title, _summary(title))


def x_post(url: str) -> Shape:
    handle = urlsplit(url).path.split("/")[1]
    text = f"Today we open-source the {handle} toolkit."
    if "/status/" in url:
        head = f'<title>{handle.title()} on X: "{text}" / X</title>'
    else:
        head = f"<title>{handle.title()} (@{handle}) / X</title>"
    head += _m("description", JS_NOTICE)
    head += _m("og:description", JS_NOTICE)
    truth = f"{handle.title()} (@{handle})"
    return Shape(_head(head), truth, text if "/status/" in url else None)


def reddit(url: str) -> Shape:
    head = "<title>Reddit - Dive into anything</title>" + _m("description", COOKIES)
    return Shape(_head(head), "What made it click for you?", None)


def shop_late_title(url: str) -> Shape:
    title = "Walnut Desk, 120 cm"
    rows = "".join(f'{{"sku":"{i * 7919:x}","p":{i % 97}.{i % 89}}},' for i in range(60_000))
    head = f"<script>window.__STATE__=[{rows}0];</script>" + _m("og:description", COOKIES)
    head += f"<title>{title} | Woodshop</title>" + _m("og:site_name", "Woodshop")
    head += _m("description", "Solid walnut, oiled, made to order.")
    return Shape(_head(head), title, "Solid walnut, oiled, made to order.")


def amazon(url: str) -> Shape:
    title = "Walnut Desk, 120 cm, Oiled"
    filler = "<a href='/deal'>Deal of the day</a>" * 6000
    body = (
        "<!doctype html><html><head><title>Amazon.com. Spend less. Smile more.</title>"
        f"</head><body><div id=nav>{filler}</div><span id='productTitle'> {title} </span>"
        "</body></html>"
    ).encode()
    return Shape(body, title, None)


def docs(url: str) -> Shape:
    """Sphinx/Read the Docs: "Page — Project 1.2 documentation", no description."""
    title = _slug_title(url)
    head = f"<title>{title} — {_site_label(url.split('//')[1])} 1.2 documentation</title>"
    return Shape(_head(head), title, None)


def generic(url: str) -> Shape:
    host = urlsplit(url).hostname or ""
    title = _slug_title(url)
    desc = _summary(title)
    site = _site_label(host) + " Notes"
    if host.startswith("docs."):
        return docs(url)
    kind = _pick(host, 9)
    if kind == 0:  # Title | Site with og:site_name
        head = (
            f"<title>{title} | {site}</title>" + _m("og:site_name", site) + _m("description", desc)
        )
    elif kind == 1:  # Site - Title, the site declared as application-name only
        head = f"<title>{site} - {title}</title>" + _m("application-name", site)
        head += _m("description", desc)
    elif kind == 2:  # Title » host label
        head = f"<title>{title} » {_site_label(host)}</title>" + _m("description", desc)
    elif kind == 3:  # JSON-LD only, <title> carries the site
        ld = json.dumps(
            {
                "@context": "https://schema.org",
                "@graph": [
                    {"@type": "WebSite", "name": site},
                    {"@type": "BlogPosting", "headline": title, "description": desc},
                ],
            }
        )
        head = f"<title>{title} | {site}</title><script type='application/ld+json'>{ld}</script>"
    elif kind == 4:  # Dublin Core only, a bare site-name <title>
        head = f"<title>{site}</title>" + _m("DC.title", title) + _m("DC.description", desc)
    elif kind == 5:  # only headings
        return Shape(_head("", f"<h1>{title}</h1><p>{desc} {desc}</p>"), title, f"{desc} {desc}")
    elif kind == 6:  # a cookie banner as og:description, the real summary as description
        head = f"<title>{title}</title>" + _m("og:description", COOKIES) + _m("description", desc)
    elif kind == 7:  # Twitter cards only, the <title> padded with the site
        head = f"<title>{title} | {site}</title>" + _m("twitter:title", title)
        head += _m("twitter:description", desc)
    else:  # a well-kept blog: og tags, twitter cards
        head = f"<title>{title} – {site}</title>" + _m("og:title", title)
        head += _m("og:description", desc) + _m("twitter:card", "summary")
    return Shape(_head(head), title, desc)


def shape_for(url: str, pool: dict[str, bytes]) -> Shape:
    host = (urlsplit(url).hostname or "").lower()
    if host.endswith("github.com"):
        return github(url)
    if host == "huggingface.co":
        return huggingface(url)
    if host == "arxiv.org":
        return arxiv(url, pool)
    if host.endswith("youtube.com"):
        return youtube(url)
    if host == "medium.com" or host.endswith(".medium.com"):
        return medium(url)
    if host in ("x.com", "twitter.com"):
        return x_post(url)
    if host.endswith("reddit.com"):
        return reddit(url)
    if host.endswith("amazon.com"):
        return amazon(url)
    if host.startswith("shop."):
        return shop_late_title(url)
    return generic(url)


def oembed(req: Request, truths: dict[str, Shape]) -> Reply:
    page = parse_qs(urlsplit(req.path).query).get("url", [""])[0]
    match = next((s for u, s in truths.items() if _same_page(u, page)), None)
    if match is None:
        return Reply(404)
    if req.host == "publish.twitter.com":
        handle = urlsplit(page).path.split("/")[1]
        html = (
            f'<blockquote class="twitter-tweet"><p lang="en">{match.description}</p></blockquote>'
        )
        data = {
            "author_name": handle.title(),
            "author_url": f"https://twitter.com/{handle}",
            "html": html if match.description else "<a>Tweets</a>",
            "provider_name": "Twitter",
        }
    else:
        data = {"title": match.title, "author_name": "A Channel", "provider_name": "YouTube"}
    return Reply(200, body=json.dumps(data).encode(), content_type="application/json")


def _same_page(a: str, b: str) -> bool:
    """Whether the oEmbed ``url`` b (the endpoint's canonical form) names the page a."""
    pa, pb = urlsplit(a), urlsplit(b)
    video = parse_qs(pb.query).get("v")
    if video:
        return parse_qs(pa.query).get("v") == video
    return pa.path.rstrip("/").startswith(pb.path.rstrip("/")) and pb.path.strip("/") != ""


def list_urls(paths: list[str]) -> list[str]:
    from linkhealth.parse import extract_text

    urls: list[str] = []
    for path in paths:
        parsed = extract_text(Path(path).read_text(encoding="utf-8"), path)
        urls += [o.url.split("#")[0] for o in parsed.occurrences if o.url.startswith("http")]
    return list(dict.fromkeys(urls))


class StandIn:
    def __init__(self, pool: ServerPool, urls: list[str]) -> None:
        self.truths = {u: shape_for(u, {}) for u in urls}
        hosts = sorted({urlsplit(u).hostname or "" for u in urls} | {"publish.twitter.com"})
        self.server = pool.host("127.0.0.1", tls=True, names=hosts)
        self.hosts, self.ca_file = hosts, pool.ca_file
        self.server.route("/oembed", lambda req: oembed(req, self.truths))
        for url in urls:
            self.server.route(urlsplit(url).path or "/", self.answer)
        for url in urls:
            if "arxiv.org/pdf/" in url:
                abs_url = url.replace("/pdf/", "/abs/").removesuffix(".pdf")
                self.truths.setdefault(abs_url, arxiv(abs_url, {}))
                self.server.route(urlsplit(abs_url).path, self.answer)
            if "amazon.com" in url:
                asin = url.split("/dp/")[1][:10]
                self.server.route(f"/dp/{asin}", self.answer)

    def answer(self, req: Request) -> Reply:
        path, _, query = req.path.partition("?")
        for url, shape in self.truths.items():
            parts = urlsplit(url)
            if parts.hostname != req.host:
                continue
            if unquote(parts.path or "/") == unquote(path) and parts.query == query:
                return Reply(200, body=shape.body, content_type=shape.content_type)
            if "/dp/" in url and path.startswith("/dp/"):
                return Reply(200, body=shape.body, content_type=shape.content_type)
        return Reply(404, body=b"")

    def args(self) -> list[str]:
        out = ["--ca-bundle", self.ca_file, "--timeout", "10", "--retries", "0"]
        out += ["--host-interval", "0"]
        for host in self.hosts:
            out += ["--resolve", f"{host}={self.server.target}"]
        return out


def _run(args: list[str], cwd: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "linkhealth", *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=os.environ, timeout=600)


def score(paths: list[str], show: int) -> None:
    urls = list_urls(paths)
    with ServerPool(lifetime=900) as pool, tempfile.TemporaryDirectory() as tmp:
        standin = StandIn(pool, urls)
        lst = Path(tmp) / "all.md"
        lst.write_text("".join(f"- {u}\n" for u in urls), encoding="utf-8")
        store = str(Path(tmp) / "s.sqlite")
        args = ["check", str(lst), "--format=json", "--no-reports", f"--store={store}"]
        proc = _run([*args, *standin.args()], tmp)
        results = {r["url"]: r for r in json.loads(proc.stdout)["results"]}
    good = titles = descs = 0
    misses = []
    for url in urls:
        truth, got = standin.truths[url], results.get(url, {})
        t_ok = got.get("title") == truth.title
        d_ok = got.get("description") == truth.description
        titles += t_ok
        descs += d_ok
        good += t_ok and d_ok
        if not (t_ok and d_ok):
            misses.append((url, got.get("title"), got.get("description")))
    n = len(urls)
    print(
        f"pages: {n}; unedited (title and description): {good} ({100 * good / n:.0f} %); "
        f"title right: {titles} ({100 * titles / n:.0f} %); description right: {descs} "
        f"({100 * descs / n:.0f} %)"
    )
    for url, title, desc in misses[:show]:
        print(f"  {url}\n    title: {title!r}\n    description: {str(desc)[:90]!r}")


def annotate(path: str) -> None:
    urls = list_urls([path])
    with ServerPool(lifetime=900) as pool, tempfile.TemporaryDirectory() as tmp:
        standin = StandIn(pool, urls)
        (Path(tmp) / "lists").mkdir()
        target = Path(tmp) / "lists" / Path(path).name
        target.write_bytes(Path(path).read_bytes())
        proc = _run(
            ["annotate", f"lists/{target.name}", "--store", "s.sqlite", *standin.args()], tmp
        )
        sys.stdout.write(proc.stdout)
        sys.stderr.write(proc.stderr[-2000:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["score", "annotate"])
    parser.add_argument("lists", nargs="+")
    parser.add_argument("--show", type=int, default=0, help="print this many misses")
    args = parser.parse_args()
    if args.mode == "score":
        score(args.lists, args.show)
    else:
        annotate(args.lists[0])


if __name__ == "__main__":
    main()
