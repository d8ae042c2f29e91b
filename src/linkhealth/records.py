"""What extraction makes per link: :class:`Occurrence` and :class:`Finding`.

A big list has 100,000 of them, so they are plain slotted classes, not pydantic
models: about 0.1 KB and well under a microsecond each, where a validated model
with its ``__dict__`` and fields-set took about 1.3 KB and 5 µs. Nothing here
imports pydantic (``extract`` and ``lint`` build these without it). The pydantic
models of :mod:`linkhealth.models` still hold them as fields
(``CheckResult.occurrences``, ``RunReport.findings``) and validate and serialise
them there as dataclasses, with the same keys in the same order as
:meth:`Occurrence.as_json`, the JSON shape of ``extract`` and ``lint``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

#: Schemes whose links are never fetched or emitted as live links (verdict ``unsafe``).
UNSAFE_SCHEMES = frozenset({"javascript", "vbscript", "data"})


def unsafe_scheme_message(scheme: str) -> str:
    """The one message for a link refused for its scheme: lint finding and result alike."""
    return f"dangerous scheme {scheme}: never fetched"


class LinkKind(StrEnum):
    INLINE = "inline"
    REFERENCE = "reference"
    AUTOLINK = "autolink"
    BARE = "bare"
    HTML = "html"
    IMAGE = "image"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


def _as_json(record: Occurrence | Finding) -> dict[str, Any]:
    """The record's fields in order, enums as their values: the JSON shape."""
    out: dict[str, Any] = {}
    for name in record.__slots__:
        value = getattr(record, name)
        out[name] = value.value if isinstance(value, StrEnum) else value
    return out


# pydantic reads this when a model holds these as fields: unknown keys are refused there,
# as they were when these were models.
_PYDANTIC_CONFIG = {"extra": "forbid"}


@dataclass(slots=True, kw_only=True)
class Occurrence:
    """One place a link is written. Spans are 1-based; columns count characters.

    ``end_column`` is exclusive: for a one-line span, ``line_text[column-1:end_column-1]``
    is the URL exactly as written in the source.
    """

    __pydantic_config__: ClassVar[dict[str, str]] = _PYDANTIC_CONFIG

    url: str
    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    text: str | None = None
    kind: LinkKind
    section: str | None = None
    in_comment: bool = False

    def as_json(self) -> dict[str, Any]:
        # written out: 100,000 of these make extract's JSON (tests/parse/test_records.py
        # compares it with pydantic's dump of the fields)
        return {
            "url": self.url,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "text": self.text,
            "kind": self.kind.value,
            "section": self.section,
            "in_comment": self.in_comment,
        }


#: Each link kind's JSON (a quoted printable-ASCII value): the one table the writers that
#: spell occurrences themselves (the store's payload, the JSON report) use.
LINK_KIND_JSON: dict[LinkKind, str] = {kind: f'"{kind.value}"' for kind in LinkKind}


def typed_as_declared(occ: object) -> bool:
    """Whether ``occ`` is an :class:`Occurrence` whose every value is exactly of its
    field's declared type (``int``, ``str``, ``bool``, a :class:`LinkKind`, ``None`` where
    allowed): the values a writer may spell itself as pydantic would; anything else
    (a subclass, a value set after validation) is left to pydantic."""
    if type(occ) is not Occurrence:
        return False
    text, section = occ.text, occ.section
    return (
        type(occ.line) is type(occ.column) is type(occ.end_line) is type(occ.end_column) is int
        and type(occ.url) is type(occ.file) is str
        and type(occ.in_comment) is bool
        and type(occ.kind) is LinkKind
        and (text is None or type(text) is str)
        and (section is None or type(section) is str)
    )


@dataclass(slots=True, kw_only=True)
class Finding:
    """A lint finding: a malformed or suspicious link, with a concrete suggestion."""

    __pydantic_config__: ClassVar[dict[str, str]] = _PYDANTIC_CONFIG

    file: str
    line: int
    column: int
    rule: str
    message: str
    suggestion: str | None = None
    severity: Severity = Severity.ERROR
    # The text as written (for malformed links: what would have been the URL).
    raw: str | None = None
    end_line: int | None = None
    end_column: int | None = None
    section: str | None = None

    def as_json(self) -> dict[str, Any]:
        return _as_json(self)
