"""The token-bucket reading of a host's refusals (fetch/bucket.py): every rate it gives is
one the host allows, whatever the order of the requests, and it is close to the limit
when the requests pushed past it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from linkhealth.fetch.bucket import BucketReading


def episode(
    rate: float, burst: int, level: float, at: float, gaps: list[float]
) -> tuple[list[float], float, float, float]:
    """Requests started ``gaps`` apart from ``at`` against a bucket holding ``level``
    tokens: (starts let through, the first refused start, tokens left, when), or the
    refused start is -1 when the gaps ran out first."""
    through: list[float] = []
    t = at
    for gap in gaps:
        t += gap
        level = min(float(burst), level + gap * rate)
        if level < 1.0:
            return through, t, level, t
        level -= 1.0
        through.append(t)
    return through, -1.0, level, t


@settings(max_examples=300, deadline=None)
@given(
    rate=st.floats(0.5, 50.0),
    burst=st.integers(1, 20),
    runs=st.lists(
        st.tuples(
            st.floats(0.0, 3.0),  # quiet before the episode
            st.lists(st.floats(0.0, 0.5), min_size=1, max_size=80),  # gaps between starts
        ),
        min_size=1,
        max_size=6,
    ),
    own=st.sets(st.integers(0, 12), max_size=3),  # let through, but the URL's own 429
)
def test_the_reading_never_exceeds_the_limit(
    rate: float, burst: int, runs: list[tuple[float, list[float]]], own: set[int]
) -> None:
    reading = BucketReading()
    level, t = float(burst), 0.0  # a run starts with the bucket full
    starts: list[float] = []
    quiet, fresh = 0.0, False
    for pause, gaps in runs:
        # An episode goes on until a refusal (pauses without one are only longer gaps).
        if fresh:
            quiet, fresh = pause, False  # the quiet after the last refusal
        level = min(float(burst), level + pause * rate)
        more, refused_at, level, t = episode(rate, burst, level, t + pause, [0.0, *gaps])
        starts += more
        if refused_at < 0:
            continue
        through = [at for i, at in enumerate(starts) if i not in own]
        reading.refused(starts, through, refused_at, quiet)
        assert reading.allows <= rate + 1e-9
        bound = reading.burst(reading.allows)
        assert bound is None or bound + 1 > burst - 1e-9
        starts, fresh = [], True  # the next episode starts after the next pause


def test_a_search_past_the_limit_reads_it_closely() -> None:
    # 10 a second, a burst of 5: a first burst of 8 at once, a pause of 1 s, then a rate
    # growing from 5 to 15 a second until refused (the adaptive rate's search).
    reading = BucketReading()
    through, refused_at, level, t = episode(10.0, 5, 5.0, 0.0, [0.0] * 8)
    assert len(through) == 5
    assert reading.refused(through, through, refused_at, float("inf")) == 0.0  # the burst
    assert reading.burst(0.0) == 5
    gaps = [1.0 / (5.0 + 0.25 * i) for i in range(200)]
    through, refused_at, level, t = episode(10.0, 5, min(5.0, level + 10.0), t + 1.0, gaps)
    assert refused_at > 0
    allows = reading.refused(through, through, refused_at, 1.0)
    assert 9.0 <= allows <= 10.0
