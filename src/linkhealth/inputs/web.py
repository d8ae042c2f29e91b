"""http(s) URLs of Markdown or HTML documents as inputs (``check https://…/awesome.md``).

Each document is fetched under the run's guard (:mod:`linkhealth.fetch.document`),
decoded (the Content-Type charset, else UTF-8), parsed like a list (HTML documents'
``<a href>`` and ``<img src>`` are found as in Markdown's inline HTML), and its links
are reported against the document's URL. Relative links resolve against the URL
the document was finally served from, so they are checked over the network.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from urllib.parse import urljoin

from linkhealth.config import Settings
from linkhealth.parse.extract import ParseResult, extract_text
from linkhealth.textsafe import is_web_url

__all__ = ["is_web_url", "read_web_documents"]


def _charset(content_type: str | None) -> str:
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            try:
                return codecs.lookup(value.strip("\"' ")).name
            except LookupError:
                break
    return "utf-8"


async def read_web_documents(urls: Sequence[str], settings: Settings) -> ParseResult:
    """Fetch and parse each document; its relative links made absolute."""
    from linkhealth.fetch.document import fetch_document

    result = ParseResult()
    for url in urls:
        doc = await fetch_document(url, settings)
        text = doc.body.decode(_charset(doc.content_type), errors="replace").removeprefix("\ufeff")
        parsed = extract_text(text, url, comments=settings.comments)
        for occ in parsed.occurrences:
            if not is_web_url(occ.url) and ":" not in occ.url.split("/", 1)[0]:
                occ.url = urljoin(doc.url, occ.url)
        result.extend(parsed)
    return result
