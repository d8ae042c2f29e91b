"""HTTP/1.1 edges of the transport under httpx (fetch/wire.py), against a loopback server
that writes exactly the bytes each case needs: chunked and close-delimited bodies, HEAD,
204/304, interim 1xx answers, keep-alive reuse and when a connection must not be reused."""

from __future__ import annotations

import asyncio
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from linkhealth.config import RequestMethod
from linkhealth.fetch.wire import MAX_HEADERS, READ_CHUNK, Body, Connection, Wire
from linkhealth.meta import extract_meta
from linkhealth.models import ErrorKind, Verdict
from support.fetchkit import fast, run

HEAD = b"<!doctype html><html><head><title>Edge</title></head><body>"


@dataclass
class Served:
    """What one answer does: ``payload`` written, then the socket kept or closed."""

    payload: bytes
    close: bool = False
    then: bytes = b""  # written after ``pause`` seconds (a second packet)
    pause: float = 0.3


@dataclass
class Script:
    """A server answering each request with ``answer(request head, index)``."""

    answer: Callable[[bytes, int], Served]
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)
    closed_by_client: int = 0


Start = Callable[[Callable[[bytes, int], Served]], tuple[str, Script]]


@pytest.fixture
def script_server() -> Iterator[Start]:
    listeners: list[socket.socket] = []
    stop = threading.Event()

    def start(answer: Callable[[bytes, int], Served]) -> tuple[str, Script]:
        script = Script(answer)
        listener = socket.create_server(("127.0.0.2", 0))
        listener.settimeout(0.2)
        listeners.append(listener)
        threading.Thread(target=_accept, args=(listener, script, stop), daemon=True).start()
        return f"http://127.0.0.2:{listener.getsockname()[1]}", script

    yield start
    stop.set()
    for listener in listeners:
        listener.close()


def _accept(listener: socket.socket, script: Script, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            sock, _ = listener.accept()
        except (TimeoutError, OSError):
            continue
        script.connections += 1
        threading.Thread(target=_serve, args=(sock, script), daemon=True).start()


def _serve(sock: socket.socket, script: Script) -> None:
    sock.settimeout(10)  # bounded: a silent client ends the handler
    buf = b""
    with sock:
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = sock.recv(65536)
                    if not data:
                        script.closed_by_client += 1
                        return
                    buf += data
                head, _, buf = buf.partition(b"\r\n\r\n")
                script.requests.append(head)
                served = script.answer(head, len(script.requests) - 1)
                sock.sendall(served.payload)
                if served.then:
                    time.sleep(served.pause)
                    sock.sendall(served.then)
                if served.close:
                    return
        except OSError:
            return


def _chunked(body: bytes, size: int) -> bytes:
    parts = [
        b"%x;ext=1\r\n" % len(body[i : i + size]) + body[i : i + size] + b"\r\n"
        for i in range(0, len(body), size)
    ]
    return b"".join(parts) + b"0\r\n\r\n"


def test_chunked_body_is_read_and_the_connection_kept(script_server: Start) -> None:
    page = HEAD + b"<p>" + b"x" * 3000 + b"</p></body></html>"
    base, script = script_server(
        lambda head, i: Served(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
            + _chunked(page, 7)
        )
    )
    results = run([f"{base}/a", f"{base}/b"], fast(host_concurrency=1), full_body={f"{base}/a"})
    assert [r.verdict for r in results] == [Verdict.OK, Verdict.OK]
    assert results[0].body == page  # de-chunked, whole (extensions and sizes gone)
    assert extract_meta(results[1].body, "text/html", f"{base}/b").title == "Edge"
    assert script.connections == 1  # the chunked answer ended cleanly: the socket is reused


def test_close_delimited_body_ends_at_the_close(script_server: Start) -> None:
    page = HEAD + b"<p>" + b"y" * 5000 + b"</p></body></html>"
    base, script = script_server(
        lambda head, i: Served(
            b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + page, close=True
        )
    )
    results = run([f"{base}/a", f"{base}/b"], fast(host_concurrency=1), full_body={f"{base}/a"})
    assert [r.verdict for r in results] == [Verdict.OK, Verdict.OK]
    assert results[0].body == page and not results[0].truncated
    assert script.connections == 2  # an HTTP/1.0 answer is never followed on its socket


def test_short_body_before_the_close_is_a_reset(script_server: Start) -> None:
    base, _ = script_server(
        lambda head, i: Served(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 9000\r\n\r\n"
            + HEAD[:30],
            close=True,
        )
    )
    (r,) = run([f"{base}/a"], fast(retries=0))
    assert r.verdict is Verdict.ERROR and r.error_kind is ErrorKind.RESET, r.detail


def test_head_answer_has_no_body_whatever_its_length_says(script_server: Start) -> None:
    base, script = script_server(
        lambda head, i: Served(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5000\r\n\r\n"
        )
    )
    settings = fast(method=RequestMethod.HEAD, host_concurrency=1, read_timeout=3.0)
    results = run([f"{base}/a", f"{base}/b", f"{base}/c"], settings)
    assert [r.verdict for r in results] == [Verdict.OK] * 3, results[0].detail
    assert all(h.startswith(b"HEAD ") for h in script.requests)
    assert script.connections == 1  # answered whole at its headers: the socket is reused


@pytest.mark.parametrize("status", [204, 304])
def test_bodyless_statuses_end_at_their_headers(script_server: Start, status: int) -> None:
    def answer(head: bytes, i: int) -> Served:
        if i == 0:
            return Served(b'HTTP/1.1 %d Nothing\r\nETag: "v1"\r\n\r\n' % status)
        return Served(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(HEAD)
            + HEAD
        )

    base, script = script_server(answer)
    results = run([f"{base}/a", f"{base}/b"], fast(host_concurrency=1, read_timeout=3.0))
    assert results[0].http_status == status
    assert results[1].verdict is Verdict.OK
    assert extract_meta(results[1].body, "text/html", f"{base}/b").title == "Edge"
    assert script.connections == 1


def test_interim_answers_are_skipped(script_server: Start) -> None:
    base, _ = script_server(
        lambda head, i: Served(
            b"HTTP/1.1 100 Continue\r\n\r\n"
            b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n",
            then=b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 0\r\n"
            b"X-Final: yes\r\n\r\n",
        )
    )
    (r,) = run([f"{base}/gone"], fast())
    assert r.http_status == 404 and r.verdict is Verdict.BROKEN


def test_a_partly_read_answer_closes_its_connection(script_server: Start) -> None:
    rest = b"<p>" + b"z" * 200_000 + b"</p>"

    def answer(head: bytes, i: int) -> Served:
        body = HEAD + (rest if i == 0 else b"")
        start = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n"
        # The rest of /big comes later: a client that kept this socket for /small would
        # read it as /small's answer.
        return Served(start % len(body) + HEAD, then=body[len(HEAD) :])

    base, script = script_server(answer)
    results = run([f"{base}/big", f"{base}/small"], fast(host_concurrency=1))
    assert [r.verdict for r in results] == [Verdict.OK, Verdict.OK]
    assert len(results[0].body) < 10_000  # read to </head>, not the 200 kB after it
    # The rest of /big was never read: its socket is closed, /small gets a new one.
    assert script.connections == 2
    assert script.requests[1].startswith(b"GET /small")


def test_a_whole_answer_read_only_to_its_head_keeps_its_connection(
    script_server: Start,
) -> None:
    rest = b"<p>" + b"z" * 40_000 + b"</p></body></html>"  # more than one read (16 KiB)

    def answer(head: bytes, i: int) -> Served:
        body = HEAD + (rest if i == 0 else b"")
        start = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n"
        return Served(start % len(body) + body)  # one packet: the whole answer at once

    base, script = script_server(answer)
    results = run([f"{base}/big", f"{base}/small"], fast(host_concurrency=1))
    assert [r.verdict for r in results] == [Verdict.OK, Verdict.OK]
    assert len(results[0].body) < len(HEAD + rest)  # read to </head> (and a little after)
    assert results[1].body == HEAD  # the kept socket's next answer is /small's own
    # /big arrived whole before its read stopped: nothing of it is left on the socket.
    assert script.connections == 1
    assert script.requests[1].startswith(b"GET /small")


def test_a_kept_socket_the_server_closed_is_replaced(script_server: Start) -> None:
    def answer(head: bytes, i: int) -> Served:
        if i == 1:  # the kept socket's next request: closed unanswered (its idle timeout)
            return Served(b"", close=True)
        return Served(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(HEAD)
            + HEAD
        )

    base, script = script_server(answer)
    results = run([f"{base}/a", f"{base}/b"], fast(host_concurrency=1, retries=0))
    assert [r.verdict for r in results] == [Verdict.OK, Verdict.OK], results[1].detail
    assert [r.attempts for r in results] == [1, 1]
    assert script.connections == 2 and len(script.requests) == 3


def test_header_limits_are_aiohttps(script_server: Start) -> None:
    def answer(head: bytes, i: int) -> Served:
        n = MAX_HEADERS - 2 if b"/fine" in head else MAX_HEADERS + 1
        extra = b"".join(b"X-H%d: v \r\n" % k for k in range(n))
        return Served(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + extra + b"Content-Length: 0\r\n\r\n"
        )

    base, _ = script_server(answer)
    fine, many = run([f"{base}/fine", f"{base}/many"], fast(retries=0))
    assert fine.verdict is Verdict.OK, fine.detail
    assert many.error_kind is ErrorKind.PROTOCOL and "too many headers" in many.detail.lower()


def test_credentials_in_the_url_go_to_that_url_only(script_server: Start) -> None:
    def answer(head: bytes, i: int) -> Served:
        if head.startswith(b"GET /first"):  # the same host, written without the credentials
            location = f"{base}/second".encode()
            return Served(
                b"HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n" % location
            )
        return Served(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(HEAD)
            + HEAD
        )

    base, script = script_server(answer)
    url = base.replace("http://", "http://al%20ice:s%40cret@") + "/first"
    (r,) = run([url], fast())
    assert r.http_status == 200 and r.redirects
    first, second = (head.lower() for head in script.requests)
    # base64("al ice:s@cret"): the user and password percent-decoded, as aiohttp sent them.
    assert b"authorization: basic ywwgawnlonnay3jlda==" in first
    assert b"authorization" not in second


@pytest.mark.parametrize(
    "extra",
    [
        b"Content-Length: %d\r\n\r\n%sEXTRA",  # more bytes than the length, same packet
        b"Content-Length: %d\r\nConnection: close\r\n\r\n%sHTTP/1.1 200 OK\r\n\r\n",
    ],
)
def test_bytes_after_a_whole_answer_leave_it_whole(script_server: Start, extra: bytes) -> None:
    page = HEAD + b"</head></html>"
    base, script = script_server(
        lambda head, i: Served(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + extra % (len(page), page)
        )
    )
    results = run(
        [f"{base}/a", f"{base}/b"], fast(retries=0, host_concurrency=1), full_body={f"{base}/a"}
    )
    assert [r.verdict for r in results] == [Verdict.OK, Verdict.OK], [r.detail for r in results]
    assert results[0].body == page and results[0].attempts == 1
    assert script.connections == 2  # a socket that said more than its answer is not reused


def test_a_cancelled_waiter_does_not_cancel_a_shared_look_up() -> None:
    class SlowResolver:
        calls = 0

        async def resolve(self, host: str, port: int, family: int) -> list[dict[str, object]]:
            SlowResolver.calls += 1
            await asyncio.sleep(0.2)
            return [{"host": "127.0.0.2", "port": port, "family": socket.AF_INET, "proto": 0}]

        async def close(self) -> None:
            return None

    async def main() -> tuple[object, bool]:
        wire = Wire(
            resolver=SlowResolver(),  # type: ignore[arg-type]
            socket_factory=lambda info: socket.socket(),
            ssl_context=lambda: None,  # type: ignore[arg-type,return-value]
            limit_per_host=4,
        )
        first = asyncio.ensure_future(wire._resolve("a.test", 80))
        second = asyncio.ensure_future(wire._resolve("a.test", 80))
        await asyncio.sleep(0.05)
        first.cancel()  # its attempt's deadline
        answer = await second
        await wire.aclose()
        return answer, first.cancelled()

    answer, first_cancelled = asyncio.run(main())
    assert first_cancelled and SlowResolver.calls == 1
    assert answer == [{"host": "127.0.0.2", "port": 80, "family": socket.AF_INET, "proto": 0}]


def _bare_connection() -> Connection:
    """A connection of a wire with no resolver or socket (for unit tests of its state);
    built inside a running loop."""
    wire = Wire(
        resolver=None,  # type: ignore[arg-type]
        socket_factory=lambda info: socket.socket(),
        ssl_context=lambda: None,  # type: ignore[arg-type,return-value]
        limit_per_host=4,
    )
    return Connection(wire, ("http", "a.test", 80, None))


def test_a_kept_socket_whose_unread_body_paused_it_is_read_again() -> None:
    """Unit test of Connection.drop_unread (the paused case cannot be timed from a
    server): a whole answer whose unread rest paused the socket goes back to the pool
    reading again, holding none of it."""

    class Transport:
        resumed = 0

        def resume_reading(self) -> None:
            Transport.resumed += 1

    async def main() -> Connection:
        conn = _bare_connection()
        conn.transport = Transport()  # type: ignore[assignment]
        conn.chunks, conn.buffered, conn.paused = [b"x" * 300_000], 300_000, True
        conn.drop_unread()
        return conn

    conn = asyncio.run(main())
    assert (conn.chunks, conn.buffered, conn.paused, Transport.resumed) == ([], 0, False, 1)


def test_a_closed_body_reads_nothing_more() -> None:
    """Unit test of Body.read_chunk after aclose: the connection went back to the pool, so
    bytes it holds now may be the next answer's (no caller reads on; nothing may leak)."""

    async def main() -> bytes:
        conn = _bare_connection()
        body = Body(conn, 1.0)
        body._closed = True  # as aclose() leaves it, without a pool to return to
        conn.chunks, conn.buffered = [b"HTTP/1.1 200 OK\r\n"], 17  # the next answer's
        return await body.read_chunk()

    assert asyncio.run(main()) == b""


def test_a_closed_body_tells_whether_its_connection_went_back_to_the_pool() -> None:
    """Unit test of Body.kept (the client gives the loop a turn only after a connection
    it closed, so that its socket is gone before the next one to that host is made): a
    whole keep-alive answer's connection is pooled (kept), a partial answer's closed."""

    class Transport:
        aborted = 0

        def is_closing(self) -> bool:
            return False

        def abort(self) -> None:
            Transport.aborted += 1

    async def main(complete: bool) -> tuple[bool, int]:
        conn = _bare_connection()
        conn.transport = Transport()  # type: ignore[assignment]
        conn.complete, conn.keep_alive = complete, True
        body = Body(conn, 1.0)
        await body.aclose()
        return body.kept, len(conn.wire._idle.get(conn.key, []))

    assert asyncio.run(main(complete=True)) == (True, 1)
    assert Transport.aborted == 0
    assert asyncio.run(main(complete=False)) == (False, 0)
    assert Transport.aborted == 1


def test_responses_are_built_as_httpx_builds_them() -> None:
    """Unit test of wire._response (httpx's constructor normalises every header again):
    the same object state as ``httpx.Response(...)`` from the same head, the headers'
    triples and look-ups included."""
    from linkhealth.fetch.wire import _response

    raw = [(b"Content-Type", b"text/html"), (b"X-Twice", b"1"), (b"x-twice", b"2")]
    request = httpx.Request("GET", "http://a.test/")
    extensions = {"http_version": b"HTTP/1.1", "reason_phrase": b"OK"}

    async def both() -> tuple[httpx.Response, httpx.Response]:
        conn = _bare_connection()
        for name, value in raw:
            conn.on_header(name, value + b" ")  # trailing white space is llhttp's to keep
        stream = Body(conn, 1.0)
        want = httpx.Response(
            200, headers=[(n, v) for n, _, v in conn.headers], stream=stream,
            request=request, extensions=dict(extensions),
        )  # fmt: skip
        return _response(200, conn.headers, stream, request, dict(extensions)), want

    got, want = asyncio.run(both())
    assert vars(got).keys() == vars(want).keys()
    assert vars(got.headers) == vars(want.headers)
    state = {k: v for k, v in vars(want).items() if k != "headers"}
    assert {k: v for k, v in vars(got).items() if k != "headers"} == state
    assert got.headers["x-twice"] == "1, 2" and got.headers.raw == [
        (b"Content-Type", b"text/html"), (b"X-Twice", b"1"), (b"x-twice", b"2"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "refused"),
    [(b"plain", False), (b"a\r\nX-Evil: 1", True), (b"a\nb", True), (b"a\rb", True)],
)
def test_a_header_with_a_line_break_is_never_sent(value: bytes, refused: bool) -> None:
    """Unit test of wire._message: a CR or LF anywhere in a header refuses the request
    (it would split the header block); a clean one is written as it is."""
    from linkhealth.fetch.wire import _message

    request = httpx.Request("GET", "http://a.test/p?q=1", headers={"X-Value": value})
    if refused:
        with pytest.raises(httpx.LocalProtocolError, match="line break"):
            _message(request)
    else:
        assert _message(request) == (
            b"GET /p?q=1 HTTP/1.1\r\nHost: a.test\r\nX-Value: plain\r\n\r\n"
        )


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        (b"X-Long: " + b"v" * 8191, "more than 8190 bytes when reading header b'x-long'"),
        (b"X-" + b"n" * 8189 + b": v", "more than 8190 bytes when reading header b'x-nnn"),
        (b"X-Nul: a\x00b", "invalid http header b'x-nul': a nul byte in its value"),
    ],
)
def test_a_header_over_the_limits_is_a_protocol_error(
    script_server: Start, header: bytes, detail: str
) -> None:
    """A header line longer than aiohttp's limit, or a value holding a NUL byte, stops
    the parser: a protocol error naming the header, on a page whose other answers are
    fine (``/fine`` on the same server)."""

    def answer(head: bytes, i: int) -> Served:
        bad = header + b"\r\n" if b"/bad" in head else b""
        return Served(b"HTTP/1.1 200 OK\r\n" + bad + b"Content-Length: 0\r\n\r\n")

    base, _ = script_server(answer)
    fine, bad = run([f"{base}/fine", f"{base}/bad"], fast(retries=0))
    assert fine.verdict is Verdict.OK, fine.detail
    assert bad.error_kind is ErrorKind.PROTOCOL and detail in bad.detail.lower(), bad.detail


def test_the_connect_timeout_bounds_a_tls_handshake_that_never_ends() -> None:
    # A listening socket nobody accepts from: the kernel completes the TCP handshake, the
    # TLS one never gets an answer. The connect timeout (0.5 s) ends it, not the attempt's.
    listener = socket.create_server(("127.0.0.2", 0))
    try:
        url = f"https://127.0.0.2:{listener.getsockname()[1]}/"
        settings = fast(timeout=6.0, read_timeout=6.0, connect_timeout=0.5, retries=0)
        started = time.monotonic()
        (r,) = run([url], settings)
        elapsed = time.monotonic() - started
    finally:
        listener.close()
    assert r.verdict is Verdict.TIMEOUT and r.error_kind is ErrorKind.TIMEOUT, r.detail
    assert 0.4 < elapsed < 4.0  # the 6 s attempt deadline did not end it


def test_the_connect_timeout_starts_after_the_look_up(script_server: Start) -> None:
    # A look-up slower than the connect timeout: the pool timeout bounds it, the connect
    # timeout only what follows its answer (as aiohttp's connector counted them).
    base, script = script_server(lambda head, i: Served(_answer(b"fine")))
    port = int(base.rsplit(":", 1)[1])

    class SlowResolver:
        async def resolve(self, host: str, port: int, family: int) -> list[dict[str, object]]:
            await asyncio.sleep(1.5)
            return [{"host": "127.0.0.2", "port": port, "family": socket.AF_INET, "proto": 0}]

        async def close(self) -> None:
            return None

    async def fetch(timeouts: dict[str, float]) -> int | str:
        wire = Wire(
            resolver=SlowResolver(),  # type: ignore[arg-type]
            socket_factory=lambda info: socket.socket(info[0], info[1], info[2]),
            ssl_context=lambda: None,  # type: ignore[arg-type,return-value]
            limit_per_host=4,
        )
        request = httpx.Request("GET", f"http://slow.test:{port}/", extensions={})
        request.extensions["timeout"] = timeouts
        try:
            response = await wire.handle_async_request(request)
            await response.aclose()
            return response.status_code
        except TimeoutError:
            return "timeout"
        finally:
            await wire.aclose()

    # Margins of a second: a stalled process must not turn "ok" into a timeout.
    ok = asyncio.run(fetch({"pool": 5.0, "connect": 1.2, "read": 3.0}))
    late = asyncio.run(fetch({"pool": 0.3, "connect": 3.0, "read": 3.0}))
    assert (ok, late) == (200, "timeout")
    assert script.connections == 1  # the second never got past its look-up


def _answer(body: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


@pytest.mark.parametrize("seed", range(20))
def test_body_bytes_are_taken_as_they_arrived_at_most_a_read_chunk_at_a_time(seed: int) -> None:
    """Unit test of Connection.take (a longer read is handed up from an offset, not
    copied again): the pieces are what slicing the arrived bytes READ_CHUNK at a time
    gives, whatever sizes they arrived in and however takes and arrivals interleave."""
    rng = random.Random(seed)

    async def main() -> tuple[list[bytes], list[bytes]]:
        conn = _bare_connection()
        taken: list[bytes] = []
        expected: list[bytes] = []
        pending = b""
        for n in range(40):
            if rng.random() < 0.6:
                size = rng.choice([1, 100, READ_CHUNK - 1, READ_CHUNK, READ_CHUNK + 1, 70_000])
                piece = bytes([n % 251]) * size
                conn.on_body(piece)
                pending += piece
            if conn.chunks:
                taken.append(conn.take())
                expected.append(pending[:READ_CHUNK])
                pending = pending[READ_CHUNK:]
                assert conn.buffered == len(pending)
        return taken, expected

    taken, expected = asyncio.run(main())
    assert taken == expected
