"""``annotate --fix-dead mark|archive``: archived copies written into a list, idempotently."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from linkhealth.annotate import AnnotateOptions, annotate_text
from linkhealth.annotate.dead import kept_originals
from linkhealth.models import CheckResult, Verdict

SINCE = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
GONE = "https://gone.test/post"
COPY = f"https://web.archive.org/web/20240301101500/{GONE}"
MARK = AnnotateOptions(today=date(2026, 12, 1))
ARCHIVE = AnnotateOptions(today=date(2026, 12, 1), fix_dead="archive")


def dead(url: str = GONE, copy: str | None = COPY) -> CheckResult:
    return CheckResult(
        url=url,
        verdict=Verdict.BROKEN,
        http_status=404,
        failing_since=SINCE,
        failing_runs=1,
        archive_url=copy,
        archived_at=datetime(2024, 3, 1, tzinfo=UTC) if copy else None,
    )


def back(url: str = GONE) -> CheckResult:
    return CheckResult(url=url, verdict=Verdict.OK, http_status=200)


def annotate(text: str, *results: CheckResult, options: AnnotateOptions = MARK) -> str:
    return annotate_text(text, "list.md", {r.url: r for r in results}, options=options)


def test_mark_puts_the_copy_in_the_marker_and_is_idempotent() -> None:
    once = annotate(f"- [Post]({GONE})\n", dead())
    assert once == (f"- [Post]({GONE}) (broken since 2026-11-20: 404; [archived copy]({COPY}))\n")
    assert annotate(once, dead()) == once
    # A run without look-ups (archive off) keeps the copy; the status is still updated.
    later = annotate(once, dead(copy=None).model_copy(update={"http_status": 410}))
    assert later == (f"- [Post]({GONE}) (broken since 2026-11-20: 410; [archived copy]({COPY}))\n")
    # The link is back: the whole marker goes, copy included.
    assert annotate(once, back()) == f"- [Post]({GONE})\n"


def test_mark_without_a_copy_is_todays_marker() -> None:
    assert annotate(f"- [Post]({GONE})\n", dead(copy=None)) == (
        f"- [Post]({GONE}) (broken since 2026-11-20: 404)\n"
    )


def test_archive_points_the_link_at_the_copy_and_keeps_the_original() -> None:
    once = annotate(f"- [Post]({GONE}) — a post\n", dead(), options=ARCHIVE)
    assert once == (
        f"- [Post]({COPY}) (archived copy of https\\://gone.test/post;"
        " broken since 2026-11-20: 404) — a post\n"
    )
    # The next run: the original is re-checked (kept_originals), still dead: no change.
    (kept,) = kept_originals(once, "list.md")
    assert (kept.url, kept.line) == (GONE, 1)
    assert annotate(once, dead(), options=ARCHIVE) == once
    assert annotate(once, dead(), options=MARK) == once  # the marker is recognised either way
    # Without a result for the original (not checked), nothing is touched.
    assert annotate(once, options=ARCHIVE) == once
    # The original is back: the link is restored and the marker removed.
    restored = annotate(once, back(), options=ARCHIVE)
    assert restored == f"- [Post]({GONE}) — a post\n"
    assert annotate(restored, back(), options=ARCHIVE) == restored


def test_archive_keeps_a_dead_original_current() -> None:
    once = annotate(f"- [Post]({GONE})\n", dead(), options=ARCHIVE)
    gone_for_good = dead().model_copy(update={"http_status": 410})
    assert annotate(once, gone_for_good, options=ARCHIVE) == (
        f"- [Post]({COPY}) (archived copy of https\\://gone.test/post;"
        " broken since 2026-11-20: 410)\n"
    )


@pytest.mark.parametrize(
    "original",
    [
        "https://gone.test/a_(b)/c*d?q=1&r=[2]",
        "https://gone.test/path;params#frag",
        "https://www.gone.test/%7Euser/",
    ],
)
def test_archive_round_trips_awkward_originals(original: str) -> None:
    copy = f"https://web.archive.org/web/20240301101500/{original}"
    text = f"- [Post](<{original}>)\n" if "(" in original else f"- [Post]({original})\n"
    once = annotate(text, dead(original, copy), options=ARCHIVE)
    assert original not in once.split(" (archived copy of ", 1)[1]  # escaped, not a link
    (kept,) = kept_originals(once, "list.md")
    assert kept.url == original
    assert annotate(once, dead(original, copy), options=ARCHIVE) == once
    assert annotate(once, back(original), options=ARCHIVE) == text


def test_bare_and_autolinked_urls() -> None:
    for text in (f"- {GONE}\n", f"- <{GONE}>\n"):
        once = annotate(text, dead(), options=ARCHIVE)
        assert once.startswith(f"- <{COPY}> (archived copy of https\\://gone.test/post;")
        assert annotate(once, dead(), options=ARCHIVE) == once
        assert annotate(once, back(), options=ARCHIVE) == f"- <{GONE}>\n"


def test_a_copy_address_with_parentheses_stays_one_destination() -> None:
    copy = "https://web.archive.org/web/20240301101500/https://gone.test/a)b c"
    once = annotate(f"- [Post]({GONE})\n", dead(copy=copy))
    assert (
        "[archived copy](<https://web.archive.org/web/20240301101500/https://gone.test/a)b%20c>))"
        in once
    )
    assert annotate(once, dead(copy=copy)) == once
    assert annotate(once, back()) == f"- [Post]({GONE})\n"


def test_two_links_on_a_line_each_get_their_own() -> None:
    other = "https://other.test/x"
    text = f"- [a]({GONE}) and [b]({other})\n"
    once = annotate(text, dead(), dead(other, copy=None), options=ARCHIVE)
    assert once == (
        f"- [a]({COPY}) (archived copy of https\\://gone.test/post; broken since 2026-11-20: 404)"
        f" and [b]({other}) (broken since 2026-11-20: 404)\n"
    )
    assert annotate(once, dead(), dead(other, copy=None), options=ARCHIVE) == once
