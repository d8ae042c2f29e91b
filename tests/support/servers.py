"""Real HTTP(S) servers on loopback for tests: scripted routes, counters, TLS.

Usage::

    from support.servers import Reply, ServerPool

    with ServerPool() as pool:
        a = pool.host("127.0.0.2")                    # one "host": an address and a port
        a.route("/ok", Reply(200, body=b"<html><head><title>Hi</title></head></html>"))
        a.route("/flaky", [Reply(503), Reply(200)])   # a sequence: one reply per request,
                                                      # the last one repeats
        a.route("/who", lambda req: Reply(200 if "Mozilla" in req.headers["user-agent"] else 403))
        ... fetch a.url("/ok") ...
        assert a.hits("/flaky") == 2
        assert a.max_connections <= 4

Each host runs on its own listening socket in one background thread with its own
event loop, so servers never compete with the code under test for its loop. The
pool stops on exit, and by itself after ``lifetime`` seconds (tests stay bounded).
Replies can delay, drip bytes slowly, go silent after the request, reset the
connection mid-body, gzip the body, or stream a large body without holding it.
TLS: ``pool.host(..., tls=True)`` serves a certificate from the pool's trustme CA
(``pool.ca_file`` is the PEM to pass as ``ca_bundle``); ``tls="untrusted"`` uses a
CA nobody trusts.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip as _gzip
import socket
import ssl
import struct
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme

__all__ = ["HostServer", "Reply", "Request", "ServerPool", "html_page", "unused_port"]


def html_page(title: str = "A page", body: str = "<p>hello</p>", head_extra: str = "") -> bytes:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
        f"{head_extra}</head><body>{body}</body></html>"
    ).encode()


@dataclass
class Reply:
    """One scripted answer."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = "text/html; charset=utf-8"
    delay: float = 0.0  # seconds before the status line
    drip: float | None = None  # seconds between single body bytes
    silence: bool = False  # read the request, then never answer
    reset_after: int | None = None  # send this many body bytes, then reset (RST)
    gzip: bool = False  # gzip the body (Content-Encoding: gzip)
    stream_size: int | None = None  # send this many bytes of filler instead of ``body``
    raw_encoding: str | None = None  # Content-Encoding for a pre-encoded ``body``


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lowercased names
    host: str  # Host header without the port
    at: float


Handler = Reply | Sequence[Reply] | Callable[[Request], Reply]


class HostServer:
    """One listening socket = one host. Counters are read after the run."""

    def __init__(self, pool: ServerPool, address: str, tls: ssl.SSLContext | None) -> None:
        self.pool = pool
        self.address = address
        self.tls = tls
        self.port = 0
        self._routes: dict[str, Handler] = {}
        self._served: Counter[str] = Counter()
        self.requests: list[Request] = []
        self.connections = 0  # connections accepted in total
        self.open_connections = 0
        self.max_connections = 0  # most connections open at the same time
        self.in_flight = 0
        self.max_in_flight = 0  # most requests being answered at the same time
        self._server: asyncio.base_events.Server | None = None

    # -- scripting -------------------------------------------------------------

    def route(self, path: str, handler: Handler) -> HostServer:
        self._routes[path] = handler
        return self

    def url(self, path: str = "/", *, name: str | None = None) -> str:
        scheme = "https" if self.tls else "http"
        host = name or (f"[{self.address}]" if ":" in self.address else self.address)
        return f"{scheme}://{host}:{self.port}{path}"

    @property
    def target(self) -> str:
        """``addr:port`` for ``settings.resolve``."""
        return f"{self.address}:{self.port}"

    def hits(self, path: str | None = None) -> int:
        if path is None:
            return len(self.requests)
        return sum(1 for r in self.requests if r.path == path)

    def _pick(self, req: Request) -> Reply:
        handler = self._routes.get(req.path)
        if handler is None:
            handler = self._routes.get(req.path.split("?", 1)[0])
        if handler is None:
            return Reply(404, body=html_page("Not Found", "<h1>404</h1>"))
        if isinstance(handler, Reply):
            return handler
        if callable(handler):
            return handler(req)
        n = self._served[req.path]
        self._served[req.path] += 1
        return handler[min(n, len(handler) - 1)]

    # -- serving ---------------------------------------------------------------

    async def _start(self, port: int) -> None:
        self._server = await asyncio.start_server(
            self._connection, self.address, port, ssl=self.tls, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open_connections += 1
        self.max_connections = max(self.max_connections, self.open_connections)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                req = _parse(head)
                if req is None:
                    return
                self.requests.append(req)
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
                try:
                    keep = await self._answer(req, writer)
                finally:
                    self.in_flight -= 1
                if not keep:
                    return
        except (ConnectionError, ssl.SSLError, OSError):
            return
        finally:
            self.open_connections -= 1
            with contextlib.suppress(Exception):
                writer.close()

    async def _answer(self, req: Request, writer: asyncio.StreamWriter) -> bool:
        reply = self._pick(req)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.silence:
            await self.pool._stopping.wait()
            return False
        body = reply.body
        headers = dict(reply.headers)
        if reply.content_type and "content-type" not in {k.lower() for k in headers}:
            headers["Content-Type"] = reply.content_type
        if reply.gzip:
            body = _gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        if reply.raw_encoding:
            headers["Content-Encoding"] = reply.raw_encoding
        size = reply.stream_size if reply.stream_size is not None else len(body)
        headers["Content-Length"] = str(size)
        lines = [f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Status')}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        if req.method == "HEAD":
            await writer.drain()
            return True
        if reply.reset_after is not None:
            writer.write(body[: reply.reset_after])
            await writer.drain()
            _reset(writer)
            return False
        if reply.drip is not None:
            for i in range(size):
                writer.write(body[i : i + 1] if reply.stream_size is None else b"x")
                await writer.drain()
                await asyncio.sleep(reply.drip)
            return True
        if reply.stream_size is not None:
            chunk = b"<p>" + b"x" * 65_529 + b"</p>"
            sent = 0
            while sent < size:
                part = chunk[: size - sent]
                writer.write(part)
                sent += len(part)
                await writer.drain()
            return True
        writer.write(body)
        await writer.drain()
        return True


def _reset(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def _parse(head: bytes) -> Request | None:
    try:
        text = head.decode("latin-1")
        first, *rest = text.split("\r\n")
        method, path, _ = first.split(" ", 2)
    except ValueError:
        return None
    headers: dict[str, str] = {}
    for line in rest:
        if ":" in line:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
    host = headers.get("host", "")
    host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return Request(method, path, headers, host.strip("[]"), time.monotonic())


_REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    304: "Not Modified",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    410: "Gone",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class ServerPool:
    """Runs every :class:`HostServer` in one background event loop thread."""

    def __init__(self, *, lifetime: float = 60.0) -> None:
        self.lifetime = lifetime
        self.ca = trustme.CA()
        self.untrusted_ca = trustme.CA()
        self._dir = tempfile.TemporaryDirectory(prefix="lh-servers-")
        self.ca_file = str(Path(self._dir.name) / "ca.pem")
        self.ca.cert_pem.write_to_path(self.ca_file)
        self.hosts: list[HostServer] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="test-servers", daemon=True)
        self._stopping: asyncio.Event
        self._ready = threading.Event()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._stopping = asyncio.Event()
        self._loop.call_later(self.lifetime, self._stopping.set)
        self._ready.set()
        self._loop.run_until_complete(self._stopping.wait())
        for h in self.hosts:
            if h._server is not None:
                h._server.close()
        # Let silent handlers and open connections finish.
        pending = [t for t in asyncio.all_tasks(self._loop) if not t.done()]
        for t in pending:
            t.cancel()
        if pending:
            self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        # A connection whose TLS handshake failed never reaches a handler, and a closing one
        # closes its socket on a later turn of the loop: abort every transport still known
        # to the loop and give it the turns to close, so none is left for the garbage
        # collector to warn about (an unclosed-transport warning fails the test that ran).
        transports = getattr(self._loop, "_transports", {})
        for transport in list(transports.values()):
            with contextlib.suppress(Exception):
                transport.abort()
        for _ in range(3):
            self._loop.run_until_complete(asyncio.sleep(0))
        self._loop.close()

    def __enter__(self) -> ServerPool:
        self._thread.start()
        self._ready.wait(5)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stopping.set)
            self._thread.join(10)
        self._dir.cleanup()

    def host(
        self,
        address: str = "127.0.0.1",
        *,
        tls: bool | str = False,
        names: Sequence[str] = (),
        port: int = 0,
    ) -> HostServer:
        """Start a host on ``address``; ``names`` are extra DNS names for its certificate."""
        ctx: ssl.SSLContext | None = None
        if tls:
            ca = self.untrusted_ca if tls == "untrusted" else self.ca
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert(address, *names).configure_cert(ctx)
        server = HostServer(self, address, ctx)
        fut = asyncio.run_coroutine_threadsafe(server._start(port), self._loop)
        fut.result(5)
        self.hosts.append(server)
        return server


def unused_port(address: str = "127.0.0.1") -> int:
    """A port nothing listens on (connections to it are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((address, 0))
        return int(s.getsockname()[1])
