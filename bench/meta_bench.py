"""Benchmark of the metadata stage: ``extract_meta`` time per page over generated heads.

    .venv/bin/python -m bench.meta_bench [--pages 3000] [--seed 1]

Builds a few thousand realistic heads from the test fixtures' shapes (GitHub,
arXiv, YouTube, Medium, Substack, Hugging Face, docs, JSON-LD only) with random
titles, descriptions, scripts and styles of real-world size, in five charsets,
some labelled only by ``<meta charset>`` and some not labelled at all (the
detector runs); then times ``extract_meta`` on each, plus a few hostile pages
(40,000 nested divs, a 512 KiB title, 10,000 titles). Prints median, p90, p99,
max and total CPU seconds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

from linkhealth.meta import extract_meta, page_anchors

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "meta" / "fixtures"
WORDS = {
    "utf-8": [
        "the",
        "model",
        "framework",
        "data",
        "open",
        "source",
        "guide",
        "review",
        "learning",
        "release",
        "notes",
    ],
    "cp1251": ["новости", "наука", "модель", "данные", "обзор", "выпуск", "заметки", "руководство"],
    "cp932": ["東京", "天気", "予報", "機械", "学習", "入門", "記事", "公開"],
    "gb18030": ["机器", "学习", "入门", "教程", "模型", "数据", "发布", "说明"],
    "cp1252": ["économie", "été", "français", "prévisions", "année", "décembre", "naïve"],
}
LABELS = {
    "utf-8": "utf-8",
    "cp1251": "windows-1251",
    "cp932": "shift_jis",
    "gb18030": "gb18030",
    "cp1252": "iso-8859-1",
}


def _words(rng: random.Random, codec: str, n: int) -> str:
    return " ".join(rng.choice(WORDS[codec]) for _ in range(n))


def make_page(rng: random.Random, fixtures: list[str]) -> tuple[bytes, str | None]:
    codec = rng.choices(list(WORDS), weights=[80, 5, 5, 5, 5])[0]
    if codec == "utf-8" and rng.random() < 0.5:
        text = rng.choice(fixtures)  # a fixture with a fresh title
        text = text.replace("<title>", f"<title>{_words(rng, codec, 6)} | ", 1)
        return text.encode("utf-8"), "text/html; charset=utf-8"
    title = _words(rng, codec, rng.randint(3, 12))
    desc = _words(rng, codec, rng.randint(10, 40))
    script = "var x = {" + ",".join(f'"k{i}": {i}' for i in range(rng.randint(50, 1500))) + "};"
    style = ".c{color:red}" * rng.randint(50, 1500)
    label = rng.random()
    charset_tag = f'<meta charset="{LABELS[codec]}">' if 0.3 < label < 0.8 else ""
    content_type = f"text/html; charset={LABELS[codec]}" if label <= 0.3 else "text/html"
    html = (
        f"<!doctype html><html lang=en><head>{charset_tag}<meta name=viewport content=x>"
        f"<script>{script}</script><style>{style}</style><title>{title} - Site</title>"
        f'<meta property="og:title" content="{title}"><meta property="og:site_name" content="Site">'
        f'<meta name="description" content="{desc}">'
        f'<link rel=canonical href="/p/{rng.randint(1, 9999)}">'
        f'<script type="application/ld+json">{{"@type":"Article","headline":"{title}",'
        f'"datePublished":"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"}}</script>'
        f"</head><body><div><h1>{title}</h1><p>{desc}</p>"
    )
    return html.encode(codec, errors="replace"), content_type


def hostile_pages() -> dict[str, bytes]:
    return {
        "40,000 nested divs": (
            "<html><head><title>x</title></head><body>" + "<div id=a>" * 40_000 + "</div>" * 40_000
        ).encode()[: 512 * 1024],
        "512 KiB unterminated title": b"<html><head><title>" + b"lorem ipsum " * 43_690,
        "10,000 titles": ("<head>" + "<title>t</title>" * 10_000).encode(),
        "512 KiB flat body": (
            "<html><head><title>x</title></head><body>" + "<p id=p>text text</p>" * 24_000
        ).encode()[: 512 * 1024],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    fixtures = [p.read_text("utf-8", errors="replace") for p in sorted(FIXTURES.glob("*.html"))]
    pages = [make_page(rng, fixtures) for _ in range(args.pages)]
    sizes = sorted(len(b) for b, _ in pages)
    extract_meta(*pages[0], "https://warm.example/")  # imports, detector tables

    times: list[float] = []
    cpu0 = time.process_time()
    for i, (body, ctype) in enumerate(pages):
        t0 = time.perf_counter()
        meta = extract_meta(body, ctype, f"https://host{i % 50}.example/p/{i}")
        times.append((time.perf_counter() - t0) * 1000)
        assert meta.title, (i, body[:200])
    cpu = time.process_time() - cpu0
    times.sort()

    def pct(p: float) -> float:
        return times[min(len(times) - 1, int(p * len(times)))]

    print(f"pages: {len(pages)}, body size median {sizes[len(sizes) // 2]} B, max {sizes[-1]} B")
    print(
        f"extract_meta ms/page: median {statistics.median(times):.3f}, p90 {pct(0.90):.3f}, "
        f"p99 {pct(0.99):.3f}, max {times[-1]:.3f}; total CPU {cpu:.2f} s "
        f"({cpu / len(pages) * 1000:.3f} ms/page)"
    )
    for name, body in hostile_pages().items():
        t0 = time.perf_counter()
        extract_meta(body, "text/html", "https://hostile.example/")
        t1 = time.perf_counter()
        page_anchors(body, "text/html")
        t2 = time.perf_counter()
        print(
            f"hostile {name}: extract_meta {1000 * (t1 - t0):.1f} ms, "
            f"page_anchors {1000 * (t2 - t1):.1f} ms"
        )


if __name__ == "__main__":
    main()
