"""Markdown → link occurrences with exact spans, and offline lint findings.

No network, no printing, no file discovery (that is :mod:`linkhealth.inputs`,
the stage above). The public API:

- :func:`read_markdown` — read one list;
- :func:`extract_text` (pure) → :class:`ParseResult`;
- :func:`normalise_url` (the dedupe key) and :func:`split_fragment`;
- :func:`diagnose` — is one destination well-formed, and if not, the fix.
"""

from __future__ import annotations

from linkhealth.config import CommentMode
from linkhealth.parse.extract import ParseResult, extract_text
from linkhealth.parse.lint import RULES
from linkhealth.parse.source import read_markdown
from linkhealth.parse.urls import Diagnosis, diagnose, normalise_url, split_fragment

__all__ = [
    "RULES",
    "CommentMode",
    "Diagnosis",
    "ParseResult",
    "diagnose",
    "extract_text",
    "normalise_url",
    "read_markdown",
    "split_fragment",
]
