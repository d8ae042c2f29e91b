"""Credentials in URLs (``https://user:token@host/``) never reach an output.

The real URL is kept for fetching and in the store (the cache key); every rendered
report goes through :func:`redact_report` once, in :func:`linkhealth.report.render`
and :func:`linkhealth.report.write_reports`, so no format can forget it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # `lint` and `extract` redact text only: no pydantic models for them
    from linkhealth.models import RunReport

#: ``scheme://userinfo@`` — the userinfo runs to the last ``@`` before the path.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/?#\s@]*(?:@[^/?#\s@]*)*@")
#: GitHub's token formats (classic ``ghp_``/``gho_``/``ghu_``/``ghs_``/``ghr_`` and
#: fine-grained ``github_pat_``), wherever they appear: a page or an error echoing one.
_GITHUB_TOKEN = re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")
#: Each of the two above without its leading ``\b``: found in a report's JSON text
#: wherever either one is found in any of its strings (JSON escapes such as ``\n`` can
#: put a word character before a token), so a report without them has nothing to redact.
_TOKEN_ANYWHERE = re.compile(r"gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}")
REDACTED = "***"


def redact_text(text: str) -> str:
    """``text`` with the userinfo of every URL in it, and every GitHub token, replaced
    by ``***``."""
    if "gh" in text:
        text = _GITHUB_TOKEN.sub(REDACTED, text)
    if "@" not in text:
        return text
    return _USERINFO.sub(rf"\g<1>{REDACTED}@", text)


def redact_pieces(pieces: Iterable[str]) -> Iterator[str]:
    """:func:`redact_text` of a text given a piece at a time, cut at or beside a line end
    (as the extract renderers cut it: ``}`` | ``,\\n``): neither pattern reaches over
    whitespace or across such a cut, so each piece is screened alone."""
    for piece in pieces:
        yield redact_text(piece)


def _walk(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: _walk(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v) for v in value]
    return value


def redact_report(report: RunReport) -> RunReport:
    """A copy of ``report`` in which no string holds URL credentials (the same object
    when there is nothing to redact)."""
    if _nothing_to_redact(report):
        return report
    from linkhealth.models import RunReport

    data = report.model_dump()
    cleaned = _walk(data)
    if cleaned == data:
        return report
    return RunReport.model_validate(cleaned).model_copy(
        update={"judged_with": report.judged_with}  # not part of the dump
    )


def _nothing_to_redact(report: RunReport) -> bool:
    """A cheap screen: no ``@`` (every userinfo has one) and no token in the report's JSON
    text. Rust dumps it in one pass where :func:`_walk` visits every string in Python;
    result by result, so the whole text is never held (a token or an ``@`` lies within
    one string, so within one result's text)."""
    parts = itertools.chain((report.model_copy(update={"results": []}),), report.results)
    try:
        for part in parts:
            text = part.model_dump_json()
            if "@" in text or _TOKEN_ANYWHERE.search(text) is not None:
                return False
    except ValueError:  # a lone surrogate cannot be UTF-8: let the full walk handle it
        return False
    return True
