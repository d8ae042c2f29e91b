"""Fixtures for the cluster tests: loopback hosts that count concurrency, one shared
Dask cluster (starting one costs seconds), quiet Dask logging."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

HOSTS = ("127.0.0.1", "127.0.0.2", "127.0.0.3")
SERVER_LIFETIME = 150.0  # seconds; every server stops by itself after this


@dataclass
class HostStats:
    """What one host saw: requests, and the most it ever had in flight or connected."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    inflight: int = 0
    max_inflight: int = 0
    connections: int = 0
    max_connections: int = 0
    paths: list[str] = field(default_factory=list)

    def reset(self) -> None:
        with self.lock:
            self.requests = 0
            self.max_inflight = self.inflight
            self.max_connections = self.connections
            self.paths = []


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HostServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        st = self.server.stats
        with st.lock:
            st.connections += 1
            st.max_connections = max(st.max_connections, st.connections)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            st = self.server.stats
            with st.lock:
                st.connections -= 1

    def do_GET(self) -> None:
        st = self.server.stats
        with st.lock:
            st.requests += 1
            st.inflight += 1
            st.max_inflight = max(st.max_inflight, st.inflight)
            st.paths.append(self.path)
        try:
            time.sleep(self.server.delay)
            status, headers, body = self._route()
        finally:
            # Counted out before the answer leaves, so a client that sends its next
            # request as soon as it has read this one is never counted twice.
            with st.lock:
                st.inflight -= 1
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _route(self) -> tuple[int, dict[str, str], bytes]:
        host = self.server.server_address[0]
        kind, _, number = self.path.strip("/").partition("/")
        html = {"Content-Type": "text/html; charset=utf-8"}
        if kind == "page":
            body = (
                f"<!doctype html><html><head><title>Page {number} on {host}</title>"
                f'<meta name="description" content="About {number}."></head>'
                f"<body><h1 id='top'>{number}</h1></body></html>"
            ).encode()
            return 200, html, body
        if kind == "moved":
            return 301, {"Location": f"/page/{number}"}, b""
        if kind == "temp":
            return 302, {"Location": f"/page/{number}"}, b""
        if kind == "gone":
            return 404, html, b"<html><head><title>Not found</title></head></html>"
        if kind == "etag":
            tag = f'"v{number}"'
            if self.headers.get("If-None-Match") == tag:
                return 304, {"ETag": tag}, b""
            body = f"<html><head><title>Tagged {number}</title></head></html>".encode()
            return 200, {**html, "ETag": tag}, body
        return 404, html, b"<html><head><title>Not found</title></head></html>"


class _HostServer(ThreadingHTTPServer):
    daemon_threads = True
    stats: HostStats
    delay: float

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up early is normal (linkhealth stops reading at </head>).
        # socketserver would print the BrokenPipeError's traceback to whatever sys.stderr
        # is at that moment — from a handler thread outliving this module's tests, into a
        # later test's CliRunner output (seen in CI: a check's JSON with a traceback after it).
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


@dataclass
class Hosts:
    """Three loopback hosts on one port each, with their stats."""

    servers: dict[str, _HostServer]

    def base(self, host: str) -> str:
        return f"http://{host}:{self.servers[host].server_address[1]}"

    def stats(self, host: str) -> HostStats:
        return self.servers[host].stats

    def set_delay(self, seconds: float) -> None:
        for server in self.servers.values():
            server.delay = seconds

    def reset(self) -> None:
        for server in self.servers.values():
            server.stats.reset()

    def total_requests(self) -> int:
        return sum(s.stats.requests for s in self.servers.values())


@pytest.fixture(scope="module")
def hosts() -> Iterator[Hosts]:
    servers: dict[str, _HostServer] = {}
    threads = []
    for host in HOSTS:
        server = _HostServer((host, 0), _Handler)
        server.stats = HostStats()
        server.delay = 0.02
        servers[host] = server
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.daemon = True
        thread.start()
        threads.append(thread)
    timers = [threading.Timer(SERVER_LIFETIME, s.shutdown) for s in servers.values()]
    for timer in timers:
        timer.daemon = True
        timer.start()
    try:
        yield Hosts(servers)
    finally:
        for timer in timers:
            timer.cancel()
        for server in servers.values():
            server.shutdown()
            server.server_close()
        for thread in threads:
            thread.join(5)


@pytest.fixture(scope="module", autouse=True)
def quiet_dask() -> Iterator[None]:
    """Dask logs worker restarts and lost connections at WARNING/ERROR; the tests
    provoke them on purpose (a killed worker), so keep them out of the output."""
    names = ("distributed", "tornado")
    levels = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture(scope="module")
def scheduler_address() -> Iterator[str]:
    """One LocalCluster of two worker processes, shared by the module's tests."""
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        dashboard_address=":0",
        worker_dashboard_address=":0",
        silence_logs=logging.CRITICAL,
    )
    try:
        yield str(cluster.scheduler_address)
    finally:
        cluster.close()
