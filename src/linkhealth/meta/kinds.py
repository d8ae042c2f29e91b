"""What kind of response a body is: HTML, PDF or something else (from the header, then bytes)."""

from __future__ import annotations

import re
from typing import Literal

from linkhealth.lazyre import lazy_compile
from linkhealth.mediatypes import HTML_CONTENT_TYPES, PDF_CONTENT_TYPES, media_type
from linkhealth.meta.charset import bom_encoding, utf16_without_bom

PageKind = Literal["html", "pdf", "other"]

_HTML_START = lazy_compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|title|meta|link|script|base|style)\b",
    re.IGNORECASE | re.DOTALL,
)
# Servers that do not know a file's type say so; the bytes may then be sniffed.
_UNKNOWN_TYPES = (
    "application/octet-stream",
    "binary/octet-stream",
    "application/download",
    "application/force-download",
    "application/x-download",
    "application/unknown",
)


def sniff(body: bytes) -> str | None:
    """The media type the first bytes show (only HTML and PDF are recognised)."""
    head = body[:1024].removeprefix(b"\xef\xbb\xbf")
    utf16 = bom_encoding(head) or utf16_without_bom(head)
    if utf16 and utf16.startswith("utf-16"):
        bom = 2 if bom_encoding(head) else 0
        head = head[bom:].decode(utf16, errors="replace").encode("ascii", errors="replace")
    if head.lstrip().startswith(b"%PDF-"):
        return "application/pdf"
    if _HTML_START.match(head):
        return "text/html"
    return None


def page_kind(body: bytes, content_type: str | None) -> PageKind:
    media = media_type(content_type)
    if media in HTML_CONTENT_TYPES:
        return "html"
    if media in PDF_CONTENT_TYPES:
        return "pdf"
    if media is None or media in _UNKNOWN_TYPES:
        sniffed = sniff(body)
        if sniffed == "application/pdf":
            return "pdf"
        if sniffed == "text/html" and media is None:
            return "html"
    return "other"


def reported_type(body: bytes, content_type: str | None) -> str | None:
    """The media type to report: the header's, else what the bytes show."""
    return media_type(content_type) or sniff(body)
