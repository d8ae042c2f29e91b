"""Content decoding with a hard cap on the *decoded* size.

httpx's own decoders expand each chunk fully, so a small gzip or brotli bomb can
allocate gigabytes from one network read. These decoders never produce more
than the caller asks for: zlib through ``max_length``, brotli through
``output_buffer_limit``. Once the cap is reached the caller stops reading.
"""

from __future__ import annotations

import zlib
from typing import Protocol

import brotli

# What we advertise in Accept-Encoding: exactly what we can decode with a cap.
ACCEPT_ENCODING = "gzip, deflate, br"
# At most this many content-codings in one response. Real servers apply one (two when
# misconfigured); each costs a decompressor, so a header listing ``gzip`` a hundred
# thousand times must be refused before it is split, not decoded stage by stage.
MAX_CODINGS = 4


class UnsupportedEncoding(ValueError):
    """The server used a Content-Encoding we did not offer and cannot decode."""


class DecodeError(ValueError):
    """The compressed stream is corrupt."""


class _Stage(Protocol):
    def feed(self, data: bytes, limit: int) -> bytes: ...


class _Identity:
    def feed(self, data: bytes, limit: int) -> bytes:
        return data[:limit]


class _Zlib:
    def __init__(self, wbits: int) -> None:
        self._wbits = wbits
        self._d = zlib.decompressobj(wbits)
        self._first = True

    def feed(self, data: bytes, limit: int) -> bytes:
        if limit <= 0:
            return b""
        try:
            out = self._d.decompress(data, limit)
        except zlib.error as exc:
            # "deflate" is sometimes sent raw, without the zlib header.
            if self._first and self._wbits == zlib.MAX_WBITS:
                self._wbits = -zlib.MAX_WBITS
                self._d = zlib.decompressobj(self._wbits)
                return self.feed(data, limit)
            raise DecodeError(str(exc)) from exc
        self._first = False
        # ``unconsumed_tail`` is non-empty only when ``limit`` bytes were produced:
        # the caller has what it asked for, the rest is never expanded.
        return out


class _Brotli:
    def __init__(self) -> None:
        self._d = brotli.Decompressor()

    def feed(self, data: bytes, limit: int) -> bytes:
        if limit <= 0:
            return b""
        try:
            out: bytes = self._d.process(data, output_buffer_limit=limit)
        except brotli.error as exc:
            raise DecodeError(str(exc)) from exc
        return out[:limit]


def _stage(name: str) -> _Stage:
    if name in ("gzip", "x-gzip"):
        return _Zlib(zlib.MAX_WBITS | 16)
    if name == "deflate":
        return _Zlib(zlib.MAX_WBITS)
    if name == "br":
        return _Brotli()
    if name in ("identity", ""):
        return _Identity()
    raise UnsupportedEncoding(name)


class BoundedDecoder:
    """Decodes a ``Content-Encoding`` chain; ``feed`` never returns more than ``limit``."""

    def __init__(self, content_encoding: str | None) -> None:
        header = content_encoding or ""
        # Counted before anything is split or built: the header is the server's to size.
        listed = header.count(",") + 1
        if listed > MAX_CODINGS:
            raise UnsupportedEncoding(
                f"{listed} content-codings listed; at most {MAX_CODINGS} are decoded"
            )
        names = [n.strip().lower() for n in header.split(",") if n.strip()]
        # Encodings are listed in the order applied, so they are undone in reverse.
        self._stages = [_stage(n) for n in reversed(names) if n != "identity"]

    def feed(self, data: bytes, limit: int) -> bytes:
        for stage in self._stages:
            if not data:
                return b""
            data = stage.feed(data, limit)
        return data[:limit]
