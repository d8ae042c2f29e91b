"""The parse hands its duplicate-url keys to the planner (ParseResult.keys): each is
exactly ``normalise_url`` of its URL, so a plan made with them is the plan made
without them (check normalised every URL twice: ~0.1 s at 50,000 links)."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from linkhealth.config import CommentMode, Settings
from linkhealth.parse import ParseResult, extract_text, normalise_url
from linkhealth.pipeline.plan import Plan, link_keys, plan_run
from linkhealth.weburl import matched_key, plain_keys, plain_url

URLS = st.sampled_from(
    ["https://a.org/x", "HTTPS://A.ORG/x", "http://b.org:80/p?q=1#f", "http://b.org/p?q=1#f",
     "https://c.org", "https://C.org/", "https://d.org:8443/", "http://Bücher.example/",
     "https://e.org/a#frag", "www.f.org/x", "mailto:me@g.org", "ftp://h.org/f", "/local.md",
     "https://i.org/%7Euser", "https://j.org/a b", "javascript:x", "https://k.org/é"]
)  # fmt: skip
FORMS = st.sampled_from(
    ["- [t]({})\n", "<{}>\n", "{}\n", "[r]: {}\n\n[r]\n", "![i]({})\n",
     "<!-- linkhealth-ignore-next-line -->\n- [t]({})\n", "<!-- [c]({}) -->\n",
     "- [x]({}) `code` <b>y</b>\n"]  # the last: the Rust parser refused, the fallback's walk
)  # fmt: skip
DOCUMENTS = st.lists(st.tuples(FORMS, URLS), max_size=12).map(
    lambda pairs: "".join(form.format(url) for form, url in pairs)
)


@settings(max_examples=300, deadline=None)
@given(DOCUMENTS)
def test_each_key_is_the_normalised_url(text: str) -> None:
    parsed = extract_text(text, "f.md")
    assert parsed.keys == {o.url: normalise_url(o.url) for o in parsed.occurrences}, text
    merged = ParseResult()
    merged.extend(parsed)
    merged.extend(extract_text(text + "- [x](https://z.org/Z)\n", "g.md"))
    assert all(merged.keys[o.url] == normalise_url(o.url) for o in merged.occurrences)


def _shape(plan: Plan) -> object:
    return (
        [(r.url, r.verdict, [o.line for o in r.occurrences]) for r in plan.results],
        {
            k: ([r.url for r in t.results], t.fragments, t.host, t.passed)
            for k, t in plan.targets.items()
        },
        [o.url for o in plan.local],
    )


@settings(max_examples=300, deadline=None)
@given(DOCUMENTS)
def test_a_plan_with_the_parse_keys_is_the_plan_without(text: str) -> None:
    parsed = extract_text(text, "f.md")
    bare = ParseResult(parsed.occurrences, parsed.findings, parsed.files)  # no keys given
    assert _shape(plan_run(parsed, Settings())) == _shape(plan_run(bare, Settings())), text
    # and with the link keys the run made for its look-ahead: the same plan again
    keys = link_keys(parsed, Settings())
    assert _shape(plan_run(parsed, Settings(), None, keys)) == _shape(plan_run(bare, Settings()))


@settings(max_examples=100, deadline=None)
@given(DOCUMENTS)
def test_keys_of_a_file_that_is_one_comment(text: str) -> None:
    for comments in CommentMode:
        parsed = extract_text(f"<!--\n{text}\n-->\n", "f.md", comments=comments)
        assert parsed.keys == {o.url: normalise_url(o.url) for o in parsed.occurrences}, text


def test_keys_not_made_by_the_parse_are_made_by_the_planner() -> None:
    parsed = extract_text("- [a](https://A.ORG:443/x)\n", "f.md")
    assert parsed.keys == {"https://A.ORG:443/x": "https://a.org/x"}
    assert ParseResult().key("HTTP://B.ORG:80") == "http://b.org/"
    assert [r.url for r in plan_run(parsed, Settings()).results] == ["https://a.org/x"]


# pieces of URLs at the plain pattern's edges: ports, "--", IPs, upper case, whitespace, "\n"
KEY_PIECES = st.sampled_from(
    ["http://", "https://", "HTTP://", "http:/", "ftp://", "a", "B", "0", "9", ".", "-", "--",
     "_", "例", ".org", ".example.test", "1.2.3.4", "256.1.1.1", ":", ":80", ":443", ":8080",
     ":65535", ":65536", ":99999", ":0", ":x", "@", "/", "/ok/1", "?", "?q=1", "#", "#f", "%41",
     " ", "\t", "\n", "\r", "\u00a0", "\u3000", "\\", ")", "(", ""]
)  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.lists(KEY_PIECES, max_size=8).map("".join), max_size=12))
@example(["http://a.org/x", "http://a.org:99999/", "", "http://a--b.org/", "https://a.org:443"])
@example(["http://h0x2.example.test/r/13?to=127.0.0.2", "http://a.org/x\n", "\n"])
@example([])
def test_plain_keys_are_each_plain_urls_key(urls: list[str]) -> None:
    """plain_keys (the URLs of a chunk matched at once, parse/walk.py's plain lines) says
    of each URL what plain_url and matched_key say of it alone."""
    expected = [None if (p := plain_url(u)) is None else matched_key(u, p) for u in urls]
    assert plain_keys(urls) == expected
    assert [k for k in expected if k is not None] == [
        normalise_url(u) for u in urls if plain_url(u) is not None
    ]
