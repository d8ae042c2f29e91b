"""Helpers for tests that run ``fetch_all`` against the loopback servers."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from linkhealth.config import Settings
from linkhealth.fetch import FetchResult, fetch_all


def fast(**overrides: Any) -> Settings:
    """Settings with small timeouts so failure cases end quickly (loopback allowed)."""
    values: dict[str, Any] = {
        "allow_private": True,
        # Generous enough for a loaded 2-core CI box; timeout tests set their own.
        "timeout": 5.0,
        "connect_timeout": 3.0,
        "read_timeout": 5.0,
        "url_deadline": 10.0,
        "retries": 2,
        "backoff_base": 0.01,
        "host_interval": 0.0,
    }
    values.update(overrides)
    return Settings(**values)


def run(urls: Sequence[str], settings: Settings, **kw: Any) -> list[FetchResult]:
    return asyncio.run(fetch_all(list(urls), settings, **kw))


def one(url: str, settings: Settings, **kw: Any) -> FetchResult:
    return run([url], settings, **kw)[0]
