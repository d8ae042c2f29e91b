"""One small function per field, each with an explicit fallback order.

Where to look is data (:mod:`linkhealth.meta.selectors`); this module holds
the order and the clean-up. Every returned value is sanitised.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from linkhealth.meta import selectors as sel
from linkhealth.meta.document import Page, jsonld_types
from linkhealth.meta.kinds import media_type
from linkhealth.meta.urls import host_of, resolve_http_url
from linkhealth.models import PageMeta
from linkhealth.sanitize import (
    DEFAULT_DESCRIPTION_MAX,
    DEFAULT_TITLE_MAX,
    clean_text,
    truncate,
)

_LANG = re.compile(r"^[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{1,8})*$")
_DATE = re.compile(r"^\s*(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?(?![0-9])")
_ALNUM = re.compile(r"[\W_]+")
_YEARS = range(1900, 2101)


# --- title -------------------------------------------------------------------


def extract_title(page: Page, site_name: str | None = None) -> str | None:
    """og:title → twitter:title → JSON-LD headline/name → ``<title>`` → the single ``<h1>``.

    Each candidate loses a leading or trailing site name (" | Site", "Site - ")
    when it repeats the site name, a JSON-LD site/publisher name or the host.
    """
    names = site_names(page, site_name)
    for raw in (page.meta(sel.TITLE_META), jsonld_title(page), page.title, single_h1(page)):
        text = clean_text(raw, DEFAULT_TITLE_MAX * 4)
        if text:
            return truncate(trim_site_name(text, names), DEFAULT_TITLE_MAX)
    return None


def single_h1(page: Page) -> str | None:
    return page.h1[0] if len(page.h1) == 1 else None


def jsonld_title(page: Page) -> str | None:
    for obj in jsonld_main_objects(page):
        for key in sel.TITLE_JSONLD_KEYS:
            value = obj.get(key)
            if isinstance(value, str) and value.strip():
                return value
    return None


def site_names(page: Page, site_name: str | None) -> list[str]:
    """Every name the site goes by: declared names, then the host and its main label."""
    names = [site_name or "", jsonld_site_name(page) or ""]
    host = host_of(page.url)
    if host:
        labels = host.split(".")
        names.append(host)
        if len(labels) >= 2:
            names.append(labels[-2])
            names.append(".".join(labels[-2:]))
    return [name for name in names if name]


def _norm(text: str) -> str:
    return _ALNUM.sub("", text.casefold())


def trim_site_name(title: str, names: list[str]) -> str:
    """``title`` without a leading or trailing part that only repeats one of ``names``."""
    keys = {_norm(name) for name in names} - {""}
    if not keys:
        return title
    changed = True
    while changed:
        changed = False
        for sep in sel.TITLE_SEPARATORS:
            head, found, tail = title.rpartition(sep)
            if found and _norm(tail) in keys and _norm(head):
                title, changed = head.strip(), True
                break
            head, found, tail = title.partition(sep)
            if found and _norm(head) in keys and _norm(tail):
                title, changed = tail.strip(), True
                break
    return title


# --- description ---------------------------------------------------------------


def extract_description(page: Page) -> str | None:
    """og:description → twitter:description → meta description → JSON-LD → first paragraph."""
    for raw in (page.meta(sel.DESCRIPTION_META), jsonld_description(page)):
        text = clean_text(raw, DEFAULT_DESCRIPTION_MAX)
        if text:
            return text
    return first_paragraph(page)


def jsonld_description(page: Page) -> str | None:
    for obj in jsonld_main_objects(page):
        for key in sel.DESCRIPTION_JSONLD_KEYS:
            value = obj.get(key)
            if isinstance(value, str) and value.strip():
                return value
    return None


def first_paragraph(page: Page) -> str | None:
    for raw in page.paragraphs:
        text = clean_text(raw, DEFAULT_DESCRIPTION_MAX)
        if text and len(text) >= sel.PARAGRAPH_MIN_CHARS:
            return text
    return None


# --- site name, canonical URL, language, date, image ------------------------------


def extract_site_name(page: Page) -> str | None:
    """og:site_name → application-name → JSON-LD WebSite/publisher name."""
    for raw in (page.meta(sel.SITE_NAME_META), jsonld_site_name(page)):
        text = clean_text(raw, DEFAULT_TITLE_MAX)
        if text:
            return text
    return None


def jsonld_site_name(page: Page) -> str | None:
    for obj in page.jsonld:
        if set(jsonld_types(obj)) & set(sel.JSONLD_WEBSITE_TYPES):
            name = obj.get("name")
            if isinstance(name, str) and name.strip():
                return name
    for obj in jsonld_main_objects(page):
        for key in sel.JSONLD_PUBLISHER_KEYS:
            publisher = obj.get(key)
            if isinstance(publisher, dict):
                name = publisher.get("name")
                if isinstance(name, str) and name.strip():
                    return name
    return None


def extract_canonical_url(page: Page) -> str | None:
    """``<link rel=canonical>`` → og:url, resolved against the page; http(s) only."""
    candidates = [*page.link_hrefs(sel.CANONICAL_LINK_RELS), *page.meta_values(sel.CANONICAL_META)]
    for href in candidates:
        url = resolve_http_url(page.base_url, href)
        if url:
            return url
    return None


def extract_lang(page: Page) -> str | None:
    """``<html lang>`` → Content-Language meta → og:locale → JSON-LD inLanguage."""
    jsonld_lang = next(
        (
            o["inLanguage"]
            for o in jsonld_main_objects(page)
            if isinstance(o.get("inLanguage"), str)
        ),
        None,
    )
    for raw in (page.html_lang, page.meta(sel.LANG_META), page.meta(sel.LANG_LOCALE_META)):
        lang = normalise_lang(raw)
        if lang:
            return lang
    return normalise_lang(jsonld_lang)


def normalise_lang(raw: str | None) -> str | None:
    """A BCP 47-looking tag in its usual casing (``en_us`` → ``en-US``), or ``None``."""
    if not raw:
        return None
    tag = raw.split(",")[0].strip().replace("_", "-")
    if not _LANG.match(tag) or len(tag) > 35:
        return None
    parts = tag.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 2 and part.isalpha():
            out.append(part.upper())
        elif len(part) == 4 and part.isalpha():
            out.append(part.title())
        else:
            out.append(part.lower())
    return "-".join(out)


def extract_published(page: Page) -> str | None:
    """article:published_time and friends → JSON-LD datePublished, as an ISO date."""
    for raw in (page.meta(sel.PUBLISHED_META), _jsonld_value(page, sel.PUBLISHED_JSONLD_KEYS)):
        when = normalise_date(raw)
        if when:
            return when
    return None


def normalise_date(raw: object) -> str | None:
    """``YYYY-MM-DD`` (or ``YYYY-MM``, ``YYYY``) from the start of a date string."""
    if not isinstance(raw, str):
        return None
    match = _DATE.match(raw)
    if not match:
        return None
    year = int(match.group(1))
    month = int(match.group(2)) if match.group(2) else None
    day = int(match.group(3)) if match.group(3) else None
    if year not in _YEARS:
        return None
    try:
        date(year, month or 1, day or 1)
    except ValueError:
        return None
    if month is None:
        return f"{year:04d}"
    if day is None:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def extract_image(page: Page) -> str | None:
    """og:image → twitter:image → JSON-LD image → ``<link rel=image_src>``; http(s) only."""
    candidates = [
        *page.meta_values(sel.IMAGE_META),
        *_jsonld_images(page),
        *page.link_hrefs(sel.IMAGE_LINK_RELS),
    ]
    for href in candidates:
        url = resolve_http_url(page.base_url, href)
        if url:
            return url
    return None


def _jsonld_images(page: Page) -> Iterator[str]:
    for obj in jsonld_main_objects(page):
        value = obj.get("image") or obj.get("thumbnailUrl")
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                yield item
            elif isinstance(item, dict) and isinstance(item.get("url"), str):
                yield item["url"]


# --- JSON-LD --------------------------------------------------------------------


def jsonld_main_objects(page: Page) -> list[dict[str, Any]]:
    """JSON-LD objects that describe the page itself, best first."""
    ranked: list[tuple[int, int, dict[str, Any]]] = []
    for position, obj in enumerate(page.jsonld):
        types = jsonld_types(obj)
        if any(t in sel.JSONLD_NOT_TITLE_TYPES for t in types):
            continue
        ranks = [sel.JSONLD_PAGE_TYPES.index(t) for t in types if t in sel.JSONLD_PAGE_TYPES]
        ranked.append((min(ranks, default=len(sel.JSONLD_PAGE_TYPES)), position, obj))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [obj for _, _, obj in ranked]


def _jsonld_value(page: Page, keys: tuple[str, ...]) -> str | None:
    for obj in jsonld_main_objects(page):
        for key in keys:
            value = obj.get(key)
            if isinstance(value, str) and value.strip():
                return value
    return None


# --- all fields -------------------------------------------------------------------


def page_meta(page: Page, content_type: str | None) -> PageMeta:
    """Every field of an HTML page (no site quirks applied)."""
    site_name = extract_site_name(page)
    return PageMeta(
        title=extract_title(page, site_name),
        description=extract_description(page),
        site_name=site_name,
        canonical_url=extract_canonical_url(page),
        lang=extract_lang(page),
        content_type=media_type(content_type) or "text/html",
        published=extract_published(page),
        image=extract_image(page),
    )
