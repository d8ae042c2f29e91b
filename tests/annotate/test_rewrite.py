"""The pure rewrite on hand-built spans: a table of (line, links, results) cases."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from linkhealth.annotate import (
    AnnotateOptions,
    md_destination,
    rewrite,
    split_lines,
)
from linkhealth.models import CheckResult, Finding, LinkKind, Occurrence, Redirect, Verdict

SINCE = datetime(2026, 11, 20, 3, 4, 5, tzinfo=UTC)
OPTS = AnnotateOptions(today=date(2026, 12, 1))


def occurrences(text: str) -> list[Occurrence]:
    """Spans for the simple link forms used here (the real parser is tested elsewhere)."""
    found: list[Occurrence] = []
    for number, (content, _) in enumerate(split_lines(text), start=1):
        taken: list[tuple[int, int]] = []
        for m in re.finditer(r"\]\(<?([^)\s>]+)>?\)", content):
            found.append(_occ(number, m.start(1), m.end(1), m.group(1), LinkKind.INLINE))
            taken.append((m.start(), m.end()))
        for m in re.finditer(r"<(https?://[^>\s]+)>", content):
            found.append(_occ(number, m.start(1), m.end(1), m.group(1), LinkKind.AUTOLINK))
            taken.append((m.start(), m.end()))
        for m in re.finditer(r"https?://[^\s<>()\[\]]+", content):
            if not any(a <= m.start() < b for a, b in taken):
                found.append(_occ(number, m.start(), m.end(), m.group(), LinkKind.BARE))
    return found


def _occ(line: int, start: int, end: int, url: str, kind: LinkKind) -> Occurrence:
    return Occurrence(
        url=url,
        file="x.md",
        line=line,
        column=start + 1,
        end_line=line,
        end_column=end + 1,
        kind=kind,
    )


def ok(url: str, title: str | None = "Page", description: str | None = "About it.") -> CheckResult:
    return CheckResult(
        url=url, verdict=Verdict.OK, http_status=200, title=title, description=description
    )


def broken(url: str, status: int = 404) -> CheckResult:
    return CheckResult(
        url=url, verdict=Verdict.BROKEN, http_status=status, failing_since=SINCE, failing_runs=1
    )


def run(text: str, *results: CheckResult, options: AnnotateOptions = OPTS) -> str:
    by_url = {r.url: r for r in results}
    return rewrite(text, occurrences(text), [], by_url, options=options)


A = "https://a.example/"
B = "https://b.example/x"

CASES = [
    # bare URL in a list item: title and description
    (f"- {A}\n", [ok(A)], f"- [Page]({A}) — About it.\n"),
    # indentation, ordered items, task items, blockquotes
    (f"  - {A}\n", [ok(A)], f"  - [Page]({A}) — About it.\n"),
    (f"1. {A}\n", [ok(A)], f"1. [Page]({A}) — About it.\n"),
    (f"- [ ] {A}\n", [ok(A)], f"- [ ] [Page]({A}) — About it.\n"),
    (f"> * {A}\n", [ok(A)], f"> * [Page]({A}) — About it.\n"),
    # autolink in a list item
    (f"- <{A}>\n", [ok(A)], f"- [Page]({A}) — About it.\n"),
    # the item has text of its own: title only, the author's text kept
    (f"- {A} (webGL fundamentals)\n", [ok(A)], f"- [Page]({A}) (webGL fundamentals)\n"),
    # a bare URL inside prose is left alone
    (f"- see {A}\n", [ok(A)], f"- see {A}\n"),
    (f"Challenge {A}\n", [ok(A)], f"Challenge {A}\n"),
    # a link with text keeps its text and gets the missing description
    (f"- [Mine]({A})\n", [ok(A)], f"- [Mine]({A}) — About it.\n"),
    (f"- [Mine]({A}) [DONE]\n", [ok(A)], f"- [Mine]({A}) [DONE]\n"),
    (f"- [Mine]({A}) — my words\n", [ok(A)], f"- [Mine]({A}) — my words\n"),
    # two links on one item: no description
    (f"- [a]({A}) and [b]({B})\n", [ok(A), ok(B)], f"- [a]({A}) and [b]({B})\n"),
    # no title: the bare URL stays, the description is still added
    (f"- {A}\n", [ok(A, title=None)], f"- {A} — About it.\n"),
    (f"- {A}\n", [ok(A, title=None, description=None)], f"- {A}\n"),
    # description equal to the title is not repeated
    (f"- {A}\n", [ok(A, "Same", "Same")], f"- [Same]({A})\n"),
    # no result: nothing changes
    (f"- {A}\n", [], f"- {A}\n"),
    # failing links get a marker right after the link
    (f"- {A}\n", [broken(A)], f"- {A} (broken since 2026-11-20: 404)\n"),
    (
        f"- [Mine]({A}) — words\n",
        [broken(A, 410)],
        f"- [Mine]({A}) (broken since 2026-11-20: 410) — words\n",
    ),
    # an existing marker is updated, and removed when the link recovers
    (
        f"- [Mine]({A}) (broken since 2026-11-20: 404) — words\n",
        [broken(A, 500)],
        f"- [Mine]({A}) (broken since 2026-11-20: 500) — words\n",
    ),
    (
        f"- [Mine]({A}) (broken since 2026-11-20: 404) — words\n",
        [ok(A)],
        f"- [Mine]({A}) — words\n",
    ),
    (f"- {A} (broken since 2026-11-20: 404)\n", [ok(A)], f"- [Page]({A}) — About it.\n"),
    # the author's own "(broken)" text is not a marker
    (f"- [Mine]({A}) (broken)\n", [ok(A)], f"- [Mine]({A}) (broken)\n"),
    # line ends, trailing spaces and other lines kept
    (f"x\r\n- {A}\r\n\r\ny", [ok(A)], f"x\r\n- [Page]({A}) — About it.\r\n\r\ny"),
    # a lazy continuation line is the item's own text too
    (f"x\r\n- {A}\r\ny", [ok(A)], f"x\r\n- [Page]({A})\r\ny"),
    (f"- {A} \n", [ok(A)], f"- [Page]({A}) — About it. \n"),
    (f"- {A}\r- {B}", [ok(A), ok(B, "Bee", None)], f"- [Page]({A}) — About it.\r- [Bee]({B})"),
    # a continuation line is the item's own text
    (f"- {A}\n  more words\n", [ok(A)], f"- [Page]({A})\n  more words\n"),
    (f"- {A}\n- {B}\n", [ok(A), ok(B)], f"- [Page]({A}) — About it.\n- [Page]({B}) — About it.\n"),
]


@pytest.mark.parametrize(("text", "results", "expected"), CASES)
def test_rewrite_table(text: str, results: list[CheckResult], expected: str) -> None:
    assert run(text, *results) == expected
    # idempotence: the annotated text is annotated to itself
    assert run(expected, *results) == expected


def test_blocked_gets_a_marker_only_when_strict() -> None:
    blocked = CheckResult(url=A, verdict=Verdict.BLOCKED, http_status=403, failing_since=SINCE)
    assert run(f"- [x]({A})\n", blocked) == f"- [x]({A})\n"
    strict = AnnotateOptions(strict=True, today=date(2026, 12, 1))
    assert run(f"- [x]({A})\n", blocked, options=strict) == (
        f"- [x]({A}) (blocked since 2026-11-20: 403)\n"
    )


def test_fail_after_holds_the_marker_back() -> None:
    result = broken(A)
    options = AnnotateOptions(fail_after=2, today=date(2026, 12, 1))
    assert run(f"- [x]({A})\n", result, options=options) == f"- [x]({A})\n"
    result.failing_runs = 2
    assert "(broken since 2026-11-20: 404)" in run(f"- [x]({A})\n", result, options=options)


def test_marker_reason_without_status_and_date_fallbacks() -> None:
    timeout = CheckResult(url=A, verdict=Verdict.TIMEOUT, error_kind="timeout")
    # no date on the result: today's date on the first run ...
    first = run(f"- [x]({A})\n", timeout)
    assert first == f"- [x]({A}) (timeout since 2026-12-01: timeout)\n"
    # ... and the marker's own date is kept on later runs
    later = AnnotateOptions(today=date(2027, 1, 5))
    assert run(first, timeout, options=later) == first
    tls = CheckResult(url=A, verdict=Verdict.ERROR, error_kind="too_many_redirects")
    assert run(f"- [x]({A})\n", tls) == f"- [x]({A}) (error since 2026-12-01: too-many-redirects)\n"


def test_descriptions_always() -> None:
    always = AnnotateOptions(descriptions="always", today=date(2026, 12, 1))
    text = f"- [Mine]({A}) (my note)\n"
    once = run(text, ok(A), options=always)
    assert once == f"- [Mine]({A}) (my note) — About it.\n"
    assert run(once, ok(A), options=always) == once
    # a changed description replaces the one after the last separator
    assert run(once, ok(A, description="New text."), options=always) == (
        f"- [Mine]({A}) (my note) — New text.\n"
    )


def test_redirects_fixed_only_when_asked_and_permanent() -> None:
    final = "https://new.example/page"
    moved = CheckResult(
        url=A,
        verdict=Verdict.REDIRECTED,
        http_status=200,
        final_url=final,
        permanent=True,
        redirects=[Redirect(url=A, status=301)],
        title="New",
        description="Moved here.",
    )
    fix = AnnotateOptions(fix_redirects=True, today=date(2026, 12, 1))
    assert run(f"- [Mine]({A})\n", moved) == f"- [Mine]({A}) — Moved here.\n"
    assert run(f"- [Mine]({A})\n", moved, options=fix) == f"- [Mine]({final}) — Moved here.\n"
    assert run(f"- {A}\n", moved, options=fix) == f"- [New]({final}) — Moved here.\n"
    assert run(f"see <{A}>\n", moved, options=fix) == f"see <{final}>\n"
    assert run(f"see {A} now\n", moved, options=fix) == f"see <{final}> now\n"
    # a temporary hop anywhere in the chain: not replaced
    temporary = moved.model_copy(
        update={"redirects": [Redirect(url=A, status=301), Redirect(url=B, status=302)]}
    )
    assert run(f"- [Mine]({A})\n", temporary, options=fix) == f"- [Mine]({A}) — Moved here.\n"
    # never a downgrade to http, never a non-web scheme
    for target in ("http://new.example/", "javascript:alert(1)"):
        bad = moved.model_copy(update={"final_url": target})
        assert run(f"- [Mine]({A})\n", bad, options=fix) == f"- [Mine]({A}) — Moved here.\n"


def test_redirect_keeps_the_fragment() -> None:
    url = "https://a.example/doc#part"
    moved = CheckResult(
        url=url, verdict=Verdict.REDIRECTED, final_url="https://b.example/doc", permanent=True
    )
    fix = AnnotateOptions(fix_redirects=True)
    assert run(f"[d]({url})\n", moved, options=fix) == "[d](https://b.example/doc#part)\n"


TYPO = "https://simonwil lison.net/2024/Dec/31/llms-in-2024/"
FIXED = "https://simonwillison.net/2024/Dec/31/llms-in-2024/"
TYPO_LINE = f"  - [Things we learned about LLMs in 2024]({TYPO})\n"


def _typo_finding(text: str) -> Finding:
    start = text.index(TYPO)
    return Finding(
        file="x.md",
        line=1,
        column=start + 1,
        end_line=1,
        end_column=start + len(TYPO) + 1,
        rule="url-whitespace",
        message="space inside a URL",
        raw=TYPO,
        suggestion=FIXED,
    )


def _invalid(suggestion_ok: bool | None) -> CheckResult:
    return CheckResult(
        url=TYPO,
        verdict=Verdict.INVALID,
        error_kind="malformed",
        suggestion=FIXED,
        suggestion_ok=suggestion_ok,
    )


@pytest.mark.parametrize("suggestion_ok", [True, False, None])
def test_fix_typos_only_when_the_suggestion_answered_ok(suggestion_ok: bool | None) -> None:
    fix = AnnotateOptions(fix_typos=True, today=date(2026, 12, 1))
    results = {TYPO: _invalid(suggestion_ok)}
    out = rewrite(TYPO_LINE, [], [_typo_finding(TYPO_LINE)], results, options=fix)
    if suggestion_ok:
        assert out == TYPO_LINE.replace(TYPO, FIXED)
    else:
        assert out == TYPO_LINE.replace(")\n", ") (invalid since 2026-12-01: malformed)\n")
        # the marker is recognised on the next run
        again = rewrite(out, [], [_typo_finding(out)], results, options=fix)
        assert again == out


def test_fix_typos_off_leaves_the_url_and_marks_it() -> None:
    results = {TYPO: _invalid(True)}
    out = rewrite(TYPO_LINE, [], [_typo_finding(TYPO_LINE)], results, options=OPTS)
    assert TYPO in out and "(invalid since" in out


def test_fix_typos_by_the_suggestions_own_result_and_description() -> None:
    fix = AnnotateOptions(fix_typos=True)
    results = {TYPO: _invalid(None), FIXED: ok(FIXED, "Things", "A review.")}
    out = rewrite(TYPO_LINE, [], [_typo_finding(TYPO_LINE)], results, options=fix)
    assert out == f"  - [Things we learned about LLMs in 2024]({FIXED}) — A review.\n"


def test_spans_that_disagree_with_the_text_change_nothing() -> None:
    text = f"- {A}\n"
    wrong = _occ(1, 0, 5, A, LinkKind.BARE)
    assert rewrite(text, [wrong], [], {A: ok(A)}, options=OPTS) == text
    beyond = _occ(3, 0, 5, A, LinkKind.BARE)
    assert rewrite(text, [beyond], [], {A: ok(A)}, options=OPTS) == text


def test_front_matter_is_never_touched() -> None:
    text = f"---\nlinks:\n  - {A}\n---\n- {A}\n"
    assert run(text, ok(A)) == f"---\nlinks:\n  - {A}\n---\n- [Page]({A}) — About it.\n"


def test_url_with_parentheses_and_spaces_is_a_safe_destination() -> None:
    url = "https://en.wikipedia.org/wiki/Foo_(bar)"
    assert md_destination(url) == f"<{url}>"
    assert md_destination("https://x.example/a b>c") == "https://x.example/a%20b%3Ec"
    assert md_destination("https://x.example/a|b\\c") == "https://x.example/a%7Cb%5Cc"
    text = f"- {url}\n"
    occ = _occ(1, 2, 2 + len(url), url, LinkKind.BARE)
    out = rewrite(text, [occ], [], {url: ok(url)}, options=OPTS)
    assert out == f"- [Page](<{url}>) — About it.\n"


@pytest.mark.parametrize("verdict", [Verdict.INVALID, Verdict.UNSAFE])
def test_invalid_and_unsafe_fail_at_once_as_in_every_report(verdict: Verdict) -> None:
    # annotate had its own copy of the failing rule, without this clause (issue 16).
    from linkhealth.annotate.markers import fails
    from linkhealth.models import Judging, fails_run

    result = CheckResult(url=A, verdict=verdict)
    options = AnnotateOptions(fail_after=3, today=date(2026, 12, 1))
    assert fails(result, options) is fails_run(result, Judging(fail_after=3)) is True
