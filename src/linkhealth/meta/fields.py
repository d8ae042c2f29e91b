"""One small function per field, each with an explicit fallback order.

Where to look is data (:mod:`linkhealth.meta.selectors`); this module holds
the order and the clean-up. Every returned value is sanitised.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from linkhealth.lazyre import lazy_compile
from linkhealth.mediatypes import media_type
from linkhealth.meta import selectors as sel
from linkhealth.meta.document import Page, jsonld_types
from linkhealth.meta.notices import not_about_page
from linkhealth.meta.urls import host_of, resolve_http_url
from linkhealth.models import PageMeta
from linkhealth.textsafe import (
    DEFAULT_DESCRIPTION_MAX,
    DEFAULT_TITLE_MAX,
    clean_text,
    single_spaced,
    truncate,
)

_LANG = re.compile(r"^[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{1,8})*$")
_DATE = lazy_compile(r"^\s*(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?(?![0-9])")
_ALNUM = re.compile(r"[\W_]+")
_YEARS = range(1900, 2101)
# Any of the title separators (a test compares it with a substring test of each).
_SEPARATOR = re.compile("|".join(map(re.escape, sel.TITLE_SEPARATORS)))
# Names and affixes are untrusted text (a <meta> content holds up to 64K characters): the
# caches of normalised names keep only texts up to this long.
_KEYS_CACHED_CHARS = 1000


@dataclass(frozen=True)
class Fallbacks:
    """What a page offers after its chosen title and description, best first (for the
    site-wide pass, :mod:`linkhealth.meta.sitewide`): titles cleaned, descriptions raw
    (see :func:`clean_descriptions`)."""

    titles: tuple[str, ...] = ()
    descriptions: tuple[str, ...] = ()


def fallback_key(url: str) -> str:
    """The key under which a page's :class:`Fallbacks` are kept: its URL, no fragment."""
    return url.split("#", 1)[0]


# --- title -------------------------------------------------------------------


def extract_title(page: Page, site_name: str | None = None) -> str | None:
    """The first of :func:`title_candidates`."""
    return next(iter(title_candidates(page, site_name)), None)


def title_candidates(page: Page, site_name: str | None = None) -> list[str]:
    """og:title → twitter:title → citation_title → JSON-LD headline/name → dc.title →
    ``<title>`` → the single ``<h1>`` (only when nothing before it is usable).

    Each loses the site name and byline it carries (:func:`trim_site_name`); notices
    and placeholders are skipped. At most ``MAX_CANDIDATES + 1``, distinct, best first:
    the first is the title, the rest are what the site-wide pass falls through to.
    """
    keys: tuple[frozenset[str], frozenset[str]] | None = None

    def trim(title: str) -> str:
        nonlocal keys
        if _SEPARATOR.search(title) is None:
            return title  # nothing to trim: the site's names are never looked up
        if keys is None:
            authors = author_names(page)
            keys = _site_keys(page, site_name), _keys(authors) if authors else frozenset()
        return _trim_keys(title, *keys)

    # Every source read at once (each is a look-up of what parse_page read): a chain that
    # stops early costs a few look-ups more, a generator cost every page more.
    raws: list[str | None] = [*page.meta_values(sel.TITLE_META)]
    raws += page.meta_values(sel.TITLE_CITATION_META)
    raws.append(jsonld_title(page))
    raws += page.meta_values(sel.TITLE_DC_META)
    raws.append(page.title)
    found = _candidates(raws, DEFAULT_TITLE_MAX, trim)
    return found or _candidates((single_h1(page),), DEFAULT_TITLE_MAX, lambda t: t)


def _candidates(
    raws: Iterable[str | None],
    limit: int,
    transform: Callable[[str], str],
    want: int = sel.MAX_CANDIDATES + 1,
    skip: str | None = None,
) -> list[str]:
    """Up to ``want`` distinct usable values from ``raws`` (stops reading ``raws`` there)."""
    out: list[str] = []
    seen: set[str] = {same_key(skip)} if skip else set()
    raw_seen: set[str] = set()
    for raw in raws:
        if raw is None or raw in raw_seen:  # og:title and twitter:title are often one text
            continue
        raw_seen.add(raw)
        text = clean_text(raw, limit * 4)
        if not text:
            continue
        text = truncate(transform(text), limit)
        key = same_key(text)
        if key not in seen and not not_about_page(text):
            seen.add(key)
            out.append(text)
            if len(out) >= want:
                break
    return out


def single_h1(page: Page) -> str | None:
    return page.h1[0] if len(page.h1) == 1 else None


def jsonld_title(page: Page) -> str | None:
    if not page.jsonld:  # most pages have none: no ranking asked for
        return None
    for obj in jsonld_main_objects(page):
        for key in sel.TITLE_JSONLD_KEYS:
            value = obj.get(key)
            if isinstance(value, str) and value.strip():
                return value
    return None


def site_names(page: Page, site_name: str | None) -> list[str]:
    """Every name the site goes by: declared names, then the host and its labels."""
    names = _declared_names(page, site_name)
    return [name for name in names if name] + list(_host_names(host_of(page.url)))


def _declared_names(page: Page, site_name: str | None) -> list[str]:
    names = [site_name or "", jsonld_site_name(page) or ""]
    declared = page.meta_values(sel.SITE_NAME_META) + page.meta_values(sel.SITE_AFFIX_META)
    if declared:
        names += [v.strip().lstrip("@") for v in declared]
    return names


def _site_keys(page: Page, site_name: str | None) -> frozenset[str]:
    """``_keys(site_names(page, site_name))``: kept per host and declared names (a host's
    pages name the site alike; a test compares the two)."""
    host = host_of(page.url)
    names = tuple(_declared_names(page, site_name))
    if len(host) + sum(map(len, names)) > _KEYS_CACHED_CHARS:
        return _site_keys_kept.__wrapped__(names, host)
    return _site_keys_kept(names, host)


@lru_cache(maxsize=1024)
def _site_keys_kept(names: tuple[str, ...], host: str) -> frozenset[str]:
    if len(host) > _KEYS_CACHED_CHARS:
        return _keys(names) | _host_keys.__wrapped__(host)
    return _keys(names) | _host_keys(host)


@lru_cache(maxsize=1024)  # a run's pages come from a few hundred hosts
def _host_keys(host: str) -> frozenset[str]:
    return _keys(_host_names(host))


@lru_cache(maxsize=1024)  # a run's pages come from a few hundred hosts
def _host_names(host: str) -> tuple[str, ...]:
    """The host, its registrable-looking tail and each label that can name a site."""
    if not host:
        return ()
    labels = host.split(".")
    names = [host]
    if len(labels) >= 2:
        names.append(".".join(labels[-2:]))
    names += [label for label in labels[:-1] if label not in sel.HOST_LABELS_NOT_A_NAME]
    return tuple(names)


def author_names(page: Page) -> list[str]:
    names = page.meta_values(sel.AUTHOR_META)  # a new list
    if not page.jsonld:
        return names
    for obj in jsonld_main_objects(page)[:1]:
        author = obj.get("author")
        for item in author if isinstance(author, list) else [author]:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                names.append(item["name"])
    return names


def _norm(text: str) -> str:
    """Letters and digits only, case-folded: how a site's name is compared with an affix."""
    if len(text) > _KEYS_CACHED_CHARS:
        return _norm_kept.__wrapped__(text)
    return _norm_kept(text)


@lru_cache(maxsize=4096)  # site names and host labels repeat across a run's pages
def _norm_kept(text: str) -> str:
    return _ALNUM.sub("", text.casefold())


def same_key(text: str) -> str:
    """Case and runs of spaces folded: how two candidates are told apart (cheap). Kept per
    text: a page's title is folded again to skip it among the descriptions, and the
    site-wide pass folds every title, description and affix once more."""
    if len(text) > _KEYS_CACHED_CHARS:
        return _same_kept.__wrapped__(text)
    return _same_kept(text)


@lru_cache(maxsize=8192)
def _same_kept(text: str) -> str:
    return single_spaced(text.casefold())


_BYLINE = lazy_compile(r"^by\s+(?:[@A-Z\u00c0-\u024f][^\s]*\s*){1,4}$")


def trim_site_name(title: str, names: list[str], authors: Iterable[str] = ()) -> str:
    """``title`` without leading or trailing parts that only name the site or the author.

    Stacked affixes go one by one (``Title | by Author | Medium``). A cut that would
    leave nothing, or a single word the title did not start with, is not made.
    """
    return _trim_keys(title, _keys(names), _keys(authors))


def _keys(names: Iterable[str]) -> frozenset[str]:
    key = tuple(names)
    if sum(map(len, key)) > _KEYS_CACHED_CHARS:
        return _names_keys.__wrapped__(key)
    return _names_keys(key)


@lru_cache(maxsize=1024)  # a host's pages name the site alike
def _names_keys(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(_norm(name) for name in names) - {""}


def _trim_keys(title: str, keys: frozenset[str], bylines: frozenset[str]) -> str:
    first_word = title.split(maxsplit=1)[0].casefold() if title.strip() else ""
    while True:
        cut = _trim_once(title, keys, bylines)
        if cut is None or not _norm(cut):
            return title
        if " " not in cut.strip() and cut.strip().casefold() != first_word:
            return title
        title = cut


def _trim_once(title: str, keys: frozenset[str], bylines: frozenset[str]) -> str | None:
    for sep in sel.TITLE_SEPARATORS:
        if sep not in title:
            continue
        head, _, tail = title.rpartition(sep)
        tail = tail.strip()
        key = _norm(tail)
        if key in keys or key in bylines or _BYLINE.match(tail):
            return head.strip()
        head, _, tail = title.partition(sep)
        if _norm(head) in keys:
            return tail.strip()
    return None


# --- description ---------------------------------------------------------------


def extract_description(page: Page, title: str | None = None) -> str | None:
    """The first of :func:`description_candidates`."""
    return next(iter(description_candidates(page, title)), None)


def description_candidates(page: Page, title: str | None = None) -> list[str]:
    """og:description → twitter:description → meta description → citation_abstract →
    JSON-LD description → dc.description → the first paragraph of 80+ characters.

    Notices, placeholders and a repeat of ``title`` are skipped.
    """
    return clean_descriptions(description_sources(page), title)


def clean_descriptions(raws: Iterable[str | None], title: str | None, want: int = 0) -> list[str]:
    """The usable descriptions among ``raws``, best first (at most ``want`` when given)."""
    limit = want or sel.MAX_CANDIDATES + 1
    return _candidates(raws, DEFAULT_DESCRIPTION_MAX, _unchanged, limit, skip=title)


def _unchanged(text: str) -> str:
    return text


def description_sources(page: Page) -> Iterator[str | None]:
    """The description chain's raw values, lazily (later sources cost only when reached)."""
    yield from page.meta_values(sel.DESCRIPTION_META)
    yield from page.meta_values(sel.DESCRIPTION_CITATION_META)
    yield jsonld_description(page)
    yield from page.meta_values(sel.DESCRIPTION_DC_META)
    yield first_paragraph(page)


def jsonld_description(page: Page) -> str | None:
    if not page.jsonld:
        return None
    for obj in jsonld_main_objects(page):
        for key in sel.DESCRIPTION_JSONLD_KEYS:
            value = obj.get(key)
            if isinstance(value, str) and value.strip():
                return value
    return None


def first_paragraph(page: Page) -> str | None:
    for raw in page.paragraphs:
        if len(raw) < sel.PARAGRAPH_MIN_CHARS:
            continue  # cleaning never lengthens a text: too short already
        text = clean_text(raw, DEFAULT_DESCRIPTION_MAX)
        if text and len(text) >= sel.PARAGRAPH_MIN_CHARS and not not_about_page(text):
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
    if not page.jsonld:
        return None
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
    candidates = page.link_hrefs(sel.CANONICAL_LINK_RELS) + page.meta_values(sel.CANONICAL_META)
    for href in candidates:
        url = resolve_http_url(page.base_url, href)
        if url:
            return url
    return None


def extract_lang(page: Page) -> str | None:
    """``<html lang>`` → Content-Language meta → og:locale → JSON-LD inLanguage."""
    lang = normalise_lang(page.html_lang)  # most pages have it: the rest is not read
    if lang:
        return lang
    for keys in (sel.LANG_META, sel.LANG_LOCALE_META):
        lang = normalise_lang(page.meta(keys))
        if lang:
            return lang
    jsonld_lang = next(
        (
            o["inLanguage"]
            for o in jsonld_main_objects(page)
            if isinstance(o.get("inLanguage"), str)
        ),
        None,
    )
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
    candidates = page.meta_values(sel.IMAGE_META)
    if page.jsonld:
        candidates += _jsonld_images(page)
    candidates += page.link_hrefs(sel.IMAGE_LINK_RELS)
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
    """JSON-LD objects that describe the page itself, best first (ranked once per page)."""
    if page.jsonld_main is None:
        page.jsonld_main = _rank_jsonld(page)
    return page.jsonld_main


def _rank_jsonld(page: Page) -> list[dict[str, Any]]:
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
    if not page.jsonld:
        return None
    for obj in jsonld_main_objects(page):
        for key in keys:
            value = obj.get(key)
            if isinstance(value, str) and value.strip():
                return value
    return None


# --- all fields -------------------------------------------------------------------


def page_meta(page: Page, content_type: str | None) -> PageMeta:
    """Every field of an HTML page (no site quirks applied)."""
    return page_fields(page, content_type)[0]


def page_fields(page: Page, content_type: str | None) -> tuple[PageMeta, Fallbacks]:
    """Every field of an HTML page, and what the title and description fall back to.

    Title fallbacks are cleaned now (they need the page's site names); description
    fallbacks are kept raw (cut to a bound) and cleaned only if the site-wide pass
    needs them (:func:`clean_descriptions`), which keeps extraction cheap.
    """
    site_name = extract_site_name(page)
    titles = title_candidates(page, site_name)
    title = titles[0] if titles else None
    sources = description_sources(page)
    description = next(iter(clean_descriptions(sources, title, want=1)), None)
    later = dict.fromkeys(
        raw[: DEFAULT_DESCRIPTION_MAX * 2] for raw in sources if raw and raw.strip()
    )
    meta = PageMeta(
        title=title,
        description=description,
        site_name=site_name,
        canonical_url=extract_canonical_url(page),
        lang=extract_lang(page),
        content_type=media_type(content_type) or "text/html",
        published=extract_published(page),
        image=extract_image(page),
    )
    return meta, Fallbacks(tuple(titles[1:]), tuple(later)[: sel.MAX_CANDIDATES + 1])
