"""The realistic workload's oracle order (``bench.workload.spread_hung``) only reorders."""

from __future__ import annotations

import itertools
from collections import Counter

from bench.workload import generate, spread_hung


def test_spread_hung_reorders_each_hosts_links_only() -> None:
    w = generate(2000, 80, 1, 1, 3)
    spread = spread_hung(w, 0.85)
    assert sorted(link.url for link in spread.links) == sorted(link.url for link in w.links)
    assert [link.host for link in spread.links] == [link.host for link in w.links]
    assert spread.rate_limited == w.rate_limited
    busiest = Counter(link.host for link in w.links).most_common(1)[0][0]
    before = [link for link in w.links if link.host == busiest]
    after = [link for link in spread.links if link.host == busiest]
    hung_at = [i for i, link in enumerate(after) if link.kind == "hang"]
    # In the workload its last hanging link is near the end of its list; spread, the
    # hanging links sit evenly within the first 85 % of it, the others in their order.
    assert max(i for i, link in enumerate(before) if link.kind == "hang") > 0.95 * len(before)
    assert len(hung_at) > 2 and hung_at[0] == 0 and hung_at[-1] < 0.85 * len(after)
    gaps = [b - a for a, b in itertools.pairwise(hung_at)]
    assert max(gaps) - min(gaps) <= 1
    assert [x for x in after if x.kind != "hang"] == [x for x in before if x.kind != "hang"]
