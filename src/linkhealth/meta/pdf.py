"""The document-information ``/Title`` of a PDF, when it is within the bytes read.

Handled simply, as the issue asks: literal strings ``(…)`` with escapes and
nested parentheses, hex strings ``<…>``, UTF-16BE (with its BOM) or
PDFDocEncoding (read as Latin-1), and an indirect reference to a plain string
object. Compressed object streams are not opened.
"""

from __future__ import annotations

import re

from linkhealth.lazyre import lazy_compile

MAX_PDF_SCAN = 512 * 1024
MAX_STRING_BYTES = 4096

_TITLE = lazy_compile(rb"/Title\s*(?:(\(|<(?!<))|(\d{1,10})\s+(\d{1,5})\s+R\b)")
_ESCAPES = {
    ord("n"): b"\n",
    ord("r"): b"\r",
    ord("t"): b"\t",
    ord("b"): b"\b",
    ord("f"): b"\f",
    ord("("): b"(",
    ord(")"): b")",
    ord("\\"): b"\\",
}
_JUNK_TITLES = frozenset({"untitled", "title", "none", "microsoft word"})


def is_pdf(body: bytes) -> bool:
    return body[:1024].lstrip().startswith(b"%PDF-")


def pdf_title(body: bytes) -> str | None:
    """The ``/Title`` of the document-information dictionary, decoded, or ``None``."""
    data = body[:MAX_PDF_SCAN]
    for match in _TITLE.finditer(data):
        if match.group(1):
            raw = _read_string(data, match.start(1))
        else:
            raw = _indirect_string(data, match.group(2), match.group(3))
        if raw is None:
            continue
        text = decode_pdf_text(raw).strip()
        if text and text.lower() not in _JUNK_TITLES:
            return text
    return None


def _indirect_string(data: bytes, number: bytes, generation: bytes) -> bytes | None:
    obj = re.search(rb"(?<![0-9])" + number + rb"\s+" + generation + rb"\s+obj\s*([(<])", data)
    if obj is None or data[obj.start(1) : obj.start(1) + 2] == b"<<":
        return None
    return _read_string(data, obj.start(1))


def _read_string(data: bytes, start: int) -> bytes | None:
    if data[start : start + 1] == b"(":
        return _read_literal(data, start + 1)
    end = data.find(b">", start + 1, start + 2 + MAX_STRING_BYTES * 2)
    if end < 0:
        return None
    digits = re.sub(rb"\s+", b"", data[start + 1 : end])
    if not re.fullmatch(rb"[0-9A-Fa-f]*", digits):
        return None
    if len(digits) % 2:
        digits += b"0"
    return bytes.fromhex(digits.decode("ascii"))


def _read_literal(data: bytes, pos: int) -> bytes | None:
    out = bytearray()
    depth = 1
    end = min(len(data), pos + MAX_STRING_BYTES * 4)
    while pos < end:
        byte = data[pos]
        pos += 1
        if byte == 0x5C:  # backslash
            if pos >= end:
                break
            nxt = data[pos]
            pos += 1
            if nxt in _ESCAPES:
                out += _ESCAPES[nxt]
            elif 0x30 <= nxt <= 0x37:
                digits = bytes([nxt])
                while len(digits) < 3 and pos < end and 0x30 <= data[pos] <= 0x37:
                    digits += data[pos : pos + 1]
                    pos += 1
                out.append(int(digits, 8) & 0xFF)
            elif nxt == 0x0D:  # line continuation
                if pos < end and data[pos] == 0x0A:
                    pos += 1
            elif nxt != 0x0A:
                out.append(nxt)
        elif byte == 0x28:
            depth += 1
            out.append(byte)
        elif byte == 0x29:
            depth -= 1
            if depth == 0:
                return bytes(out[:MAX_STRING_BYTES])
            out.append(byte)
        else:
            out.append(byte)
    return None


def decode_pdf_text(raw: bytes) -> str:
    """A PDF text string: UTF-16BE or UTF-8 by BOM, else PDFDocEncoding (as Latin-1)."""
    if raw.startswith(b"\xfe\xff"):
        return raw[2:].decode("utf-16-be", errors="replace")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace")
    return raw.decode("latin-1")
