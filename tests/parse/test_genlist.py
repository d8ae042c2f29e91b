"""The benchmark generator: seeded, exact link count, every syntax, Zipf hosts."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

from bench.genlist import generate, hosts

from linkhealth.models import LinkKind
from linkhealth.parse import extract_text


def test_generate_is_seeded_and_extracts_exactly() -> None:
    text = generate(600, 20, seed=7)
    assert text == generate(600, 20, seed=7)
    assert text != generate(600, 20, seed=8)
    result = extract_text(text, "g.md")
    assert len(result.occurrences) == 600
    assert [f for f in result.findings if f.rule != "duplicate-url"] == []
    kinds = Counter(o.kind for o in result.occurrences)
    assert set(kinds) == {
        LinkKind.INLINE, LinkKind.BARE, LinkKind.AUTOLINK, LinkKind.REFERENCE, LinkKind.HTML,
        LinkKind.IMAGE,
    }  # fmt: skip
    per_host = Counter(urlsplit(o.url).hostname for o in result.occurrences)
    assert set(per_host) <= set(hosts(20))
    ranked = [n for _, n in per_host.most_common()]
    assert per_host["h0.bench.test"] == ranked[0] > 3 * ranked[-1]  # Zipf: one big host


def test_generate_custom_hosts_and_size() -> None:
    text = generate(200, 3, seed=1, base_hosts=["a.test", "b.test"], target_bytes=40_000)
    assert 30_000 < len(text.encode()) < 60_000
    urls = {urlsplit(o.url).hostname for o in extract_text(text, "g.md").occurrences}
    assert urls <= {"a.test", "b.test"}
