"""The network stage: check URLs over HTTP with per-host politeness and honest verdicts.

Public API: :func:`fetch_all`, :class:`FetchResult`, :data:`Validators`,
:class:`ThrottleBoard` (hosts waiting after 429/503, for progress displays), and the pure
checks in :mod:`linkhealth.fetch.classify` (``soft_404``, ``missing_fragment``,
``is_outage``, ``is_retryable``). Only this package imports httpx and aiohttp.
"""

import sys

# httpx's __init__ imports its own command-line client (httpx._main) whenever click and
# rich are installed — they are, for linkhealth's CLI — and with it rich.console,
# rich.syntax, rich.progress and pygments: ~50 ms and ~4 MB on every `check`, for an
# `httpx` command this process never runs. A None entry in sys.modules makes that one
# import fail; httpx then defines its stub `main` (its own fallback) and nothing else
# changes. Every module that imports httpx is in this package, so this runs first.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

from linkhealth.fetch.classify import is_outage, missing_fragment, soft_404  # noqa: E402
from linkhealth.fetch.engine import fetch_all  # noqa: E402
from linkhealth.fetch.hosts import OnThrottle, ThrottleBoard  # noqa: E402
from linkhealth.fetch.result import FetchResult, Validators  # noqa: E402

__all__ = [
    "FetchResult",
    "OnThrottle",
    "ThrottleBoard",
    "Validators",
    "fetch_all",
    "is_outage",
    "missing_fragment",
    "soft_404",
]
