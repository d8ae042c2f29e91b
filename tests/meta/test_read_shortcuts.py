"""Work read_page and decoding skip, each checked against the work done in full.

* read_page does not search the region's text for ``</head>`` again when the text is the
  UTF-8 of bytes that ``metadata_bytes`` already cut at their first ``</head>``;
* a body whose first byte starts no BOM is not compared with each BOM;
* the header's charset is looked up once per Content-Type value.
"""

from __future__ import annotations

import codecs

import pytest

from linkhealth.meta import charset
from linkhealth.meta.charset import (
    bom_encoding,
    charset_from_content_type,
    choose_encoding,
    decode_source,
    label_codec,
    lookup,
)
from linkhealth.meta.document import head_region, metadata_source, parse_page, read_page
from linkhealth.pageregion import AFTER_HEAD_BYTES, metadata_bytes

_BODY = "<body><p>" + "Body text é ü — ✓ 𝄞. " * 600 + "</p>"
_HEADS = [
    "<html><head><title>Plain</title></head>",
    "<html><head><title>Ümlaut — ✓ 𝄞</title></HEAD >",
    "<head><title>t</title></head\n\t>",
    "<head><title>t</title></head\x0b>",  # \v is no HTML space, but the pattern's \s
    "<head><title>Заголовок</title><!-- </head> --></head>",
    "<head><script>var s = '</head>';</script></head>",
    "<head><title>" + "é" * 3000 + "</title></head>",
    "<head><title>no end of head</title>",
    "",
]


def _bodies() -> list[bytes]:
    out = []
    for head in _HEADS:
        for tail in ("", _BODY[:100], _BODY, "é" * AFTER_HEAD_BYTES, "x" * AFTER_HEAD_BYTES):
            out.append((head + tail).encode("utf-8"))
    return out


@pytest.mark.parametrize("body", _bodies())
def test_utf8_region_needs_no_second_search_for_the_head_end(body: bytes) -> None:
    text, utf8 = metadata_source(body, "text/html; charset=utf-8")
    if utf8 is None:  # a character cut by the region's end: searched as before
        return
    assert head_region(text, cut=True) == head_region(text)
    url = "https://example.com/p"
    assert read_page(body, "text/html", url) == parse_page(text, url, utf8)


def test_the_skip_would_be_wrong_for_bytes_that_hide_the_head_end() -> None:
    # UTF-16: metadata_bytes finds no "</head>" and keeps the whole body; the text's search
    # then cuts it. read_page skips the search only for UTF-8, and so must it.
    body = ("<html><head><title>t</title></head>" + _BODY).encode("utf-16-le")
    assert metadata_bytes(body) == body
    text, utf8 = metadata_source(body, "text/html; charset=utf-16")
    assert utf8 is None
    assert head_region(text, cut=True) != head_region(text)
    url = "https://example.com/p"
    page = read_page(body, "text/html; charset=utf-16", url)
    assert page == parse_page(text, url)
    assert page.paragraphs and page != parse_page(text, url, cut=True)


def _bom_in_full(body: bytes) -> str | None:
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
    ):
        if body.startswith(bom):
            return codec
    return None


def test_bom_first_byte_rule_matches_the_comparison_with_each_bom() -> None:
    starts = [b"", b"<", b"\x00", b"\xef", b"\xef\xbb", b"\xfe", b"\xff"]
    starts += [bytes([a, b]) for a in range(256) for b in (0x00, 0xBB, 0xFE, 0xFF)]
    starts += [codecs.BOM_UTF8 + b"x", codecs.BOM_UTF16_BE, codecs.BOM_UTF16_LE + b"<\x00"]
    for start in starts:
        assert bom_encoding(start) == _bom_in_full(start), start
        for more in (b"", b"\xbf", b"<html>"):
            assert bom_encoding(start + more) == _bom_in_full(start + more)


_TYPES = [
    None,
    "",
    "text/html",
    "text/html; charset=utf-8",
    "text/html; charset=UTF-8",
    "text/html;charset='windows-1251'",
    'text/html; charset="shift_jis"',
    "text/html; charset=utf-7",
    "text/html; charset=latin1; q=1",
    "text/html; charset=",
    "application/xhtml+xml; CHARSET = gbk",
]


@pytest.mark.parametrize("content_type", _TYPES)
def test_label_codec_is_the_lookup_of_the_header_charset(content_type: str | None) -> None:
    assert label_codec(content_type) == lookup(charset_from_content_type(content_type))
    assert label_codec(content_type) == label_codec(content_type)  # kept, the same


@pytest.mark.parametrize("content_type", _TYPES)
def test_decoding_chooses_as_choose_encoding_does(content_type: str | None) -> None:
    bodies = [b"<title>caf\xc3\xa9</title>", b"<title>caf\xe9</title>", b""]
    bodies += [codecs.BOM_UTF8 + b"<p>x", codecs.BOM_UTF16_LE + "<p>é".encode("utf-16-le")]
    bodies += ["<head><title>é</title>".encode("utf-16-be")]
    for body in bodies:
        if not body:
            assert decode_source(body, content_type) == ("", False)
            continue
        codec = choose_encoding(body, content_type)
        text, _ = decode_source(body, content_type)
        if bom_encoding(body) == codec:
            body = body[len(codecs.lookup(codec).encode("\ufeff")[0]) :]
        assert text == body.decode(codec, errors="replace")


def test_label_codec_is_bounded() -> None:
    info = charset.label_codec.cache_info()
    assert info.maxsize is not None and info.maxsize <= 1024
