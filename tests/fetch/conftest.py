"""Fixtures for the fetch tests: a pool of loopback servers, stopped after each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.servers import ServerPool


@pytest.fixture
def pool() -> Iterator[ServerPool]:
    with ServerPool(lifetime=60) as p:
        yield p
