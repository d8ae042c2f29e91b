"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.servers import ServerPool


@pytest.fixture
def pool() -> Iterator[ServerPool]:
    """Loopback servers (127.0.0.2, 127.0.0.3 … as separate hosts), stopped after the test
    and by themselves after a minute at the latest."""
    with ServerPool(lifetime=60) as p:
        yield p


@pytest.fixture(autouse=True)
def _no_github_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """A GITHUB_TOKEN in the environment (a CI job's) would send github.com links to the
    GitHub API stand-in's place; tests that want one set it themselves."""
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
