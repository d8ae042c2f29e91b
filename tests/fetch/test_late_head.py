"""A head read past max_body_bytes: a <title> after a megabyte of inline script is found,
and what is kept stays bounded however long the page runs on."""

from __future__ import annotations

import asyncio
import gc
import gzip
import random
import re
import tracemalloc
from collections.abc import AsyncGenerator, AsyncIterator

import pytest

from linkhealth.fetch import FetchResult, fetch_all
from linkhealth.fetch.client import LATE_KEEP_BYTES, LATE_READ_BYTES, _read_body
from linkhealth.meta import extract_meta
from linkhealth.models import Verdict
from support.fetchkit import fast, run
from support.servers import Reply, ServerPool

MIB = 1024 * 1024
CAP = 512 * 1024


def shop_page(script_bytes: int, title: str = "Walnut Desk, 120 cm") -> bytes:
    """A shop page shape: state JSON inlined in the head before anything else."""
    script = _state_json(script_bytes)
    return (
        b"<!doctype html><html lang=en><head><meta charset=utf-8>"
        b"<script>window.__STATE__=[" + script + b'{}];var t="<title>Not this</title>";</script>'
        b"<!-- <title>nor this</title> -->"
        b"<style>.a{color:red}</style>"
        b'<meta property="og:site_name" content="Shop">'
        b'<meta name="description" content="Solid walnut, oiled.">'
        b"<title>" + title.encode() + b"</title>"
        b"</head><body><h1>" + title.encode() + b"</h1>" + b"<p>x</p>" * 50_000
    )


def _state_json(size: int) -> bytes:
    """Inline state as shops write it: varied enough to compress only a few times over."""
    rng = random.Random(size)
    rows = []
    total = 0
    while total < size:
        row = f'{{"sku":"{rng.getrandbits(40):x}","price":{rng.random() * 500:.2f},'
        row += '"html":"<div class=\\"card\\">item</div>"},\n'
        rows.append(row)
        total += len(row)
    return "".join(rows).encode()


@pytest.mark.parametrize("compressed", [False, True])
def test_title_after_a_megabyte_of_inline_script(pool: ServerPool, compressed: bool) -> None:
    body = shop_page(1 * MIB)
    a = pool.host("127.0.0.2").route("/item", Reply(200, body=body, gzip=compressed))
    (r,) = run([a.url("/item")], fast())
    assert r.verdict is Verdict.OK
    assert len(r.body) <= CAP + LATE_KEEP_BYTES
    meta = extract_meta(r.body, r.content_type, a.url("/item"))
    assert meta.title == "Walnut Desk, 120 cm"
    assert meta.description == "Solid walnut, oiled."
    assert meta.site_name == "Shop"


def test_no_title_within_the_late_cap_keeps_the_first_bytes(pool: ServerPool) -> None:
    body = shop_page(LATE_READ_BYTES + MIB)
    a = pool.host("127.0.0.2").route("/huge", Reply(200, body=body))
    (r,) = run([a.url("/huge")], fast())
    assert r.verdict is Verdict.OK and r.truncated
    assert len(r.body) <= CAP
    assert extract_meta(r.body, r.content_type, a.url("/huge")).title is None


class _Stream:
    """One response's raw chunks, produced on demand (never held whole)."""

    def __init__(self, parts: list[tuple[bytes, int]], chunk: int, encoding: str = "") -> None:
        self.headers = {"content-encoding": encoding} if encoding else {}
        self.parts, self.chunk = parts, chunk

    async def aiter_raw(self) -> AsyncIterator[bytes]:
        for piece, times in self.parts:
            for _ in range(times):
                for i in range(0, len(piece), self.chunk):
                    yield piece[i : i + self.chunk]


def _read(stream: _Stream, cap: int = CAP) -> tuple[bytes, bool]:
    return asyncio.run(_read_body(stream, cap, stop_at_head=True, late_head=True))  # type: ignore[arg-type]


@pytest.mark.parametrize("chunk", [1, 7, 4096, 65536])
def test_tags_split_between_chunks_are_read_whole(chunk: int) -> None:
    head = b"<html><head><script>" + b"x" * 4000
    tail = (
        b"</script><meta name=description content='Late'><title>Late &amp; found</title>"
        b"</head><body>"
    )
    body, truncated = _read(_Stream([(head, 1), (tail, 1)], chunk), cap=1024)
    assert not truncated
    meta = extract_meta(body, "text/html", "https://shop.example/")
    assert (meta.title, meta.description) == ("Late & found", "Late")


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"<head><title>Early</title>" + b"<p>x</p>" * 500, "Early"),  # title seen: stop at cap
        (b"<head></head><body>" + b"<p>x</p>" * 500, None),  # </head> seen: stop there
        (b"<head><body>" + b"<p>x</p>" * 500, None),  # <body> seen: no late read
    ],
)
def test_no_late_read_once_the_head_is_seen(head: bytes, expected: str | None) -> None:
    late = b"<title>Late</title>"
    body, _ = _read(_Stream([(head, 1), (late, 1)], 512), cap=1024)
    assert len(body) <= 1024
    assert extract_meta(body, "text/html", "https://a.example/").title == expected


@pytest.mark.parametrize("encoding", ["", "gzip"])
def test_memory_stays_bounded_while_reading_on(encoding: str) -> None:
    """Four MiB of script streamed past the cap: the reader holds about one chunk of it."""
    script = b"<html><head><script>" + _state_json(LATE_READ_BYTES)
    if encoding:
        script = gzip.compress(script)
    stream = _Stream([(script, 1)], 16 * 1024, encoding)
    tracemalloc.start()
    try:
        body, truncated = _read(stream)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert truncated and len(body) <= CAP
    # The first cap bytes, a copy of them for the cut, and a chunk or two in flight.
    assert peak < 3 * CAP + 256 * 1024, peak


def test_reading_pages_leaves_no_async_generator_to_finalise(pool: ServerPool) -> None:
    """A body read stopped at </head> leaves nothing for the event loop to finalise: an
    async generator abandoned there is closed in a task of its own, after a wake-up of
    the loop (two a request, through httpx's aiter_raw)."""
    import sys

    page = shop_page(1000)
    a = pool.host("127.0.0.2").route("/p", Reply(200, body=page))
    b = pool.host("127.0.0.3").route("/z", Reply(200, body=page, gzip=True))
    finalised: list[object] = []

    async def main() -> list[FetchResult]:
        firstiter, finalizer = sys.get_asyncgen_hooks()

        def counting(gen: AsyncGenerator[object, None]) -> None:
            finalised.append(gen)
            if finalizer is not None:
                finalizer(gen)

        sys.set_asyncgen_hooks(firstiter, counting)
        results = await fetch_all([a.url("/p"), b.url("/z")], fast())
        gc.collect()
        await asyncio.sleep(0)
        return results

    results = asyncio.run(main())
    assert [r.verdict for r in results] == [Verdict.OK, Verdict.OK]
    assert all(b"<title>Walnut Desk" in r.body and len(r.body) < len(page) for r in results)
    assert finalised == []


def _region_as_it_arrives(body: bytes, chunk: int, cap: int) -> bytes:
    """What a read that stops at the head keeps (no late read): every chunk up to the one
    in which ``</head>`` ends, cut 4096 bytes after it, or at ``cap``."""
    got = b""
    for i in range(0, len(body), chunk):
        got += body[i : i + chunk]
        found = re.search(rb"</head\s*>", got[:cap], re.I)
        if found:
            return got[: min(found.end() + 4096, cap)]
        if len(got) >= cap:
            return got[:cap]
    return got


@pytest.mark.parametrize("chunk", [5, 600, 5000, 16384, 100_000])
@pytest.mark.parametrize("head_at", [0, 100, 4000, 9000, 40_000])
@pytest.mark.parametrize("cap", [2048, 12_000, 512 * 1024])
def test_a_read_to_the_head_keeps_what_arrived_of_its_region(
    chunk: int, head_at: int, cap: int
) -> None:
    """The first chunk is cut without being buffered (client._read_chunks): what is kept
    is the same however the page arrives, and never more than ``cap``."""
    body = b"<html><head>" + b"h" * head_at + b"</HEAD >" + b"<p>body</p>" * 3000
    stream = _Stream([(body, 1)], chunk)
    got, truncated = asyncio.run(_read_body(stream, cap, stop_at_head=True))  # type: ignore[arg-type]
    assert got == _region_as_it_arrives(body, chunk, cap)
    assert truncated == (len(got) == cap and not re.search(rb"</head\s*>", got, re.I))
