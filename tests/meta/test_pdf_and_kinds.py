"""Non-HTML responses: content type only, except a PDF's document-information title."""

from __future__ import annotations

import pytest

from linkhealth.meta import extract_meta
from linkhealth.meta.pdf import pdf_title


def _pdf(info: bytes, extra: bytes = b"") -> bytes:
    return (
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        + extra
        + b"9 0 obj\n<< "
        + info
        + b" /Producer (pdfTeX-1.40.25) >>\nendobj\ntrailer\n<< /Info 9 0 R >>\n"
    )


@pytest.mark.parametrize(
    ("info", "extra", "expected"),
    [
        (b"/Title (Attention Is All You Need)", b"", "Attention Is All You Need"),
        (
            b"/Title(Nested (parens) and \\(escaped\\) \\\\ ok)",
            b"",
            "Nested (parens) and (escaped) \\ ok",
        ),
        (b"/Title (Line\\nbreak\\\n joined \\101\\102)", b"", "Line break joined AB"),
        (b"/Title <FEFF00C9007400E9>", b"", "Été"),
        (b"/Title <FE FF 04 1F 04 40 04 38 04 32 04 35 04 42>", b"", "Привет"),
        (b"/Title (\\376\\377\\000H\\000i)", b"", "Hi"),
        (b"/Title (\xfe\xff\x00O\x00K)", b"", "OK"),
        (b"/Title (caf\xe9)", b"", "café"),
        (b"/Title 12 0 R", b"12 0 obj\n(Indirect Title)\nendobj\n", "Indirect Title"),
        (b"/Title ()", b"", None),
        (b"/Title (untitled)", b"", None),
        (b"/Author (Nobody)", b"", None),
        (b"/Title (\x1b[31mEvil\nTitle\x1b[0m)", b"", "Evil Title"),
    ],
)
def test_pdf_titles(info: bytes, extra: bytes, expected: str | None) -> None:
    meta = extract_meta(_pdf(info, extra), "application/pdf", "https://papers.example/p.pdf")
    assert meta.title == expected
    assert meta.content_type == "application/pdf"
    assert meta.description is None


def test_pdf_sniffed_from_octet_stream_and_missing_type() -> None:
    body = _pdf(b"/Title (Sniffed)")
    assert extract_meta(body, "application/octet-stream", "https://a.example/x").title == "Sniffed"
    meta = extract_meta(body, None, "https://a.example/x")
    assert (meta.title, meta.content_type) == ("Sniffed", "application/pdf")


def test_unterminated_pdf_string_is_no_title() -> None:
    assert pdf_title(b"%PDF-1.7\n/Title (never closed " + b"x" * 100_000) is None
    assert pdf_title(b"%PDF-1.7\n/Title <FEFF00") is None


@pytest.mark.parametrize(
    ("body", "content_type", "expected_type"),
    [
        (
            b"<html><head><title>Not for JSON</title></head></html>",
            "application/json",
            "application/json",
        ),
        (b'{"title": "json"}', "application/json; charset=utf-8", "application/json"),
        (b"\x89PNG\r\n\x1a\n<title>png</title>", "image/png", "image/png"),
        (b"<title>plain</title>", "text/plain", "text/plain"),
        (b"<title>octet</title>", "application/octet-stream", "application/octet-stream"),
        (b"<title>no type</title>", None, "text/html"),
        (b"just text", None, None),
        (b"<title>bad type</title>", "not a type", "text/html"),  # malformed = unknown
    ],
)
def test_non_html_gets_content_type_only(
    body: bytes, content_type: str | None, expected_type: str | None
) -> None:
    meta = extract_meta(body, content_type, "https://a.example/x")
    assert meta.content_type == expected_type
    if expected_type != "text/html":
        assert meta.title is None and meta.description is None


def test_xhtml_is_html() -> None:
    body = b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>X</title>'
    assert extract_meta(body, "application/xhtml+xml", "https://a.example/").title == "X"
