"""The URL policy answers a URL read already (``check_read``, the plan's: each link's
scheme and host read once) as it answers the URL itself (``check``), and decides what
depends on the host alone once a host, after the URL's own patterns."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkhealth.config import Settings
from linkhealth.inputs import UrlIgnore
from linkhealth.models import Verdict
from linkhealth.urlpolicy import Refusal, UrlPolicy
from linkhealth.weburl import scheme_and_host

URLS = st.sampled_from(
    ["https://a.org/x", "https://a.org/x.pdf", "https://a.org/x#f", "http://Bücher.example/",
     "mailto:me@g.org", "ftp://h.org/f", "javascript:x", "data:,x", "www.f.org/x", "",
     "http://127.0.0.1/x", "http://[::1]:81/z", "http://localhost/x", "http://10.1.2.3/",
     "http://2130706433/", "http://0x7f000001/", "http://169.254.169.254/", "http:///x",
     "http://excluded.example/a", "http://sub.excluded.example/b", "https://skip.example/y",
     "https://ignored.example/p/1", "https://ignored.example/q", "http://a.org./dot",
     "http://xn--bcher-kva.example/y", "https://j.org/a b", "http://[::1/", "http://a.org:99999/"]
)  # fmt: skip
SETTINGS = st.sampled_from(
    [
        {},
        {"allow_private": True},
        {"exclude": ["skip\\.example", "\\.pdf$", "#f$"]},
        {"include": ["\\.org", "example"]},
        {"offline": True},
        {"offline": True, "exclude": ["skip"]},
        {"hosts": {"excluded.example": {"exclude": True}, "bücher.example": {"exclude": True}}},
        {"resolve": {"a.org": "127.0.0.1"}},
    ]
)
IGNORES = st.sampled_from([None, UrlIgnore(), UrlIgnore.parse(["https://ignored.example/p/*"])])


@settings(max_examples=300, deadline=None)
@given(st.lists(URLS, max_size=12), SETTINGS, IGNORES)
def test_a_url_read_already_is_answered_as_the_url(
    urls: list[str], values: dict[str, object], ignore: UrlIgnore | None
) -> None:
    config = Settings(**values)
    # one policy per way of asking, each asked the whole list in order (what a host
    # decided for one URL is kept for the next)
    asked, read = UrlPolicy(config, ignore=ignore), UrlPolicy(config, ignore=ignore)
    fresh = [UrlPolicy(config, ignore=ignore).check(url) for url in urls]
    for url, alone in zip(urls, fresh, strict=True):
        assert asked.check(url) == alone
        try:
            parts = scheme_and_host(url)
        except ValueError:
            continue
        assert read.check_read(url, parts) == alone


def test_a_pattern_of_the_url_is_not_taken_for_its_hosts() -> None:
    # the host's own answer is kept for the host; a URL's exclude pattern is not
    policy = UrlPolicy(Settings(exclude=["x$"]))
    assert policy.check("http://a.org/x") == Refusal(Verdict.EXCLUDED, "excluded by pattern 'x$'")
    assert policy.check("http://a.org/y") == "a.org"
    assert policy.check("http://a.org/x") != "a.org"
    ignored = UrlPolicy(Settings(), ignore=UrlIgnore.parse(["http://a.org/y"]))
    assert ignored.check("http://a.org/z") == "a.org"
    assert ignored.check("http://a.org/y") == Refusal(
        Verdict.EXCLUDED, "matched a pattern in .linkhealthignore"
    )


@pytest.mark.parametrize(
    ("values", "url", "verdict", "detail"),
    [
        # what the host alone decides, in its order: excluded host, --offline, no host, guard
        ({"hosts": {"a.org": {"exclude": True}}, "offline": True}, "http://a.org/",
         Verdict.EXCLUDED, "host a.org is excluded in the configuration"),
        ({"offline": True}, "http://127.0.0.1/", Verdict.EXCLUDED,
         "not requested: --offline checks local links only"),
        ({"offline": True}, "http:///x", Verdict.EXCLUDED,
         "not requested: --offline checks local links only"),
        ({}, "http:///x", Verdict.INVALID, "malformed URL: no host name"),
        ({"hosts": {"localhost": {"exclude": True}}}, "http://localhost/", Verdict.EXCLUDED,
         "host localhost is excluded in the configuration"),
    ],
)  # fmt: skip
def test_what_the_host_decides_comes_in_its_order(
    values: dict[str, object], url: str, verdict: Verdict, detail: str
) -> None:
    checked = UrlPolicy(Settings(**values)).check(url)
    assert isinstance(checked, Refusal)
    assert (checked.verdict, checked.detail) == (verdict, detail)


class _Falsy:
    """A matcher with no pattern that would match anything if asked."""

    asked = 0

    def matches(self, url: str) -> bool:
        self.asked += 1
        return True

    def __bool__(self) -> bool:
        return False


def test_a_matcher_without_a_pattern_is_never_asked() -> None:
    matcher = _Falsy()
    assert UrlPolicy(Settings(), ignore=matcher).check("http://a.org/") == "a.org"
    assert matcher.asked == 0
    patterned = UrlIgnore.parse(["http://a.org/*"])
    assert isinstance(UrlPolicy(Settings(), ignore=patterned).check("http://a.org/"), Refusal)
