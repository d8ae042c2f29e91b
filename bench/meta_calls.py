"""The metadata stage's calls on the lh-eq workload's pages, for instruction counts.

    .venv/bin/python -m bench.meta_calls [--what meta|anchors|sitewide|all] [--count N]
    valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%p \\
        .venv/bin/python -m bench.meta_calls --what meta --count 3000
    .venv/bin/python -m bench.meta_calls --callgrind meta [--src /work/before11/src]

The pages are those of ``bench/workload.py`` (5,000 links over 200 hosts, seed 1, the
bench's defaults) as the fetcher keeps them: gzip decoded, an ordinary page cut at its
metadata region (:func:`~linkhealth.pageregion.metadata_bytes`), a page linked with a
``#fragment`` read whole up to ``max_body_bytes`` (``--check-fragments``), a redirect's
landing page under its final URL. ``--what`` runs, after everything is built and warmed:

* ``meta``: ``extract_meta`` of the first ``--count`` pages (with a fallbacks dict, as the
  judge calls it);
* ``anchors``: ``page_anchors`` of the first ``--count`` fragment pages;
* ``sitewide``: ``sitewide_choices`` of every page's result, ``--count`` times (after the
  extraction of every page, as in a run: ``--count 1`` is a run's pass).

``--callgrind WHAT`` runs the script under callgrind twice (``--count`` and 0) and prints
the difference per call: callgrind counts instructions, the same whatever the machine's load.
"""

from __future__ import annotations

import argparse
import gzip
import os
import pickle
import re
import subprocess
import sys
import tempfile
from dataclasses import astuple, dataclass
from pathlib import Path

from bench.workload import generate, page

PORT = 8080
MAX_BODY_BYTES = 512 * 1024  # linkhealth's default max_body_bytes


@dataclass(frozen=True)
class Fetched:
    url: str  # the final URL
    body: bytes
    content_type: str | None
    whole: bool  # read whole (a fragment link): page_anchors reads it


def workload_pages(links: int = 5000, hosts: int = 200, seed: int = 1) -> list[Fetched]:
    """Each answered link's page as the fetcher keeps it, in the list's order (kept in the
    temporary directory: building the big pages costs more than the calls measured)."""
    kept = Path(tempfile.gettempdir()) / f"meta_calls.{links}.{hosts}.{seed}.pickle"
    if kept.exists():
        return [Fetched(*fields) for fields in pickle.loads(kept.read_bytes())]
    pages = _build_pages(links, hosts, seed)
    kept.write_bytes(pickle.dumps([astuple(p) for p in pages]))
    return pages


def _build_pages(links: int, hosts: int, seed: int) -> list[Fetched]:
    from linkhealth.pageregion import metadata_bytes

    w = generate(links, hosts, seed, PORT)
    out = []
    for link in w.links:
        if link.kind in ("hang", "gone"):
            continue
        host, path = link.hops[-1]
        n = int(path.rsplit("/", 1)[1])
        data, headers = page(host, n, seed)
        if headers.get("Content-Encoding") == "gzip":
            data = gzip.decompress(data)
        whole = link.kind in ("fragment", "missing-fragment")
        body = data[:MAX_BODY_BYTES] if whole else metadata_bytes(data)
        url = f"http://{host}:{PORT}{path}"
        out.append(Fetched(url, body, headers.get("Content-Type"), whole))
    return out


def _results(pages: list[Fetched]) -> tuple[list[object], dict[str, object]]:
    """The results the site-wide pass reads, and the fallbacks extraction left."""
    from linkhealth.meta import extract_meta
    from linkhealth.models import CheckResult, Verdict

    fallbacks: dict[str, object] = {}
    results = []
    for p in pages:
        meta = extract_meta(p.body, p.content_type, p.url, fallbacks)  # type: ignore[arg-type]
        result = CheckResult(url=p.url, verdict=Verdict.OK, final_url=p.url)
        result.apply_meta(meta)
        results.append(result)
    return results, fallbacks


def run(what: str, count: int) -> None:
    from linkhealth.meta import extract_meta, page_anchors
    from linkhealth.meta.sitewide import sitewide_choices

    pages = workload_pages()
    whole = [p for p in pages if p.whole]
    # warm: imports, lazy patterns, the detector's tables, caches of the first hosts
    for p in pages[:200]:
        extract_meta(p.body, p.content_type, p.url, {})
    page_anchors(whole[0].body, whole[0].content_type)
    if what in ("sitewide", "all"):
        # The results of a run's extraction, and its caches as the site-wide pass finds them
        # (measure one pass: ``--count 1``; later passes find the caches it filled).
        results, fallbacks = _results(pages)
    if what in ("meta", "all"):
        kept: dict[str, object] = {}
        for p in pages[:count]:
            extract_meta(p.body, p.content_type, p.url, kept)  # type: ignore[arg-type]
    if what in ("anchors", "all"):
        for p in whole[:count]:
            page_anchors(p.body, p.content_type)
    if what in ("sitewide", "all"):
        for _ in range(count):
            sitewide_choices(results, fallbacks)  # type: ignore[arg-type]


def _total(out: str) -> int:
    text = Path(out).read_text()
    return int(re.search(r"^summary: (\d+)", text, re.M).group(1))  # type: ignore[union-attr]


def callgrind(what: str, count: int, src: str | None) -> None:
    env = dict(os.environ, PYTHONHASHSEED="0")
    if src:
        env["PYTHONPATH"] = src + os.pathsep + str(Path(__file__).resolve().parents[1])
    totals = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (count, 0):
            out = f"{tmp}/cg.{n}"
            cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
            cmd += [sys.executable, "-m", "bench.meta_calls", "--what", what, "--count", str(n)]
            subprocess.run(cmd, env=env, check=True, capture_output=True)
            totals.append(_total(out))
    calls = {"meta": count, "sitewide": count, "anchors": count}.get(what, count)
    if what == "anchors":
        calls = min(count, sum(p.whole for p in workload_pages()))
    diff = totals[0] - totals[1]
    print(f"{what}: {diff:,} instructions for {calls} calls: {diff / calls:,.0f} a call")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--what", default="meta", choices=["meta", "anchors", "sitewide", "all"])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--callgrind", choices=["meta", "anchors", "sitewide"])
    parser.add_argument("--src", help="run another tree's linkhealth (its src directory)")
    args = parser.parse_args()
    if args.callgrind:
        callgrind(args.callgrind, args.count, args.src)
    else:
        run(args.what, args.count)


if __name__ == "__main__":
    main()
