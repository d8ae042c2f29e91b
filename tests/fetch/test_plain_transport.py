"""fetch/wire.py's PlainTransport: a connected plain socket under a protocol, as asyncio's
selector transport runs it (reads, EOF, resets, buffered writes, pausing, close and abort),
against real sockets."""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from linkhealth.fetch.wire import PlainTransport, Wire


class Recorder:
    """A protocol that writes down what the transport called."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.lost = asyncio.get_running_loop().create_future()
        self.transport: PlainTransport | None = None

    def connection_made(self, transport: PlainTransport) -> None:
        self.transport = transport
        self.events.append("made")

    def data_received(self, data: bytes) -> None:
        self.events.append(data)

    def eof_received(self) -> None:
        self.events.append("eof")

    def connection_lost(self, exc: Exception | None) -> None:
        self.events.append(("lost", exc))
        self.lost.set_result(exc)


@pytest.fixture
def tcp_pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """(client, server) ends of a loopback TCP connection; the client non-blocking."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
    client.setblocking(False)
    try:
        yield client, server
    finally:
        client.close()
        server.close()


def _start(sock: socket.socket) -> tuple[PlainTransport, Recorder]:
    protocol = Recorder()
    transport = PlainTransport(asyncio.get_running_loop(), sock, protocol)  # type: ignore[arg-type]
    return transport, protocol


async def _until(condition: Any) -> None:
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("never happened")


def test_reads_reach_the_protocol_and_the_end_closes_the_socket(
    tcp_pair: tuple[socket.socket, socket.socket],
) -> None:
    client, server = tcp_pair

    async def main() -> list[Any]:
        transport, protocol = _start(client)
        server.sendall(b"abc")
        await _until(lambda: b"abc" in protocol.events)
        server.shutdown(socket.SHUT_WR)
        assert await asyncio.wait_for(protocol.lost, 10) is None
        assert transport.is_closing()
        return protocol.events

    assert asyncio.run(main()) == ["made", b"abc", "eof", ("lost", None)]
    assert client.fileno() == -1  # closed right after connection_lost


def test_a_reset_is_handed_to_connection_lost(
    tcp_pair: tuple[socket.socket, socket.socket],
) -> None:
    client, server = tcp_pair

    async def main() -> BaseException | None:
        _, protocol = _start(client)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        server.close()  # an RST, not a FIN
        return await asyncio.wait_for(protocol.lost, 10)

    assert isinstance(asyncio.run(main()), ConnectionResetError)
    assert client.fileno() == -1


def test_a_write_larger_than_the_socket_takes_is_sent_whole_then_closed(
    tcp_pair: tuple[socket.socket, socket.socket],
) -> None:
    client, server = tcp_pair
    client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    payload = bytes(range(256)) * 16_384  # 4 MiB: more than any send buffer takes at once
    got = bytearray()

    def read_all() -> None:
        while data := server.recv(65536):
            got.extend(data)

    reader = threading.Thread(target=read_all)
    reader.start()

    async def main() -> tuple[int, list[Any]]:
        transport, protocol = _start(client)
        transport.write(payload[:10])
        transport.write(payload[10:])
        held = transport.get_write_buffer_size()
        transport.close()  # the socket closes only once the rest is sent
        assert await asyncio.wait_for(protocol.lost, 10) is None
        return held, protocol.events

    held, events = asyncio.run(main())
    reader.join(10)
    assert held > 0  # the case under test: part of it had to wait
    assert bytes(got) == payload
    assert events == ["made", ("lost", None)]


def test_paused_reading_holds_the_bytes_until_resumed(
    tcp_pair: tuple[socket.socket, socket.socket],
) -> None:
    client, server = tcp_pair

    async def main() -> list[Any]:
        transport, protocol = _start(client)
        transport.pause_reading()
        assert not transport.is_reading()
        server.sendall(b"later")
        for _ in range(20):
            await asyncio.sleep(0)
        assert protocol.events == ["made"]
        transport.resume_reading()
        await _until(lambda: b"later" in protocol.events)
        transport.abort()
        await asyncio.wait_for(protocol.lost, 10)
        return protocol.events

    assert asyncio.run(main()) == ["made", b"later", ("lost", None)]


def test_abort_ends_the_connection_once(tcp_pair: tuple[socket.socket, socket.socket]) -> None:
    client, server = tcp_pair

    async def main() -> list[Any]:
        transport, protocol = _start(client)
        transport.abort()
        transport.abort()
        transport.close()
        transport.write(b"dropped")  # after the end: nothing is sent, nothing raised
        assert await asyncio.wait_for(protocol.lost, 10) is None
        for _ in range(5):
            await asyncio.sleep(0)
        return protocol.events

    assert asyncio.run(main()) == ["made", ("lost", None)]
    assert client.fileno() == -1
    server.settimeout(5)
    assert server.recv(10) == b""  # the peer sees the close, never the late write


def test_abort_with_a_write_pending_drops_it_and_watches_the_socket_no_more(
    tcp_pair: tuple[socket.socket, socket.socket],
) -> None:
    """An abort while part of a write still waits: the rest is dropped, the writer and the
    reader are off the selector at once (a writer left on a socket about to close would
    be called for a closed descriptor), and the end is reported once, with no error."""
    client, _server = tcp_pair
    client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)

    async def main() -> tuple[int, int, bool, bool, list[Any]]:
        loop = asyncio.get_running_loop()
        transport, protocol = _start(client)
        fd = client.fileno()
        transport.write(b"x" * (4 << 20))  # the peer reads nothing: most of it waits
        held = transport.get_write_buffer_size()
        transport.abort()
        left = transport.get_write_buffer_size()
        writer_on = loop.remove_writer(fd)  # True if the transport had left it registered
        reader_on = loop.remove_reader(fd)
        assert await asyncio.wait_for(protocol.lost, 10) is None
        return held, left, writer_on, reader_on, protocol.events

    held, left, writer_on, reader_on, events = asyncio.run(main())
    assert held > 0  # the case under test
    assert left == 0
    assert not writer_on
    assert not reader_on
    assert events == ["made", ("lost", None)]
    assert client.fileno() == -1


def test_a_connection_closed_as_it_is_made_is_never_read(
    tcp_pair: tuple[socket.socket, socket.socket],
) -> None:
    """connection_made may close the transport (a connection made as the run ends): the
    transport then never starts reading, and ends once."""
    client, server = tcp_pair

    class Closing(Recorder):
        def connection_made(self, transport: PlainTransport) -> None:
            super().connection_made(transport)
            transport.close()

    async def main() -> tuple[bool, list[Any]]:
        loop = asyncio.get_running_loop()
        protocol = Closing()
        PlainTransport(loop, client, protocol)  # type: ignore[arg-type]
        reader_on = loop.remove_reader(client.fileno())
        server.sendall(b"unread")
        assert await asyncio.wait_for(protocol.lost, 10) is None
        return reader_on, protocol.events

    reader_on, events = asyncio.run(main())
    assert not reader_on
    assert events == ["made", ("lost", None)]
    assert client.fileno() == -1


def test_plain_http_connections_run_on_it_and_tls_on_asyncios() -> None:
    """The wire puts a plain connection on PlainTransport; a TLS handshake stays asyncio's
    (a listener that never answers it: the connect timeout ends the attempt)."""
    listener = socket.create_server(("127.0.0.2", 0))
    port = listener.getsockname()[1]
    accepted: list[socket.socket] = []

    def accept() -> None:
        for _ in range(2):
            conn, _ = listener.accept()
            accepted.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()

    async def main() -> tuple[str, str]:
        wire = Wire(
            resolver=_NoResolver(),  # type: ignore[arg-type]
            socket_factory=lambda info: socket.socket(info[0], info[1], info[2]),
            ssl_context=_client_tls,
            limit_per_host=4,
        )
        made: list[Any] = []
        timeout = {"pool": 2.0, "connect": 2.0}
        plain = await wire._connection(("http", "127.0.0.2", port, None), timeout)
        made.append(type(plain.transport).__name__)
        try:
            await wire._connection(("https", "127.0.0.2", port, None), {"connect": 0.3})
        except TimeoutError:
            made.append("tls timed out")
        await wire.aclose()
        return made[0], made[1]

    try:
        assert asyncio.run(main()) == ("PlainTransport", "tls timed out")
    finally:
        thread.join(5)
        listener.close()
        for conn in accepted:
            conn.close()


class _NoResolver:
    async def close(self) -> None:
        return None


def _client_tls() -> Any:
    import ssl

    return ssl.create_default_context()


def test_a_connect_fails_and_succeeds_as_asyncios_sock_connect() -> None:
    """Wire._sock_connect (IPv4) against loop.sock_connect: a refused connect raises the
    same error (type, errno, text: the verdict's detail is made of it), an accepted one
    leaves the socket connected to the same peer."""
    with socket.create_server(("127.0.0.2", 0)) as listener:
        open_port = listener.getsockname()[1]
    closed_port = open_port  # closed now: nothing listens there
    listener = socket.create_server(("127.0.0.2", 0))
    open_port = listener.getsockname()[1]

    async def attempt(ours: bool, port: int) -> tuple[str, Any]:
        wire = Wire(
            resolver=_NoResolver(),  # type: ignore[arg-type]
            socket_factory=lambda info: socket.socket(info[0], info[1], info[2]),
            ssl_context=_client_tls,
            limit_per_host=4,
        )
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            if ours:
                await wire._sock_connect(sock, ("127.0.0.2", port))
            else:
                await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.2", port))
            return "connected", sock.getpeername()
        except OSError as exc:
            return type(exc).__name__, (exc.errno, str(exc))
        finally:
            sock.close()
            await wire.aclose()

    try:
        for port in (closed_port, open_port):
            theirs = asyncio.run(attempt(False, port))
            assert asyncio.run(attempt(True, port)) == theirs
        assert theirs == ("connected", ("127.0.0.2", open_port))
        assert asyncio.run(attempt(True, closed_port))[0] == "ConnectionRefusedError"
    finally:
        listener.close()


def test_a_closed_transport_lets_its_connection_go_without_the_cycle_collector(
    tcp_pair: tuple[socket.socket, socket.socket],
) -> None:
    """The connection and its transport refer to each other; once connection_lost is
    called the transport lets go, so a closed connection (its read buffers with it) is
    freed when the run lets go of it, not at the next collection of cycles."""
    import gc
    import weakref

    client, _ = tcp_pair

    async def main() -> bool:
        transport, protocol = _start(client)
        transport.abort()
        await asyncio.wait_for(protocol.lost, 10)
        gone = weakref.ref(protocol)
        del protocol
        return gone() is None

    gc.disable()
    try:
        assert asyncio.run(main())
    finally:
        gc.enable()
