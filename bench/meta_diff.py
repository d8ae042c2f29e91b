"""Differential check of the metadata stage: every output of two trees on the same pages.

    .venv/bin/python -m bench.meta_diff --old /work/before11/src [--new src] [--random 4000]

Each tree runs in its own process (``PYTHONPATH`` = its ``src``) over the same corpus and
writes what it made; the two are compared item by item. The corpus: the lh-eq workload's
pages as the fetcher keeps them (``bench/meta_calls.py``) and each of them read whole,
``bench/meta_bench.py``'s pages and hostile pages, ``tests/meta/fixtures``, hand-made
hostile pages (bad and mixed encodings, BOMs, deep nesting, crowded and huge tags, bidi,
NUL, lone surrogates, SVG/MathML titles, frames, templates, entities), random tag soup
built from the same pieces, and as many random pages built around the head's end
(``HEAD_END_PIECES``: a "</head>" in comments, raw text, RCDATA, templates, foreign content,
noscript and attributes, no "</head>", body elements before it, meta/title/link/h1 after
it, <p> short and long) in UTF-8, UTF-16, windows-1252 and others, with BOMs, whole or
cut as the fetcher keeps them. Outputs compared: every ``PageMeta`` field and the fallbacks
``extract_meta`` leaves, ``page_anchors``, the chosen codec, the decoded text (a hash) and
whether it is the bytes' UTF-8, the parsed ``Page``, ``hostile_offset``, the site-wide
choices over each corpus's results, and the text rules (``not_about_page``, the candidate
keys) over random strings of every kind of character.
"""

from __future__ import annotations

import argparse
import codecs as codecs_
import hashlib
import os
import pickle
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
URL_HOSTS = ["https://www.example.com", "http://127.0.0.2:8080", "https://docs.site.example"]

PIECES = [
    "<p>",
    "</p>",
    "<div>",
    "</div>",
    "<DIV class=x>",
    "<section>",
    "</section>",
    "<h1>",
    "</h1>",
    "<H2 id=sec-1>",
    "<title>",
    "</title>",
    "<svg>",
    "</svg>",
    "<math>",
    "<svg><title>svg title</title></svg>",
    "<math><mi><title>m</title></mi></math>",
    "<meta name=description content='A page description that is long enough to count.'>",
    "<meta property=og:title content='OG | Site'>",
    "<meta property='og:site_name' content=Site>",
    "<meta name=twitter:site content=@site>",
    "<meta name=author content='Ann Author'>",
    "<meta charset=windows-1251>",
    "<meta http-equiv=Content-Type content='text/html; charset=shift_jis'>",
    "<meta property=article:published_time content=2024-02-30>",
    "<meta property=og:image content=/img.png>",
    "<link rel=canonical href=/canonical/page>",
    "<link rel='Canonical stylesheet' href='https://other.example/x'>",
    "<link rel=image_src href=' /i.png '>",
    "<link rel=alternate type=application/json+oembed href=/oembed?u=1>",
    "<link rel=stylesheet href=/s.css>",
    "<link rel=&#99;anonical href=/entity>",
    "<base href=/base/>",
    "<html lang=en-us>",
    "<html xml:lang=fr>",
    "<body>",
    "</body>",
    "</head>",
    "</HEAD >",
    "<head>",
    "<frameset>",
    "<template><p id=t>in template</p></template>",
    "<table>",
    "<td>",
    "<button>",
    "<textarea><p>",
    "</textarea>",
    "<!-- <p> </head> -->",
    "<script>var x = '</head>';</script>",
    '<script type="application/ld+json">{"@type":"Article","headline":"LD headline",'
    '"description":"LD description","datePublished":"2023-01-02","author":{"name":"Bo"},'
    '"publisher":{"name":"Pub"},"image":["/ld.png"]}</script>',
    '<script type=application/ld+json>{"@graph":[{"@type":"WebSite","name":"Graph Site"},'
    '{"@type":"WebPage","name":"Graph page","inLanguage":"de_de"}]}</script>',
    "<script type=application/ld+json>{broken</script>",
    "<a name=anchor-a>",
    "<a name=''>",
    "<span id=''>",
    "<span id=x id=y>",
    "<p id=para>",
    "<ſection>",
    "<ul>",
    "<ol>",
    "<h6>",
    "Just a moment...",
    "JavaScript is disabled in this browser",
    "We use cookies",
    "Untitled",
    "&amp;amp; &#39; &nbsp; &lt;b&gt;",
    "\u202eevil\u202c",
    "\u200b\ufeff",
    "\x00",
    "\x1b[31m",
    "   \t\n ",
    "Lorem ipsum dolor sit amet, " * 4,
    "A long paragraph sentence with enough words to be a description candidate here. ",
    "Заголовок страницы — сайт",
    "ページのタイトル",
    "Title | Site",
    "Site - Title words",
    "Title · by Author · Medium",
    "<" + "a" * 3000 + ">",
    "<x " + " a" * 300 + ">",
    "<p " + "a=1 " * 300 + ">",
]


# Pieces around the head's end: a "</head>" the parser does not read as one (in a comment,
# raw text, RCDATA, a template, foreign content, a noscript, an attribute), a head with
# no end, body elements before it, elements a field reads after it, <p> short and long.
HEAD_END_PIECES = [
    "<!-- </head> -->",
    "<!-- </head>",
    "<!--> </head>",
    "<!---></head>",
    "<! </head>",
    "<? </head>",
    "<style></head></style>",
    "<style></head>",
    "<script></head></script>",
    "<script><!--</head><script></head>--></script>",
    "<title></head></title>",
    "<title></head>",
    "<textarea></head></textarea>",
    "<xmp></head></xmp>",
    "<iframe></head></iframe>",
    "<noembed></head></noembed>",
    "<noframes></head></noframes>",
    "<noscript></head></noscript>",
    "<noscript><meta name=description content='noscript description text'></noscript>",
    "<template></head></template>",
    "<template><title>template title</title></head>",
    "<svg></head><title>svg after</title></svg>",
    "<math></head><mi>x</mi></math>",
    "<svg><![CDATA[</head>]]></svg>",
    "<meta content='</head>' name=description>",
    '<meta name=description content="a </head> b">',
    "<meta name=x </head>",
    "<a title='</head>'>",
    "<div></head>",
    "<p>before the head's end</head>",
    "<h1>heading in head</h1>",
    "<frameset></head>",
    '<!DOCTYPE html "</head>',
    "<plaintext></head>",
    "</head><meta property=og:title content='after head'>",
    "</head><title>title after head</title>",
    "</head><link rel=canonical href=/after>",
    "</head><base href=/after/>",
    "</head><html lang=de>",
    "</head><h1>Heading after head</h1>",
    '</head><script type=application/ld+json>{"@type":"Article","headline":"H"}</script>',
    "</head><body class=x><p>short</p>",
    "</head><p>" + "A long paragraph after the head, long enough to be read. " * 2 + "</p>",
    "</head><p>" + "x" * 79 + "</p><p>" + "y" * 80,
    "<p>" + "z" * 79 + "&amp;</p>",
    "<p>" + "w" * 70 + "<b>bold</b><i>it</i>" + "v" * 10 + "</p>",
    "<p>" + "c" * 40 + "\r\n" * 30 + "</p>",
    "</p></p></p>",
    "<p><div>" + "d" * 90 + "</div></p>",
    "<table><p>" + "t" * 90 + "</table>",
    "<button><p>" + "b" * 90 + "</button>",
    "<b><p>" + "f" * 50 + "</b>" + "g" * 50 + "</p>",
    "<a><p>" + "h" * 50 + "<a>" + "i" * 50 + "</p>",
    "<select><p>" + "s" * 90,
    "<p title='<p>'>" + "q" * 90,
    "<p>" + "u" * 85 + "<a hre",
    "<P>" + "U" * 90 + "</P >",
    "<p\x0b>" + "k" * 90,
]


HEAD_PIECES = [p for p in PIECES if p.startswith(("<meta", "<link", "<base"))]
HEAD_PIECES += ["<title>A title</title>", "<style>p {}</style>", "<script>var a = 1;</script>"]
PLAIN_PIECES = [
    "<p>",
    "</p>",
    "<p class='x y'>",
    "<P id=a>",
    "<p/>",
    "<div>",
    "</div>",
    "<h2 id='sec'>Section</h2>",
    "<ul><li>item</li></ul>",
    "<a href='/x' title=\"t\">link</a>",
    "<b>",
    "</b>",
    "<em>e</em>",
    "<br>",
    "<img src=x.png alt='an image'>",
    "<span>",
    "</span>",
    "Short text. ",
    "A longer sentence of body text that goes on for a while. ",
    "x" * 79,
    "y" * 80,
    "\r\n",
    "é ü — ✓ ",
    "<body>",
    "</body>",
]


def head_end_page(rng: random.Random) -> str:
    """A page built around its head's end from :data:`HEAD_END_PIECES` and :data:`PIECES`."""
    pieces = HEAD_PIECES if rng.random() < 0.6 else PIECES
    head = [rng.choice(pieces) for _ in range(rng.randint(0, 6))]
    around = [rng.choice(HEAD_END_PIECES) for _ in range(rng.choice([0, 0, 0, 1, 2, 4]))]
    if rng.random() < 0.5:  # plain body markup, at most one piece of another kind
        body = [rng.choice(PLAIN_PIECES) for _ in range(rng.randint(0, 60))]
        if rng.random() < 0.5:
            body.insert(rng.randint(0, len(body)), rng.choice(PIECES + HEAD_END_PIECES))
    else:
        body = [rng.choice(PIECES + HEAD_END_PIECES) for _ in range(rng.randint(0, 30))]
    end = [] if rng.random() < 0.2 else ["</head>"]
    if rng.random() < 0.3:
        body += ["<p>" + "Some short paragraph. " * rng.randint(1, 5) + "</p>"] * rng.randint(1, 40)
    return "<html><head>" + "".join(head + around + end + body)


def random_page(rng: random.Random) -> str:
    n = rng.randint(1, 60)
    parts = [rng.choice(PIECES) for _ in range(n)]
    if rng.random() < 0.5:
        parts.insert(rng.randint(0, len(parts)), "</head>")
    if rng.random() < 0.1:
        parts.append("<div>" * rng.choice([255, 256, 257, 300]))
    if rng.random() < 0.1:
        parts.append("<p>" + "x" * rng.randint(70, 90) + "</p>")
    return "".join(parts)


def hostile_pages() -> list[tuple[str, bytes, str | None]]:
    big = "<html><head><title>t</title></head><body>"
    pages = [
        ("deep 40000", (big + "<div id=a>" * 40_000).encode(), "text/html"),
        ("deep 257 in head", ("<head>" + "<div>" * 257 + "<title>x</title>").encode(), None),
        ("deep 256", (big + "<div>" * 256 + "<p id=q>" + "x" * 90).encode(), "text/html"),
        ("crowded", (big + "<p " + "a=1 " * 300 + "id=z>").encode(), "text/html"),
        ("huge attr", (big + "<a name='" + "n" * 100_000 + "'>").encode(), "text/html"),
        ("10k titles", ("<head>" + "<title>t</title>" * 10_000).encode(), "text/html"),
        ("unterminated", b"<html><head><title>" + b"lorem ipsum " * 43_690, "text/html"),
        ("utf16 bom", "\ufeff<html><head><title>Ü</title>".encode("utf-16-le"), None),
        ("utf16 no bom", "<html><head><title>Ü</title></head>".encode("utf-16-be"), None),
        ("utf16 label", "<title>Ü</title>".encode("utf-16-le"), "text/html; charset=utf-16"),
        ("utf8 bom", b"\xef\xbb\xbf<title>\xc3\x9c</title>", "text/html"),
        ("cut utf8", "<title>Ü€".encode()[:-1], "text/html"),
        ("bad utf8", b"<title>\xff\xfe caf\xe9</title></head><body><p>x", "text/html"),
        ("latin1 unlabelled", "<title>Café crème brûlée</title>".encode("cp1252"), "text/html"),
        ("utf7 label", b"<title>+AGEAYgBj-</title>", "text/html; charset=utf-7"),
        ("nul", b"<title>a\x00b</title></head><body><p id=\x00>", "text/html"),
        ("surrogate", "<title>a\ud800b</title>".encode("utf-8", "surrogatepass"), "text/html"),
        ("bidi", "<title>\u202egnp.exe\u202c title</title>".encode(), "text/html"),
        ("pdf", b"%PDF-1.4\n1 0 obj << /Title (A PDF title) >>", None),
        ("empty", b"", "text/html"),
        ("sniffed", b"  <!doctype html><title>x</title>", "application/octet-stream"),
    ]
    return pages


def corpus(n_random: int) -> list[tuple[str, bytes, str | None, str]]:
    """(name, body, content type, URL) of every page."""
    sys.path.insert(0, str(ROOT))
    from bench import meta_bench
    from bench.meta_calls import workload_pages

    from linkhealth.pageregion import metadata_bytes

    items: list[tuple[str, bytes, str | None, str]] = []
    for i, p in enumerate(workload_pages()):
        items.append((f"workload {i}", p.body, p.content_type, p.url))
    rng = random.Random(11)
    fixtures = [f.read_text("utf-8", "replace") for f in sorted(meta_bench.FIXTURES.glob("*.html"))]
    for i in range(1500):
        body, ctype = meta_bench.make_page(rng, fixtures)
        items.append((f"meta_bench {i}", body, ctype, f"https://host{i % 50}.example/p/{i}"))
    for name, body in meta_bench.hostile_pages().items():
        items.append((f"bench hostile {name}", body, "text/html", "https://hostile.example/"))
    for f in sorted(meta_bench.FIXTURES.glob("*")):
        if f.is_file():
            items.append(
                (f"fixture {f.name}", f.read_bytes(), "text/html", f"https://{f.stem}.example/a")
            )
    for name, body, ctype in hostile_pages():
        items.append((f"hostile {name}", body, ctype, "https://hostile.example/h"))
    codecs = ["utf-8", "cp1251", "shift_jis", "cp1252", "utf-16-le", "gb18030"]
    types = [None, "text/html", "text/html; charset=utf-8", "text/html; charset=windows-1251",
             "application/xhtml+xml", "text/html; charset=utf-16", "text/plain"]  # fmt: skip
    for i in range(n_random):
        text = random_page(rng)
        codec = rng.choice(codecs)
        errors = "surrogatepass" if codec.startswith("utf") and rng.random() < 0.5 else "replace"
        body = text.encode(codec, errors)
        if rng.random() < 0.05:
            body = body[: rng.randint(0, len(body))]
        url = rng.choice(URL_HOSTS) + f"/r/{i % 40}" + rng.choice(["", "?q=1", "#f"])
        items.append((f"random {i}", body, rng.choice(types), url))
    boms = {"utf-8": codecs_.BOM_UTF8, "utf-16-le": codecs_.BOM_UTF16_LE, "utf-16-be": b""}
    for i in range(n_random):
        text = head_end_page(rng)
        codec = rng.choice([*codecs, "utf-8", "utf-8", "utf-16-be"])
        body = text.encode(codec, "replace")
        if codec in boms and rng.random() < 0.3:
            body = boms[codec] + body
        if rng.random() < 0.5:  # as an ordinary read keeps it
            body = metadata_bytes(body)
        url = rng.choice(URL_HOSTS) + f"/h/{i % 40}"
        items.append((f"head-end {i}", body, rng.choice(types), url))
    return items


def random_strings(n: int) -> list[str]:
    rng = random.Random(5)
    alphabet = (
        " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2007\u200a\u2028\u2029\u202f\u205f"
        "\u3000\x00\x1b\x7f\u200b\ufeff\u202e\u0301\u00df\u0130\u1e9e\ufb01\u212a\u017f"
        "aAzZ09._-|·—–:/»«•#*!?…'\u2019\u2018"
    )
    out = []
    words = ["just a moment", "javascript", "untitled", "cookie", "lorem ipsum", "title", "page"]
    for _ in range(n):
        k = rng.randint(0, 30)
        s = "".join(
            rng.choice(alphabet) if rng.random() < 0.7 else chr(rng.randint(0, 0x2FFFF))
            for _ in range(k)
        )
        if rng.random() < 0.3:
            s = rng.choice(words) + s
        if rng.random() < 0.1:
            s = s * rng.randint(2, 20)
        out.append(s)
    return out


def _h(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def dump(out: str, n_random: int) -> None:
    from linkhealth.meta import extract_meta, fields, page_anchors
    from linkhealth.meta.charset import choose_encoding, decode_source
    from linkhealth.meta.document import hostile_offset, metadata_text, read_page
    from linkhealth.meta.fields import clean_descriptions

    same_key = getattr(fields, "same_key", None) or fields._same  # (a tree before round 11)
    from linkhealth.meta.kinds import page_kind
    from linkhealth.meta.notices import not_about_page
    from linkhealth.meta.sitewide import sitewide_choices
    from linkhealth.models import CheckResult, Verdict

    results: dict[str, Any] = {}
    groups: dict[str, tuple[list[Any], dict[str, Any]]] = {}
    for name, body, ctype, url in corpus(n_random):
        fallbacks: dict[str, Any] = {}
        meta = extract_meta(body, ctype, url, fallbacks)
        rec: dict[str, Any] = {"meta": vars(meta).copy(), "fallbacks": repr(fallbacks)}
        rec["anchors"] = sorted(page_anchors(body, ctype))
        rec["codec"] = choose_encoding(body, ctype) if body else None
        text, utf8 = decode_source(body, ctype)
        rec["decoded"] = (_h(text), utf8)
        if page_kind(body, ctype) == "html":
            region = metadata_text(body, ctype)
            rec["hostile"] = (hostile_offset(region), hostile_offset(text[: 512 * 1024]))
            try:
                rec["page"] = repr(read_page(body, ctype, url))
            except Exception as exc:  # the same failure in both trees is fine
                rec["page"] = f"raised {type(exc).__name__}"
        results[name] = rec
        group = name.split(" ", 1)[0]
        res, fb = groups.setdefault(group, ([], {}))
        result = CheckResult(url=url, verdict=Verdict.OK, final_url=url)
        result.apply_meta(meta)
        res.append(result)
        fb.update(fallbacks)
    for group, (res, fb) in groups.items():
        results[f"sitewide {group}"] = sitewide_choices(res, fb)
    strings = random_strings(30_000)
    results["strings"] = [
        (not_about_page(s), same_key(s), clean_descriptions([s], s[:5] or None)) for s in strings
    ]
    Path(out).write_bytes(pickle.dumps(results))


def compare(old: str, new: str, n_random: int) -> int:
    made = []
    with tempfile.TemporaryDirectory() as tmp:
        for tag, src in (("old", old), ("new", new)):
            env = dict(os.environ, PYTHONPATH=f"{src}{os.pathsep}{ROOT}", PYTHONHASHSEED="0")
            out = f"{tmp}/{tag}.pickle"
            cmd = [sys.executable, "-m", "bench.meta_diff", "--dump", out]
            cmd += ["--random", str(n_random)]
            subprocess.run(cmd, env=env, check=True, cwd=ROOT)
            made.append(pickle.loads(Path(out).read_bytes()))
    a, b = made
    differ = [k for k in a if a[k] != b.get(k)] + [k for k in b if k not in a]
    pages = sum(1 for k in a if not k.startswith(("sitewide", "strings")))
    print(f"{pages} pages, {len(a) - pages} other records; {len(differ)} differ")
    for k in differ[:20]:
        print("DIFFERS", k)
        if isinstance(a[k], dict):
            for f in a[k]:
                if a[k][f] != b[k].get(f):
                    print("   ", f, repr(a[k][f])[:300], "|", repr(b[k].get(f))[:300])
    return 1 if differ else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--old")
    parser.add_argument("--new", default=str(ROOT / "src"))
    parser.add_argument("--random", type=int, default=4000)
    parser.add_argument("--dump")
    args = parser.parse_args()
    if args.dump:
        dump(args.dump, args.random)
    else:
        sys.exit(compare(args.old, args.new, args.random))


if __name__ == "__main__":
    main()
