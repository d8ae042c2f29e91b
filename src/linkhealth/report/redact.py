"""Credentials in URLs (``https://user:token@host/``) never reach an output.

The real URL is kept for fetching and in the store (the cache key); every rendered
report goes through :func:`redact_report` once, in :func:`linkhealth.report.render`
and :func:`linkhealth.report.write_reports`, so no format can forget it. The JSON
report (:mod:`linkhealth.report.jsonfmt`) writes each part through
:func:`redacted_json` instead: the text it writes is the screen, so a result is encoded
once, not screened and then encoded.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from linkhealth.lazyre import lazy_compile

if TYPE_CHECKING:  # `lint` and `extract` redact text only: no pydantic models for them
    from pydantic import BaseModel

    from linkhealth.models import RunReport

Model = TypeVar("Model", bound="BaseModel")

#: ``scheme://userinfo@`` — the userinfo runs to the last ``@`` before the path.
_USERINFO = lazy_compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/?#\s@]*(?:@[^/?#\s@]*)*@")
#: GitHub's token formats (classic ``ghp_``/``gho_``/``ghu_``/``ghs_``/``ghr_`` and
#: fine-grained ``github_pat_``), wherever they appear: a page or an error echoing one.
_GITHUB_TOKEN = lazy_compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")
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


def _walk(value: Any, rule: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return rule(value)
    if isinstance(value, dict):
        return {_walk(k, rule): _walk(v, rule) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, rule) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class Redacted:
    """A report that went through :func:`redact_report` (make one with :func:`screened`):
    the renderers take it as it is. ``check`` writes one report in several formats, and
    the screen encodes every result."""

    report: RunReport


def screened(report: RunReport) -> Redacted:
    """``report`` redacted once, for several renderings (do not change it after)."""
    return Redacted(redact_report(report))


def redacted(report: RunReport | Redacted) -> RunReport:
    """The report to render: a :class:`Redacted` one as it is, any other redacted now."""
    return report.report if isinstance(report, Redacted) else redact_report(report)


def redact_report(report: RunReport) -> RunReport:
    """A copy of ``report`` in which no string holds URL credentials (the same object
    when there is nothing to redact)."""
    if _nothing_to_redact(report):
        return report
    return _rewritten(report, redact_text).model_copy(
        update={"judged_with": report.judged_with}  # not part of the dump
    )


def may_need_redacting(encoded: str) -> bool:
    """The screen: whether a part's JSON text may hold something to redact (an ``@``,
    which every userinfo has, or a token); ``False`` means nothing in it is redacted. A
    token or an ``@`` lies within one string, so a report is screened part by part."""
    return "@" in encoded or _TOKEN_ANYWHERE.search(encoded) is not None


def redacted_json(part: Model) -> str:
    """``part``'s JSON text (pydantic's encoder, indented by 2), its strings redacted and
    made valid Unicode (:func:`~linkhealth.textsafe.clean`) first when they need it:
    ``check --format json`` and ``results.json`` write each part of a report so."""
    try:
        encoded = part.model_dump_json(indent=2)
    except ValueError:  # a lone surrogate cannot be UTF-8
        pass
    else:
        if not may_need_redacting(encoded):
            return encoded
    from linkhealth.textsafe import clean

    return _rewritten(part, lambda text: redact_text(clean(text))).model_dump_json(indent=2)


def _rewritten(part: Model, rule: Callable[[str], str]) -> Model:
    """``part`` with ``rule`` applied to every string of its dump (the same object when
    that changes none)."""
    data = part.model_dump()
    rewritten = _walk(data, rule)
    return part if rewritten == data else type(part).model_validate(rewritten)


def _nothing_to_redact(report: RunReport) -> bool:
    """A cheap screen of the report's JSON text (Rust dumps it in one pass where
    :func:`_walk` visits every string in Python), result by result, so that the whole
    text is never held."""
    parts = itertools.chain((report.model_copy(update={"results": []}),), report.results)
    try:
        return not any(may_need_redacting(part.model_dump_json()) for part in parts)
    except ValueError:  # a lone surrogate cannot be UTF-8: let the full walk handle it
        return False
