"""Benchmark: check every local link of a generated repository.

Generates, in a temporary directory, ``--files`` Markdown files (default 1,000,
in 20 folders, each folder with a README.md) holding ``--links`` local links in
total (default 20,000): links to other files, to headings in other files and in
the same file, to folders, root-relative links, and a known share of broken
ones (renamed headings, renamed files). Then times
``linkhealth.local.check_occurrences`` over all of them, cold (a new checker:
every target file parsed once) and warm (the same checker again), and reports
the peak resident set size of the process. Finally it does what `lint` will do:
parse every file with ``linkhealth.parse`` and check the occurrences found.

Usage::

    .venv/bin/python -m bench.local_bench            # 1,000 files, 20,000 links
    .venv/bin/python -m bench.local_bench --files 100 --links 2000

The verdict counts are compared with what the generator planted, so a fast but
wrong run fails loudly instead of producing a number.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from linkhealth.local import LocalChecker, check_occurrences
from linkhealth.models import LinkKind, Occurrence, Verdict
from linkhealth.parse import extract_text, read_markdown

FOLDERS = 20
HEADINGS_PER_FILE = 8


@dataclass
class Tree:
    root: Path
    occurrences: list[Occurrence]
    planted_broken: int
    files: int


def _name(folder: int, index: int) -> str:
    return "README.md" if index == 0 else f"page-{index:03d}.md"


def generate(root: Path, *, files: int = 1000, links: int = 20_000, seed: int = 1) -> Tree:
    """Write the tree under ``root``; return its occurrences and the planted failures."""
    rng = random.Random(seed)
    per_folder = max(1, files // FOLDERS)
    paths = [(f, i) for f in range(FOLDERS) for i in range(per_folder)][:files]
    links_per_file = [links // len(paths)] * len(paths)
    for i in range(links - sum(links_per_file)):
        links_per_file[i] += 1
    occurrences: list[Occurrence] = []
    broken = 0
    for (folder, index), count in zip(paths, links_per_file, strict=True):
        path = root / f"section-{folder:02d}" / _name(folder, index)
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"# Page {folder}.{index}", ""]
        body: list[tuple[str, bool]] = []
        for _ in range(count):
            t_folder, t_index = rng.choice(paths)
            target = f"../section-{t_folder:02d}/{_name(t_folder, t_index)}"
            heading = rng.randrange(HEADINGS_PER_FILE)
            anchor = f"topic-{heading}" if heading else "faq-1"
            roll = rng.random()
            if roll < 0.40:
                url, bad = f"{target}#{anchor}", False
            elif roll < 0.60:
                url, bad = f"#{anchor}", False
            elif roll < 0.75:
                url, bad = target, False
            elif roll < 0.80:
                url, bad = f"../section-{t_folder:02d}/", False
            elif roll < 0.85:
                url, bad = target.replace("..", "", 1) + f"#{anchor}", False
            elif roll < 0.95:
                url, bad = f"{target}#old-topic-{heading}", True  # renamed heading
            else:
                url, bad = target.replace(".md", "-old.md"), True  # renamed file
            body.append((url, bad))
        for heading in range(1, HEADINGS_PER_FILE):
            lines += [f"## Topic {heading}", ""]
            share = body[heading - 1 :: HEADINGS_PER_FILE - 1]
            for url, _ in share:
                lines.append(f"- [link]({url})")
            lines.append("")
        lines += ["## FAQ", "", "## FAQ", ""]
        path.write_text("\n".join(lines), encoding="utf-8")
        text_lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(text_lines, start=1):
            if line.startswith("- [link]("):
                url = line[len("- [link](") : -1]
                occurrences.append(
                    Occurrence(
                        url=url,
                        file=str(path),
                        line=number,
                        column=10,
                        end_line=number,
                        end_column=10 + len(url),
                        kind=LinkKind.INLINE,
                    )
                )
        broken += sum(1 for _, bad in body if bad)
    return Tree(root, occurrences, broken, len(paths))


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(*, files: int = 1000, links: int = 20_000, seed: int = 1) -> dict[str, float | int]:
    """Generate, check cold and warm, verify the counts; return the measurements."""
    with tempfile.TemporaryDirectory(prefix="linkhealth-local-bench-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        tree = generate(root, files=files, links=links, seed=seed)
        generate_s = time.perf_counter() - started
        rss_before = _peak_rss_mib()

        checker = LocalChecker(root)
        started, cpu_started = time.perf_counter(), time.process_time()
        results = check_occurrences(tree.occurrences, root, checker=checker)
        cold_s = time.perf_counter() - started
        cold_cpu_s = time.process_time() - cpu_started
        started = time.perf_counter()
        check_occurrences(tree.occurrences, root, checker=checker)
        warm_s = time.perf_counter() - started

        # What `lint` does: parse every file with linkhealth.parse, then check.
        started = time.perf_counter()
        parsed: list[Occurrence] = []
        for path in sorted(root.rglob("*.md")):
            parsed += extract_text(read_markdown(path), str(path)).occurrences
        parse_s = time.perf_counter() - started
        started = time.perf_counter()
        lint_results = check_occurrences(parsed, root)
        lint_check_s = time.perf_counter() - started
        if len(parsed) != len(tree.occurrences) or len(lint_results) != len(results):
            raise RuntimeError(f"the parser found {len(parsed)} links, expected {links}")

        occurrence_count = sum(len(r.occurrences) for r in results)
        failing = sum(len(r.occurrences) for r in results if r.verdict.is_failing())
        verdicts = Counter(r.verdict for r in results)
        if occurrence_count != len(tree.occurrences) or failing != tree.planted_broken:
            raise RuntimeError(
                f"checked {occurrence_count} of {len(tree.occurrences)} links, "
                f"{failing} failing, {tree.planted_broken} planted"
            )
        return {
            "files": tree.files,
            "links": len(tree.occurrences),
            "targets": len(results),
            "failing_links": failing,
            "ok_targets": verdicts[Verdict.OK],
            "generate_s": generate_s,
            "cold_s": cold_s,
            "cold_cpu_s": cold_cpu_s,
            "warm_s": warm_s,
            "parse_s": parse_s,
            "lint_total_s": parse_s + lint_check_s,
            "rss_before_mib": rss_before,
            "peak_rss_mib": _peak_rss_mib(),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--links", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    m = run(files=args.files, links=args.links, seed=args.seed)
    print(
        f"{m['files']} files, {m['links']} local links -> {m['targets']} unique targets, "
        f"{m['failing_links']} failing links (as planted)\n"
        f"check cold: {m['cold_s']:.2f} s wall, {m['cold_cpu_s']:.2f} s CPU "
        f"({m['links'] / m['cold_s']:,.0f} links/s), "
        f"warm: {m['warm_s']:.2f} s; generate: {m['generate_s']:.2f} s\n"
        f"as lint (linkhealth.parse + check): {m['lint_total_s']:.2f} s "
        f"(parse {m['parse_s']:.2f} s)\n"
        f"peak RSS: {m['peak_rss_mib']:.0f} MiB (before checking: {m['rss_before_mib']:.0f} MiB)\n"
        f"python {sys.version.split()[0]}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
