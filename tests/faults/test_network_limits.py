"""What a host sees of us: never more open sockets than its limit; PDFs read far enough.

Real servers on loopback (``tests/support/servers.py``); ``max_connections`` is
counted by the server, so it covers sockets the client dropped and reopened.
"""

from __future__ import annotations

from linkhealth.config import HostSettings
from linkhealth.meta import extract_meta
from linkhealth.models import Verdict
from support.fetchkit import fast, run
from support.servers import Reply, ServerPool, html_page

# Longer than the head: reading stops at </head>, so many connections are dropped.
LONG_PAGE = html_page("Long", "<p>filler</p>" * 2000)


def test_open_sockets_per_host_never_exceed_the_limit(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2")
    b = pool.host("127.0.0.3")
    for i in range(30):
        # Same-host redirects with unread bodies: each hop may drop its connection.
        a.route(f"/r{i}", Reply(302, headers={"Location": f"/p{i}"}, body=b"x" * 100))
        a.route(f"/p{i}", Reply(200, body=LONG_PAGE))
        # Cross-host redirects: a's workers connect to b on top of b's own workers.
        a.route(f"/x{i}", Reply(302, headers={"Location": b.url(f"/p{i}")}))
        b.route(f"/p{i}", Reply(200, body=LONG_PAGE, delay=0.01))
    urls = [a.url(f"/r{i}") for i in range(30)]
    urls += [a.url(f"/x{i}") for i in range(30)]
    urls += [b.url(f"/p{i}") for i in range(30)]
    for _ in range(3):  # the race showed up in about one run in three
        results = run(urls, fast(host_concurrency=2))
        assert {r.verdict for r in results} <= {Verdict.OK, Verdict.REDIRECTED}
    assert b.hits() == 180 and a.hits() == 270
    # Requests being served at once: never above the limit.
    assert a.max_in_flight <= 2 and b.max_in_flight <= 2, (a.max_in_flight, b.max_in_flight)
    # Open sockets as the server counts them: the client holds at most 2 (aiohttp's
    # per-host cap), but a socket it has just closed still counts until the server's
    # loop reads its FIN, which may come after it accepts the replacement. One socket
    # of that teardown lag is allowed; before the fix the count reached 3-4 for real.
    assert a.max_connections <= 3, a.max_connections
    assert b.max_connections <= 3, b.max_connections


def test_per_host_override_above_the_default_is_usable(pool: ServerPool) -> None:
    a = pool.host("127.0.0.2")
    for i in range(12):
        a.route(f"/p{i}", Reply(200, body=LONG_PAGE, delay=0.1))
    settings = fast(host_concurrency=1, hosts={"127.0.0.2": HostSettings(concurrency=4)})
    results = run([a.url(f"/p{i}") for i in range(12)], settings)
    assert all(r.verdict is Verdict.OK for r in results)
    # The connector's cap follows the largest host limit, not the default one.
    assert a.max_in_flight == 4
    assert a.max_connections <= 5  # one socket of teardown lag, as above


def _pdf(title: bytes, padding: int = 0) -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        b"3 0 obj\n<< /Title ("
        + title
        + b") /Producer (test) >>\nendobj\n"
        + b"% padding\n" * (padding // 10)
        + b"trailer\n<< /Root 1 0 R /Info 3 0 R >>\n%%EOF\n"
    )


def test_pdf_document_title_is_read_end_to_end(pool: ServerPool) -> None:
    from linkhealth.fetch.client import PDF_READ_BYTES

    a = pool.host("127.0.0.2")
    a.route(
        "/paper.pdf", Reply(200, body=_pdf(b"A Paper \\(draft\\)"), content_type="application/pdf")
    )
    # A large PDF: only the first PDF_READ_BYTES are read, the title is in them.
    a.route(
        "/big.pdf",
        Reply(200, body=_pdf(b"Big One", padding=4 * 1024 * 1024), content_type="application/pdf"),
    )
    a.route("/blob", Reply(200, body=_pdf(b"Not Read"), content_type="application/zip"))
    paper, big, blob = run([a.url("/paper.pdf"), a.url("/big.pdf"), a.url("/blob")], fast())
    assert paper.verdict is Verdict.OK and paper.body.startswith(b"%PDF-")
    assert extract_meta(paper.body, paper.content_type, paper.url).title == "A Paper (draft)"
    assert big.verdict is Verdict.OK and big.truncated and len(big.body) == PDF_READ_BYTES
    assert extract_meta(big.body, big.content_type, big.url).title == "Big One"
    assert blob.verdict is Verdict.OK and blob.body == b""  # other types are not read
