"""Sanitising fetched text: the rules live in :mod:`linkhealth.textsafe`.

This name stays for code written against it; import from :mod:`linkhealth.textsafe`.
"""

from linkhealth.textsafe import (
    DEFAULT_DESCRIPTION_MAX,
    DEFAULT_TEXT_MAX,
    DEFAULT_TITLE_MAX,
    DEFAULT_URL_MAX,
    ELLIPSIS,
    clean_description,
    clean_text,
    clean_title,
    clean_url,
    has_unsafe_chars,
    truncate,
)

__all__ = [
    "DEFAULT_DESCRIPTION_MAX",
    "DEFAULT_TEXT_MAX",
    "DEFAULT_TITLE_MAX",
    "DEFAULT_URL_MAX",
    "ELLIPSIS",
    "clean_description",
    "clean_text",
    "clean_title",
    "clean_url",
    "has_unsafe_chars",
    "truncate",
]
