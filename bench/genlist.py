"""A seeded generator of Markdown link lists for benchmarks.

``generate(n_links, n_hosts, seed)`` returns a list with ``n_links`` links over
``n_hosts`` hosts whose popularity follows a Zipf law (a few big hosts, a long
tail, like real lists), written in every syntax the extractor knows (inline,
bare, autolink, reference, HTML, image) under headings and list titles. Host
names come from ``host_template`` (default ``h{i}.bench.test``) or ``base_hosts``,
so a checker benchmark can map each one to a loopback address.

    python -m bench.genlist --links 100000 --hosts 1000 --bytes 10000000 -o big.md
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
from collections.abc import Sequence
from pathlib import Path

DEFAULT_HOST_TEMPLATE = "h{i}.bench.test"
DEFAULT_ZIPF_S = 1.1
SYNTAX_WEIGHTS = {"inline": 40, "bare": 22, "autolink": 10, "reference": 14, "html": 9, "image": 5}
_WORDS = [
    "attention",
    "model",
    "training",
    "guide",
    "notes",
    "deep",
    "learning",
    "kernel",
    "cuda",
    "paper",
    "blog",
    "video",
    "inference",
    "quantization",
    "survey",
    "tutorial",
    "scaling",
    "reading",
    "list",
    "systems",
    "data",
    "agents",
    "compiler",
    "memory",
    "latency",
    "benchmark",
    "graph",
    "vision",
    "speech",
    "retrieval",
]


def hosts(n_hosts: int, template: str = DEFAULT_HOST_TEMPLATE) -> list[str]:
    """The host names ``generate`` uses, most popular first."""
    return [template.format(i=i) for i in range(n_hosts)]


def zipf_weights(n: int, s: float = DEFAULT_ZIPF_S) -> list[float]:
    return [1.0 / (k**s) for k in range(1, n + 1)]


def generate(
    n_links: int,
    n_hosts: int,
    seed: int,
    base_hosts: Sequence[str] | None = None,
    *,
    host_template: str = DEFAULT_HOST_TEMPLATE,
    scheme: str = "https",
    zipf_s: float = DEFAULT_ZIPF_S,
    target_bytes: int | None = None,
    links_per_section: int = 50,
) -> str:
    """A Markdown list with exactly ``n_links`` links (see the module docstring).

    ``target_bytes`` pads entries with prose so the text is about that size.
    """
    rng = random.Random(seed)
    names = list(base_hosts) if base_hosts is not None else hosts(n_hosts, host_template)
    if not names:
        raise ValueError("need at least one host")
    cum = list(itertools.accumulate(zipf_weights(len(names), zipf_s)))
    kinds = list(SYNTAX_WEIGHTS)
    kind_cum = list(itertools.accumulate(SYNTAX_WEIGHTS.values()))
    pad_words = 0
    if target_bytes is not None and n_links:
        pad_words = max(0, (target_bytes // n_links - 70) // 7)

    out: list[str] = ["# Generated reading list", ""]
    refs: list[str] = []
    for i in range(n_links):
        if i % links_per_section == 0:
            if refs:
                out += ["", *refs]
                refs = []
            title = " ".join(rng.choices(_WORDS, k=3)).capitalize()
            out += ["", f"## {title} {i // links_per_section}" if i % 200 == 0 else title, ""]
        host = rng.choices(names, cum_weights=cum)[0]
        url = f"{scheme}://{host}/p/{i}/{rng.choice(_WORDS)}-{rng.randrange(10**6)}"
        text = " ".join(rng.choices(_WORDS, k=rng.randint(2, 5)))
        note = " ".join(rng.choices(_WORDS, k=pad_words + rng.randint(0, 4))) if pad_words else ""
        kind = rng.choices(kinds, cum_weights=kind_cum)[0]
        if kind == "inline":
            entry = f"[{text}]({url}) — {note}"
        elif kind == "bare":
            entry = f"{url} {note}"
        elif kind == "autolink":
            entry = f"<{url}> {note}"
        elif kind == "reference":
            entry = f"[{text}][r{i}] {note}"
            refs.append(f"[r{i}]: {url}")
        elif kind == "html":
            entry = f'<a href="{url}">{text}</a> {note}'
        else:
            entry = f"![{text}]({url}) {note}"
        out.append(f"- {entry}".rstrip())
    if refs:
        out += ["", *refs]
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.genlist", description=__doc__.split("\n")[0])
    ap.add_argument("--links", type=int, default=1000)
    ap.add_argument("--hosts", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bytes", type=int, default=None, help="approximate size to pad to")
    ap.add_argument("--host-template", default=DEFAULT_HOST_TEMPLATE)
    ap.add_argument("--scheme", default="https")
    ap.add_argument("-o", "--output", type=Path, default=None)
    args = ap.parse_args(argv)
    text = generate(
        args.links,
        args.hosts,
        args.seed,
        host_template=args.host_template,
        scheme=args.scheme,
        target_bytes=args.bytes,
    )
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
