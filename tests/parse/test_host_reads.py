"""HostReads reads a URL as scheme_and_host does, the plain ones once an origin."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from linkhealth.weburl import HostReads, scheme_and_host

from .test_fast_paths import EXAMPLES, NEAR, NEAR_ADDRESS, REST_PIECES, URLS


def _read(read: HostReads | None, url: str) -> tuple[str, str] | None:
    try:
        return scheme_and_host(url) if read is None else read(url)
    except ValueError:
        return None


def _same_reads(urls: list[str]) -> None:
    read = HostReads()
    for url in urls:
        assert _read(read, url) == _read(None, url), url


def _origin(url: str) -> str:
    end = url.find("/", 8)
    return url[:end] if end >= 0 else url


# URLs cut before a "/" (an origin, maybe more) joined to other rests: URLs of one origin.
ORIGINS = st.one_of(URLS, NEAR, NEAR_ADDRESS, st.sampled_from(EXAMPLES)).map(_origin)
RESTS = st.lists(REST_PIECES, max_size=5).map(lambda pieces: "/" + "".join(pieces))


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.tuples(ORIGINS, RESTS), max_size=12))
def test_reads_of_urls_of_shared_origins_are_scheme_and_hosts(
    pairs: list[tuple[str, str]],
) -> None:
    urls = [origin + rest for origin, _ in pairs for _, rest in pairs]  # each with each
    _same_reads(urls)
    _same_reads(list(reversed(urls)))


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(URLS, NEAR, NEAR_ADDRESS), max_size=20))
def test_reads_of_any_urls_are_scheme_and_hosts(urls: list[str]) -> None:
    _same_reads(urls + urls)


def test_a_plain_origins_read_is_made_once() -> None:
    read = HostReads()
    first = read("https://x.org/a")
    assert read("https://x.org/b?c#d") is first
    assert read("https://x.org/b c") == first  # whitespace: read again (yarl's), not kept
    assert read("https://x.org:8080/b") == ("https", "x.org")
    assert _read(read, "https://x.org:99999/b") is None  # a port yarl refuses
    assert read("https://x.org?q/b") == ("https", "x.org")
    assert _read(read, "https://x.org?q/b\u2028") == _read(None, "https://x.org?q/b\u2028")
