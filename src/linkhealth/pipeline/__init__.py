"""Wires the stages of a check run. No printing, no click, no exits.

::

    inputs (discover, parse) ─► plan (normalise, filter, dedupe; malformed → invalid)
          ─► reuse (fresh OK results from the store, validators for the rest)
          ─► fetch (per-host slots, retries, guard) ─► judge each fetch (metadata,
             soft 404, fragments) ─► quirk follow-ups (arXiv abstract, oEmbed)
          ─► judge the run (outage, suggestions, interruption) ─► settle (store, history)
          ─► archive (--archive) ─► record (summary, finish the run) ─► RunReport

Modules: :mod:`.plan` (before any request), :mod:`.fetching` (the :class:`Fetcher`
seam), :mod:`.judge` (after the fetch), :mod:`.recorder` (every store call of a
run), :mod:`.outcome` (the report), :mod:`.run` (the run object, one method per
stage).

The CLI calls :func:`run_check` inside an event loop and sets ``stop`` on SIGINT or
SIGTERM; whatever finished is kept and the report is marked ``partial``.
"""

from __future__ import annotations

from linkhealth.pipeline.fetching import Fetcher
from linkhealth.pipeline.outcome import RunOutcome, build_report, utcnow
from linkhealth.pipeline.plan import MALFORMED_RULES, UNSAFE_RULES, Plan, links_to_check, plan_run
from linkhealth.pipeline.recorder import BATCH_SECONDS, BATCH_SIZE, RunRecorder
from linkhealth.pipeline.run import ProgressCallback, run_check

__all__ = [
    "BATCH_SECONDS",
    "BATCH_SIZE",
    "MALFORMED_RULES",
    "UNSAFE_RULES",
    "Fetcher",
    "Plan",
    "ProgressCallback",
    "RunOutcome",
    "RunRecorder",
    "build_report",
    "links_to_check",
    "plan_run",
    "run_check",
    "utcnow",
]
