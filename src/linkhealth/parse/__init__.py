"""Markdown → link occurrences with exact spans, and offline lint findings.

No network, no printing. The public API:

- :func:`read_markdown`, :func:`discover` — find and read the lists;
- :func:`extract_text` (pure) and :func:`extract_paths` → :class:`ParseResult`;
- :func:`normalise_url` (the dedupe key) and :func:`split_fragment`;
- :func:`diagnose` — is one destination well-formed, and if not, the fix.
"""

from __future__ import annotations

from linkhealth.config import CommentMode
from linkhealth.parse.extract import ParseResult, extract_paths, extract_text
from linkhealth.parse.lint import RULES
from linkhealth.parse.source import discover, read_markdown
from linkhealth.parse.urls import Diagnosis, diagnose, normalise_url, split_fragment

__all__ = [
    "RULES",
    "CommentMode",
    "Diagnosis",
    "ParseResult",
    "diagnose",
    "discover",
    "extract_paths",
    "extract_text",
    "normalise_url",
    "read_markdown",
    "split_fragment",
]
