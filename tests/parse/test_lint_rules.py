"""Each lint rule: table of (markdown, rule, as-written span text, suggestion)."""

from __future__ import annotations

import pytest

from linkhealth.models import Severity
from linkhealth.parse import extract_text

CASES = [
    # whitespace inside a destination (the seed's line 37)
    (
        "- [LLMs in 2024](https://simonwil lison.net/2024/Dec/31/llms-in-2024/)",
        "url-whitespace",
        "https://simonwil lison.net/2024/Dec/31/llms-in-2024/",
        "https://simonwillison.net/2024/Dec/31/llms-in-2024/",
    ),
    ("[t](docs/my file.md)", "url-whitespace", "docs/my file.md", "docs/my%20file.md"),
    # a bare URL split inside its host name (not extracted as a bogus https://exa)
    (
        "- https://exa mple.org/typo, then",
        "url-whitespace",
        "https://exa mple.org/typo",
        "https://example.org/typo",
    ),
    # scheme typos, in destinations and in text
    ("[t](htps://a.example/x)", "scheme-typo", "htps://a.example/x", "https://a.example/x"),
    ("[t](http//a.example/x)", "scheme-typo", "http//a.example/x", "http://a.example/x"),
    ("[t](https:/a.example/x)", "scheme-typo", "https:/a.example/x", "https://a.example/x"),
    ("[t](hhttps://a.example/x)", "scheme-typo", "hhttps://a.example/x", "https://a.example/x"),
    ("[t](http:\\\\a.example\\x)", "scheme-typo", "http:\\\\a.example\\x", "http://a.example/x"),
    ("see htps://a.example/x.", "scheme-typo", "htps://a.example/x", "https://a.example/x"),
    ("- hhttps://a.example/y", "scheme-typo", "hhttps://a.example/y", "https://a.example/y"),
    (
        '<a href="htps://a.example/h">h</a>',
        "scheme-typo",
        "htps://a.example/h",
        "https://a.example/h",
    ),
    # a host without a scheme in a destination
    ("[t](github.com/x/y)", "missing-scheme", "github.com/x/y", "https://github.com/x/y"),
    ("[t](www.x.org)", "missing-scheme", "www.x.org", "https://www.x.org"),
    # [text] (url)
    (
        "[t] (https://a.example/p)",
        "space-before-paren",
        "https://a.example/p",
        "https://a.example/p",
    ),
    # unbalanced brackets and parentheses
    (
        "[t](https://a.example/p",
        "unbalanced-brackets",
        "https://a.example/p",
        "https://a.example/p",
    ),
    (
        "t](https://a.example/p)",
        "unbalanced-brackets",
        "https://a.example/p",
        "https://a.example/p",
    ),
    (
        "[t(https://a.example/p)",
        "unbalanced-brackets",
        "https://a.example/p",
        "https://a.example/p",
    ),
    # empty destination
    ("[t]()", "empty-destination", "", None),
    ("[t](<>)", "empty-destination", "", None),
    # dangerous schemes
    ("[t](javascript:alert(1))", "unsafe-scheme", "javascript:alert(1)", None),
    ("[t](data:text/html;base64,AAAA)", "unsafe-scheme", "data:text/html;base64,AAAA", None),
    ('<a href="vbscript:x">v</a>', "unsafe-scheme", "vbscript:x", None),
    ("[t](https://)", "missing-host", "https://", None),
    # an xn-- label that is not Punycode (issue 20: the client raised IDNAError on it)
    ("[t](http://xn--127-0.0.0.1/)", "invalid-host", "http://xn--127-0.0.0.1/", None),
    ("<http://a.XN--A.example/>", "invalid-host", "http://a.XN--A.example/", None),
    ("see http://xn--abc-.example/ now", "invalid-host", "http://xn--abc-.example/", None),
]


@pytest.mark.parametrize(("markdown", "rule", "raw", "suggestion"), CASES)
def test_rule(markdown: str, rule: str, raw: str, suggestion: str | None) -> None:
    result = extract_text(markdown, "t.md")
    assert [(f.rule, f.raw, f.suggestion) for f in result.findings] == [(rule, raw, suggestion)]
    (f,) = result.findings
    assert f.severity is Severity.ERROR
    # the span is the malformed destination, so a fixer can replace exactly it
    assert f.end_line == f.line and f.end_column is not None
    assert markdown.splitlines()[f.line - 1][f.column - 1 : f.end_column - 1] == raw
    # and nothing malformed leaks into the occurrences (no bogus "https://simonwil")
    assert result.occurrences == []


@pytest.mark.parametrize(
    "markdown",
    [
        "[t](mailto:me@a.example)",
        "[t](tel:+123)",
        "[t](ftp://a.example/f)",
        "[t](docs/x.md)",
        "[t](../y.markdown#h)",
        "[t](#anchor)",
        "[t](https://a.example/x)",
        "[1] (2019) and [sic] (see below)",
        "version 1.2.3 and a:b and foo//bar",
        # real IDNs: German, and an emoji name browsers accept (IDNA2003 only)
        "[t](https://xn--bcher-kva.example/) and <http://XN--LS8H.la/>",
        "[t](http://under_score.example/)",  # DNS decides; no IDNA rule for ASCII labels
    ],
)
def test_fine_links_are_not_findings(markdown: str) -> None:
    assert extract_text(markdown, "t.md").findings == []


def test_duplicates_are_warnings_naming_every_place() -> None:
    md = "- https://a.example/d\n- [again](https://A.example/d)\n- https://a.example/other\n"
    findings = extract_text(md, "t.md").findings
    assert [(f.rule, f.line, f.severity) for f in findings] == [
        ("duplicate-url", 1, Severity.WARNING),
        ("duplicate-url", 2, Severity.WARNING),
    ]
    assert all("lines 1, 2" in f.message for f in findings)


def test_many_copies_of_a_url_name_a_few_lines_each() -> None:
    # Every copy has its finding; each names ten lines and counts the rest (naming every
    # line grew the output with the square of the copies).
    md = "".join(f"- https://a.example/same\n- https://b.example/{i}\n" for i in range(1200))
    findings = extract_text(md, "t.md").findings
    assert [f.line for f in findings] == list(range(1, 2400, 2))
    first = findings[0].message
    assert first == (
        "https://a.example/same appears 1,200 times in this file "
        "(lines 1, 3, 5, 7, 9, 11, 13, 15, 17, 19 and 1,190 more)"
    )
    assert {f.message for f in findings} == {first}


@pytest.mark.parametrize(
    "text",
    [
        "see http://localhost and more",
        "run http://localhost test.py",
        "ok https://example.org/x and text.org",
        "http://intranet then www.example.org",
    ],
)
def test_split_host_rule_leaves_prose_alone(text: str) -> None:
    result = extract_text(text, "x.md")
    assert not [f for f in result.findings if f.rule == "url-whitespace"]
    assert result.occurrences, "the bare URL itself is still a link"


def test_split_bare_host_is_not_also_a_link() -> None:
    result = extract_text("- https://exa mple.org/typo\n", "x.md")
    assert result.occurrences == []
    (finding,) = result.findings
    assert finding.rule == "url-whitespace"
