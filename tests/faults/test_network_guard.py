"""Issue 7, address policy: hostile URLs and hostile DNS never reach a private address.

Every case runs with ``allow_private`` off. A spy replaces ``socket.socket`` for
the whole process and records every ``connect`` the client makes, so "blocked"
means *no socket was connected*, not "the request failed". Names that do not
resolve on this machine (``metadata.google.internal``) are answered by a fake
resolver injected under :class:`~linkhealth.fetch.guard.GuardResolver`, so the
tests prove the guard, not a DNS failure.

As in ``tests/fetch/test_guard_servers.py``, an address named in
``settings.resolve`` is trusted (like curl's ``--resolve``): ``good.test`` →
127.0.0.2 stands in for a public host, and 127.0.0.2 stands in for a public
address when the fake resolver hands it out.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

import linkhealth.fetch.client as client_mod
import linkhealth.fetch.guard as guard_mod
from linkhealth.fetch.guard import AddressBlocked, Guard, GuardResolver, make_socket_factory
from linkhealth.models import ErrorKind, Verdict
from support.fetchkit import fast, one, run
from support.servers import Reply, ServerPool, html_page

PAGE = html_page("Guarded")


class ConnectSpy:
    """Every address a Python socket in this process tried to connect to."""

    def __init__(self) -> None:
        self.connects: list[tuple[Any, ...]] = []

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        spy = self

        class SpySocket(socket.socket):
            def connect(self, address: Any) -> None:
                spy.connects.append(tuple(address))
                super().connect(address)

            def connect_ex(self, address: Any) -> int:
                spy.connects.append(tuple(address))
                return super().connect_ex(address)

        monkeypatch.setattr(socket, "socket", SpySocket)

    def hosts(self) -> set[str]:
        return {str(a[0]) for a in self.connects}


class FakeResolver(AbstractResolver):
    """Answers from a table: host → list of answers (one per call, the last repeats)."""

    def __init__(self, table: dict[str, list[list[str]]]) -> None:
        self.table = table
        self.calls: dict[str, int] = {}

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = self.table.get(host.lower())
        if answers is None:
            raise OSError(f"fake resolver: {host} unknown")
        n = self.calls.get(host.lower(), 0)
        self.calls[host.lower()] = n + 1
        addrs = answers[min(n, len(answers) - 1)]
        return [
            ResolveResult(
                hostname=host,
                host=a,
                port=port,
                family=socket.AF_INET6 if ":" in a else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for a in addrs
        ]

    async def close(self) -> None:
        return None


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> ConnectSpy:
    s = ConnectSpy()
    s.install(monkeypatch)
    return s


def use_resolver(monkeypatch: pytest.MonkeyPatch, resolver: FakeResolver) -> None:
    """Every GuardResolver the client builds gets ``resolver`` as its inner resolver."""
    monkeypatch.setattr(guard_mod, "DefaultResolver", lambda: resolver)
    monkeypatch.setattr(client_mod, "_resolver", lambda threads: resolver)


# Names a fake DNS answers with non-public addresses (and what they stand for).
HOSTILE_DNS = {
    "metadata.google.internal": [["169.254.169.254"]],
    "metadata.test": [["fd00:ec2::254"]],  # AWS IMDS over IPv6
    "aliyun-metadata.test": [["100.100.100.200"]],
    "nat64.test": [["64:ff9b::a9fe:a9fe"]],  # NAT64 form of 169.254.169.254
    "sixtofour.test": [["2002:a00:1::1"]],  # 6to4 form of 10.0.0.1
    "mapped.test": [["::ffff:127.0.0.1"]],
    "zero.test": [["0.0.0.0"]],
    "intranet.test": [["10.1.2.3"]],
    "router.test": [["192.168.0.1"]],
    "docker.test": [["172.17.0.1"]],
    "v6-loopback.test": [["::1"]],
    "ula.test": [["fd12:3456::1"]],
    "link-local6.test": [["fe80::1"]],
    "site-local6.test": [["fec0::1"]],  # deprecated site-local (RFC 3879)
    # One public (127.0.0.2 is trusted here, standing for public) and one private record.
    "mixed.test": [["127.0.0.2", "10.0.0.1"]],
    "mixed6.test": [["127.0.0.2", "::1"]],
}

LITERAL_URLS = [
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://100.100.100.200/latest/meta-data/",
    "http://127.0.0.1/",
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://017700000001/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://0.0.0.0/",
    "http://0/",
    "http://localhost/",
    "http://LocalHost./",
    "http://foo.localhost/",
    "http://a.b.LOCALHOST/",
    "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
    "http://[2002:7f00:1::1]/",  # 6to4 of 127.0.0.1
    "http://[2002:c0a8:101::1]/",  # 6to4 of 192.168.1.1
    "http://[fec0::1]/",  # site-local IPv6
    "http://[fef0::254]/",  # site-local IPv6, the top of fec0::/10
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "https://127.0.0.1:8443/",
]


def test_literal_and_localhost_urls_are_unsafe_without_any_socket(
    spy: ConnectSpy, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolver = FakeResolver({})
    use_resolver(monkeypatch, resolver)
    results = run(LITERAL_URLS, fast(allow_private=False))
    for r in results:
        assert r.verdict is Verdict.UNSAFE, (r.url, r.verdict, r.detail)
        assert r.error_kind is ErrorKind.POLICY
        assert r.detail.startswith("blocked by address policy"), r.detail
        assert r.attempts == 0  # refused before any attempt
    assert spy.connects == []
    # localhost names are refused by name: no DNS question was asked either.
    assert resolver.calls == {}


def test_names_resolving_to_private_addresses_are_unsafe_without_any_socket(
    pool: ServerPool, spy: ConnectSpy, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = pool.host("127.0.0.2").route("/", Reply(200, body=PAGE))
    resolver = FakeResolver({**HOSTILE_DNS, "public.test": [["127.0.0.2"]]})
    use_resolver(monkeypatch, resolver)
    names = list(HOSTILE_DNS)
    urls = [f"http://{n}:{good.port}/" for n in names] + [f"http://public.test:{good.port}/"]
    *blocked, control = run(urls, fast(allow_private=False, resolve={"good.test": good.target}))
    for name, r in zip(names, blocked, strict=True):
        assert r.verdict is Verdict.UNSAFE, (name, r.verdict, r.detail)
        assert r.error_kind is ErrorKind.POLICY and r.attempts == 1
        assert name in r.detail
    # The control proves the fake DNS path connects when the answer is acceptable.
    assert control.verdict is Verdict.OK
    assert spy.hosts() == {"127.0.0.2"} and len(spy.connects) == 1
    assert good.hits() == 1
    # Every hostile name was asked once and never connected: the mixed one included.
    assert all(resolver.calls[n] >= 1 for n in names)


def test_mixed_records_block_the_whole_name_even_when_the_public_one_is_first(
    pool: ServerPool, spy: ConnectSpy, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = pool.host("127.0.0.2").route("/", Reply(200, body=PAGE))
    use_resolver(monkeypatch, FakeResolver({"mixed.test": [["127.0.0.2", "10.0.0.1"]]}))
    r = one(
        f"http://mixed.test:{good.port}/", fast(allow_private=False, resolve={"x": good.target})
    )
    assert r.verdict is Verdict.UNSAFE and "10.0.0.1" in r.detail
    assert spy.connects == [] and good.hits() == 0


@pytest.fixture(params=["wire", "aiohttp session"])
def transport(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """Settings that pick each transport: the default one, or aiohttp's session (runs
    with a cookie jar or environment proxies): the guard must hold in both."""
    return {} if request.param == "wire" else {"cookie_jar": str(tmp_path / "jar.txt")}


def test_redirects_to_private_targets_are_blocked_on_every_hop(
    pool: ServerPool, spy: ConnectSpy, monkeypatch: pytest.MonkeyPatch, transport: dict[str, Any]
) -> None:
    inner = pool.host("127.0.0.3").route("/admin", Reply(200, body=PAGE))
    good = pool.host("127.0.0.2")
    use_resolver(monkeypatch, FakeResolver(HOSTILE_DNS))
    targets = {
        "abs": f"http://127.0.0.3:{inner.port}/admin",
        "protocol-relative": f"//127.0.0.3:{inner.port}/admin",
        "protocol-relative-default-port": "//127.0.0.1/",
        "metadata": "http://169.254.169.254/latest/meta-data/",
        "metadata-name": "http://metadata.google.internal/computeMetadata/v1/",
        "foo-localhost": f"http://foo.localhost:{inner.port}/admin",
        "mixed": f"http://mixed.test:{inner.port}/admin",
        "nat64": "http://[64:ff9b::7f00:1]/",
        "https-literal": f"https://127.0.0.3:{inner.port}/admin",
    }
    for key, location in targets.items():
        good.route(f"/{key}", Reply(302, headers={"Location": location}))
    # Second hop: an allowed same-host redirect first, then the private target.
    good.route("/two-hops", Reply(301, headers={"Location": "/abs"}))
    # A retry: the first attempt fails with 503, the retry's redirect goes inside.
    good.route("/retry", [Reply(503), Reply(302, headers={"Location": targets["abs"]})])
    base = f"http://good.test:{good.port}"
    paths = [*targets, "two-hops", "retry"]
    settings = fast(allow_private=False, resolve={"good.test": good.target}, retries=2, **transport)
    results = run([f"{base}/{p}" for p in paths], settings)
    for path, r in zip(paths, results, strict=True):
        assert r.verdict is Verdict.UNSAFE, (path, r.verdict, r.detail)
        assert r.error_kind is ErrorKind.POLICY
        assert r.redirects and r.redirects[0].url.startswith(base)
    assert results[paths.index("two-hops")].redirects[1].url == f"{base}/abs"
    assert results[paths.index("retry")].attempts == 2  # blocked on the retry, not retried again
    assert inner.hits() == 0
    assert spy.hosts() == {"127.0.0.2"}


def test_dns_rebinding_public_then_private(
    pool: ServerPool, spy: ConnectSpy, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = pool.host("127.0.0.2").route("/", Reply(200, body=PAGE))
    inner = pool.host("127.0.0.3").route("/", Reply(200, body=PAGE))
    resolver = FakeResolver({"rebind.test": [["127.0.0.2"], ["127.0.0.3"]]})
    use_resolver(monkeypatch, resolver)
    settings = fast(allow_private=False, resolve={"anchor.test": good.target})
    url = f"http://rebind.test:{good.port}/"
    first = one(url, settings)  # a fresh client (and DNS cache) per run
    second = one(url, settings)
    assert first.verdict is Verdict.OK
    assert second.verdict is Verdict.UNSAFE and "127.0.0.3" in second.detail
    assert resolver.calls["rebind.test"] == 2
    assert good.hits() == 1 and inner.hits() == 0
    assert spy.hosts() == {"127.0.0.2"}


def test_socket_factory_recheck_stops_what_a_resolver_let_through(
    pool: ServerPool, spy: ConnectSpy, monkeypatch: pytest.MonkeyPatch, transport: dict[str, Any]
) -> None:
    """If the resolver step were bypassed (a rebinding that beat it), the last check holds."""
    inner = pool.host("127.0.0.3").route("/", Reply(200, body=PAGE))
    naive = FakeResolver({"rebind.test": [["127.0.0.3"]]})

    async def unguarded(
        self: GuardResolver, host: str, port: int = 0, family: socket.AddressFamily = 0
    ) -> list[ResolveResult]:
        return await naive.resolve(host, port, family)

    monkeypatch.setattr(GuardResolver, "resolve", unguarded)
    r = one(f"http://rebind.test:{inner.port}/", fast(allow_private=False, **transport))
    assert r.verdict is Verdict.UNSAFE and r.error_kind is ErrorKind.POLICY, r.detail
    assert naive.calls == {"rebind.test": 1}  # the resolver answered; the factory refused
    assert spy.connects == [] and inner.hits() == 0


def test_socket_factory_unit() -> None:
    guard = Guard(allow_private=False, resolve={"good.test": "127.0.0.2"})
    factory = make_socket_factory(guard)
    stream = socket.SOCK_STREAM
    for addr in ("127.0.0.3", "169.254.169.254", "10.0.0.1"):
        with pytest.raises(AddressBlocked):
            factory((socket.AF_INET, stream, 6, "", (addr, 80)))
    with pytest.raises(AddressBlocked):
        factory((socket.AF_INET6, stream, 6, "", ("::ffff:127.0.0.1", 80, 0, 0)))
    with factory((socket.AF_INET, stream, 6, "", ("127.0.0.2", 80))) as ok:
        assert ok.family == socket.AF_INET


def test_guard_resolver_unit_mixed_and_localhost() -> None:
    guard = Guard(allow_private=False, resolve={})
    fake = FakeResolver({"mixed.test": [["8.8.8.8", "10.0.0.1"]], "pub.test": [["8.8.8.8"]]})
    resolver = GuardResolver(guard, fake)

    async def go() -> None:
        assert [i["host"] for i in await resolver.resolve("pub.test", 80)] == ["8.8.8.8"]
        with pytest.raises(AddressBlocked, match=r"10\.0\.0\.1"):
            await resolver.resolve("mixed.test", 80)
        for name in ("localhost", "LOCALHOST.", "x.localhost"):
            with pytest.raises(AddressBlocked):
                await resolver.resolve(name, 80)

    asyncio.run(go())
    assert "localhost" not in fake.calls and "x.localhost" not in fake.calls
    lifted = GuardResolver(Guard(allow_private=True, resolve={}), fake)
    answers = asyncio.run(lifted.resolve("mixed.test", 80))
    assert [i["host"] for i in answers] == ["8.8.8.8", "10.0.0.1"]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "  javascript:alert(1)",
        "\tJaVaScRiPt:alert(document.cookie)",
        "JAVASCRIPT://%0aalert(1)",
        "vbscript:msgbox(1)",
        " VBScript:msgbox(1)",
        "data:text/html,<script>alert(1)</script>",
        "   DATA:text/html;base64,PHNjcmlwdD4=",
    ],
)
def test_dangerous_schemes_any_case_and_spacing_are_unsafe(url: str, spy: ConnectSpy) -> None:
    r = one(url, fast(allow_private=False))
    assert r.verdict is Verdict.UNSAFE and r.error_kind is ErrorKind.POLICY
    assert "dangerous scheme" in r.detail and r.attempts == 0
    assert spy.connects == []


def test_location_with_a_dangerous_scheme_is_not_followed(pool: ServerPool) -> None:
    good = pool.host("127.0.0.2")
    locations = {
        "js": "javascript:alert(1)",
        "js-case": "JaVaScRiPt:alert(1)",
        "js-space": "  javascript:alert(1)",
        "vbs": "vbscript:msgbox(1)",
        "data": "data:text/html,<script>alert(1)</script>",
    }
    for key, loc in locations.items():
        good.route(f"/{key}", Reply(302, headers={"Location": loc}))
    base = f"http://good.test:{good.port}"
    settings = fast(allow_private=False, resolve={"good.test": good.target})
    results = run([f"{base}/{k}" for k in locations], settings)
    for key, r in zip(locations, results, strict=True):
        assert r.verdict is Verdict.UNSAFE, (key, r.verdict, r.detail)
        assert r.error_kind is ErrorKind.POLICY and r.attempts == 1
        assert r.detail.startswith("redirect to a dangerous"), r.detail
        assert r.body == b""
    assert good.hits() == len(locations)


PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def test_env_proxy_is_ignored_unless_asked_for(
    pool: ServerPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = pool.host("127.0.0.2").route("/", Reply(200, body=html_page("Direct")))
    proxy = pool.host("127.0.0.4")
    target = f"http://good.test:{good.port}/"
    # A forward proxy receives the absolute URL as the request target.
    proxy.route(target, Reply(200, body=html_page("Via proxy")))
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in PROXY_VARS:
        monkeypatch.setenv(name, f"http://{proxy.target}")
    settings = fast(allow_private=False, resolve={"good.test": good.target})

    direct = one(target, settings)
    assert direct.verdict is Verdict.OK and b"Direct" in direct.body
    assert proxy.hits() == 0 and good.hits() == 1

    via = run(
        [target, "http://127.0.0.3/", "http://foo.localhost/"],
        settings.model_copy(update={"use_env_proxy": True}),
    )
    assert via[0].verdict is Verdict.OK and b"Via proxy" in via[0].body
    assert proxy.hits() == 1 and proxy.requests[0].path == target
    assert good.hits() == 1  # the proxied request did not come here
    # Literal private addresses and localhost names are refused before any proxy sees them.
    assert [r.verdict for r in via[1:]] == [Verdict.UNSAFE, Verdict.UNSAFE]
    assert proxy.hits() == 1


def test_socket_factory_still_checks_when_a_proxy_is_trusted() -> None:
    guard = Guard(allow_private=False, resolve={}, trusted_hosts={"127.0.0.4", "proxy.test"})
    factory = make_socket_factory(guard)
    stream = socket.SOCK_STREAM
    with factory((socket.AF_INET, stream, 6, "", ("127.0.0.4", 3128))) as ok:
        assert ok.family == socket.AF_INET  # the proxy, given by address
    for addr in ("127.0.0.3", "169.254.169.254"):  # anything else on the way stays blocked
        with pytest.raises(AddressBlocked):
            factory((socket.AF_INET, stream, 6, "", (addr, 80)))

    # A proxy given by name: the addresses it resolves to become trusted.
    resolver = GuardResolver(guard, FakeResolver({"proxy.test": [["10.9.9.9"]]}))
    asyncio.run(resolver.resolve("proxy.test", 3128))
    with factory((socket.AF_INET, stream, 6, "", ("10.9.9.9", 3128))):
        pass
