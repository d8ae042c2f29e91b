"""Bytes to text: BOM, header, meta prescan, detector; only real text encodings."""

from __future__ import annotations

import codecs

import pytest

from linkhealth.meta import decode_body, extract_meta
from linkhealth.meta.charset import allowed_codecs, choose_encoding, lookup

# (charset label, title, description) — text a page in that charset would carry.
PAGES = [
    (
        "windows-1251",
        "Новости науки и техники",
        "Обзор главных событий недели: искусственный интеллект, космос и энергетика.",
    ),
    (
        "shift_jis",
        "東京の天気予報",
        "今日の東京は晴れのち曇り、最高気温は二十五度の見込みです。洗濯日和でしょう。",
    ),
    (
        "gb18030",
        "机器学习入门教程",
        "本教程介绍机器学习的基本概念，包括监督学习、无监督学习以及常见的模型评估方法。",
    ),
    (
        "iso-8859-1",
        "Économie française : où va l’été ?".replace("’", "'"),
        "Les prévisions économiques pour la fin de l'année, à lire avant décembre.",
    ),
    ("utf-8", "Zürich – 東京 – Москва 🚀", "Städte der Welt, 世界の都市, города мира."),
]


def _page(title: str, description: str, meta_tag: str = "") -> str:
    return (
        f"<!DOCTYPE html><html><head>{meta_tag}<title>{title}</title>"
        f'<meta name="description" content="{description}"></head><body><p>{description}</p>'
        "</body></html>"
    )


def _codec(label: str) -> str:
    return lookup(label) or label


@pytest.mark.parametrize(("label", "title", "description"), PAGES, ids=[p[0] for p in PAGES])
def test_charset_from_header(label: str, title: str, description: str) -> None:
    body = _page(title, description).encode(_codec(label))
    meta = extract_meta(body, f"text/html; charset={label}", "https://example.org/")
    assert (meta.title, meta.description) == (title, description)


@pytest.mark.parametrize(("label", "title", "description"), PAGES, ids=[p[0] for p in PAGES])
def test_charset_from_meta_tags(label: str, title: str, description: str) -> None:
    for tag in (
        f'<meta charset="{label}">',
        f"<meta http-equiv='Content-Type' content='text/html; charset={label.upper()}'>",
    ):
        body = _page(title, description, tag).encode(_codec(label))
        meta = extract_meta(body, "text/html", "https://example.org/")
        assert (meta.title, meta.description) == (title, description), tag


@pytest.mark.parametrize(
    ("label", "title", "description"),
    [p for p in PAGES if p[0] not in ("iso-8859-1",)],
    ids=[p[0] for p in PAGES if p[0] not in ("iso-8859-1",)],
)
def test_charset_detected_without_any_label(label: str, title: str, description: str) -> None:
    body = _page(title, description * 3).encode(_codec(label))
    assert decode_body(body, "text/html").count(title) == 1


def test_latin1_label_means_windows_1252() -> None:
    body = b"<title>Price: 10 \x80 \x93quoted\x94</title>"
    assert extract_meta(body, "text/html; charset=ISO-8859-1", "https://a.example/").title == (
        "Price: 10 € “quoted”"
    )


def test_bom_wins_over_header_and_meta() -> None:
    body = codecs.BOM_UTF8 + '<meta charset="koi8-r"><title>Ямайка</title>'.encode()
    assert extract_meta(body, "text/html; charset=windows-1251", "https://a.example/").title == (
        "Ямайка"
    )


def test_header_wins_over_meta() -> None:
    body = '<meta charset="utf-8"><title>Ямайка</title>'.encode("cp1251")
    assert extract_meta(body, "text/html; charset=windows-1251", "https://a.example/").title == (
        "Ямайка"
    )


@pytest.mark.parametrize(
    "bogus",
    [
        "utf-7",
        "UTF7",
        "rot13",
        "rot_13",
        "base64",
        "hex",
        "zlib",
        "x-user-defined",
        "idna",
        "punycode",
        "unicode_escape",
        "no-such-charset",
        "utf-32",
        "",
    ],
)
def test_only_real_text_encodings(bogus: str) -> None:
    assert lookup(bogus) is None
    body = f'<meta charset="{bogus}"><title>Caf\u00e9 +AGEAYg-</title>'.encode()
    # The header and meta are ignored; UTF-8 is recognised from the bytes.
    assert choose_encoding(body, f"text/html; charset={bogus}") == "utf-8"
    assert decode_body(body, f"text/html; charset={bogus}").endswith("<title>Café +AGEAYg-</title>")


def test_allow_list_is_text_encodings_only() -> None:
    for codec in allowed_codecs():
        info = codecs.lookup(codec)
        assert info._is_text_encoding, codec  # type: ignore[attr-defined]
        assert codec not in ("utf-7", "rot-13", "base64_codec")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom(codec: str) -> None:
    body = "<!DOCTYPE html><html><head><title>Grüße aus Köln</title></head></html>".encode(codec)
    assert extract_meta(body, None, "https://a.example/").title == "Grüße aus Köln"
    assert extract_meta(body, "text/html; charset=utf-16", "https://a.example/").title == (
        "Grüße aus Köln"
    )


@pytest.mark.parametrize("codec", ["utf-16", "utf-8-sig"])
def test_utf_boms(codec: str) -> None:
    body = "<html><head><title>Ünïcödé</title></head></html>".encode(codec)
    assert decode_body(body, "text/html; charset=windows-1252") == (
        "<html><head><title>Ünïcödé</title></head></html>"
    )


def test_meta_declaring_utf16_in_an_ascii_stream_means_utf8() -> None:
    body = '<meta charset="utf-16"><title>naïve</title>'.encode()
    assert choose_encoding(body, None) == "utf-8"


def test_invalid_bytes_replaced_and_truncated_utf8_kept() -> None:
    assert decode_body(b"<title>ok \xff\xfe bad</title>", "text/html; charset=utf-8") == (
        "<title>ok \ufffd\ufffd bad</title>"
    )
    cut = "<title>añadir 東".encode()[:-1]  # the fetcher's byte limit split a character
    assert choose_encoding(cut, None) == "utf-8"
    assert decode_body(cut, None).startswith("<title>añadir ")


def test_meta_charset_in_a_comment_is_ignored() -> None:
    body = '<!-- <meta charset="koi8-r"> --><meta charset="windows-1251"><title>Ёж</title>'
    assert choose_encoding(body.encode("cp1251"), None) == "cp1251"


def test_empty_and_unlabelled_non_utf8_fall_back() -> None:
    assert decode_body(b"", None) == ""
    assert decode_body(b"<title>caf\xe9</title>", None) == "<title>café</title>"
