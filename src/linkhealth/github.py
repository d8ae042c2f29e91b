"""github.com links checked through GitHub's REST API (with ``--github-token``).

GitHub's unauthenticated rate limit (60 requests an hour per address for the API, and
throttling of the website) is what breaks nightly checks of lists full of GitHub
links; with a token the API allows 5,000 an hour. A link is mapped to the REST
endpoint that answers whether the thing it names exists (GitHub's REST reference):

=================================================  ==========================================
``github.com/OWNER/REPO``                          ``GET /repos/OWNER/REPO``
``github.com/OWNER/REPO/issues/N``                 ``GET /repos/OWNER/REPO/issues/N``
``github.com/OWNER/REPO/pull/N``                   ``GET /repos/OWNER/REPO/pulls/N``
``github.com/OWNER/REPO/blob|tree/REF[/PATH]``     ``GET /repos/OWNER/REPO/contents/PATH?ref=REF``
=================================================  ==========================================

Anything else on github.com (profiles, releases, wiki pages, …) is fetched as usual.
The token goes only to the API base (see :mod:`linkhealth.fetch.credentials`).
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

GITHUB_HOSTS = frozenset({"github.com", "www.github.com"})
# First path segments that are GitHub's own pages, not an owner.
_RESERVED = frozenset(
    [
        "about",
        "apps",
        "codespaces",
        "collections",
        "contact",
        "customer-stories",
        "enterprise",
        "events",
        "explore",
        "features",
        "issues",
        "login",
        "marketplace",
        "new",
        "notifications",
        "orgs",
        "organizations",
        "pricing",
        "pulls",
        "readme",
        "search",
        "security",
        "settings",
        "site",
        "sponsors",
        "topics",
        "trending",
        "users",
    ]
)
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def github_api_url(url: str, api_base: str) -> str | None:
    """The REST endpoint that tells whether ``url`` exists, or None if it is not mapped."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    if (parts.hostname or "").lower().rstrip(".") not in GITHUB_HOSTS or parts.port:
        return None
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 2 or segments[0].lower() in _RESERVED:
        return None
    owner, repo = segments[0], segments[1].removesuffix(".git")
    if not (_NAME.match(owner) and _NAME.match(repo)):
        return None
    base = f"{api_base.rstrip('/')}/repos/{owner}/{repo}"
    rest = segments[2:]
    if not rest:
        return base
    if len(rest) == 2 and rest[0] == "issues" and rest[1].isdigit():
        return f"{base}/issues/{rest[1]}"
    if len(rest) >= 2 and rest[0] == "pull" and rest[1].isdigit():
        return f"{base}/pulls/{rest[1]}"
    if len(rest) >= 2 and rest[0] in ("blob", "tree"):
        path = "/".join(quote(s, safe="") for s in rest[2:])
        return f"{base}/contents/{path}?ref={quote(rest[1], safe='')}"
    return None
