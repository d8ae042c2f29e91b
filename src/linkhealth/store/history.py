"""History rules as pure functions: failing streaks, flaky links, whether a link fails the run.

A link's history is the sequence of its results in past runs, newest first,
without outage runs (an outage run says nothing about any link). Verdicts fall
into three groups here: *ok* (``ok``, ``redirected``), *failing* (everything
that fails a ``--strict`` run, so ``blocked`` builds a streak too; whether it
fails the run is decided by :func:`linkhealth.models.fails_run`) and *neutral* (``skipped``,
``excluded``), which ends a streak and is ignored when counting flips.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise
from typing import NamedTuple

from linkhealth.models import Verdict

# How many past results of one URL are read to rebuild its streak and flakiness.
HISTORY_WINDOW = 30
# A link is flaky when it flipped between ok and failing at least FLAKY_MIN_FLIPS
# times in its last FLAKY_WINDOW recorded results (this run included).
FLAKY_WINDOW = 10
FLAKY_MIN_FLIPS = 2


class PastResult(NamedTuple):
    """One earlier result of a URL, as the store keeps it (a tuple: a history pass reads
    up to 30 of them for every URL)."""

    verdict: Verdict
    at: datetime
    failing_runs: int = 0
    failing_since: datetime | None = None


def counts_as_failing(verdict: Verdict) -> bool:
    """Failing for history purposes (``blocked`` included; see module docstring)."""
    return verdict.is_failing(strict=True)


def prior_streak(past: Sequence[PastResult]) -> tuple[int, datetime | None]:
    """The failing streak that ``past`` (newest first) ends with: (runs, since).

    When every result read is failing, the oldest one's stored ``failing_runs``
    and ``failing_since`` carry the streak further back than the window.
    """
    count = 0
    for item in past:
        if not counts_as_failing(item.verdict):
            break
        count += 1
    if count == 0:
        return 0, None
    oldest = past[count - 1]
    if count == len(past):
        since = oldest.failing_since or oldest.at
        return count - 1 + max(oldest.failing_runs, 1), since
    return count, oldest.at


def streak(
    verdict: Verdict, at: datetime, past: Sequence[PastResult], *, outage: bool
) -> tuple[int, datetime | None]:
    """``(failing_runs, failing_since)`` for a result with ``verdict`` checked ``at``.

    In an outage run the streak is carried over unchanged: the run counts for nothing.
    """
    runs, since = prior_streak(past)
    if outage:
        return runs, since
    if counts_as_failing(verdict):
        return runs + 1, since or at
    return 0, None


def decided_by(past: Sequence[PastResult]) -> bool:
    """Whether :func:`streak` and :func:`is_flaky` say the same of ``past`` (newest
    first) as of any longer history that starts with it: it holds every result
    :func:`is_flaky` may read (:data:`FLAKY_WINDOW`, in an outage run) and one that ends
    the failing streak. A history pass reads :data:`FLAKY_WINDOW` results of a URL first,
    :data:`HISTORY_WINDOW` only when these do not decide (a URL failing in all of them)."""
    return len(past) >= FLAKY_WINDOW and not all(counts_as_failing(item.verdict) for item in past)


def is_flaky(verdict: Verdict | None, past: Sequence[PastResult]) -> bool:
    """Whether the link flipped between ok and failing often enough lately.

    ``verdict`` is this run's (``None`` in an outage run, which is not counted).
    """
    states: list[bool] = []
    sequence = ([verdict] if verdict is not None else []) + [item.verdict for item in past]
    for item in sequence[:FLAKY_WINDOW]:
        if item.is_ok():
            states.append(True)
        elif counts_as_failing(item):
            states.append(False)
    flips = sum(1 for newer, older in pairwise(states) if newer != older)
    return flips >= FLAKY_MIN_FLIPS
