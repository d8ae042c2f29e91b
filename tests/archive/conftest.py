"""Fixtures for the archive tests: loopback servers and a Wayback stand-in on 127.0.0.5."""

from __future__ import annotations

import pytest

from support.servers import ServerPool
from support.wayback import Wayback


@pytest.fixture
def wb(pool: ServerPool) -> Wayback:
    return Wayback(pool.host("127.0.0.5"), name="archive.test")
