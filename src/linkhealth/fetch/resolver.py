"""Host-name look-ups for the run: ``getaddrinfo`` in daemon threads.

Answers are the dicts aiohttp's ``ThreadedResolver`` gives (``hostname``, ``host``,
``port``, ``family``, ``proto``, ``flags``), so the same resolver (under the address
guard's :class:`~linkhealth.fetch.guard.GuardResolver`) serves both transports.
Look-ups run in daemon threads, not the loop's few default ones: they do not queue, and
one the run gave up on (no network: a resolver that times out) never holds up the end
of the run or of the process. aiohttp is not imported for this.

A name under ``invalid.`` is answered "no such name" at once, without asking the system
(RFC 6761, 6.4: look-up APIs should recognise such names and always answer negatively at
once): a list's placeholder ``https://example.invalid/`` is broken in no time, and a
resolver that sits on the query for seconds cannot turn it into a timeout and a retry.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from contextlib import suppress
from typing import Any, Protocol

DNS_THREADS = 32  # look-ups at once (the transports share one per host name already)
_ADDRCONFIG = getattr(socket, "AI_ADDRCONFIG", 0)
_NUMERIC = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV
_NAME_NUMERIC = socket.NI_NUMERICHOST | socket.NI_NUMERICSERV

#: One resolved address, as aiohttp's resolvers answer.
ResolveResult = dict[str, Any]


class Resolver(Protocol):
    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]: ...

    async def close(self) -> None: ...


def is_invalid_name(host: str) -> bool:
    """Whether ``host`` is in the special-use ``invalid.`` domain (RFC 6761, 6.4)."""
    name = host.rstrip(".").lower()
    return name == "invalid" or name.endswith(".invalid")


class ThreadedResolver:
    """``getaddrinfo`` in daemon threads, at most ``threads`` (:data:`DNS_THREADS`) at once."""

    def __init__(self, threads: int = DNS_THREADS) -> None:
        self.threads = threads
        self._limit: asyncio.Semaphore | None = None

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if is_invalid_name(host):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (.invalid)")
        loop = asyncio.get_running_loop()
        infos = await self._getaddrinfo(loop, host, port, family)
        hosts: list[ResolveResult] = []
        for fam, _, proto, _, address in infos:
            if fam == socket.AF_INET6:
                if len(address) < 3:  # IPv6 not supported by this Python or host
                    continue
                if address[3]:  # a link-local address: its scope goes into the name
                    resolved, text_port = await loop.getnameinfo(address, _NAME_NUMERIC)
                    found_port = int(text_port)
                else:
                    resolved, found_port = address[0], address[1]
            else:
                resolved, found_port = address[0], address[1]
            hosts.append(
                {
                    "hostname": host,
                    "host": resolved,
                    "port": found_port,
                    "family": fam,
                    "proto": proto,
                    "flags": _NUMERIC,
                }
            )
        return hosts

    async def _getaddrinfo(
        self, loop: asyncio.AbstractEventLoop, host: str, port: int, family: int
    ) -> list[Any]:
        if self._limit is None:
            self._limit = asyncio.Semaphore(self.threads)
        async with self._limit:
            fut: asyncio.Future[Any] = loop.create_future()

            def deliver(result: Any, error: BaseException | None) -> None:
                if fut.done():
                    return
                if error is not None:
                    fut.set_exception(error)
                else:
                    fut.set_result(result)

            def work() -> None:
                try:
                    result = socket.getaddrinfo(
                        host, port, family=family, type=socket.SOCK_STREAM, flags=_ADDRCONFIG
                    )
                    error = None
                except Exception as exc:
                    result, error = None, exc
                with suppress(RuntimeError):  # the loop is gone: nobody waits any more
                    loop.call_soon_threadsafe(deliver, result, error)

            threading.Thread(target=work, name="linkhealth-dns", daemon=True).start()
            result: list[Any] = await fut
            return result

    async def close(self) -> None:
        return None
