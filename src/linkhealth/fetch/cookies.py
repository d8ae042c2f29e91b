"""``--cookie-jar FILE`` (lychee's option): cookies read before a run and written after it.

The file is the Netscape ``cookies.txt`` format that curl and wget read and write
(:class:`http.cookiejar.MozillaCookieJar`), never a pickle. A missing file is an empty
jar; an unreadable one is a usage error. The run's aiohttp session keeps the
cookies in between and sends them as browsers do (domain, path, secure, expiry).
"""

from __future__ import annotations

import http.cookiejar
import tempfile
from http.cookies import SimpleCookie
from pathlib import Path
from typing import TYPE_CHECKING

from yarl import URL

from linkhealth.errors import ConfigError
from linkhealth.fsutil import atomic_write_text

if TYPE_CHECKING:
    import aiohttp


def load_cookie_jar(path: str) -> aiohttp.CookieJar:
    """An aiohttp jar holding the cookies of ``path`` (empty when it does not exist)."""
    import aiohttp  # only runs with a cookie jar use aiohttp (fetch/session.py)

    jar = aiohttp.CookieJar(unsafe=True)  # unsafe: cookies for IP-address hosts too
    source = http.cookiejar.MozillaCookieJar()
    if Path(path).exists():
        try:
            source.load(path, ignore_discard=True, ignore_expires=False)
        except (OSError, http.cookiejar.LoadError) as exc:
            raise ConfigError(f"cookie-jar {path}: cannot read it ({exc})") from exc
    for cookie in source:
        morsel: SimpleCookie = SimpleCookie()
        morsel[cookie.name] = cookie.value or ""
        item = morsel[cookie.name]
        item["path"] = cookie.path or "/"
        if cookie.domain_specified:
            item["domain"] = cookie.domain
        if cookie.secure:
            item["secure"] = True
        if cookie.expires is not None:
            item["max-age"] = str(max(0, cookie.expires - _now()))
        host = cookie.domain.lstrip(".")
        jar.update_cookies(morsel, URL.build(scheme="https", host=host, path="/"))
    return jar


def save_cookie_jar(jar: aiohttp.CookieJar, path: str) -> None:
    """Write every cookie of ``jar`` to ``path`` in cookies.txt format, atomically."""
    target = http.cookiejar.MozillaCookieJar()
    for morsel in jar:
        domain = morsel["domain"] or ""
        expires = _expiry(morsel["expires"])
        target.set_cookie(
            http.cookiejar.Cookie(
                version=0,
                name=morsel.key,
                value=morsel.value,
                port=None,
                port_specified=False,
                domain=domain,
                domain_specified=domain.startswith("."),
                domain_initial_dot=domain.startswith("."),
                path=morsel["path"] or "/",
                path_specified=True,
                secure=bool(morsel["secure"]),
                expires=expires,
                discard=expires is None,
                comment=None,
                comment_url=None,
                rest={},
            )
        )
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp) / "cookies.txt"
        target.save(str(scratch), ignore_discard=True, ignore_expires=False)
        text = scratch.read_text(encoding="utf-8")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(Path(path), text)


def _now() -> int:
    import time

    return int(time.time())


def _expiry(value: str) -> int | None:
    if not value:
        return None
    from email.utils import parsedate_to_datetime

    try:
        return int(parsedate_to_datetime(value).timestamp())
    except (TypeError, ValueError):
        return None
