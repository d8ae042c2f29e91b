"""The local-links benchmark runs, and its planted failures are exactly the ones found."""

from __future__ import annotations

from pathlib import Path

from bench.local_bench import generate, run

from linkhealth.local import check_occurrences


def test_bench_runs_small() -> None:
    measured = run(files=40, links=400, seed=7)
    assert measured["files"] == 40
    assert measured["links"] == 400
    assert 0 < measured["failing_links"] < 400
    assert measured["peak_rss_mib"] > 0


def test_generated_tree_plants_known_failures(tmp_path: Path) -> None:
    tree = generate(tmp_path, files=20, links=200, seed=3)
    results = check_occurrences(tree.occurrences, tmp_path)
    failing = sum(len(r.occurrences) for r in results if r.verdict.is_failing())
    assert failing == tree.planted_broken > 0
    assert any("#" in r.url and r.verdict.is_ok() for r in results)
