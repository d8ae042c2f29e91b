"""After the fetch, across results: what several pages of one host share is the site's,
not the page's.

* A description identical on two or more different pages of a host in the run, or a
  title on three or more (:data:`MIN_PAGES`) — Hugging Face's mission statement as
  every page's description, a single-page app's ``<title>React App</title>`` — is
  rejected: the result falls through to its next candidate (:class:`Fallbacks`, kept
  per page by :func:`extract_meta`), or to nothing when it has none.
* An affix every titled page of the host carries, on two or more pages
  (``… — Requests 2.32.3 documentation``), is trimmed like a declared site name.

Pages are told apart by their canonical URL (else the final URL) without query,
fragment and trailing slash, so the same page linked twice never counts as two.
:func:`sitewide_choices` is pure; :func:`reject_sitewide` applies it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from linkhealth.meta import selectors as sel
from linkhealth.meta.fields import (
    Fallbacks,
    clean_descriptions,
    fallback_key,
    same_key,
    trim_site_name,
)
from linkhealth.meta.urls import host_of, plain_origin
from linkhealth.models import CheckResult

# Pages of one host that share a value before it is the site's. A description on a
# second page is already boilerplate; two pages may share a title (two links into one
# single-page app), and a lost title costs more than a repeated one.
MIN_PAGES = {"title": 3, "description": 2}


def page_identity(result: CheckResult) -> str:
    """Host without ``www.`` and path without trailing slash, of the canonical URL (else
    the final URL): how two results are told to be the same page."""
    url = result.canonical_url or result.final_url or result.url
    origin = plain_origin(url)  # kept per origin: a host's pages share it
    if origin is None:
        return url_identity(url)
    # A plain URL is its origin, then its rest (path, query, fragment) as written; its host
    # is urlsplit's hostname, and its path runs to the first ? or #.
    path = url[len(origin[0]) :].partition("?")[0].partition("#")[0]
    return f"{origin[1].removeprefix('www.')}{path.rstrip('/')}"


def url_identity(url: str) -> str:
    """:func:`page_identity`'s rule, for any URL: what urlsplit reads."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    return f"{(parts.hostname or '').removeprefix('www.')}{parts.path.rstrip('/')}"


def sitewide_choices(
    results: Sequence[CheckResult], fallbacks: Mapping[str, Fallbacks]
) -> dict[str, dict[str, str | None]]:
    """``{result.url: {field: new value}}`` for the results whose title or description
    their host shares (or whose title carries the host's common affix)."""
    by_host: dict[str, list[CheckResult]] = defaultdict(list)
    for result in results:
        if result.title or result.description:
            by_host[host_of(result.final_url or result.url)].append(result)
    changes: dict[str, dict[str, str | None]] = {}
    for group in by_host.values():
        pages = {r.url: page_identity(r) for r in group}  # one URL parse a page
        if len(set(pages.values())) < min(MIN_PAGES.values()):
            continue
        titles = _fall_through(group, pages, "title", fallbacks)
        descriptions = _fall_through(group, pages, "description", fallbacks)
        titles = _trim_common_affix(pages, titles)
        for result in group:
            change: dict[str, str | None] = {}
            if (title := titles[result.url]) != result.title:
                change["title"] = title
            if (description := descriptions[result.url]) != result.description:
                change["description"] = description
            if change:
                changes[result.url] = change
    return changes


def _shared(values: Mapping[str, str | None], pages: Mapping[str, str], least: int) -> set[str]:
    """Values (compared as :func:`same_key`) that at least ``least`` different pages carry."""
    holders: dict[str, set[str]] = defaultdict(set)
    for url, value in values.items():
        if value:
            holders[same_key(value)].add(pages[url])
    return {value for value, owners in holders.items() if len(owners) >= least}


def _fall_through(
    group: Sequence[CheckResult],
    pages: Mapping[str, str],
    name: str,
    fallbacks: Mapping[str, Fallbacks],
) -> dict[str, str | None]:
    chosen: dict[str, str | None] = {r.url: getattr(r, name) for r in group}
    rejected = _shared(chosen, pages, MIN_PAGES[name])
    if not rejected:
        return chosen
    for result in group:
        value = chosen[result.url]
        if value is None or same_key(value) not in rejected:
            continue
        offered = fallbacks.get(fallback_key(result.final_url or result.url), Fallbacks())
        if name == "title":
            others = list(offered.titles)
        else:
            others = clean_descriptions(offered.descriptions, result.title)
        chosen[result.url] = next((o for o in others if same_key(o) not in rejected), None)
    return chosen


def _affixes(title: str) -> set[str]:
    found: set[str] = set()
    for sep in sel.TITLE_SEPARATORS:
        if sep in title:
            found.add(same_key(title.rpartition(sep)[2]))
            found.add(same_key(title.partition(sep)[0]))
    return found - {""}


def _trim_common_affix(
    pages: Mapping[str, str], titles: dict[str, str | None]
) -> dict[str, str | None]:
    titled = {url: title for url, title in titles.items() if title}
    if len({pages[url] for url in titled}) < 2:
        return titles
    common: set[str] | None = None  # the affixes every titled page carries
    for title in titled.values():
        common = _affixes(title) if common is None else common & _affixes(title)
        if not common:
            return titles
    names = sorted(common or ())
    return {url: trim_site_name(t, names) if t else t for url, t in titles.items()}


def reject_sitewide(
    results: Sequence[CheckResult], fallbacks: Mapping[str, Fallbacks]
) -> list[CheckResult]:
    """Apply :func:`sitewide_choices` to ``results``; the results it changed."""
    changes = sitewide_choices(results, fallbacks)
    changed = []
    for result in results:
        change = changes.get(result.url)
        if change:  # never empty
            for name, value in change.items():
                setattr(result, name, value)
            changed.append(result)
    return changed


__all__ = ["Fallbacks", "fallback_key", "reject_sitewide", "sitewide_choices"]
