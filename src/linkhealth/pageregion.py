"""How much of an HTML page its metadata is read from: the one rule for the fetcher's read
(:mod:`linkhealth.fetch.client`) and for metadata extraction (:mod:`linkhealth.meta`).

The region is the page up to its first ``</head>`` and :data:`AFTER_HEAD_BYTES` after it
(the first heading and paragraphs: the title and description fall-backs). An ordinary page
is read only that far. A page read whole (a link to it has a ``#fragment``, for
``--check-fragments``; a follow-up page) is cut to the same region before its metadata is
read, so a page's title and description never depend on how its body was read.
"""

from __future__ import annotations

import re

#: Bytes of the body after ``</head>`` that metadata reads (and an ordinary read keeps).
AFTER_HEAD_BYTES = 4096

#: Where a head ends: an end tag's name, then only HTML's (ASCII) whitespace.
HEAD_END_PATTERN = r"</head\s*>"
HEAD_END = re.compile(HEAD_END_PATTERN.encode("ascii"), re.I)
#: The same rule over decoded text (metadata's region of a page it could not cut as bytes).
HEAD_END_TEXT = re.compile(HEAD_END_PATTERN, re.I | re.ASCII)


def region_end(data: bytes | bytearray, start: int = 0, stop: int | None = None) -> int | None:
    """Where the metadata region of ``data`` ends: :data:`AFTER_HEAD_BYTES` after the first
    ``</head>`` found in ``data[start:stop]`` (may lie past the end of ``data``), or ``None``
    when there is none there."""
    match = HEAD_END.search(data, start, len(data) if stop is None else stop)
    return None if match is None else match.end() + AFTER_HEAD_BYTES


def metadata_bytes(body: bytes) -> bytes:
    """The part of a fetched HTML ``body`` that metadata is read from (all of it when no
    ``</head>`` is found: a page without one, or one whose encoding hides it, UTF-16)."""
    end = region_end(body)
    return body if end is None or end >= len(body) else body[:end]
