"""Fetching a document that is an *input* (``linkhealth check https://…/awesome.md``).

The same client as every check (address guard on every hop, redirects followed and
re-checked, the run's User-Agent, headers and TLS settings), one request per document
before the run's links are checked; the whole body is read up to ``max-file-bytes``
whatever its type (Markdown is served as text/markdown, text/plain or text/html).
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from linkhealth.config import Settings
from linkhealth.errors import InputError
from linkhealth.fetch.classify import classify_exception
from linkhealth.fetch.client import Client, _read_body, kept_headers
from linkhealth.fetch.result import Outcome

DOCUMENT_ACCEPT = "text/markdown, text/plain;q=0.9, text/html;q=0.8, */*;q=0.1"


@dataclass(frozen=True)
class Document:
    url: str  # after redirects: relative links resolve against it
    content_type: str | None
    body: bytes


class _DocumentClient(Client):
    async def _final(
        self, out: Outcome, response: httpx.Response, url: str, want_full_body: bool
    ) -> None:
        out.status = response.status_code
        out.final_url = url
        out.headers = kept_headers(response.headers)
        if 200 <= out.status <= 299:
            cap = self.settings.max_body_bytes
            out.body, out.truncated = await _read_body(response, cap, stop_at_head=False)


async def fetch_document(url: str, settings: Settings) -> Document:
    """The document at ``url``; :class:`InputError` if it cannot be had or is too large."""
    limits = settings.model_copy(update={"max_body_bytes": settings.max_file_bytes})
    async with _DocumentClient(limits) as client:
        out = await client.attempt(url, headers={"Accept": DOCUMENT_ACCEPT}, want_full_body=True)
    if out.error is not None:
        _verdict, kind, detail = classify_exception(out.error)
        raise InputError(f"{url}: cannot fetch this input ({detail or kind.value})")
    if out.redirect_problem is not None:
        raise InputError(f"{url}: cannot fetch this input ({out.redirect_problem[1]})")
    if out.status is None or not 200 <= out.status <= 299:
        raise InputError(f"{url}: cannot fetch this input (HTTP {out.status})")
    if out.truncated:
        raise InputError(
            f"{url}: larger than max-file-bytes ({settings.max_file_bytes:,} bytes); not read"
        )
    return Document(out.final_url or url, out.headers.get("content-type"), out.body)
