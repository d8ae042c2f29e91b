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


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """No network, as an offline machine's resolver says it: every look-up of a name under
    ``offline.test`` fails at once with "temporary failure in name resolution" (names under
    ``invalid.`` are no evidence of it: linkhealth answers those itself)."""
    import socket

    from linkhealth.fetch import resolver

    real = resolver.socket.getaddrinfo

    def offline(host: object, *args: object, **kwargs: object) -> object:
        if isinstance(host, str) and host.rstrip(".").endswith(".offline.test"):
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(resolver.socket, "getaddrinfo", offline)
