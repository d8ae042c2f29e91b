"""media_type: one reading of a Content-Type, kept once read only for short headers."""

from __future__ import annotations

from linkhealth.mediatypes import _CACHED_CHARS, _media_type, media_type


def test_short_and_long_headers_read_alike_and_long_ones_are_not_kept() -> None:
    long_tail = "; q=" + "x" * _CACHED_CHARS
    cases = {
        "text/html; charset=utf-8": "text/html",
        " TEXT/HTML ": "text/html",
        "text/html" + long_tail: "text/html",
        "application/pdf": "application/pdf",
        "not a type": None,
        "x" * (_CACHED_CHARS + 1): None,
        "": None,
        None: None,
    }
    _media_type.cache_clear()
    for header, expected in cases.items():
        assert media_type(header) == expected, header
        assert media_type(header) == expected, header  # the kept answer is the same
    kept = _media_type.cache_info().currsize
    assert kept == 4  # the four short non-empty headers; the two long ones were not kept
