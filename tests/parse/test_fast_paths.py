"""The fast paths for plain http(s) URLs decide exactly what the full rules decide."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from linkhealth.parse.urls import _diagnose, diagnose, scheme_typo
from linkhealth.weburl import _parsed_key, normalise_url

SCHEMES = st.sampled_from(
    ["http://", "https://", "HTTP://", "Https://", "http:/", "http:///", "https:\\\\", "htps://",
     "http//", " http://", "ftp://", "javascript:", ""]
)  # fmt: skip
HOST_PIECES = st.sampled_from(
    ["a", "h1", "bench", "test", "x", "Z", ".", "-", "--", "xn--", "xn--bcher-kva", "xn--zz",
     "1", "127.0.0.1", "08", "例", "ü", "_", ":", ":80", ":443", ":8080", ":x", "@", "u:p@",
     "[", "]", "[::1]", "%", "a" * 63, "b" * 64, "\t", " "]
)  # fmt: skip
REST_PIECES = st.sampled_from(
    ["/", "//", "?", "#", "?#", "#?", "%", "%20", "%zz", "p", "q=1", "&", "=", "\\", "..", ":",
     "@", ";", "ü", "例", " ", "\t", "\n", "\x00", "\x7f", "\x85", "\u00a0", "\u2028", "~",
     "(", ")", "[", "]", "'", '"', "<", ">", "|", "^", "`", "{", "}"]
)  # fmt: skip
URLS = st.builds(
    lambda s, h, r: s + "".join(h) + "".join(r),
    SCHEMES,
    st.lists(HOST_PIECES, max_size=6),
    st.lists(REST_PIECES, max_size=6),
)
# Near the fast paths' edge: http(s), host labels of letters, digits and hyphens.
LABELS = st.text(alphabet="abz019-AX", min_size=0, max_size=5) | st.sampled_from(["xn--", "a" * 63])
NEAR = st.builds(
    lambda s, h, r: s + ".".join(h) + "".join(r),
    st.sampled_from(["http://", "https://"]),
    st.lists(LABELS, min_size=1, max_size=4),
    st.lists(REST_PIECES, max_size=6),
)
EXAMPLES = [
    "https://h1.bench.test/p/0/tutorial-797926",
    "http://x.org",
    "http://x.org?",
    "http://x.org/p?#",
    "http://x.org/p?",
    "http://x.org#",
    "http://x.org/#",
    "http://x.org/a#b#",
    "http://x.org/a#b?c",
    "http://x.org?q#f",
    "https://xn--bcher-kva.de/",
    "https://xn--zz.de/",
    "https://a--b.de/",
    "https://1.2.3.4/",
    "https://x.org./",
    "https://x.org:443/",
    "https://u@x.org/",
    "https://x.org/ a",
    "https://" + "a" * 64 + ".org/",
    "http://[]@",  # yarl raised IndexError here: the key is the text itself
]


def _same(url: str) -> None:
    for destination in (True, False):
        assert diagnose(url, destination=destination) == _diagnose(url, destination=destination), (
            url
        )
    assert normalise_url(url) == _parsed_key(url), url


def test_examples() -> None:
    for url in EXAMPLES:
        _same(url)


@settings(max_examples=2000, deadline=None)
@given(URLS)
def test_generated_urls(url: str) -> None:
    _same(url)


@settings(max_examples=2000, deadline=None)
@given(NEAR)
def test_urls_near_the_fast_paths(url: str) -> None:
    _same(url)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=60).map(lambda t: "https://x.org/" + t))
def test_any_text_after_a_plain_origin(url: str) -> None:
    _same(url)


@settings(max_examples=1000, deadline=None)
@given(st.sampled_from(["http://", "https://"]), st.text(max_size=30))
def test_right_prefixes_are_no_scheme_typo(prefix: str, rest: str) -> None:
    # lint's scanner skips a word whose scheme-and-slashes part is exactly "http://" or
    # "https://" (no third slash or backslash) without asking scheme_typo
    assert scheme_typo(prefix + rest.lstrip("/\\")) is None
    assert scheme_typo(prefix + "/x.org") is not None  # a third slash: asked, and a typo
