"""Opening, migrating, recovering and querying the store."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import zlib
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from linkhealth.errors import StoreError
from linkhealth.models import CheckResult, ErrorKind, Finding, Judging, Redirect, Summary, Verdict
from linkhealth.store import MIGRATIONS, SCHEMA_VERSION, Store
from linkhealth.store.schema import APPLICATION_ID, migrate

T0 = datetime(2026, 1, 10, 3, 0, tzinfo=UTC)  # the conftest's default checked_at
MakeResult = Callable[..., CheckResult]


def _version(path: Path) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _migration_names(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT name FROM schema_migrations ORDER BY version").fetchall()
    return [row[0] for row in rows]


# ---------------------------------------------------------------- migrations


def test_new_store_gets_every_named_migration(store_path: Path) -> None:
    assert not store_path.parent.exists()
    with Store.open(store_path) as store:
        assert store.warnings == []
    assert SCHEMA_VERSION == len(MIGRATIONS) >= 2
    assert _version(store_path) == SCHEMA_VERSION
    assert _migration_names(store_path) == [m.name for m in MIGRATIONS]
    with closing(sqlite3.connect(store_path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_empty_file_is_migrated(store_path: Path) -> None:
    store_path.parent.mkdir(parents=True)
    store_path.write_bytes(b"")
    with Store.open(store_path) as store:
        assert store.warnings == []
    assert _version(store_path) == SCHEMA_VERSION


def test_upgrade_from_previous_version_keeps_data(store_path: Path, result: MakeResult) -> None:
    store_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(store_path, isolation_level=None)
    applied = migrate(conn, MIGRATIONS[:-1])
    assert applied == [m.name for m in MIGRATIONS[:-1]]
    conn.execute(
        "INSERT INTO runs (started_at, tool_version) VALUES (?, '0.0.9')", (T0.isoformat(),)
    )
    conn.close()
    assert _version(store_path) == SCHEMA_VERSION - 1

    with Store.open(store_path) as store:
        store.record(1, [result("https://a.example/")])
        assert store.latest_result("https://a.example/") is not None
        report = store.last_run()
    assert report is not None and report.run_id == 1 and report.tool.version == "0.0.9"
    assert _version(store_path) == SCHEMA_VERSION
    assert _migration_names(store_path)[-1] == MIGRATIONS[-1].name
    with closing(sqlite3.connect(store_path)) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(results)")]
    assert "position" in columns  # 0006's column


def test_payload_kinds_each_rebuild_their_result(store_path: Path, result: MakeResult) -> None:
    """Four payloads: a result with nothing beyond its columns but its occurrences (an
    outage's tens of thousands never requested, most failures) keeps only those (a JSON
    list); another whose times are in UTC keeps its fields without a column (a JSON
    object, not starting with ``{"url":``); any other its whole JSON, zlib-packed, or as
    it is when never requested. Every reader rebuilds each exactly."""
    # A long result (repeats near and far) is read back exactly.
    long_text = " ".join(f"word{i % 997} w{i * 7919 % 10007}" for i in range(3000))
    asked = result(
        "https://a.example/", attempts=1, title="t" * 200, etag='"v1"', description=long_text
    )
    never = result(
        "https://b.example/",
        Verdict.SKIPPED,
        error_kind=ErrorKind.DNS,
        detail="not judged (network outage): host name does not resolve",
    )
    never_described = result("https://c.example/", Verdict.SKIPPED, description="kept")
    failed = result(
        "https://d.example/", Verdict.BROKEN, http_status=404, attempts=2, elapsed_ms=12.5,
        failing_runs=3, failing_since=T0 - timedelta(days=2), etag='"e"', title="Gone",
    )  # fmt: skip
    east = timezone(timedelta(hours=2))
    asked_east = result(
        "https://e.example/", attempts=1, etag='"v2"', checked_at=T0.astimezone(east),
        description=long_text,
    )  # fmt: skip
    never_east = result("https://f.example/", Verdict.SKIPPED, checked_at=T0.astimezone(east))
    results = [asked, never, never_described, failed, asked_east, never_east]
    with Store.open(store_path) as store:
        run = store.begin_run(T0)
        store.record(run, results, list(range(len(results))))
    with closing(sqlite3.connect(store_path)) as conn:
        payloads = dict(conn.execute("SELECT url, payload FROM results").fetchall())
    for only_occurrences in (never, failed):
        whole = json.loads(only_occurrences.model_dump_json(exclude_defaults=True))
        assert json.loads(payloads[only_occurrences.url]) == whole["occurrences"]
    for uncolumned, beyond in (
        (asked, {"description": long_text}),
        (never_described, {"description": "kept"}),
    ):
        whole = json.loads(uncolumned.model_dump_json(exclude_defaults=True))
        payload = payloads[uncolumned.url]
        assert payload[:1] == b"{" and not payload.startswith(b'{"url":')
        assert json.loads(payload) == {**beyond, "occurrences": whole["occurrences"]}
    assert payloads[never_east.url] == never_east.model_dump_json(exclude_defaults=True).encode()
    assert payloads[asked_east.url][:1] not in (b"{", b"[")  # compressed
    unpacked = zlib.decompress(payloads[asked_east.url])  # any zlib reader
    assert unpacked == asked_east.model_dump_json(exclude_defaults=True).encode()
    assert len(payloads[asked_east.url]) < len(unpacked) // 2
    with Store.open(store_path) as store:
        report = store.last_run()
        assert report is not None and report.results == results
        assert [r.model_dump_json() for r in report.results] == [
            r.model_dump_json() for r in results
        ]
        for each in results:
            assert store.latest_result(each.url) == each
        urls = [each.url for each in results]
        assert store.validators(urls) == {
            "https://a.example/": ('"v1"', None),
            "https://e.example/": ('"v2"', None),
        }
        fresh = store.fresh_results(urls, timedelta(days=1), T0)
        assert fresh == {"https://a.example/": asked, "https://e.example/": asked_east}


def _old_payload(result: CheckResult, packed: bool) -> bytes:
    """A result's payload as every version before 0010 wrote it for a result whose fields
    the columns do not all hold: its whole JSON, zlib-packed (as the default packer packs,
    or the small-window one), or as it is when never requested."""
    dump = result.model_dump_json(exclude_defaults=True).encode()
    return zlib.compress(dump, 6) if packed else dump


@pytest.mark.parametrize("packed", [True, False])
def test_rows_of_earlier_versions_are_read_as_they_were_written(
    store_path: Path, result: MakeResult, packed: bool
) -> None:
    """A store written before the payloads of fields without a column (its results' whole
    JSON) gives every reader the same results, and the next run's history the same
    streaks, as the payloads written now."""
    made = [
        result("https://a.example/", attempts=1, etag='"v1"', description="d é \u202e"),
        result(
            "https://b.example/", Verdict.BROKEN, http_status=404, attempts=2, title="Gone",
            redirects=[Redirect(url="https://b.example/x", status=301)],
            final_url="https://b.example/x", failing_runs=2, failing_since=T0,
            site_name="S", permanent=True, suggestion_ok=False, archived_at=T0,
        ),
        result("https://c.example/", Verdict.SKIPPED, image="https://c.example/i.png"),
    ]  # fmt: skip
    with Store.open(store_path) as store:
        run = store.begin_run(T0)
        store.record(run, made, [0, 1, 2])
        store.finish_run(run, finished_at=T0, partial=False, network="ok")
        new_reads = (store.last_run(), [store.latest_result(each.url) for each in made])
    with closing(sqlite3.connect(store_path)) as conn:
        new = dict(conn.execute("SELECT url, payload FROM results").fetchall())
        for each in made:
            assert new[each.url][:1] == b"{" and not new[each.url].startswith(b'{"url":')
            old = _old_payload(each, packed)
            conn.execute("UPDATE results SET payload = ? WHERE url = ?", (old, each.url))
        conn.commit()
    with Store.open(store_path) as store:
        old_report = store.last_run()
        assert old_report is not None and new_reads[0] is not None
        assert old_report.results == made == new_reads[0].results
        assert old_report.model_dump_json() == new_reads[0].model_dump_json()
        assert [store.latest_result(each.url) for each in made] == new_reads[1] == made
        fresh = store.fresh_results([each.url for each in made], timedelta(days=1), T0)
        assert fresh == {"https://a.example/": made[0]}
        later = [result(each.url, Verdict.BROKEN, http_status=500) for each in made]
        store.begin_run(T0 + timedelta(days=1))
        store.apply_history(later, now=T0 + timedelta(days=1), outage=False, run_id=None)
    assert [(r.failing_runs, r.failing_since) for r in later] == [(1, T0), (3, T0), (1, T0)]


_BEYOND_COLUMNS: list[dict[str, object]] = [
    {},
    {"permanent": True},
    {"description": "d"},
    {"site_name": "s"},
    {"published": "2026-01-01"},
    {"image": "https://i.example/x.png"},
    {"suggestion_ok": False},
    {"archive_url": "https://web.archive.org/x", "archived_at": T0},
    {"redirects": [Redirect(url="https://x.example/", status=301)], "final_url": "https://x/"},
    {"checked_at": datetime(2026, 1, 10, 5, 0, tzinfo=timezone(timedelta(hours=2)))},
    {"checked_at": datetime(2026, 1, 10, 5, 0)},  # naive
    {"failing_since": datetime(2026, 1, 9, 5, 0, tzinfo=timezone(timedelta(hours=-5)))},
    {"checked_at": None, "elapsed_ms": 0.0},
]
_IN_COLUMNS: list[dict[str, object]] = [
    {},
    {"http_status": 500, "detail": "server error\n\u202e", "attempts": 3, "elapsed_ms": 0.1},
    {"error_kind": ErrorKind.TIMEOUT, "from_cache": True, "flaky": True, "failing_runs": 2},
    {"title": "T é", "canonical_url": "https://c/", "content_type": "text/html", "lang": "en"},
    {"etag": '"x"', "last_modified": "Mon", "suggestion": "https://s/", "occurrences": []},
    {"failing_since": T0 - timedelta(hours=5, microseconds=7), "checked_at": T0},
    {"detail": "nul \x00 bidi \u202e astral \U0001f389 del \x7f", "title": "\x00", "lang": ""},
    {"elapsed_ms": 0.1 + 0.2, "http_status": 0, "suggestion": "", "detail": ""},
]


@pytest.mark.parametrize("beyond", _BEYOND_COLUMNS)
@pytest.mark.parametrize("columns", _IN_COLUMNS)
def test_every_result_is_rebuilt_exactly(
    store_path: Path, result: MakeResult, beyond: dict[str, object], columns: dict[str, object]
) -> None:
    """Whichever payload a result gets, each reader gives back the same result, with the
    same JSON (a field without a column, a redirect or a time not in UTC, which the
    columns would spell otherwise, keeps the whole JSON)."""
    verdicts = (Verdict.OK, Verdict.SKIPPED, Verdict.BROKEN)
    made = [result(f"https://{v.value}.example/", v, **{**columns, **beyond}) for v in verdicts]
    with Store.open(store_path) as store:
        run = store.begin_run(T0)
        store.record(run, made, list(range(len(made))))
    with Store.open(store_path) as store:
        report = store.last_run()
        assert report is not None
        read = [*report.results, *(store.latest_result(each.url) for each in made)]
        fresh = store.fresh_results([each.url for each in made], timedelta(days=900), T0)
    for each, again in zip(made * 2, read, strict=True):
        assert again == each
        assert again is not None and again.model_dump_json() == each.model_dump_json()
    assert set(fresh) <= {made[0].url} and all(fresh[url] == made[0] for url in fresh)


def test_a_payload_larger_than_the_packers_window_is_rebuilt_exactly(
    store: Store, result: MakeResult
) -> None:
    # Payloads are packed with an 8 KB window: a result listed in 400 places (~50 KB of
    # JSON) must come back whole all the same.
    # (A time not in UTC keeps the whole JSON, zlib-packed.)
    east = timezone(timedelta(hours=2))
    big = result(
        "https://big.example/", description="Whole", attempts=1, checked_at=T0.astimezone(east)
    )
    (place,) = big.occurrences
    big.occurrences = [dataclasses.replace(place, line=n, end_line=n) for n in range(400)]
    run = store.begin_run(T0)
    store.record(run, [big], [0])
    with closing(sqlite3.connect(store.path)) as conn:
        (payload,) = conn.execute("SELECT payload FROM results").fetchone()
    assert len(zlib.decompress(payload)) > 5 * 8192  # packed, and beyond the window
    report = store.last_run()
    assert report is not None and report.results == [big]


def test_failed_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    from linkhealth.store.schema import Migration

    path = tmp_path / "s.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    broken = (*MIGRATIONS[:1], Migration("0002_broken", ("CREATE INDEX x ON nowhere (y)",)))
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, broken)
    assert not conn.in_transaction
    assert int(conn.execute("PRAGMA user_version").fetchone()[0]) == 1
    conn.close()


# ------------------------------------------------------------- recovery


def test_garbage_file_is_moved_aside_with_a_warning(store_path: Path) -> None:
    store_path.parent.mkdir(parents=True)
    store_path.write_bytes(b"this is not sqlite at all, just text\n" * 200)
    with Store.open(store_path) as store:
        assert len(store.warnings) == 1
        assert "moved it to" in store.warnings[0] and str(store_path) in store.warnings[0]
        assert store.last_run() is None
    aside = list(store_path.parent.glob("state.sqlite.corrupt-*"))
    assert len(aside) == 1
    assert aside[0].read_bytes().startswith(b"this is not sqlite")
    assert _version(store_path) == SCHEMA_VERSION


def test_truncated_file_is_moved_aside(store_path: Path, result: MakeResult) -> None:
    with Store.open(store_path) as store:
        run = store.begin_run(T0)
        for batch in range(20):
            store.record(
                run,
                [result(f"https://h.example/{batch}/{i}", title="t" * 300) for i in range(20)],
            )
        store.finish_run(run, finished_at=T0, partial=False, network="ok")
        store.checkpoint()
    data = store_path.read_bytes()
    assert len(data) > 40_000
    store_path.write_bytes(data[: len(data) // 2 + 100])
    with Store.open(store_path) as store:
        assert any("corrupt" in w for w in store.warnings)
        assert store.last_run() is None
    assert len(list(store_path.parent.glob("state.sqlite.corrupt-*"))) == 1


def test_a_newer_schema_is_refused_untouched(store_path: Path, result: MakeResult) -> None:
    # Moved aside, the newer linkhealth's history would be lost to it: refused instead.
    with Store.open(store_path) as store:
        store.record(store.begin_run(T0), [result("https://a.example/")])
    with closing(sqlite3.connect(store_path)) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    before = store_path.read_bytes()
    newer = rf"newer linkhealth \(schema version {SCHEMA_VERSION + 5};"
    with pytest.raises(StoreError, match=newer):
        Store.open(store_path)
    assert store_path.read_bytes() == before
    assert sorted(p.name for p in store_path.parent.iterdir()) == ["state.sqlite"]
    assert _version(store_path) == SCHEMA_VERSION + 5


def test_foreign_database_is_an_error_not_moved(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE mine (x)")
    with pytest.raises(StoreError, match="not a linkhealth store"):
        Store.open(path)
    assert path.exists() and list(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize(
    ("setup", "why"),
    [
        (("CREATE TABLE mine (x)",), "tables but no linkhealth schema"),
        (("CREATE TABLE schema_migrations (x)",), "tables but no linkhealth schema"),
        (("PRAGMA application_id = 1179603998",), "application_id is 0x464f541e"),
        (("PRAGMA user_version = 7",), "schema version but no tables"),
    ],
)
def test_a_foreign_database_is_refused_before_anything_changes_it(
    tmp_path: Path, setup: tuple[str, ...], why: str
) -> None:
    """Issue 20: it used to be switched to WAL (a change to its header) before refusal."""
    path = tmp_path / "other.sqlite"
    with closing(sqlite3.connect(path)) as conn:
        for statement in setup:
            conn.execute(statement)
        conn.commit()
    before = path.read_bytes()
    with pytest.raises(StoreError, match=why):
        Store.open(path)
    assert path.read_bytes() == before and list(tmp_path.iterdir()) == [path]
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_a_new_store_carries_linkhealths_application_id(store_path: Path) -> None:
    with Store.open(store_path):
        pass
    with closing(sqlite3.connect(store_path)) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    with Store.open(store_path) as store:  # and it opens again as ours
        assert store.warnings == []


def test_directory_path_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=str(tmp_path)):
        Store.open(tmp_path)


def test_unwritable_parent_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create the folder"):
        Store.open(blocker / "sub" / "state.sqlite")


def test_closed_store_raises_store_error(store_path: Path) -> None:
    store = Store.open(store_path)
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.begin_run(T0)


# ---------------------------------------------------------------- queries


def test_record_keeps_every_field_for_an_exact_rerender(store: Store, result: MakeResult) -> None:
    rich = result(
        "https://a.example/old",
        Verdict.REDIRECTED,
        http_status=200,
        detail="301 → /new",
        final_url="https://a.example/new",
        redirects=[Redirect(url="https://a.example/new", status=301)],
        permanent=True,
        attempts=2,
        elapsed_ms=12.5,
        title="A <b>title</b> ‮",
        description="desc",
        site_name="A",
        lang="en",
        etag='"v1"',
        last_modified="Sat, 10 Jan 2026 03:00:00 GMT",
        suggestion="https://a.example/new",
        failing_runs=0,
    )
    broken = result(
        "https://b.example/", Verdict.BROKEN, http_status=404, error_kind=ErrorKind.NOT_FOUND
    )
    finding = Finding(file="lists/a.md", line=37, column=1, rule="space-in-url", message="m")
    run = store.begin_run(T0, settings_digest="abc", paths=["lists/"])
    store.record(run, [rich])
    store.record(run, [broken])
    summary = Summary(occurrences=2, urls=2, by_verdict={"redirected": 1, "broken": 1}, failing=1)
    store.finish_run(
        run, finished_at=T0 + timedelta(seconds=5), partial=False, network="ok",
        summary=summary, findings=[finding],
    )  # fmt: skip
    report = store.last_run()
    assert report is not None
    assert report.results == [rich, broken]
    assert report.summary == summary
    assert report.findings == [finding]
    assert report.partial is False and report.network == "ok"
    assert report.finished_at == T0 + timedelta(seconds=5)
    assert report.history == []  # runs before this one: the HTML chart adds this run itself
    assert report.judged_with == Judging()


def test_last_run_lists_results_by_their_recorded_positions(
    store: Store, result: MakeResult
) -> None:
    run = store.begin_run(T0)
    a, b, c = (result(f"https://{name}.example/") for name in "abc")
    store.record(run, [c, a], [2, 0])  # stored in the order they were finished
    store.record(run, [b], [1])
    report = store.last_run()
    assert report is not None and [r.url for r in report.results] == [a.url, b.url, c.url]
    store.record(run, [a], [0])  # recorded again (a later change): keeps its place
    report = store.last_run()
    assert report is not None and [r.url for r in report.results] == [a.url, b.url, c.url]


def test_rows_without_a_position_keep_the_order_they_were_recorded_in(
    store: Store, result: MakeResult
) -> None:
    # Rows written before positions were kept have none: they are listed as before.
    run = store.begin_run(T0)
    urls = ["https://z.example/", "https://a.example/", "https://m.example/"]
    store.record(run, [result(url) for url in urls])
    report = store.last_run()
    assert report is not None and [r.url for r in report.results] == urls


def _unreached(make: MakeResult, url: str, **fields: object) -> CheckResult:
    """A result an outage never requested, as the run leaves it (skipped, no attempt)."""
    fields.setdefault("detail", "not judged (network outage): cannot connect: not requested")
    return make(url, Verdict.SKIPPED, error_kind=ErrorKind.CONNECT, **fields)


def test_an_outages_unreached_record_is_listed_with_the_rows_in_report_order(
    store: Store, result: MakeResult
) -> None:
    run = store.begin_run(T0)
    rows = [result("https://a.example/", "timeout", attempts=1), result("https://d.example/")]
    store.record(run, rows, [0, 3])
    gone = [_unreached(result, "https://c.example/", failing_runs=2, failing_since=T0),
            _unreached(result, "https://b.example/", flaky=True)]  # fmt: skip
    store.record_unreached(run, gone, [2, 1])
    last = _unreached(result, "https://e.example/")
    store.record_unreached(run, [last], [None])  # no place: listed last
    report = store.last_run()
    assert report is not None
    assert [r.url for r in report.results] == [f"https://{n}.example/" for n in "abcde"]
    assert report.results[1:3] == [gone[1], gone[0]]  # every field as recorded
    assert report.summary.urls == 5 and report.summary.by_verdict["skipped"] == 3
    with pytest.raises(ValueError, match="skipped"):
        store.record_unreached(run, [result("https://f.example/", "broken")], [4])


@pytest.mark.parametrize("count", [1000, 2001])
def test_a_large_unreached_record_is_packed_in_pieces_and_read_back_whole(
    store: Store, result: MakeResult, count: int
) -> None:
    run = store.begin_run(T0)
    gone = [_unreached(result, f"https://h{i % 97}.example/{i}") for i in range(count)]
    store.record_unreached(run, gone, list(range(count)))
    report = store.last_run()
    assert report is not None and report.results == gone


def test_a_url_unreached_later_has_no_fresh_result_validators_or_latest(
    store: Store, result: MakeResult
) -> None:
    first = store.begin_run(T0)
    urls = ["https://a.example/", "https://b.example/"]
    store.record(first, [result(url, etag='"v"') for url in urls])
    day = timedelta(days=1)
    assert sorted(store.fresh_results(urls, day, T0)) == urls
    outage = store.begin_run(T0 + timedelta(hours=1))
    store.record_unreached(outage, [_unreached(result, urls[0])], [0])
    # As with a row per result: the latest result of a is the outage's (skipped).
    assert sorted(store.fresh_results(urls, day, T0)) == [urls[1]]
    assert store.validators(urls) == {urls[1]: ('"v"', None)}
    assert store.latest_result(urls[0]) is None and store.latest_result(urls[1]) is not None
    later = store.begin_run(T0 + timedelta(hours=2))
    store.record(later, [result(urls[0], etag='"w"')])  # a newer row wins again
    assert sorted(store.fresh_results(urls, day, T0)) == urls
    assert store.validators([urls[0]]) == {urls[0]: ('"w"', None)}


def test_an_unreached_records_urls_are_read_once_per_store(
    store: Store, result: MakeResult
) -> None:
    # The cluster's estimate and each 304 ask for one URL at a time: 5,000 look-ups after
    # an outage of 50,000 links unpacked its 50,000 URLs each time.
    urls = [f"https://h.example/{i}" for i in range(20)]
    store.record(store.begin_run(T0), [result(url) for url in urls])
    outage = store.begin_run(T0 + timedelta(hours=1))
    store.record_unreached(outage, [_unreached(result, url) for url in urls[:10]], None)
    asked: list[str] = []
    assert store._conn is not None
    store._conn.set_trace_callback(asked.append)
    latest = [store.latest_result(url) for url in urls]
    assert [r is None for r in latest] == [True] * 10 + [False] * 10
    assert len([sql for sql in asked if "urls FROM unreached" in sql]) == 1


def test_outages_in_a_row_read_the_newest_record_only_and_older_ones_when_needed(
    store: Store, result: MakeResult
) -> None:
    # A runner without network for nights on end: each night's record holds the same
    # links. The look-up at the next run's start read (and kept) every record: K sets of
    # N URLs (review7 F5). The newest decides every row older than it.
    urls = [f"https://h.example/{i}" for i in range(30)]
    store.record(store.begin_run(T0), [result(url, etag='"v"') for url in urls])
    for night in range(1, 6):
        outage = store.begin_run(T0 + timedelta(days=night))
        gone = urls[:20] if night < 5 else urls[:10]
        store.record_unreached(outage, [_unreached(result, url) for url in gone], None)
    asked: list[str] = []
    assert store._conn is not None
    store._conn.set_trace_callback(asked.append)
    fresh = store.fresh_results(urls[:10], timedelta(days=30), T0)
    assert fresh == {} and len([sql for sql in asked if "urls FROM unreached" in sql]) == 1
    # Links the newest record lacks are decided by older ones (read then, each once).
    assert sorted(store.validators(urls)) == urls[20:]
    assert len([sql for sql in asked if "urls FROM unreached" in sql]) == 5
    assert sorted(store.fresh_results(urls, timedelta(days=30), T0)) == urls[20:]
    assert len([sql for sql in asked if "urls FROM unreached" in sql]) == 5
    assert len(store._unreached_newest) == 20  # one entry a URL, not one set a record


def test_pruning_a_run_drops_its_unreached_record(store: Store, result: MakeResult) -> None:
    for n in range(3):
        run = store.begin_run(T0 + timedelta(days=n))
        store.record_unreached(run, [_unreached(result, f"https://h{n}.example/")], [0])
    assert store.prune(keep_runs=1) == 2
    with closing(sqlite3.connect(store.path)) as conn:
        assert conn.execute("SELECT run_id FROM unreached").fetchall() == [(run,)]


def test_unfinished_run_is_partial_and_summarised(store: Store, result: MakeResult) -> None:
    run = store.begin_run(T0, judging=Judging(fail_after=1))
    store.record(run, [result("https://a.example/"), result("https://b.example/", "timeout")])
    report = store.last_run()
    assert report is not None and report.partial is True and report.finished_at is None
    assert report.summary.urls == 2 and report.summary.occurrences == 2
    assert report.summary.by_verdict == {"ok": 1, "timeout": 1}
    assert report.summary.failing == 1
    assert store.failing_history(10) == [1]


def test_fresh_results_within_max_age_then_expired(store: Store, result: MakeResult) -> None:
    run = store.begin_run(T0)
    store.record(
        run,
        [
            result("https://ok.example/", checked_at=T0),
            result("https://moved.example/", Verdict.REDIRECTED, checked_at=T0),
            result("https://gone.example/", Verdict.BROKEN, checked_at=T0),
            result("https://slow.example/", Verdict.TIMEOUT, checked_at=T0),
            result("https://wall.example/", Verdict.BLOCKED, checked_at=T0),
        ],
    )
    urls = [
        "https://ok.example/",
        "https://moved.example/",
        "https://gone.example/",
        "https://slow.example/",
        "https://wall.example/",
        "https://never.example/",
    ]
    day = timedelta(days=1)
    fresh = store.fresh_results(urls, day, T0 + timedelta(hours=23))
    assert sorted(fresh) == ["https://moved.example/", "https://ok.example/"]
    assert fresh["https://ok.example/"].checked_at == T0
    assert store.fresh_results(urls, day, T0 + day) == {}
    assert store.fresh_results(urls, timedelta(0), T0) == {}


def test_latest_failure_hides_an_older_fresh_ok(store: Store, result: MakeResult) -> None:
    first = store.begin_run(T0)
    store.record(first, [result("https://a.example/", checked_at=T0)])
    second = store.begin_run(T0 + timedelta(hours=1))
    store.record(second, [result("https://a.example/", "broken", checked_at=T0)])
    assert store.fresh_results(["https://a.example/"], timedelta(days=1), T0) == {}


def test_cached_reuse_does_not_extend_freshness(store: Store, result: MakeResult) -> None:
    first = store.begin_run(T0)
    store.record(first, [result("https://a.example/", checked_at=T0)])
    later = T0 + timedelta(hours=20)
    reused = store.fresh_results(["https://a.example/"], timedelta(days=1), later)
    assert list(reused) == ["https://a.example/"]
    cached = reused["https://a.example/"]
    cached.from_cache = True
    second = store.begin_run(later)
    store.record(second, [cached])
    assert (
        store.fresh_results(["https://a.example/"], timedelta(days=1), T0 + timedelta(days=1)) == {}
    )


def test_validators_and_latest_result(store: Store, result: MakeResult) -> None:
    run = store.begin_run(T0)
    store.record(
        run,
        [
            result("https://e.example/", etag='"abc"', title="Kept title"),
            result("https://lm.example/", last_modified="Sat, 10 Jan 2026 03:00:00 GMT"),
            result("https://none.example/"),
            result("https://bad.example/", "broken", etag='"x"'),
        ],
    )
    urls = ["https://e.example/", "https://lm.example/", "https://none.example/",
            "https://bad.example/"]  # fmt: skip
    assert store.validators(urls) == {
        "https://e.example/": ('"abc"', None),
        "https://lm.example/": (None, "Sat, 10 Jan 2026 03:00:00 GMT"),
    }
    latest = store.latest_result("https://e.example/")
    assert latest is not None and latest.title == "Kept title"
    assert store.latest_result("https://unknown.example/") is None


def test_many_urls_are_queried_in_chunks(store: Store, result: MakeResult) -> None:
    urls = [f"https://h.example/{i}" for i in range(1_234)]
    run = store.begin_run(T0)
    store.record(run, [result(url) for url in urls])
    assert len(store.fresh_results(urls, timedelta(days=1), T0)) == len(urls)


def test_prune_keeps_the_newest_runs(store: Store, result: MakeResult) -> None:
    for n in range(5):
        run = store.begin_run(T0 + timedelta(days=n))
        store.record(run, [result("https://a.example/", "broken")])
    assert store.prune(keep_runs=2) == 3
    assert len(store.failing_history(10)) == 2


def test_checkpoint_leaves_one_complete_file(store_path: Path, result: MakeResult) -> None:
    store = Store.open(store_path)
    run = store.begin_run(T0)
    store.record(run, [result(f"https://h.example/{i}") for i in range(50)])
    wal = store_path.with_name(store_path.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0
    assert store.checkpoint() is True
    assert wal.stat().st_size == 0
    # A copy of the main file alone (what a CI cache keeps) holds the run.
    copy = store_path.with_name("copy.sqlite")
    copy.write_bytes(store_path.read_bytes())
    with closing(sqlite3.connect(copy)) as conn:
        assert conn.execute("SELECT count(*) FROM results").fetchone()[0] == 50
    store.close()


@pytest.mark.parametrize("damage", [b"\x78\x9cnot zlib", b'{"url": 3}', b"[1, 2"])
def test_a_result_damaged_outside_linkhealth_is_a_store_error_not_a_traceback(
    store: Store, result: MakeResult, damage: bytes
) -> None:
    # SQLite's integrity check passes (the file is sound); the payload's bytes are not.
    run = store.begin_run(T0)
    store.record(run, [result("https://a.example/", etag='"v"', title="A page")])
    store.finish_run(run, finished_at=T0, partial=False, network="ok")
    with closing(sqlite3.connect(store.path)) as conn:
        conn.execute("UPDATE results SET payload = ?", (damage,))
        conn.commit()
    for read in (
        store.last_run,
        lambda: store.latest_result("https://a.example/"),
        lambda: store.fresh_results(["https://a.example/"], timedelta(days=1), T0),
    ):
        with pytest.raises(StoreError, match=r"holds a damaged result .*another --store"):
            read()


@pytest.mark.parametrize(
    ("column", "damage"),
    [("summary", '{"total": "many"'), ("findings", "[{"), ("judged_with", '{"fail_after": -')],
)
def test_a_run_record_damaged_outside_linkhealth_is_a_store_error(
    store: Store, result: MakeResult, column: str, damage: str
) -> None:
    run = store.begin_run(T0)
    store.record(run, [result("https://a.example/", "broken")])
    store.finish_run(run, finished_at=T0, partial=False, network="ok")
    assert store.last_run() is not None
    with closing(sqlite3.connect(store.path)) as conn:
        conn.execute(f"UPDATE runs SET {column} = ?", (damage,))
        conn.commit()
    with pytest.raises(StoreError, match=r"holds a damaged run .*another --store"):
        store.last_run()


def test_an_unreached_record_damaged_outside_linkhealth_is_a_store_error(
    store: Store, result: MakeResult
) -> None:
    first = store.begin_run(T0)
    store.record(first, [result("https://a.example/")])
    outage = store.begin_run(T0 + timedelta(hours=1))
    store.record_unreached(outage, [_unreached(result, "https://a.example/")], [0])
    with closing(sqlite3.connect(store.path)) as conn:
        conn.execute("UPDATE unreached SET urls = ?, payload = ?", (b"cut", b"cut"))
        conn.commit()
    with pytest.raises(StoreError, match="damaged"):
        store.latest_result("https://a.example/")
    with pytest.raises(StoreError, match="damaged"):
        store.last_run()


def test_timed_out_is_whether_the_latest_result_went_unanswered(
    store: Store, result: MakeResult
) -> None:
    # The fetch starts these early in their host's queue: a URL whose latest result
    # timed out; not one that answered after a timeout (ok, or an error status), nor
    # one that failed another way, nor one an outage left unrequested since.
    def url(name: str) -> str:
        return f"https://h.example/{name}"

    timeout = {"error_kind": ErrorKind.TIMEOUT, "detail": "no complete answer", "attempts": 3}
    first = store.begin_run(T0)
    store.record(
        first,
        [
            result(url("hung"), "timeout", **timeout),
            result(url("recovered"), "timeout", **timeout),
            result(url("now-503"), "timeout", **timeout),
            result(url("became-hung")),
            result(url("refused"), "error", error_kind=ErrorKind.REFUSED, attempts=3),
            result(url("gone"), "broken", http_status=404),
            result(url("unreached"), "timeout", **timeout),
        ],
    )
    urls = [url(name) for name in ("hung", "recovered", "now-503", "became-hung", "refused",
                                   "gone", "unreached", "never-seen")]  # fmt: skip
    assert store.timed_out(urls) == {url("hung"), url("recovered"), url("now-503"),
                                     url("unreached")}  # fmt: skip
    second = store.begin_run(T0 + timedelta(days=1))
    store.record(
        second,
        [
            result(url("hung"), "timeout", **timeout),
            result(url("recovered"), attempts=2),  # timed out once, then answered ok
            result(url("now-503"), "broken", http_status=503, attempts=3),
            result(url("became-hung"), "timeout", **timeout),
        ],
    )
    outage = store.begin_run(T0 + timedelta(days=2))
    store.record_unreached(outage, [_unreached(result, url("unreached"))], [0])
    assert store.timed_out(urls) == {url("hung"), url("became-hung")}
    assert store.timed_out([url("recovered"), url("gone")]) == set()


def test_the_latest_results_of_a_store_without_results_read_no_url(
    store: Store, result: MakeResult
) -> None:
    """A store's first run (no result stored) finds nothing without reading the URLs
    asked about (a run gives them as they are made: an outage's 200,000 are not)."""

    def urls() -> Iterator[str]:
        raise AssertionError("read")
        yield ""  # pragma: no cover

    assert store.fetch_hints(urls()).validators == {}
    assert store.fresh_results(urls(), timedelta(hours=1), datetime.now(UTC)) == {}
    assert store._pasts(urls(), None) == {}  # no past: the history reads no URL either
    run = store.begin_run(datetime.now(UTC))
    store.record(run, [result("https://a.example/", etag='"e"')])
    with pytest.raises(AssertionError, match="read"):
        store.fetch_hints(urls())
