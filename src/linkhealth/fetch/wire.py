"""What sends the bytes under httpx: HTTP/1.1 over asyncio with ``httptools``' parser.

One :class:`Connection` (an :class:`asyncio.Protocol`) per socket, one request at a time
on it, over a :class:`PlainTransport` of ours for plain http (asyncio's for TLS);
:class:`Wire` keeps a small per-host pool of idle keep-alive connections and never holds
more sockets to one (scheme, host, port) than ``limit_per_host``, idle ones
included. A connection goes back to the pool only when its response arrived whole (read
or not: the rest of a page read to its ``</head>`` may have come with it, as aiohttp's
pool kept such a socket too) and both sides allow keep-alive; a response closed before
its end arrived (at ``</head>``, a redirect with its body still coming) closes its socket.

Every connection is made through the address guard: a host name through
:class:`~linkhealth.fetch.guard.GuardResolver` (``--resolve``, blocked addresses), and
every address, IP-literal hosts included, through the guard's socket factory right
before connect. TLS uses the run's context (verification, ``--min-tls``,
``--ca-bundle``) with SNI and the host name checked as aiohttp does.

Timeouts per phase, as the aiohttp transport had them: ``pool`` bounds getting a
connection (waiting for a slot, resolving, connecting), ``connect`` the TCP connect and
TLS handshake, ``read`` each wait for more of the answer. The engine bounds the whole
attempt. Runs with environment proxies or a cookie jar use the aiohttp transport
(client.py): everything above the transport is shared.
"""

from __future__ import annotations

import asyncio
import math
import socket
import ssl
import time
import warnings
from collections.abc import AsyncIterator, Callable
from typing import Any

import httptools
import httpx

from linkhealth.fetch.guard import SocketFactory, is_canonical_ip
from linkhealth.fetch.resolver import Resolver

# A connection unused this long is closed (the aiohttp transport's keepalive_timeout).
KEEPALIVE_SECONDS = 15.0
_SWEEP_SECONDS = 5.0
# Body bytes held unread before the socket stops being read (flow control).
_HIGH_WATER = 256 * 1024
# Raw body bytes handed up at a time, as aiohttp's stream handed them: one compressed
# chunk must not decode past a read's cap (see client._read_chunks).
READ_CHUNK = 16 * 1024
# At most this many bytes a socket read (asyncio's transports read as much).
MAX_READ = 256 * 1024
DNS_CACHE_SECONDS = 300.0
HAPPY_EYEBALLS_DELAY = 0.25  # aiohttp's default
# The limits aiohttp's client parser keeps: a longer line or more headers is a broken
# answer (a protocol error), never a header held whole however large the server makes it.
MAX_LINE = 8190
MAX_HEADERS = 128
_MAX_HEAD = MAX_HEADERS * 2 * MAX_LINE

_PoolKey = tuple[str, str, int, str | None]
_AddrInfo = tuple[int, int, int, str, tuple[Any, ...]]
_STREAM, _TCP = socket.SOCK_STREAM, socket.IPPROTO_TCP


class Connection(asyncio.Protocol):
    """One socket, one request at a time; the response parsed as it arrives."""

    def __init__(self, wire: Wire, key: _PoolKey) -> None:
        self.wire = wire
        self.key = key
        self.loop = wire.loop
        self.transport: asyncio.Transport | None = None
        self.parser: Any = None  # httptools.HttpResponseParser of the current response
        self.lost = False
        self.holds_slot = False  # its close gives the host's slot back
        self.idle_since = 0.0
        # One read timer per connection, not one per wait: it fires at the earliest
        # deadline it was set for and, if the current wait's deadline is later, is set
        # again for that (see :meth:`wait`).
        self.timer: asyncio.TimerHandle | None = None
        self.deadline = math.inf  # the current wait's (inf: none)
        self.waiting_for = ""
        self._reset(head_only=False)

    def _reset(self, *, head_only: bool) -> None:
        self.head_only = head_only
        self.status = 0
        self.reason = b""
        # As httpx.Headers keeps them: (name, lower-case name, value).
        self.headers: list[tuple[bytes, bytes, bytes]] = []
        self.head_done = False
        self.complete = False
        self.keep_alive = False
        self.sized = False  # Content-Length or chunked: the end is not the close
        self.chunks: list[bytes] = []
        self.offset = 0  # bytes of chunks[0] already taken (see take)
        self.buffered = 0
        self.paused = False
        self.error: BaseException | None = None
        self.got_data = False
        self.head_bytes = 0
        self.problem: str | None = None  # why a callback stopped the parser
        self.waiter: asyncio.Future[None] | None = None

    # --- asyncio.Protocol -----------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.wire._opened(self)

    def data_received(self, data: bytes) -> None:
        self.got_data = True
        parser = self.parser
        if parser is None or self.complete:  # nothing asked: a server talking out of turn
            self.keep_alive = False
            self.close()
            return
        if not self.head_done:
            self.head_bytes += len(data)
            if self.head_bytes > _MAX_HEAD:
                self._broken(f"Got more than {_MAX_HEAD} bytes when reading the response head")
                return
        try:
            parser.feed_data(data)
        except httptools.HttpParserUpgrade:  # 101: the rest is another protocol
            self.keep_alive = False
            self._finish()
        except httptools.HttpParserError as exc:
            if self.complete:  # bytes past a whole answer (beyond its length, or after
                self.keep_alive = False  # "Connection: close"): the answer stands, the
                self.close()  # socket is not used again
                return
            if self.problem is not None:
                self._broken(self.problem)
            elif not self.head_done:
                self._broken(f"Bad status line or header: {exc}")
            else:  # in the body (a broken chunk): as aiohttp's payload errors, a reset
                self._fail(httpx.RemoteProtocolError(f"invalid response body: {exc}"))
                self.close()
            return
        if self.buffered > _HIGH_WATER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()

    def eof_received(self) -> bool | None:
        return None  # close the socket; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self._stop_timer()
        self.wire._closed(self)
        if self.parser is None or self.complete:
            return
        if self.head_done and not self.sized and exc is None and not self.error:
            self.keep_alive = False  # HTTP/1.0-style body: the close is its end
            self._finish()
            return
        if self.got_data or self.head_done:
            error: httpx.TransportError = httpx.RemoteProtocolError(
                "server closed the connection before the answer was complete"
            )
        else:
            error = httpx.RemoteProtocolError("server disconnected without an answer")
        if exc is not None:
            error.__cause__ = exc
        self._fail(error)

    def _broken(self, message: str) -> None:
        """An answer that is not HTTP (a protocol error, as aiohttp's parser reported it)."""
        self._fail(httpx.ProtocolError(message))
        self.close()

    # --- httptools callbacks ------------------------------------------------------
    def on_status(self, status: bytes) -> None:
        self.reason += status
        if len(self.reason) > MAX_LINE:
            self.problem = f"Got more than {MAX_LINE} bytes when reading the status line"
            raise ValueError(self.problem)

    def on_header(self, name: bytes, value: bytes) -> None:
        headers = self.headers
        if (
            len(name) > MAX_LINE
            or len(value) > MAX_LINE
            or len(headers) >= MAX_HEADERS
            or b"\x00" in value
        ):
            self._bad_header(name, value)
        # llhttp strips the white space before a value, not after (aiohttp strips both).
        headers.append((name, name.lower(), value.rstrip(b" \t")))

    def _bad_header(self, name: bytes, value: bytes) -> None:
        """Stop the parser on a header over aiohttp's limits or holding a NUL byte."""
        if len(name) > MAX_LINE or len(value) > MAX_LINE:
            self.problem = f"Got more than {MAX_LINE} bytes when reading header {name[:40]!r}"
        elif len(self.headers) >= MAX_HEADERS:
            self.problem = "Too many headers received"
        else:
            self.problem = f"Invalid HTTP header {name[:40]!r}: a NUL byte in its value"
        raise ValueError(self.problem)

    def on_headers_complete(self) -> None:
        if self.head_done:  # a second answer to one request: never trust this socket again
            self.keep_alive = False
            return
        parser = self.parser
        status = parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            self.headers = []  # an interim answer (100, 103): the real one follows
            self.reason = b""
            return
        self.status = status
        self.head_done = True
        self.keep_alive = parser.should_keep_alive()
        self.sized = (
            self.head_only
            or status in (204, 304)
            or any(
                lower in (b"content-length", b"transfer-encoding") for _, lower, _ in self.headers
            )
        )
        if self.head_only:  # a HEAD answer has no body, whatever its headers say
            self._finish()
        else:
            self._wake()

    def on_body(self, body: bytes) -> None:
        if self.complete:
            return
        self.chunks.append(body)
        self.buffered += len(body)
        self._wake()

    def on_message_complete(self) -> None:
        if self.head_done:
            self._finish()

    # --- internals ----------------------------------------------------------------
    def _finish(self) -> None:
        self.complete = True
        self.head_done = True
        self._wake()

    def _fail(self, error: BaseException) -> None:
        if self.error is None:
            self.error = error
        self.keep_alive = False
        self._wake()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def wait(self, timeout: float | None, what: str) -> None:
        """Until the parser or the socket has news, at most ``timeout`` seconds.

        The connection's one timer is set only when none is due by this wait's deadline
        (the first wait, or a shorter timeout): a wait ended by news leaves it running,
        and when it fires it fails the wait in progress only if that wait's own deadline
        has come, else it is set again for that deadline. A timer per wait cost a
        TimerHandle, a heap push and a cancel (left in the heap) for every wait."""
        loop = self.loop
        waiter = self.waiter = loop.create_future()
        if timeout is None:
            self.deadline = math.inf
        else:
            self.deadline = deadline = loop.time() + timeout
            self.waiting_for = what
            timer = self.timer
            if timer is None or timer.when() > deadline:
                if timer is not None:
                    timer.cancel()
                self.timer = loop.call_at(deadline, self._on_timer)
        try:
            await waiter
        finally:
            self.waiter = None

    def _on_timer(self) -> None:
        self.timer = None
        waiter = self.waiter
        if waiter is None or waiter.done() or self.deadline == math.inf:
            return  # no wait in progress: the next one sets the timer again
        if self.loop.time() < self.deadline:  # a later wait than the one it was set for
            self.timer = self.loop.call_at(self.deadline, self._on_timer)
            return
        waiter.set_exception(httpx.ReadTimeout(f"no {self.waiting_for} within the read timeout"))

    def _stop_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def send(self, data: bytes, *, head_only: bool) -> None:
        self._reset(head_only=head_only)
        if self.lost:  # closed under us (a kept socket the server had just closed)
            self.error = httpx.RemoteProtocolError("server disconnected without an answer")
            return
        self.parser = parser = httptools.HttpResponseParser(self)
        # aiohttp's client parser is as lenient (its answers are what verdicts were made of).
        parser.set_dangerous_leniencies(
            lenient_headers=True,
            lenient_optional_cr_before_lf=True,
            lenient_spaces_after_chunk_size=True,
        )
        assert self.transport is not None
        self.transport.write(data)

    def take(self) -> bytes:
        """At most :data:`READ_CHUNK` body bytes of those arrived (``b""`` when none). What
        is left of a longer read stays where it is, its :attr:`offset` moved on: a 256 KiB
        read is not copied again for each 16 KiB taken from it."""
        chunks = self.chunks
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        start = self.offset
        end = start + READ_CHUNK
        if end < len(data):
            if len(chunks) > 1:
                chunks[:] = (data,)
            self.offset = end
            data = data[start:end]
        else:
            chunks.clear()
            self.offset = 0
            if start:
                data = data[start:]
        self.buffered -= len(data)
        if self.paused and self.buffered <= _HIGH_WATER and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()
        return data

    def reusable(self) -> bool:
        """The answer arrived whole (a body the reader left unread included: nothing of
        it is left on the socket), both sides allow keep-alive, the socket is open."""
        return (
            self.complete
            and self.keep_alive
            and self.error is None
            and not self.lost
            and self.transport is not None
            and not self.transport.is_closing()
        )

    def drop_unread(self) -> None:
        """Forget the body bytes of a whole answer that were not read (a page read up to
        its ``</head>``), and read the socket again if they had paused it."""
        self.chunks = []
        self.offset = 0
        self.buffered = 0
        if self.paused and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()

    def close(self) -> None:
        """Close the socket now: a TLS connection without waiting for the peer's
        close_notify (as aiohttp's ``ssl_shutdown_timeout=0``), so no socket outlives
        the run's loop."""
        self._stop_timer()
        if self.transport is not None:
            self.transport.abort()


class PlainTransport(asyncio.Transport):
    """A connected plain TCP socket under a :class:`Connection`: what asyncio's selector
    transport does for it (reads of at most :data:`MAX_READ` bytes handed to
    ``data_received``; EOF to ``eof_received``, then closed; writes sent at once, the rest
    buffered until the socket can take it; ``connection_lost`` on the next loop turn
    after a close, an abort or a socket error, with that error; the socket closed right
    after it), without what the connection never uses (extra info, write-buffer limits,
    half-close, sendfile) and without ``create_connection``'s set-up: made for a socket
    already connected, it calls ``connection_made`` and starts reading at once (asyncio
    schedules both, and the waiter's result, as three callbacks a connection)."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, sock: socket.socket, protocol: Connection
    ) -> None:
        super().__init__()
        self._loop = loop
        self._sock: socket.socket | None = sock
        self._fd = sock.fileno()
        # Dropped once connection_lost is called: the connection and the transport refer to
        # each other, and a closed one (its read buffers with it) must not wait for the
        # cycle collector (asyncio's transports drop it too).
        self._protocol: Connection | None = protocol
        self._buffer = bytearray()  # written but not sent yet
        self._closing = False
        self._lost = False  # connection_lost scheduled
        self._paused = False
        protocol.connection_made(self)
        if not self._closing:  # connection_made may have closed it (the run is ending)
            loop.add_reader(self._fd, self._read_ready)

    def __del__(self, _warn: Callable[..., None] = warnings.warn) -> None:
        if self._sock is not None:
            _warn(f"unclosed transport {self!r}", ResourceWarning, source=self)
            self._sock.close()

    def is_closing(self) -> bool:
        return self._closing

    def is_reading(self) -> bool:
        return not self._closing and not self._paused

    def pause_reading(self) -> None:
        if self.is_reading():
            self._paused = True
            self._loop.remove_reader(self._fd)

    def resume_reading(self) -> None:
        if not self._closing and self._paused:
            self._paused = False
            self._loop.add_reader(self._fd, self._read_ready)

    def get_write_buffer_size(self) -> int:
        return len(self._buffer)

    def _read_ready(self) -> None:
        if self._lost:
            return
        assert self._sock is not None
        try:
            data = self._sock.recv(MAX_READ)
        except (BlockingIOError, InterruptedError):
            return
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(exc, "Fatal read error on socket transport")
            return
        protocol = self._protocol
        assert protocol is not None
        try:
            if data:
                protocol.data_received(data)
            elif not protocol.eof_received():
                self.close()
            else:  # kept open to write: nothing more to read
                self._loop.remove_reader(self._fd)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(exc, "Fatal error: protocol callback failed.")

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if self._lost:
            return
        if not self._buffer:
            assert self._sock is not None
            try:
                sent = self._sock.send(data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                self._fatal_error(exc, "Fatal write error on socket transport")
                return
            if sent == len(data):
                return
            data = memoryview(data)[sent:]
            self._loop.add_writer(self._fd, self._write_ready)
        self._buffer += data

    def _write_ready(self) -> None:
        if self._lost:
            return
        assert self._sock is not None
        try:
            sent = self._sock.send(self._buffer)
        except (BlockingIOError, InterruptedError):
            return
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._loop.remove_writer(self._fd)
            self._buffer.clear()
            self._fatal_error(exc, "Fatal write error on socket transport")
            return
        del self._buffer[:sent]
        if not self._buffer:
            self._loop.remove_writer(self._fd)
            if self._closing:
                self._call_connection_lost(None)

    def close(self) -> None:
        """Stop reading; the socket closes once what was written is sent."""
        if self._closing:
            return
        self._closing = True
        self._loop.remove_reader(self._fd)
        if not self._buffer:
            self._lost = True
            self._loop.call_soon(self._call_connection_lost, None)

    def abort(self) -> None:
        self._force_close(None)

    def _fatal_error(self, exc: BaseException, message: str) -> None:
        if not isinstance(exc, OSError):  # a bug, as asyncio reports it
            self._loop.call_exception_handler(
                {"message": message, "exception": exc, "transport": self}
            )
        self._force_close(exc)

    def _force_close(self, exc: BaseException | None) -> None:
        if self._lost:
            return
        if self._buffer:
            self._buffer.clear()
            self._loop.remove_writer(self._fd)
        if not self._closing:
            self._closing = True
            self._loop.remove_reader(self._fd)
        self._lost = True
        self._loop.call_soon(self._call_connection_lost, exc)

    def _call_connection_lost(self, exc: BaseException | None) -> None:
        self._lost = True
        protocol, self._protocol = self._protocol, None
        try:
            if protocol is not None:
                protocol.connection_lost(exc)  # type: ignore[arg-type]
        finally:
            if self._sock is not None:
                self._sock.close()
                self._sock = None


class Body(httpx.AsyncByteStream):
    """A response's body, read by :meth:`read_chunk` (no async generator); closing it
    returns the connection to the pool only when the answer arrived whole."""

    def __init__(self, conn: Connection, read_timeout: float | None) -> None:
        self._conn = conn
        self._timeout = read_timeout
        self._closed = False
        self.kept = False  # closed with its connection back in the pool

    async def read_chunk(self) -> bytes:
        """The body bytes that arrived since the last call; ``b""`` at the end."""
        conn = self._conn
        while True:
            if self._closed:  # first: a kept socket's bytes may be the next answer's
                return b""
            if conn.chunks:
                return conn.take()
            if conn.error is not None:
                raise conn.error
            if conn.complete:
                return b""
            await conn.wait(self._timeout, "body bytes")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while chunk := await self.read_chunk():
            yield chunk

    async def aclose(self) -> None:
        self.close_now()

    def close_now(self) -> bool:
        """:meth:`aclose` without a coroutine (it never waits): whether the connection
        went back to the pool (:attr:`kept`)."""
        if not self._closed:
            self._closed = True
            self.kept = self._conn.wire.release(self._conn)
        return self.kept


class Wire(httpx.AsyncBaseTransport):
    """httpx requests sent over a per-host pool of :class:`Connection`."""

    def __init__(
        self,
        *,
        resolver: Resolver,
        socket_factory: SocketFactory,
        ssl_context: Callable[[], ssl.SSLContext],
        limit_per_host: int,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self._resolver = resolver
        self._socket_factory = socket_factory
        self._ssl = ssl_context  # called for the first https connection
        self._limit = max(1, limit_per_host)
        self._idle: dict[_PoolKey, list[Connection]] = {}
        self._open: dict[_PoolKey, int] = {}
        self._waiters: dict[_PoolKey, list[asyncio.Future[None]]] = {}
        self._all: set[Connection] = set()
        self._dns: dict[str, tuple[float, list[Any]]] = {}
        self._dns_pending: dict[str, asyncio.Future[list[Any]]] = {}
        self._sweeper: asyncio.TimerHandle | None = None
        self._closing = False
        # Plain http on a selector loop runs on :class:`PlainTransport` (TLS, and any other
        # loop, on asyncio's own transports).
        self._plain = isinstance(self.loop, asyncio.SelectorEventLoop)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        # The URL's parts as its properties tell them, read once from its parse.
        parts = request.url._uri_reference
        scheme = parts.scheme
        if scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"cannot send a request to a {scheme}: URL")
        host = parts.host
        if not host.isascii():
            host.encode("ascii")  # raises as url.raw_host does
        port = parts.port or (443 if scheme == "https" else 80)
        sni = request.extensions.get("sni_hostname")
        key: _PoolKey = (scheme, host, port, sni)
        timeout = request.extensions.get("timeout", {})
        head_only = request.method == "HEAD"
        message = _message(request)
        conn = self._reused(key)
        if conn is not None:
            conn.send(message, head_only=head_only)
            try:
                await self._await_head(conn, timeout.get("read"))
            except httpx.RemoteProtocolError:
                if conn.got_data:
                    raise
                # A kept-alive socket the server had closed already: a fresh one, once.
                conn = None
        if conn is None:
            conn = await self._connection(key, timeout)
            conn.send(message, head_only=head_only)
            await self._await_head(conn, timeout.get("read"))
        extensions: dict[str, Any] = {"http_version": b"HTTP/1.1"}
        if conn.reason:
            extensions["reason_phrase"] = conn.reason
        return _response(
            conn.status, conn.headers, Body(conn, timeout.get("read")), request, extensions
        )

    async def _await_head(self, conn: Connection, read_timeout: float | None) -> None:
        try:
            while not conn.head_done:
                if conn.error is not None:
                    raise conn.error
                await conn.wait(read_timeout, "answer")
        except BaseException:
            conn.parser = None
            conn.close()
            raise

    def _reused(self, key: _PoolKey) -> Connection | None:
        idle = self._idle.get(key)
        while idle:
            conn = idle.pop()
            if not conn.lost and conn.transport is not None and not conn.transport.is_closing():
                return conn
            conn.close()
        return None

    async def _connection(self, key: _PoolKey, timeout: dict[str, float | None]) -> Connection:
        """A connection for ``key``: an idle one, else a new one once the host has a free
        slot, all within the ``pool`` timeout. On any failure (the timeout, a cancel) a
        connection already made is closed: its close gives its slot back."""
        made: list[Connection] = []
        try:
            # One timer for both phases: the pool's deadline, moved earlier to the connect
            # timeout's when the connect starts (two nested timeouts cost twice as much).
            async with asyncio.timeout(timeout.get("pool")) as deadline:
                return await self._new_connection(key, timeout.get("connect"), made, deadline)
        except BaseException:
            for conn in made:
                conn.close()
            raise

    async def _new_connection(
        self,
        key: _PoolKey,
        connect_timeout: float | None,
        made: list[Connection],
        deadline: asyncio.Timeout,
    ) -> Connection:
        while self._open.get(key, 0) >= self._limit:
            idle = self._reused(key)
            if idle is not None:
                made.append(idle)
                return idle
            await self._slot_freed(key)
        # The slot is taken now; once the socket is made, its close gives it back.
        self._open[key] = self._open.get(key, 0) + 1
        try:
            conn = await self._connect(key, made, deadline, connect_timeout)
        except BaseException:
            self._count_down(key)  # sockets made on the way are closed, holding no slot
            raise
        conn.holds_slot = True
        if conn.lost:  # closed already (connection_lost ran before this line)
            self._give_back(conn)
        return conn

    async def _slot_freed(self, key: _PoolKey) -> None:
        waiter = self.loop.create_future()
        waiters = self._waiters.setdefault(key, [])
        waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter in waiters:
                waiters.remove(waiter)
            elif waiter.done() and not waiter.cancelled():
                self._wake_one(key)  # woken, but leaving: the next in line gets the slot
            raise

    async def _connect(
        self,
        key: _PoolKey,
        made: list[Connection],
        deadline: asyncio.Timeout,
        connect_timeout: float | None,
    ) -> Connection:
        """A new connection, as aiohttp's connector makes one: the addresses raced with
        happy eyeballs (``aiohappyeyeballs``, 0.25 s apart), each socket made by the
        guard's factory, then TLS; from the look-up's answer on within ``connect_timeout``
        (``deadline``, the pool's, is moved earlier for it when it is later)."""
        scheme, host, port, sni = key
        infos = await self._addresses(host, port)
        if connect_timeout is not None:
            connect_by = self.loop.time() + connect_timeout
            pool_by = deadline.when()
            if pool_by is None or connect_by < pool_by:
                deadline.reschedule(connect_by)
        tls = self._ssl() if scheme == "https" else None
        server_hostname = (sni or host.rstrip(".")) if tls is not None else None
        if len(infos) == 1:
            sock = await self._connect_one(infos[0])
        else:  # imported for the first host with several addresses
            import aiohappyeyeballs

            sock = await aiohappyeyeballs.start_connection(
                infos,
                happy_eyeballs_delay=HAPPY_EYEBALLS_DELAY,
                loop=self.loop,
                socket_factory=self._socket_factory,
            )
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if tls is None and self._plain:
                # Connected already: the protocol is ours, so is its transport (asyncio's
                # costs ~200 k instructions a connection to make and end).
                conn = _made(made, Connection(self, key))
                PlainTransport(self.loop, sock, conn)
                return conn
            _, conn = await self.loop.create_connection(
                lambda: _made(made, Connection(self, key)),
                sock=sock,
                ssl=tls,
                server_hostname=server_hostname,
            )
        except BaseException:
            sock.close()
            raise
        return conn

    async def _connect_one(self, info: _AddrInfo) -> socket.socket:
        """One address: what ``aiohappyeyeballs.start_connection`` does for a single
        address (the guard's socket factory, a non-blocking connect; the socket closed on
        any failure, the failure raised as it is), without its race machinery."""
        sock = self._socket_factory(info)
        try:
            sock.setblocking(False)
            if self._plain and info[0] == socket.AF_INET:
                await self._sock_connect(sock, info[4])
            else:
                await self.loop.sock_connect(sock, info[4])
        except BaseException:
            sock.close()
            raise
        return sock

    async def _sock_connect(self, sock: socket.socket, address: tuple[Any, ...]) -> None:
        """``loop.sock_connect`` for an IPv4 address (nothing to resolve): the same connect,
        the same wait for the socket to be writable and the same error (``OSError(errno,
        "Connect call failed (host, port)")``, or what ``connect`` raised at once), without
        its resolving step, callback partial and done callback."""
        try:
            sock.connect(address)
            return
        except (BlockingIOError, InterruptedError):
            pass
        loop = self.loop
        fd = sock.fileno()
        writable: asyncio.Future[None] = loop.create_future()
        loop.add_writer(fd, _set_done, writable)
        try:
            await writable
        finally:
            loop.remove_writer(fd)
        err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err != 0:
            raise OSError(err, f"Connect call failed {address}")

    async def _addresses(self, host: str, port: int) -> list[_AddrInfo]:
        """The addresses to connect to, as ``getaddrinfo`` tuples: an IP literal as it is,
        a name through the guard's resolver (its answers kept :data:`DNS_CACHE_SECONDS`)."""
        if is_canonical_ip(host):
            found = [(host, port)]
        else:  # the port too: ``--resolve name=addr:port`` may name another one
            found = [(info["host"], info["port"]) for info in await self._resolve(host, port)]
        out: list[_AddrInfo] = []
        for addr, to_port in found:
            if ":" in addr:
                out.append((socket.AF_INET6, _STREAM, _TCP, "", (addr, to_port, 0, 0)))
            else:
                out.append((socket.AF_INET, _STREAM, _TCP, "", (addr, to_port)))
        return out

    async def _resolve(self, host: str, port: int) -> list[Any]:
        """The guard resolver's answer for ``host``, one look-up a name at a time: it runs
        as its own task, so a caller cancelled while it waits (its attempt's deadline)
        never cancels the look-up the other callers wait on."""
        cache_key = f"{host}:{port}"
        cached = self._dns.get(cache_key)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        task = self._dns_pending.get(cache_key)
        if task is None:
            task = asyncio.ensure_future(
                self._resolver.resolve(host, port, family=socket.AF_UNSPEC)
            )
            self._dns_pending[cache_key] = task
            task.add_done_callback(lambda done: self._resolved(cache_key, now, done))
        return await asyncio.shield(task)

    def _resolved(self, cache_key: str, asked: float, task: asyncio.Future[list[Any]]) -> None:
        self._dns_pending.pop(cache_key, None)
        if task.cancelled() or task.exception() is not None:
            return  # retrieved: a look-up nobody waited on any more is no warning
        self._dns[cache_key] = (asked + DNS_CACHE_SECONDS, task.result())

    def release(self, conn: Connection) -> bool:
        """A response is done with: keep its connection for the next request to that
        host when the answer arrived whole and both sides allow it (``True``), else
        close it."""
        conn.parser = None
        if conn.reusable() and not self._closing:
            conn.drop_unread()
            conn.idle_since = time.monotonic()
            self._idle.setdefault(conn.key, []).append(conn)
            self._wake_one(conn.key)
            return True
        conn.close()
        return False

    def _opened(self, conn: Connection) -> None:
        self._all.add(conn)
        if self._closing:  # made while the run ends (a cancelled attempt's last step)
            conn.close()
        self._sweep_later()

    def _closed(self, conn: Connection) -> None:
        """``conn``'s socket is closed (by either side)."""
        self._all.discard(conn)
        idle = self._idle.get(conn.key)
        if idle and conn in idle:
            idle.remove(conn)
        self._give_back(conn)

    def _give_back(self, conn: Connection) -> None:
        if conn.holds_slot:
            conn.holds_slot = False
            self._count_down(conn.key)

    def _count_down(self, key: _PoolKey) -> None:
        left = self._open.get(key, 0) - 1
        if left > 0:
            self._open[key] = left
        else:
            self._open.pop(key, None)
        self._wake_one(key)

    def _wake_one(self, key: _PoolKey) -> None:
        waiters = self._waiters.get(key)
        while waiters:
            waiter = waiters.pop(0)
            if not waiter.done():
                waiter.set_result(None)
                return

    def _sweep_later(self) -> None:
        if self._sweeper is None and not self._closing:
            self._sweeper = self.loop.call_later(_SWEEP_SECONDS, self._sweep)

    def _sweep(self) -> None:
        """Close connections idle longer than :data:`KEEPALIVE_SECONDS`."""
        self._sweeper = None
        cutoff = time.monotonic() - KEEPALIVE_SECONDS
        for idle in list(self._idle.values()):
            for conn in [c for c in idle if c.idle_since < cutoff]:
                idle.remove(conn)
                conn.close()
        if self._all:
            self._sweep_later()

    async def aclose(self) -> None:
        self._closing = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for conn in list(self._all):
            conn.close()
        self._idle.clear()
        for task in list(self._dns_pending.values()):
            task.cancel()  # a look-up every caller gave up on
        await self._resolver.close()
        if self._all:
            await asyncio.sleep(0)  # the loop closes the sockets on its next turn


def _response(
    status: int,
    headers: list[tuple[bytes, bytes, bytes]],
    stream: Body,
    request: httpx.Request,
    extensions: dict[str, Any],
) -> httpx.Response:
    """What ``httpx.Response(status, headers=..., stream=..., request=..., extensions=...)``
    holds (a test compares them), built without httpx normalising every header again:
    they are kept as httpx keeps them already (:meth:`Connection.on_header`)."""
    kept = httpx.Headers.__new__(httpx.Headers)
    kept._list = headers
    kept._encoding = None
    response = httpx.Response.__new__(httpx.Response)
    response.status_code = status
    response.headers = kept
    response._request = request
    response.next_request = None
    response.extensions = extensions
    response.history = []
    response.is_closed = False
    response.is_stream_consumed = False
    response.default_encoding = "utf-8"
    response.stream = stream
    response._num_bytes_downloaded = 0
    return response


def _set_done(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def _made(made: list[Connection], conn: Connection) -> Connection:
    made.append(conn)
    return conn


def _message(request: httpx.Request) -> bytes:
    """The request line and header block of a body-less request."""
    parts = request.url._uri_reference
    path = parts.path or "/"  # url.raw_path
    if parts.query is not None:
        path += "?" + parts.query
    lines = [request.method.encode("ascii"), b" ", path.encode("ascii"), b" HTTP/1.1\r\n"]
    raw = request.headers._list  # (name, lower-case name, value): .raw builds a list a look-up
    for name, _, value in raw:
        lines += (name, b": ", value, b"\r\n")
    lines.append(b"\r\n")
    message = b"".join(lines)
    # Its request line and every header end with CRLF, and so does the block: any other
    # CR or LF is one of these counts too many.
    n_lines = len(raw) + 2
    if message.count(b"\n") != n_lines or message.count(b"\r") != n_lines:
        raise httpx.LocalProtocolError("a request header holds a line break")
    return message
