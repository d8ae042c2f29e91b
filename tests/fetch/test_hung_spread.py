"""The order a host's new URLs start in when some timed out on the last run
(``fetch.hosts.spread_early``): spread evenly over the first 85 %, the rest in order."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from linkhealth.fetch.hosts import HUNG_SHARE, spread_early


def test_two_of_twenty_go_first_and_at_the_middle_of_the_first_85_percent() -> None:
    items = list(range(20))
    # step 0.85 x 20 / 2 = 8.5: the first picked at 0, the second at 8.
    order = spread_early(items, lambda i: i in (15, 18))
    assert order == [15, *range(7), 18, *range(7, 15), 16, 17, 19]


def test_nothing_picked_is_the_list_and_everything_picked_keeps_its_order() -> None:
    assert spread_early([3, 1, 2], lambda i: False) == [3, 1, 2]
    assert spread_early([], lambda i: True) == []
    assert spread_early([3, 1, 2], lambda i: True, 1.0) == [3, 1, 2]


@given(
    st.lists(st.booleans(), max_size=300),
    st.sampled_from([0.3, 0.6, HUNG_SHARE, 1.0]),
)
def test_a_permutation_with_the_picked_evenly_within_the_share(
    picks: list[bool], share: float
) -> None:
    items = list(range(len(picks)))
    order = spread_early(items, lambda i: picks[i], share)
    assert sorted(order) == items
    assert [i for i in order if not picks[i]] == [i for i in items if not picks[i]]
    assert [i for i in order if picks[i]] == [i for i in items if picks[i]]
    at = [n for n, i in enumerate(order) if picks[i]]
    if len(at) > share * len(items):  # more picked than the share holds: first, in order
        assert at == list(range(len(at)))
    elif at:
        assert at[0] == 0 and at[-1] < share * len(items)
        gaps = [b - a for a, b in itertools.pairwise(at)]
        assert not gaps or max(gaps) - min(gaps) <= 1
