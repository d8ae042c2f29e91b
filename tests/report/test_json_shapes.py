"""Results that share every field but their URL and occurrences (an outage's never-requested
ones) are written from one encoding of their shape: the text is pydantic's, byte for byte."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkhealth.models import (
    SCHEMA_VERSION,
    CheckResult,
    ErrorKind,
    LinkKind,
    Occurrence,
    Redirect,
    RunReport,
    Summary,
    ToolInfo,
    Verdict,
    result_shape,
    same_shape,
)
from linkhealth.report import jsonfmt

#: Printable ASCII, the characters JSON escapes, controls, invisible and astral ones.
TEXT = st.text(
    alphabet=st.sampled_from(list('ab/:@#?%"\\ \t\n\x00\x1f\x7f\x85\u202e\u200bé\U0001f389')),
    max_size=12,
)
PLAIN = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=16)
SOME_TEXT = st.one_of(PLAIN, TEXT)


def occurrence(url: str, text: str | None, section: str | None, line: int) -> Occurrence:
    return Occurrence(
        url=url,
        file="docs/list.md",
        line=line,
        column=3,
        end_line=line,
        end_column=3 + len(url),
        text=text,
        kind=LinkKind.INLINE,
        section=section,
    )


def unreached(url: str, occurrences: list[Occurrence], detail: str) -> CheckResult:
    return CheckResult(
        url=url,
        verdict=Verdict.SKIPPED,
        detail=detail,
        error_kind=ErrorKind.CONNECT,
        checked_at=datetime(2026, 12, 2, 7, 30, 1, 250000, tzinfo=UTC),
        occurrences=occurrences,
    )


OCCURRENCES = st.lists(
    st.builds(
        occurrence,
        SOME_TEXT,
        st.none() | SOME_TEXT,
        st.none() | SOME_TEXT,
        st.integers(1, 10**6),
    ),
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(
    urls=st.lists(SOME_TEXT, min_size=3, max_size=3),
    occs=st.lists(OCCURRENCES, min_size=3, max_size=3),
    detail=SOME_TEXT,
)
def test_a_shape_met_twice_in_a_row_is_pydantics_item(
    urls: list[str], occs: list[list[Occurrence]], detail: str
) -> None:
    # The second shares the first's objects, the third only equal values (both ways of
    # knowing the shape); the item is what the results list makes of pydantic's text.
    shapes = jsonfmt._Shapes()
    first, second, third = (unreached(u, o, detail) for u, o in zip(urls, occs, strict=True))
    second.__dict__.update(
        {k: v for k, v in first.__dict__.items() if k not in ("url", "occurrences", "redirects")}
    )
    assert shapes.item(first) is None  # a shape seen once: pydantic writes it
    for n, result in ((1, second), (2, third)):
        item = shapes.item(result)
        expected = jsonfmt._as_items([result.model_dump_json(indent=2)])
        plain = [urls[n], detail]
        plain += [s for o in occs[n] for s in (o.url, o.text or "", o.section or "")]
        if all(s.isascii() and s.isprintable() and "@" not in s for s in plain):
            assert item == expected  # printable ASCII, nothing to redact: written here
        else:
            assert item in (None, expected)


def test_one_shape_for_certain_only_with_the_same_objects() -> None:
    first = unreached("http://a.test/", [], "d")
    twin = first.model_copy(update={"url": "http://b.test/", "redirects": []})
    assert same_shape(twin.__dict__, first.__dict__)  # every other field: the same objects
    for change in (
        {"detail": "d2"[:1]},
        {"elapsed_ms": 0},
        {"redirects": [Redirect(url="http://x.test/", status=301)]},
    ):
        other = first.model_copy(update=change)
        assert not same_shape(other.__dict__, first.__dict__)
        assert (result_shape(other) == result_shape(first)) is ("detail" in change)


def test_the_same_objects_in_another_order_are_another_shape() -> None:
    # same_shape reads the fields side by side: in another order they are not of one
    # shape for certain, nor are they at all (pydantic writes them in that order).
    first = unreached("http://a.test/", [], "d")
    twin = first.model_copy(update={"url": "http://b.test/", "redirects": []})
    moved = dict(reversed(twin.__dict__.items()))
    assert moved == twin.__dict__ and list(moved) != list(twin.__dict__)
    assert not same_shape(moved, first.__dict__)
    assert not same_shape(first.__dict__, moved)
    # pydantic writes the fields in the order __dict__ holds them: another shape
    object.__setattr__(twin, "__dict__", moved)
    assert twin.model_dump_json() != first.model_copy(update={"url": twin.url}).model_dump_json()
    assert result_shape(twin) != result_shape(first)
    shapes = jsonfmt._Shapes()
    third = first.model_copy(update={"url": "http://c.test/", "redirects": []})
    assert shapes.item(first) is None
    assert shapes.item(third) is not None  # its shape, met twice in a row, is kept
    assert shapes.item(twin) is None  # not of the kept shape: pydantic writes it


def test_two_fields_holding_one_object_swapped_are_another_shape() -> None:
    # Side by side the values are the very same objects (title and description: None),
    # but the fields are in another order, which pydantic writes: not one shape.
    shapes = jsonfmt._Shapes()
    first = unreached("http://a.test/", [], "d")
    second = first.model_copy(update={"url": "http://b.test/", "redirects": []})
    assert shapes.item(first) is None and shapes.item(second) is not None  # kept
    twin = first.model_copy(update={"url": "http://c.test/", "redirects": []})
    keys = list(twin.__dict__)
    t, d = keys.index("title"), keys.index("description")
    keys[t], keys[d] = keys[d], keys[t]
    swapped = {key: twin.__dict__[key] for key in keys}
    assert list(swapped.values()) == list(twin.__dict__.values())  # side by side: alike
    object.__setattr__(twin, "__dict__", swapped)
    assert not same_shape(swapped, second.__dict__)
    assert result_shape(twin) != result_shape(second)
    assert shapes.item(twin) in (None, jsonfmt._as_items([twin.model_dump_json(indent=2)]))


def test_a_field_of_the_shape_holding_an_equal_copy_is_not_one_shape_for_certain() -> None:
    first = unreached("http://a.test/", [], "the detail")
    values = first.__dict__
    assert values["checked_at"] is not None
    copies = {
        "detail": "".join(list(values["detail"])),
        "checked_at": values["checked_at"].replace(),
        "url": "".join(list(values["url"])),  # the result's own: still one shape
        "occurrences": list(values["occurrences"]),
    }
    for name, copy in copies.items():
        twin = first.model_copy(update={"redirects": []})
        twin.__dict__[name] = copy
        assert copy == values[name] and copy is not values[name]
        assert same_shape(twin.__dict__, values) is (name in ("url", "occurrences"))
        assert result_shape(twin) == result_shape(first)


def test_equal_values_written_differently_are_not_one_shape() -> None:
    # One instant in two offsets, 0.0 and -0.0: equal, but pydantic writes each its own
    # way, so a result after one of its twin's shape is written as itself (review9 F2).
    from datetime import timedelta, timezone

    shapes = jsonfmt._Shapes()
    first = unreached("http://a.test/", [], "d")
    assert shapes.item(first) is None
    assert shapes.item(first.model_copy(update={"url": "http://b.test/"})) is not None
    at = first.checked_at
    assert at is not None
    shifted = at.astimezone(timezone(timedelta(hours=2)))
    for twin in (
        first.model_copy(update={"url": "http://c.test/", "checked_at": shifted}),
        first.model_copy(update={"url": "http://d.test/", "elapsed_ms": -0.0}),
    ):
        assert shapes.item(twin) in (None, jsonfmt._as_items([twin.model_dump_json(indent=2)]))


def report_of(results: list[CheckResult]) -> RunReport:
    return RunReport(
        schema_version=SCHEMA_VERSION,
        tool=ToolInfo(version="0"),
        started_at=datetime(2026, 12, 2, tzinfo=UTC),
        network="outage",
        summary=Summary(occurrences=0, urls=len(results), by_verdict={}, failing=0),
        results=results,
    )


@settings(max_examples=300, deadline=None)
@given(
    urls=st.lists(st.one_of(PLAIN, SOME_TEXT), min_size=1, max_size=6),
    occs=st.lists(OCCURRENCES, min_size=6, max_size=6),
    detail=SOME_TEXT,
    cut=st.integers(0, 6),
)
def test_a_batch_s_items_are_each_one_s_item(
    urls: list[str], occs: list[list[Occurrence]], detail: str, cut: int
) -> None:
    # Written at once (every string plain, nothing to quote) or one by one: the items
    # item() gives, a result after another; a shape changed half-way through too.
    results = [unreached(u, o, detail) for u, o in zip(urls, occs, strict=False)]
    first = results[0].__dict__
    for n, result in enumerate(results):  # the same objects, as an outage's results hold
        result.__dict__.update(
            {k: v for k, v in first.items() if k not in ("url", "occurrences", "redirects")}
        )
        if n >= cut:
            result.title = "another"
    one_by_one = jsonfmt._Shapes()
    assert jsonfmt._Shapes().items(results) == [one_by_one.item(r) for r in results]


def test_a_plain_batch_is_written_at_once_as_pydantic_writes_it() -> None:
    results = [
        unreached(
            f"http://h{n}.offline.test/p{n}#top",
            [occurrence(f"http://h{n}.offline.test/p{n}#top", f"Link {n}", None, n + 1)] * (n % 3),
            "not judged (network outage): cannot connect",
        )
        for n in range(12)
    ]
    first = results[0].__dict__
    for result in results[1:]:
        result.__dict__.update(
            {k: v for k, v in first.items() if k not in ("url", "occurrences", "redirects")}
        )
    middles = list(map(jsonfmt._Shapes().shapes.of, results))
    made = jsonfmt._plain_items(results, middles)
    assert made is not None and made[0] is None and None not in made[1:]
    assert made[1:] == [jsonfmt._as_items([r.model_dump_json(indent=2)]) for r in results[1:]]
    for odd in ('"', "\\", "##[", "@", "\t", "é"):
        results[5].occurrences = [occurrence("http://x.test/" + odd, None, None, 1)]
        assert jsonfmt._plain_items(results, middles) is None


def test_a_batch_with_a_value_not_of_its_declared_type_leaves_it_to_pydantic() -> None:
    # A value set after validation (a URL of a str subclass, an occurrence's line a bool):
    # the batch's one screen of the strings at once does not take it (item() leaves it to
    # pydantic), and the others of the batch are the items item() gives.
    class Text(str):
        pass

    def batch() -> list[CheckResult]:
        results = [
            unreached(f"http://h{n}.test/p", [occurrence(f"http://h{n}.test/p", "L", None, 2)], "d")
            for n in range(6)
        ]
        first = results[0].__dict__
        for result in results[1:]:
            result.__dict__.update(
                {k: v for k, v in first.items() if k not in ("url", "occurrences", "redirects")}
            )
        return results

    for odd in ("url", "line", "file"):
        results = batch()
        if odd == "url":
            results[3].url = Text(results[3].url)
        elif odd == "line":
            results[3].occurrences[0].line = True
        else:
            results[3].occurrences[0].file = Text("docs/list.md")
        one_by_one = jsonfmt._Shapes()
        items = jsonfmt._Shapes().items(results)
        assert items == [one_by_one.item(r) for r in results]
        assert items[3] is None and None not in items[1:3] + items[4:], odd


HOSTILE = 'line\nbreak ##[error] "quoted" \\ back \u202e\u200b \x85 \x7f \U0001f389'


@pytest.mark.parametrize(
    "url",
    [
        "http://h{n}.offline.test/page",
        "http://user:secret@h{n}.offline.test/page",  # credentials: redacted the slow way
        "http://h{n}.offline.test/?token=ghp_" + "a" * 36,
        "http://h{n}.offline.test/" + HOSTILE,
    ],
)
def test_the_report_is_the_same_text_as_each_result_encoded_alone(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = [
        unreached(
            url.format(n=n),
            [occurrence(url.format(n=n), f"Link ##[{n}]", "Section", n + 5)] * (n % 3),
            "not judged (network outage): cannot connect",
        )
        for n in range(40)
    ]
    results[7].redirects = [Redirect(url="http://x.test/", status=301)]
    results[9].title = HOSTILE
    results[20].occurrences[0:0] = [occurrence("http://u:p@x.test/", HOSTILE, None, 1)]
    fast = jsonfmt.render(report_of(results))
    monkeypatch.setattr(jsonfmt._Shapes, "items", lambda self, results: [None] * len(results))
    assert fast == jsonfmt.render(report_of(results))
    assert "secret" not in fast and "ghp_" not in fast


def test_an_outage_s_results_are_written_from_one_encoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    results = [
        unreached(
            f"http://h{n}.offline.test/p{n}",
            [occurrence(f"http://h{n}.offline.test/p{n}", f"Link {n}", "S", n + 1)],
            "not judged (network outage): cannot connect",
        )
        for n in range(1000)
    ]
    encodings = 0
    dump = CheckResult.model_dump_json

    def counted(self: CheckResult, **kwargs: object) -> str:
        nonlocal encodings
        encodings += 1
        return dump(self, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(CheckResult, "model_dump_json", counted)
    text = jsonfmt.render(report_of(results))
    assert text.count('"url": "http://h999.offline.test/p999"') == 2
    assert encodings <= 3  # the first result, its shape, the report: not one per result
