"""Verdicts and error kinds: what linkhealth concludes about a URL, and why a request failed.

Plain enums, apart from :mod:`linkhealth.models` (which re-exports them) so that the
offline commands can judge local links without importing pydantic.
"""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    """What linkhealth concluded about one URL."""

    OK = "ok"
    REDIRECTED = "redirected"
    BROKEN = "broken"
    INVALID = "invalid"
    BLOCKED = "blocked"
    TIMEOUT = "timeout"
    ERROR = "error"
    UNSAFE = "unsafe"
    EXCLUDED = "excluded"
    SKIPPED = "skipped"

    def is_ok(self) -> bool:
        return self in (Verdict.OK, Verdict.REDIRECTED)

    def is_failing(self, *, strict: bool = False) -> bool:
        """Whether this verdict fails the run (``blocked`` only with ``--strict``)."""
        if self is Verdict.BLOCKED:
            return strict
        return self in _FAILING

    def is_network_failure(self) -> bool:
        """Failures that say more about the network than about the link."""
        return self in (Verdict.TIMEOUT, Verdict.ERROR)


_FAILING = frozenset(
    {Verdict.BROKEN, Verdict.INVALID, Verdict.TIMEOUT, Verdict.ERROR, Verdict.UNSAFE}
)


class ErrorKind(StrEnum):
    """Why a request failed below HTTP (``None`` when an HTTP status decided)."""

    DNS = "dns"
    CONNECT = "connect"
    REFUSED = "refused"
    RESET = "reset"
    TIMEOUT = "timeout"
    TLS = "tls"
    PROTOCOL = "protocol"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    REDIRECT_LOOP = "redirect_loop"
    POLICY = "policy"
    BODY_TOO_LARGE = "body_too_large"
    SOFT_404 = "soft_404"
    FRAGMENT = "fragment"
    BOT_CHALLENGE = "bot_challenge"
    MALFORMED = "malformed"
    NOT_FOUND = "not_found"
    OTHER = "other"


#: Error kinds that say "the network did not carry the request", not "the link is bad".
NETWORK_ERROR_KINDS = frozenset(
    {ErrorKind.DNS, ErrorKind.CONNECT, ErrorKind.REFUSED, ErrorKind.RESET, ErrorKind.TIMEOUT}
)
