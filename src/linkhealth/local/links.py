"""Which links are local (judged on disk, never over a network): :func:`is_local`.

Its own small module: a check plans every link with it, and only a run that has local
links needs the checker (:mod:`linkhealth.local.checker`) itself.
"""

from __future__ import annotations

import re

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_EMAIL = re.compile(r"^[^/\s@]+@[^/\s@]+\.[^/\s@]+$")


def is_local(url: str) -> bool:
    """Whether ``url`` points into the repository rather than over a network.

    True for relative paths (``docs/x.md``, ``../x.md``, ``./x``), fragments
    (``#heading``) and root-relative paths (``/docs/x``). False for anything
    with a scheme (``http:``, ``mailto:``, ``javascript:`` …), protocol-relative
    ``//host/x``, bare hosts (``www.example.com``), e-mail addresses and ``""``.
    """
    candidate = url.strip()
    if not candidate:
        return False
    if candidate.startswith(("//", "\\\\")):
        return False
    if _SCHEME.match(candidate):
        return False
    if candidate.lower().startswith("www."):
        return False
    return not _EMAIL.match(candidate)
