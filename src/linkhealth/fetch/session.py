"""The aiohttp transport under httpx, for runs with environment proxies (``--use-env-proxy``)
or a cookie jar (``--cookie-jar``): httpx-aiohttp's transport, answering with a body read
one chunk at a time. Imported only by those runs (aiohttp costs ~0.2 s to import).

Everything else is the run's, shared with :mod:`~linkhealth.fetch.wire`: the address guard
(its resolver for host names, its socket factory before every connect), the TLS context,
the per-host socket limit, and client.py above the transport.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from typing import Any, cast

import aiohttp
import httpx
from aiohttp.abc import AbstractResolver
from httpx_aiohttp.transport import map_aiohttp_exceptions

from linkhealth.fetch.guard import GuardResolver, SocketFactory
from linkhealth.fetch.wire import DNS_CACHE_SECONDS, KEEPALIVE_SECONDS, READ_CHUNK


def session_transport(
    *,
    resolver: GuardResolver,
    socket_factory: SocketFactory,
    ssl_context: ssl.SSLContext,
    limit_per_host: int,
    trust_env: bool,
    cookies: aiohttp.CookieJar | None,
) -> httpx.AsyncBaseTransport:
    connector = aiohttp.TCPConnector(
        limit=0,  # the scheduler limits concurrency; idle keep-alives must not count
        # The scheduler runs at most host-concurrency workers per host, but a
        # redirect from another host's worker lands here too: aiohttp's own cap
        # keeps the sockets open to any one host within the largest host limit.
        limit_per_host=limit_per_host,
        ssl=ssl_context,
        resolver=cast(AbstractResolver, resolver),  # aiohttp's interface, without its base
        socket_factory=cast(Any, socket_factory),
        ttl_dns_cache=int(DNS_CACHE_SECONDS),  # the same as the wire transport's
        keepalive_timeout=KEEPALIVE_SECONDS,
    )
    session = aiohttp.ClientSession(
        connector=connector,
        trust_env=trust_env,
        cookie_jar=cookies if cookies is not None else aiohttp.DummyCookieJar(),
        auto_decompress=False,
    )
    return _Transport(session)


class _AiohttpStream(httpx.AsyncByteStream):
    """An aiohttp response's body, read by :meth:`read_chunk` with no async generator.

    httpx's ``aiter_raw`` over httpx-aiohttp's stream is two async generators; left at
    ``</head>``, each is closed by the event loop in a task of its own after a wake-up
    through its self-pipe: two tasks and two extra loop turns a request.
    """

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def read_chunk(self) -> bytes:
        """The next raw chunk (at most :data:`READ_CHUNK` bytes); ``b""`` at the end."""
        try:
            return await self._response.content.read(READ_CHUNK)
        except Exception as exc:
            with map_aiohttp_exceptions():  # the httpx exception classify.py expects
                raise exc

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while chunk := await self.read_chunk():
            yield chunk

    async def aclose(self) -> None:
        with map_aiohttp_exceptions():
            await self._response.__aexit__(None, None, None)


class _Transport(httpx.AsyncBaseTransport):
    """httpx requests sent by one aiohttp session (httpx-aiohttp's transport, but
    answering with :class:`_AiohttpStream`)."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {})
        with map_aiohttp_exceptions():
            url = request.url
            if url.userinfo:  # sent as Authorization already (credentials_for)
                url = url.copy_with(username=None, password=None)
            response = await self._session.request(
                method=request.method,
                url=str(url),
                headers=request.headers,
                data=request.content or None,
                allow_redirects=False,
                auto_decompress=False,
                compress=False,
                timeout=aiohttp.ClientTimeout(
                    sock_connect=timeout.get("connect"),
                    sock_read=timeout.get("read"),
                    connect=timeout.get("pool"),
                ),
                server_hostname=request.extensions.get("sni_hostname"),
            ).__aenter__()
        extensions = {"http_version": b"HTTP/1.1"}
        if response.reason:
            extensions["reason_phrase"] = response.reason.encode()
        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=_AiohttpStream(response),
            request=request,
            extensions=extensions,
        )

    async def aclose(self) -> None:
        await self._session.close()
