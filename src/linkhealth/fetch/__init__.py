"""The network stage: check URLs over HTTP with per-host politeness and honest verdicts.

Public API: :func:`fetch_all`, :class:`FetchResult`, :data:`Validators`,
:class:`ThrottleBoard` (hosts waiting after 429/503, for progress displays), and the pure
checks in :mod:`linkhealth.fetch.classify` (``soft_404``, ``missing_fragment``,
``is_outage``, ``is_retryable``). Only this package imports httpx and aiohttp.
"""

from linkhealth.fetch.classify import is_outage, missing_fragment, soft_404
from linkhealth.fetch.engine import fetch_all
from linkhealth.fetch.hosts import OnThrottle, ThrottleBoard
from linkhealth.fetch.result import FetchResult, Validators

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
