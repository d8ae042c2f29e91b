"""A batch of results of one shape with one occurrence each (an outage's) is written around
their shape's text in two short formattings: the very items the writer makes of each
result, which are pydantic's."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from linkhealth.models import CheckResult, ErrorKind, LinkKind, Occurrence, Verdict
from linkhealth.report import jsonfmt

#: Printable ASCII (``%`` and ``{`` among it), what the plain path leaves to the slow one.
PLAIN = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=12)
SOME = st.one_of(PLAIN, st.sampled_from(['a"b', "a\\b", "##[x", "u@h", "é", "\t"]))


def occurrence(url: str, n: int, text: str | None, section: str | None) -> Occurrence:
    return Occurrence(
        url=url,
        file=f"docs/{n % 3}%s.md",
        line=n * 10**6 + 1,
        column=n % 7,
        end_line=n * 10**6 + 2,
        end_column=12345678901234567890 + n,
        text=text,
        kind=list(LinkKind)[n % len(LinkKind)],
        section=section,
        in_comment=n % 2 == 1,
    )


def outage(urls: list[str], texts: list[str | None], detail: str) -> list[CheckResult]:
    """Results sharing every object but their URL and occurrence, as an outage's do."""
    made = [
        CheckResult(
            url=url,
            verdict=Verdict.SKIPPED,
            detail=detail,
            error_kind=ErrorKind.CONNECT,
            checked_at=datetime(2026, 12, 3, 5, 50, tzinfo=UTC),
            occurrences=[occurrence(url + "#x" * (n % 2), n, texts[n], texts[-1 - n])],
        )
        for n, url in enumerate(urls)
    ]
    first = made[0].__dict__
    shared = {k: v for k, v in first.items() if k not in ("url", "occurrences", "redirects")}
    for result in made[1:]:
        result.__dict__.update(shared)
    return made


@settings(max_examples=200, deadline=None)
@given(
    urls=st.lists(SOME, min_size=2, max_size=8),
    texts=st.lists(st.none() | SOME, min_size=8, max_size=8),
    detail=st.sampled_from(["cannot connect", "100% %s %d {} down", "é down"]),
    other=st.integers(0, 9),
)
def test_a_batch_of_one_occurrence_each_is_the_items_made_one_by_one(
    urls: list[str], texts: list[str | None], detail: str, other: int
) -> None:
    results = outage(urls, texts, detail)
    if other < len(results):  # a result of another shape among them (no item of a shape)
        results[other].title = "another"
    middles = list(map(jsonfmt._Shapes().shapes.of, results))
    one_by_one = jsonfmt._Shapes()
    expected = [one_by_one.item(result) for result in results]
    made = jsonfmt._plain_items(results, middles)
    if made is not None:
        assert made == expected
    assert jsonfmt._Shapes().items(results) == expected


def test_an_outage_s_batch_takes_the_single_path_and_is_pydantics_text() -> None:
    urls = [f"http://h{n}.offline.test/p%20{n}" for n in range(300)]
    texts: list[str | None] = [None if n % 5 == 0 else f"Link %s {n}" for n in range(300)]
    results = outage(urls, texts, "not judged (network outage): 100% down")
    taken: list[int] = []
    single = jsonfmt._single_items

    def counted(*args: object) -> list[str | None]:
        taken.append(1)
        return single(*args)  # type: ignore[arg-type]

    jsonfmt._single_items = counted  # type: ignore[assignment]
    try:
        text = "".join(jsonfmt.result_pieces(results))
    finally:
        jsonfmt._single_items = single
    assert taken  # the path under test was the one taken
    assert text == jsonfmt._ITEM_INDENT + jsonfmt._as_items(
        [result.model_dump_json(indent=2) for result in results]
    )
