"""Which credentials one request carries: decided per request, so a redirect to another
URL never carries what was meant for the first one.

* ``--basic-auth 'REGEX USER:PASSWORD'``: an ``Authorization: Basic`` header on requests
  whose URL matches REGEX (the first matching rule wins).
* ``--github-token``: ``Authorization: Bearer`` on requests to the GitHub API base
  (``github-api-endpoint``, same scheme, host and port, path below it) and nowhere else.
* A URL's own ``user:password@``: ``Authorization: Basic`` from it (percent-decoded,
  Latin-1 as aiohttp sent it, UTF-8 where Latin-1 cannot say it), when neither rule above
  gives one; never sent on to another URL.
"""

from __future__ import annotations

import base64

import httpx

from linkhealth.config import Settings


def is_github_api(url: httpx.URL, settings: Settings) -> bool:
    """Whether ``url`` is below the configured GitHub API base."""
    base = httpx.URL(settings.github_api_endpoint)
    if (url.scheme, url.host, url.port) != (base.scheme, base.host, base.port):
        return False
    prefix = base.path.rstrip("/")
    return url.path == prefix or url.path.startswith(prefix + "/")


def credentials_for(url: httpx.URL, settings: Settings) -> dict[str, str]:
    """The ``Authorization`` header (if any) that a request to ``url`` carries."""
    if settings.github_token and is_github_api(url, settings):
        return {
            "Authorization": f"Bearer {settings.github_token}",
            "X-GitHub-Api-Version": "2022-11-28",
        }
    if settings.basic_auth:
        text = str(url)
        for rule in settings.basic_auth:
            if rule.pattern.search(text):
                pair = f"{rule.user}:{rule.password}".encode()
                return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
    if url.userinfo:
        return {"Authorization": _basic(f"{url.username}:{url.password}")}
    return {}


def _basic(pair: str) -> str:
    try:
        raw = pair.encode("latin-1")
    except UnicodeEncodeError:
        raw = pair.encode("utf-8")
    return "Basic " + base64.b64encode(raw).decode("ascii")
