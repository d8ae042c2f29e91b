"""What one fetch produced: :class:`FetchResult`, plus the raw attempt outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from linkhealth.models import ErrorKind, Redirect, Verdict

# (etag, last_modified) from a previous run, for a conditional request.
Validators = tuple[str | None, str | None]

# Response headers kept on a result (lowercased names); everything else is dropped.
KEPT_HEADERS = (
    "content-type",
    "content-length",
    "content-language",
    "content-encoding",
    "etag",
    "last-modified",
    "retry-after",
    "server",
    "cf-mitigated",
    "x-robots-tag",
    "link",
)


@dataclass(slots=True)
class FetchResult:
    """The verdict on one URL, as far as the network can tell.

    ``body`` is content-decoded, capped at ``settings.max_body_bytes`` and, for HTML,
    stopped shortly after ``</head>`` (unless fragments must be checked); for a PDF
    it is the first ``PDF_READ_BYTES`` (where the document's title usually is); it is
    empty for redirects, errors and other content. ``truncated`` is true when the
    decoded body reached its cap.
    """

    url: str
    verdict: Verdict
    http_status: int | None = None
    detail: str = ""
    error_kind: ErrorKind | None = None
    final_url: str | None = None
    redirects: list[Redirect] = field(default_factory=list)
    permanent: bool = False
    attempts: int = 0
    elapsed_ms: float = 0.0
    checked_at: datetime | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    not_modified: bool = False
    truncated: bool = False


@dataclass(slots=True)
class Outcome:
    """One attempt (all its redirect hops): a final response or an exception."""

    url: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    sniff: bytes = b""  # a prefix of an error body, for bot-challenge detection only
    truncated: bool = False
    final_url: str | None = None
    redirects: list[Redirect] = field(default_factory=list)
    error: BaseException | None = None
    # Set for redirect problems (loop, too many, bad target) decided without an exception.
    redirect_problem: tuple[ErrorKind, str] | None = None
    retry_after: float | None = None
    # No further attempt fits in the URL's deadline (the host is throttling us).
    exhausted: bool = False
