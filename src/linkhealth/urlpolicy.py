"""Is this URL checked at all? The one URL policy: scheme, excludes, private literals.

Planning (:mod:`linkhealth.pipeline.plan`) and the fetcher (:func:`linkhealth.fetch.fetch_all`,
for URLs handed to it directly) both ask :meth:`UrlPolicy.check`, so a refusal reads the
same wherever it is decided. URLs are read by the one URL parser
(:mod:`linkhealth.weburl`); IP-literal and ``localhost`` hosts by the address guard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from linkhealth.models import (
    HTTP_SCHEMES,
    UNSAFE_SCHEMES,
    ErrorKind,
    Verdict,
    unsafe_scheme_message,
)
from linkhealth.weburl import scheme_and_host

if TYPE_CHECKING:
    from linkhealth.config import Settings
    from linkhealth.fetch.guard import Guard


class UrlMatcher(Protocol):
    """Patterns a URL may match (``.linkhealthignore``); false when it holds none (then
    the policy never asks it)."""

    def matches(self, url: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a URL is never requested: its final verdict, detail and error kind."""

    verdict: Verdict
    detail: str
    error_kind: ErrorKind | None = None


class UrlPolicy:
    """The policy of one run: ``settings`` (schemes, ``exclude``/``include``, excluded
    hosts, ``allow_private``, ``resolve``), an optional ignore file, and the guard."""

    def __init__(
        self, settings: Settings, *, guard: Guard | None = None, ignore: UrlMatcher | None = None
    ) -> None:
        if guard is None:
            from linkhealth.fetch.guard import Guard

            guard = Guard(allow_private=settings.allow_private, resolve=settings.resolve)
        self.settings = settings
        self.guard = guard
        self.ignore = ignore
        # (an ignore file without a pattern, as most runs load one, is never asked)
        self._ignore = ignore if ignore else None
        # What depends on the host alone (after the URL's own patterns), decided once a
        # host: excluded in the configuration, --offline, no host, a private literal.
        self._hosts: dict[str, Refusal | str] = {}

    def check(self, url: str) -> Refusal | str:
        """A :class:`Refusal` for a URL that is never requested, else its host key."""
        try:
            read = scheme_and_host(url)
        except ValueError as exc:
            return Refusal(Verdict.INVALID, f"malformed URL: {exc}", ErrorKind.MALFORMED)
        return self.check_read(url, read)

    def check_read(self, url: str, read: tuple[str, str]) -> Refusal | str:
        """:meth:`check` of ``url``, read already: ``read`` is its
        :func:`~linkhealth.weburl.scheme_and_host` (the plan reads each link's once, for
        the look-ahead and for this)."""
        scheme, host = read
        if scheme in UNSAFE_SCHEMES:
            return Refusal(Verdict.UNSAFE, unsafe_scheme_message(scheme), ErrorKind.POLICY)
        if scheme not in HTTP_SCHEMES:
            label = f"{scheme}:" if scheme else "no scheme"
            return Refusal(Verdict.SKIPPED, f"not checkable over HTTP ({label})")
        settings = self.settings
        if settings.exclude or settings.include or self._ignore is not None:
            reason = self._excluded(url)
            if reason is not None:
                return Refusal(Verdict.EXCLUDED, reason)
        known = self._hosts.get(host)
        if known is None:
            known = self._hosts[host] = self._host(host)
        return known

    def _host(self, host: str) -> Refusal | str:
        """What ``host`` alone decides, in this order: excluded in the configuration,
        ``--offline``, no host, a literal the address guard refuses; else ``host``."""
        if host and self.settings.host(host).exclude:
            return Refusal(Verdict.EXCLUDED, f"host {host} is excluded in the configuration")
        if self.settings.offline:
            return Refusal(Verdict.EXCLUDED, "not requested: --offline checks local links only")
        if not host:
            return Refusal(Verdict.INVALID, "malformed URL: no host name", ErrorKind.MALFORMED)
        from linkhealth.fetch.guard import AddressBlocked

        try:
            self.guard.check_literal_host(host)
        except AddressBlocked as exc:
            return Refusal(Verdict.UNSAFE, f"blocked by address policy: {exc}", ErrorKind.POLICY)
        return host

    def _excluded(self, url: str) -> str | None:
        """Why ``url`` itself is excluded: an ``exclude`` pattern, no ``include`` pattern,
        the ignore file; else ``None``."""
        settings = self.settings
        for pattern in settings.exclude:
            if pattern.search(url):
                return f"excluded by pattern {pattern.pattern!r}"
        if settings.include and not any(p.search(url) for p in settings.include):
            return "not matched by any include pattern"
        if self._ignore is not None and self._ignore.matches(url):
            from linkhealth.inputs.ignore import IGNORE_FILE_NAME

            return f"matched a pattern in {IGNORE_FILE_NAME}"
        return None
