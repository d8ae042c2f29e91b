"""The archive's answers, parsed as documented; anything else is an error, never a copy."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from linkhealth.archive import (
    ArchiveAnswerError,
    Capture,
    availability_url,
    cdx_url,
    fits,
    parse_availability,
    parse_cdx,
    web_base,
)

AT = datetime(2024, 3, 1, 10, 15, tzinfo=UTC)


def availability(closest: object) -> bytes:
    return json.dumps({"url": "x", "archived_snapshots": {"closest": closest}}).encode()


def test_availability_closest_capture() -> None:
    body = availability(
        {"status": "200", "available": True, "timestamp": "20240301101500", "url": "http://w/x"}
    )
    assert parse_availability(body) == Capture("http://w/x", AT, "200")


@pytest.mark.parametrize(
    "body",
    [
        b'{"url": "x", "archived_snapshots": {}}',
        availability({"available": False, "url": "http://w/x", "timestamp": "20240301101500"}),
    ],
)
def test_availability_without_a_capture(body: bytes) -> None:
    assert parse_availability(body) is None


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html>rate limited</html>",
        b"[]",
        b'{"archived_snapshots": []}',
        b"\xff\xfe",
        availability("http://w/x"),
        availability({"available": True, "timestamp": "20240301101500"}),
        availability({"available": True, "url": "http://w/x", "timestamp": "2024"}),
        availability({"available": True, "url": "http://w/x", "timestamp": "20241399999999"}),
        availability({"available": True, "url": "http://w/x", "timestamp": 20240301101500}),
    ],
)
def test_availability_junk_is_an_error(body: bytes) -> None:
    with pytest.raises(ArchiveAnswerError):
        parse_availability(body)


def test_cdx_last_line_is_the_capture() -> None:
    body = b"20200101000000 https://g.test/a 200\n20240301101500 https://g.test/a 200\n"
    assert parse_cdx(body, "http://archive.test:1") == Capture(
        "http://archive.test:1/web/20240301101500/https://g.test/a", AT, "200"
    )
    assert parse_cdx(b"", "http://archive.test:1") is None
    assert parse_cdx(b"\n  \n", "http://archive.test:1") is None


@pytest.mark.parametrize(
    "body",
    [
        b"20240301101500 https://g.test/a\n",
        b"com,g)/a 20240301101500 https://g.test/a text/html 200 DIGEST 123\n",
        b"notastamp https://g.test/a 200\n",
        b"\xff 1 2\n",
    ],
)
def test_cdx_junk_is_an_error(body: bytes) -> None:
    with pytest.raises(ArchiveAnswerError):
        parse_cdx(body, "https://archive.org")


@pytest.mark.parametrize(
    ("capture", "before", "expected"),
    [
        (Capture("u", AT, "200"), None, True),
        (Capture("u", AT, "200"), AT, True),
        (Capture("u", AT, "200"), datetime(2024, 3, 1, 10, 14, tzinfo=UTC), False),
        (Capture("u", AT, "404"), None, False),
        (Capture("u", AT, "-"), None, False),
        (None, None, False),
    ],
)
def test_fits(capture: Capture | None, before: datetime | None, expected: bool) -> None:
    assert fits(capture, before) is expected


def test_api_addresses() -> None:
    assert web_base("https://archive.org") == "https://web.archive.org"
    assert web_base("http://wb.internal:8080") == "http://wb.internal:8080"
    url = availability_url("https://archive.org", "https://g.test/a?b=1&c=2", AT)
    parts = urlsplit(url)
    assert (parts.netloc, parts.path) == ("archive.org", "/wayback/available")
    assert parse_qs(parts.query) == {
        "url": ["https://g.test/a?b=1&c=2"],
        "timestamp": ["20240301101500"],
    }
    cdx = urlsplit(cdx_url("https://archive.org", "https://g.test/a", None))
    assert (cdx.netloc, cdx.path) == ("web.archive.org", "/cdx/search/cdx")
    query = parse_qs(cdx.query)
    assert query["filter"] == ["statuscode:200"] and query["limit"] == ["-1"]
    assert "to" not in query
