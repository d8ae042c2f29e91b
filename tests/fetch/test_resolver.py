"""Look-ups of names that never resolve (RFC 6761's ``invalid.``) and what overrides them."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from linkhealth.fetch.resolver import ThreadedResolver, is_invalid_name
from linkhealth.models import ErrorKind, Verdict
from support.fetchkit import fast, one
from support.servers import Reply, ServerPool, html_page


def _never_asked(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError(f"the system resolver was asked: {args}")


@pytest.mark.parametrize("name", ["dead.invalid", "A.B.INVALID.", "invalid", "x.invalid."])
def test_an_invalid_name_is_no_such_name_at_once(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", _never_asked)
    with pytest.raises(socket.gaierror) as info:
        asyncio.run(ThreadedResolver().resolve(name, 80))
    assert info.value.errno == socket.EAI_NONAME


@pytest.mark.parametrize(
    "name", ["invalid.example", "notinvalid", "invalid-host.test", "a.invalid.x"]
)
def test_other_names_are_not_invalid(name: str) -> None:
    assert not is_invalid_name(name)


def test_an_invalid_link_is_broken_in_one_attempt_without_the_system(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A resolver that sits on the query (seconds, here) made it a timeout and a retry.
    monkeypatch.setattr(socket, "getaddrinfo", _never_asked)
    result = one("https://placeholder.invalid/page", fast())
    assert result.verdict is Verdict.BROKEN
    assert result.error_kind is ErrorKind.DNS
    assert result.attempts == 1


def test_resolve_still_maps_an_invalid_name(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2").route("/", Reply(200, body=html_page("Mapped")))
    result = one(f"http://site.invalid:{a.port}/", fast(resolve={"site.invalid": a.target}))
    assert result.verdict is Verdict.OK
    assert a.hits() == 1
