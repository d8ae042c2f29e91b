"""Bytes to text: BOM, then the Content-Type charset, then ``<meta charset>``, then a detector.

Only real text encodings are ever used: a label is looked up in :data:`LABELS`
(the WHATWG Encoding Standard's labels, mapped to Python codecs the way
browsers decode them: latin-1/ascii are windows-1252, shift_jis is cp932,
gb2312/gbk are gb18030, euc-kr is cp949). Anything else — ``utf-7``,
``rot13``, ``base64``, made-up names — is ignored and the next source tried.
Invalid bytes become U+FFFD; decoding never raises.
"""

from __future__ import annotations

import codecs
import functools
import re

# WHATWG encoding name -> (Python codec, its labels separated by spaces).
_ENCODINGS: dict[str, tuple[str, str]] = {
    "utf-8": ("utf-8", "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8"),
    "ibm866": ("cp866", "866 cp866 csibm866 ibm866"),
    "iso-8859-2": (
        "iso8859-2",
        "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 l2 iso_8859-2:1987 latin2",
    ),
    "iso-8859-3": ("iso8859-3", "iso-8859-3 iso8859-3 iso_8859-3 l3 latin3"),
    "iso-8859-4": ("iso8859-4", "iso-8859-4 iso8859-4 iso_8859-4 l4 latin4"),
    "iso-8859-5": ("iso8859-5", "cyrillic iso-8859-5 iso8859-5 iso_8859-5"),
    "iso-8859-6": ("iso8859-6", "arabic iso-8859-6 iso8859-6 iso_8859-6"),
    "iso-8859-7": ("iso8859-7", "greek greek8 iso-8859-7 iso8859-7 iso_8859-7"),
    "iso-8859-8": (
        "iso8859-8",
        "hebrew iso-8859-8 iso8859-8 iso_8859-8 iso-8859-8-i visual logical",
    ),
    "iso-8859-10": ("iso8859-10", "iso-8859-10 iso8859-10 l6 latin6"),
    "iso-8859-13": ("iso8859-13", "iso-8859-13 iso8859-13"),
    "iso-8859-14": ("iso8859-14", "iso-8859-14 iso8859-14"),
    "iso-8859-15": ("iso8859-15", "iso-8859-15 iso8859-15 iso_8859-15 l9 latin-9"),
    "iso-8859-16": ("iso8859-16", "iso-8859-16"),
    "koi8-r": ("koi8-r", "cskoi8r koi koi8 koi8-r koi8_r"),
    "koi8-u": ("koi8-u", "koi8-ru koi8-u"),
    "macintosh": ("mac-roman", "csmacintosh mac macintosh x-mac-roman"),
    "windows-874": ("cp874", "dos-874 iso-8859-11 iso8859-11 tis-620 windows-874"),
    "windows-1250": ("cp1250", "cp1250 windows-1250 x-cp1250"),
    "windows-1251": ("cp1251", "cp1251 windows-1251 x-cp1251"),
    "windows-1252": (
        "cp1252",
        "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 "
        "iso8859-1 iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 latin-1 us-ascii "
        "windows-1252 x-cp1252",
    ),
    "windows-1253": ("cp1253", "cp1253 windows-1253 x-cp1253"),
    "windows-1254": (
        "cp1254",
        "cp1254 csisolatin5 iso-8859-9 iso8859-9 iso_8859-9 l5 latin5 windows-1254 x-cp1254",
    ),
    "windows-1255": ("cp1255", "cp1255 windows-1255 x-cp1255"),
    "windows-1256": ("cp1256", "cp1256 windows-1256 x-cp1256"),
    "windows-1257": ("cp1257", "cp1257 windows-1257 x-cp1257"),
    "windows-1258": ("cp1258", "cp1258 windows-1258 x-cp1258"),
    "x-mac-cyrillic": ("mac-cyrillic", "x-mac-cyrillic x-mac-ukrainian"),
    "gbk": (
        "gb18030",
        "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 x-gbk",
    ),
    "gb18030": ("gb18030", "gb18030"),
    "big5": ("big5hkscs", "big5 big5-hkscs cn-big5 csbig5 x-x-big5"),
    "euc-jp": ("euc_jp", "cseucpkdfmtjapanese euc-jp x-euc-jp"),
    "iso-2022-jp": ("iso2022_jp", "csiso2022jp iso-2022-jp"),
    "shift_jis": ("cp932", "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j x-sjis"),
    "euc-kr": (
        "cp949",
        "cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 "
        "ksc5601 ksc_5601 windows-949",
    ),
    "utf-16be": ("utf-16-be", "unicodefffe utf-16be"),
    "utf-16le": (
        "utf-16-le",
        "csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le",
    ),
}

#: Every accepted label (lower case) -> the Python codec that decodes it.
LABELS: dict[str, str] = {
    label: codec for codec, labels in _ENCODINGS.values() for label in labels.split()
}


@functools.cache
def allowed_codecs() -> frozenset[str]:
    """The Python codecs linkhealth will ever decode with (canonical codec names). Looked
    up when first asked: each lookup imports its codec's module (38 of them, the CJK ones
    with their tables: ~25 ms and ~1 MB that a run of labelled UTF-8 pages never needs)."""
    return frozenset(codecs.lookup(c).name for c, _ in _ENCODINGS.values())


@functools.cache
def _detectable() -> list[str]:
    # UTF-16 without a BOM is recognised by its zero bytes, never guessed by the detector.
    return sorted(c for c in allowed_codecs() if not c.startswith("utf-16"))


DEFAULT_FALLBACK = "cp1252"  # what browsers use for unlabelled, non-UTF-8 pages
PRESCAN_BYTES = 16 * 1024
DETECT_BYTES = 64 * 1024

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
_CT_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([^\s"';,]+)""", re.IGNORECASE)
_META_OR_COMMENT = re.compile(rb"<!--.*?-->|<meta\b[^>]*>", re.IGNORECASE | re.DOTALL)
_META_CHARSET = re.compile(rb"""charset\s*=\s*["']?\s*([^\s"';>/]+)""", re.IGNORECASE)
_TAG = re.compile(rb"<[^>]{0,2000}>")


def lookup(label: str | None) -> str | None:
    """The Python codec for an encoding label, or ``None`` when it is not a real text encoding."""
    if not label:
        return None
    return LABELS.get(label.strip().strip("\"'").lower())


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _CT_CHARSET.search(content_type)
    return match.group(1) if match else None


_BOM_FIRST_BYTES = frozenset(bom[0] for bom, _ in _BOMS)


@functools.lru_cache(maxsize=256)
def label_codec(content_type: str | None) -> str | None:
    """The codec of the header's charset (:func:`lookup`); kept per header value (a run
    sees a handful of them, each looked up once instead of for every page)."""
    return lookup(charset_from_content_type(content_type))


def bom_encoding(body: bytes) -> str | None:
    if not body or body[0] not in _BOM_FIRST_BYTES:  # no BOM: the first byte says so
        return None
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return codec
    return None


def prescan(body: bytes) -> str | None:
    """The charset a ``<meta charset>`` or ``http-equiv`` tag in the first bytes declares."""
    for match in _META_OR_COMMENT.finditer(body, 0, PRESCAN_BYTES):
        tag = match.group(0)
        if tag.startswith(b"<!--"):
            continue
        found = _META_CHARSET.search(tag)
        if found is None:
            continue
        codec = lookup(found.group(1).decode("ascii", "replace"))
        if codec is None:
            continue
        # A byte stream that the ASCII-compatible prescan could read is not UTF-16.
        return "utf-8" if codec.startswith("utf-16") else codec
    return None


def utf16_without_bom(body: bytes) -> str | None:
    """UTF-16 recognised by its zero bytes (markup is mostly ASCII), or ``None``."""
    sample = body[:2048]
    pairs = len(sample) // 2
    if pairs < 4:
        return None
    even_zero = sample[0 : pairs * 2 : 2].count(0)
    odd_zero = sample[1 : pairs * 2 : 2].count(0)
    if even_zero > pairs * 0.3 and odd_zero < pairs * 0.05:
        return "utf-16-be"
    if odd_zero > pairs * 0.3 and even_zero < pairs * 0.05:
        return "utf-16-le"
    return None


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the fetcher's byte limit is still UTF-8.
        return exc.reason == "unexpected end of data" and exc.start >= len(body) - 3
    return True


def detect(body: bytes) -> str | None:
    """charset-normalizer's best allowed guess over the text (markup removed), or ``None``."""
    # Imported here: most pages are labelled or UTF-8, and a run that never needs the
    # detector does not load it (~2 MB and ~10 ms at start-up).
    from charset_normalizer import from_bytes

    sample = _TAG.sub(b" ", body[:DETECT_BYTES])
    try:
        matches = from_bytes(sample, cp_isolation=_detectable())
    except Exception:  # the detector is a heuristic; a failure of it is not ours to raise
        return None
    for match in matches:
        try:
            name = codecs.lookup(match.encoding).name
        except LookupError:
            continue
        if name == "ascii":
            return "utf-8"
        if name in _detectable():
            return name
    return None


def choose_encoding(body: bytes, content_type: str | None) -> str:
    """The Python codec for ``body``: BOM, header, meta prescan, UTF-8, detector, windows-1252."""
    return bom_encoding(body) or _unmarked_encoding(body, content_type)


def _unmarked_encoding(body: bytes, content_type: str | None) -> str:
    """:func:`choose_encoding` of a ``body`` without a BOM."""
    codec = label_codec(content_type)
    if codec:
        if codec.startswith("utf-16"):
            return utf16_without_bom(body) or codec
        return codec
    codec = utf16_without_bom(body)
    if codec:
        return codec
    codec = prescan(body)
    if codec:
        return codec
    if _is_utf8(body):
        return "utf-8"
    return detect(body) or DEFAULT_FALLBACK


def decode_body(body: bytes, content_type: str | None) -> str:
    """Decode fetched bytes to text; invalid bytes are replaced; never raises."""
    return decode_source(body, content_type)[0]


def decode_source(body: bytes, content_type: str | None) -> tuple[str, bool]:
    """:func:`decode_body`'s text, and whether ``body`` is exactly that text's UTF-8 (read
    as UTF-8, no BOM, no invalid byte): a parser can then read ``body`` as it is."""
    if not body:
        return "", False
    bom = bom_encoding(body)
    codec = bom or _unmarked_encoding(body, content_type)  # choose_encoding: BOM first
    if bom == codec:
        body = body[len(codecs.lookup(codec).encode("\ufeff")[0]) :]
    elif codec == "utf-8":
        try:
            return body.decode("utf-8"), True
        except UnicodeDecodeError:
            pass  # invalid bytes: replaced below
    try:
        return body.decode(codec, errors="replace"), False
    except (LookupError, UnicodeError):  # pragma: no cover - every allowed codec exists
        return body.decode(DEFAULT_FALLBACK, errors="replace"), False
