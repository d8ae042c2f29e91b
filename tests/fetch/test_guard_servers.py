"""The address guard against real loopback servers, with ``allow_private`` OFF.

How a guard can be tested when every test server is on loopback: the address a
user names in ``settings.resolve`` is trusted (they chose it, as with curl's
``--resolve``), so ``good.test`` → 127.0.0.2:port stands in for a public host.
Every other non-public address stays blocked: direct loopback URLs in any
spelling, ``localhost`` (resolved by the system), and redirects from the trusted
host to another loopback address. Each blocked case also checks that the target
server never saw a request.
"""

from __future__ import annotations

from linkhealth.models import ErrorKind, Verdict
from support.fetchkit import fast, one, run
from support.servers import Reply, ServerPool, html_page

PAGE = html_page("Guarded")


def test_trusted_resolve_target_works_other_loopback_is_unsafe(pool: ServerPool) -> None:
    good = pool.host("127.0.0.2").route("/", Reply(200, body=PAGE))
    other = pool.host("127.0.0.3").route("/", Reply(200, body=PAGE))
    port = other.port
    settings = fast(allow_private=False, resolve={"good.test": good.target})
    urls = [
        f"http://good.test:{good.port}/",
        other.url("/"),
        f"http://2130706433:{port}/",
        f"http://0x7f.1:{port}/",
        f"http://[::ffff:127.0.0.1]:{port}/",
        f"http://localhost:{port}/",
        f"http://[::1]:{port}/",
        f"http://127.1:{port}/",
    ]
    first, *blocked = run(urls, settings)
    assert first.verdict is Verdict.OK
    for r in blocked:
        assert r.verdict is Verdict.UNSAFE, r
        assert r.error_kind is ErrorKind.POLICY
    assert other.hits() == 0


def test_redirect_from_trusted_host_to_loopback_is_unsafe(pool: ServerPool) -> None:
    other = pool.host("127.0.0.3").route("/admin", Reply(200, body=PAGE))
    good = pool.host("127.0.0.2")
    good.route("/to-ip", Reply(302, headers={"Location": other.url("/admin")}))
    good.route("/to-localhost", Reply(302, headers={"Location": f"http://localhost:{other.port}/"}))
    good.route("/to-decimal", Reply(301, headers={"Location": f"http://2130706435:{other.port}/"}))
    good.route("/to-js", Reply(302, headers={"Location": "javascript:alert(1)"}))
    settings = fast(allow_private=False, resolve={"good.test": good.target})
    base = f"http://good.test:{good.port}"
    results = run(
        [f"{base}/to-ip", f"{base}/to-localhost", f"{base}/to-decimal", f"{base}/to-js"], settings
    )
    for r in results:
        assert r.verdict is Verdict.UNSAFE, r
        assert r.error_kind is ErrorKind.POLICY
        assert r.redirects and r.redirects[0].url.startswith(base)
        assert r.attempts == 1  # policy blocks are never retried
    assert other.hits() == 0


def test_allow_private_lifts_the_guard(pool: ServerPool) -> None:
    other = pool.host("127.0.0.3").route("/", Reply(200, body=PAGE))
    r = one(f"http://2130706435:{other.port}/", fast(allow_private=True))
    assert r.verdict is Verdict.OK
    assert other.hits() == 1


def test_dangerous_schemes_are_never_fetched() -> None:
    urls = ["javascript:alert(1)", "data:text/html,<script>x</script>", "VBScript:msgbox"]
    for r in run(urls, fast(allow_private=False)):
        assert r.verdict is Verdict.UNSAFE and r.error_kind is ErrorKind.POLICY
