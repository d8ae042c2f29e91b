"""An unreached record's payload of columns reads back the very results that the payload
of whole results every version before it wrote reads back (fuzzed here), and a record
of that older payload still reads back as it did."""

from __future__ import annotations

import json
import sqlite3
import warnings
import zlib
from collections.abc import Callable, Sequence
from contextlib import closing
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from linkhealth.models import (
    CheckResult,
    ErrorKind,
    LinkKind,
    Occurrence,
    Redirect,
    Verdict,
)
from linkhealth.store import Store, unreached
from linkhealth.store.schema import MIGRATIONS, migrate

#: Printable ASCII, what JSON escapes, controls, invisible and non-BMP characters (no lone
#: surrogate: the whole results' JSON, which these are compared with, cannot hold one).
_CHARS = 'ab/:@#[?%"\\ \t\n\r\x00\x08\x0c\x1f\x7f\x85\u2028\u202e\u200b\xe9\ufeff\U0001f389'
TEXT = st.one_of(st.text(max_size=8), st.text(alphabet=st.sampled_from(_CHARS), max_size=8))
MAYBE_TEXT = st.none() | TEXT
TIMES = st.none() | st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=2))]))

OCCURRENCE = st.builds(
    Occurrence,
    url=TEXT,
    file=st.sampled_from(["lists/a.md", "lists/b.md"]) | TEXT,
    line=st.integers(1, 10**12),
    column=st.integers(1, 10**6),
    end_line=st.integers(1, 10**12),
    end_column=st.integers(1, 10**6),
    text=MAYBE_TEXT,
    kind=st.sampled_from(list(LinkKind)),
    section=st.none() | st.sampled_from(["Reading", "Tools"]) | TEXT,
    in_comment=st.booleans(),
)

#: The fields results of one shape share: some at their defaults, some unusual.
SHAPE = st.fixed_dictionaries(
    {"detail": TEXT},
    optional={
        "error_kind": st.none() | st.sampled_from(list(ErrorKind)),
        "http_status": st.none() | st.integers(100, 599),
        "checked_at": TIMES,
        "failing_runs": st.integers(0, 5),
        "failing_since": TIMES,
        "flaky": st.booleans(),
        "elapsed_ms": st.sampled_from([0.0, -0.0, 1.5, 1e-7]),
        "attempts": st.integers(0, 3),
        "title": MAYBE_TEXT,
        "description": MAYBE_TEXT,
        "suggestion": MAYBE_TEXT,
        "suggestion_ok": st.none() | st.booleans(),
        "archived_at": TIMES,
        "redirects": st.lists(
            st.builds(Redirect, url=TEXT, status=st.sampled_from([301, 302])), max_size=1
        ),
        "permanent": st.booleans(),
    },
)


@st.composite
def unreached_results(draw: st.DrawFn) -> list[CheckResult]:
    """Results as an outage leaves them: runs of one shape (copies of one result: the
    same objects in every field but the URL and the occurrences), some of a shape of
    their own; an occurrence's URL mostly its result's."""
    results: list[CheckResult] = []
    for _ in range(draw(st.integers(1, 4))):
        model = CheckResult(url="", verdict=Verdict.SKIPPED, **draw(SHAPE))
        for _ in range(draw(st.integers(1, 6))):
            url = draw(st.sampled_from(["https://a.example/", "http://b.test/x"]) | TEXT)
            occurrences = draw(st.lists(OCCURRENCE, max_size=3))
            for occurrence in occurrences:
                if draw(st.booleans()):
                    occurrence.url = url
            results.append(model.model_copy(update={"url": url, "occurrences": occurrences}))
    return results


def _packed_whole(results: Sequence[CheckResult]) -> bytes:
    """A record's payload as every version before the payload of columns wrote it."""
    dump = TypeAdapter(list[CheckResult]).dump_json(list(results), exclude_defaults=True)
    return zlib.compress(dump, 1)


def _urls(results: Sequence[CheckResult]) -> bytes:
    return zlib.compress(json.dumps([result.url for result in results]).encode(), 1)


def _copies(
    model: CheckResult, count: int, occurrence: Callable[[int, str], Occurrence]
) -> list[CheckResult]:
    """``count`` copies of ``model`` (its objects shared), each with a URL of its own and
    one ``occurrence(n, url)``."""
    urls = [f"https://a.example/{n}" for n in range(count)]
    return [
        model.model_copy(update={"url": url, "occurrences": [occurrence(n, url)]})
        for n, url in enumerate(urls)
    ]


def _assert_same(new: list[CheckResult], old: list[CheckResult]) -> None:
    """Equal results, each field's value of the same type, written alike."""
    assert new == old
    for mine, theirs in zip(new, old, strict=True):
        assert mine.model_dump_json() == theirs.model_dump_json()
        assert list(map(type, mine.__dict__.values())) == list(map(type, theirs.__dict__.values()))
        for occurrence, other in zip(mine.occurrences, theirs.occurrences, strict=True):
            assert type(occurrence) is type(other)
            assert [type(getattr(occurrence, n)) for n in occurrence.__slots__] == [
                type(getattr(other, n)) for n in other.__slots__
            ]


@settings(max_examples=400, deadline=None)
@given(results=unreached_results())
def test_columns_read_back_what_whole_results_read_back(results: list[CheckResult]) -> None:
    payload = unreached.pack_unreached(results)
    assert payload.startswith(unreached.COLUMNS_MARK)
    urls = _urls(results)
    _assert_same(
        unreached.unpack_unreached(urls, payload),
        unreached.unpack_unreached(urls, _packed_whole(results)),
    )


def test_an_outage_s_results_share_one_shape_and_keep_their_occurrences() -> None:
    at = datetime(2026, 12, 2, 21, 0, tzinfo=UTC)
    model = CheckResult(
        url="", verdict=Verdict.SKIPPED, detail="not judged (network outage)",
        error_kind=ErrorKind.CONNECT, checked_at=at,
    )  # fmt: skip
    results = []
    for n in range(3000):
        url = f"https://h{n % 7}.example.test/{n}"
        occurrences = [
            Occurrence(
                url=url if n % 5 else url.upper(), file="lists/a.md", line=n + 3, column=3,
                end_line=n + 3 + (n % 11 == 0), end_column=3 + len(url),
                text=None if n % 3 else f"Link {n}", kind=LinkKind.INLINE,
                section=f"S{n // 100}", in_comment=n % 13 == 0,
            )
            for _ in range(1 + (n % 4 == 0))
        ]  # fmt: skip
        results.append(model.model_copy(update={"url": url, "occurrences": occurrences}))
    payload = unreached.pack_unreached(results)
    columns = json.loads(zlib.decompress(payload[1:]))
    assert len(columns["shapes"]) == 1 and len(columns["whole"]) == 1  # the first
    assert columns["runs"] == [[-1, 1], [0, 2999]]
    assert len(payload) < len(_packed_whole(results)) / 3
    urls = _urls(results)
    _assert_same(unreached.unpack_unreached(urls, payload), results)


@pytest.mark.parametrize(
    ("name", "odd"), [("line", True), ("in_comment", 0), ("kind", "bare"), ("text", 5)]
)
def test_an_occurrence_value_of_another_type_keeps_its_result_whole(name: str, odd: object) -> None:
    # Set without validation, as a stage's assignment sets it: pydantic spells such a
    # value (or refuses it) as it did, and only that result is kept whole.
    at = datetime(2026, 12, 2, 21, 0, tzinfo=UTC)
    model = CheckResult(url="", verdict=Verdict.SKIPPED, detail="d", checked_at=at)
    results = _copies(model, 5, lambda n, url: Occurrence(
        url=url, file="a.md", line=n + 1, column=1, end_line=n + 1, end_column=9,
        kind=LinkKind.BARE,
    ))  # fmt: skip
    setattr(results[2].occurrences[0], name, odd)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydantic warns of the type it did not expect
        payload = unreached.pack_unreached(results)
        columns = json.loads(zlib.decompress(payload[1:]))
        assert columns["runs"] == [[-1, 1], [0, 1], [-1, 1], [0, 2]]
        urls = _urls(results)
        try:
            old: list[CheckResult] | type = unreached.unpack_unreached(urls, _packed_whole(results))
        except ValueError:
            old = ValueError
        try:
            new: list[CheckResult] | type = unreached.unpack_unreached(urls, payload)
        except ValueError:
            new = ValueError
    assert type(new) is type(old)
    if isinstance(new, list) and isinstance(old, list):
        _assert_same(new, old)


def test_a_lone_surrogate_in_an_occurrence_reads_back_as_it_was() -> None:
    # JSON as ASCII holds any string; whole results' JSON (pydantic's) can hold none: the
    # first result (kept whole: its shape is not known to be shared yet) has none.
    model = CheckResult(url="", verdict=Verdict.SKIPPED, detail="d")
    results = _copies(model, 3, lambda n, url: Occurrence(
        url="x\udc80" if n else "x", file="a\ud800.md" if n else "a.md", line=1, column=1,
        end_line=1, end_column=2, text="\udfff" if n else None, kind=LinkKind.BARE,
    ))  # fmt: skip
    back = unreached.unpack_unreached(_urls(results), unreached.pack_unreached(results))
    assert back == results


def test_only_skipped_results_are_packed() -> None:
    result = CheckResult(url="https://a.example/", verdict=Verdict.SKIPPED)
    other = CheckResult(url="https://b.example/", verdict=Verdict.BROKEN)
    with pytest.raises(ValueError, match="skipped"):
        unreached.pack_unreached([result, other])


def _old_store(path: Path, results: list[CheckResult], positions: list[int]) -> None:
    """A store as the version before the payload of columns left it: schema 0010, an
    outage run with a record of whole results."""
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        migrate(conn, MIGRATIONS[:10])
        conn.execute(
            "INSERT INTO runs (started_at, finished_at, partial, network)"
            " VALUES ('2026-12-02T21:00:00+00:00', '2026-12-02T21:00:09+00:00', 1, 'outage')"
        )
        conn.execute(
            "INSERT INTO unreached (run_id, urls, positions, payload) VALUES (1, ?, ?, ?)",
            (_urls(results), json.dumps(positions), _packed_whole(results)),
        )


def test_a_record_of_whole_results_still_reads_back(tmp_path: Path) -> None:
    at = datetime(2026, 12, 2, 21, 0, tzinfo=UTC)
    model = CheckResult(url="", verdict=Verdict.SKIPPED, detail="d", checked_at=at)
    results = [
        model.model_copy(update={"url": f"https://a.example/{n}", "flaky": n == 1})
        for n in range(4)
    ]
    path = tmp_path / "state.sqlite"
    _old_store(path, results, [3, 2, 1, 0])
    with Store.open(path) as store:
        report = store.last_run()
    assert report is not None and report.results == results[::-1]
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_a_store_s_record_holds_columns(tmp_path: Path) -> None:
    model = CheckResult(url="", verdict=Verdict.SKIPPED, detail="d")
    results = [model.model_copy(update={"url": f"https://a.example/{n}"}) for n in range(4)]
    with Store.open(tmp_path / "state.sqlite") as store:
        run = store.begin_run(datetime(2026, 12, 2, 21, 0, tzinfo=UTC))
        store.record_unreached(run, results, [0, 1, 2, 3])
        report = store.last_run()
        assert store._conn is not None
        (payload,) = store._conn.execute("SELECT payload FROM unreached").fetchone()
    assert payload.startswith(unreached.COLUMNS_MARK)
    assert report is not None and report.results == results


@settings(max_examples=300, deadline=None)
@given(results=unreached_results(), shared=st.booleans())
def test_a_shape_text_is_each_result_s_own(results: list[CheckResult], shared: bool) -> None:
    # Told apart by their fields' objects in one pass (same_shape), or by their shapes:
    # whichever says so, the text given is the result's own.
    if shared:  # a result that shares an own object (its occurrences) with the one before
        results.insert(1, results[0].model_copy(update={"url": "https://z.example/"}))
    texts = unreached._shape_texts(results)
    assert len(texts) == len(results)
    for text, result in zip(texts, results, strict=True):
        assert text is None or text == unreached._shape_json(result)
