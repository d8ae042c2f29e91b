"""``--format json`` and ``results.json``: the model itself, as DESIGN.md describes it.

:func:`chunks` gives the text a piece at a time, one result after another, for writing
as it is made: a 5,000-link report held whole (its dump, the cleaned copy, the text and
its UTF-8) was the peak memory of a whole ``check`` run.
"""

from __future__ import annotations

from collections.abc import Iterator

from linkhealth import textsafe as escape
from linkhealth.models import CheckResult, RunReport

#: The top-level ``results`` key with an empty list, as the indented encoder writes it.
#: Only top-level keys start a line with two spaces (JSON strings hold no raw newline).
_NO_RESULTS = '\n  "results": []'
#: What a list item's lines are indented by at the depth of ``results``' items.
_ITEM_INDENT = "\n    "


def render(report: RunReport) -> str:
    return "".join(chunks(report))


def chunks(report: RunReport) -> Iterator[str]:
    """:func:`render`'s text a piece at a time, holding one result's dump at once.

    The report without its results is dumped and encoded as before; the results are
    spliced in where its empty list stands, each encoded alone and indented as the
    encoder indents a list's items, so the bytes are the same.
    """
    rest = escape.json_text(report.model_copy(update={"results": []}).model_dump(mode="json"))
    before, after = rest.split(_NO_RESULTS)
    if not report.results:
        yield before + _NO_RESULTS + after + "\n"
        return
    yield before + _NO_RESULTS[:-1]
    for index, result in enumerate(report.results):
        yield ("," + _ITEM_INDENT if index else _ITEM_INDENT) + _result_text(result)
    yield "\n  ]" + after + "\n"


def _result_text(result: CheckResult) -> str:
    """One result's text, indented as an item of the report's ``results``.

    pydantic's JSON encoder (Rust, indented as :mod:`json` indents) writes the same text
    as :func:`escape.json_text` of the result's dump: the same keys and separators, C0
    controls escaped alike, non-ASCII as is. It writes differently only what it cannot
    or will not write the same: a string with a surrogate (it refuses: ``clean`` makes
    those valid first) and a float Python writes with an exponent or not finite; such a
    result takes the dump-and-encode path.
    """
    if _plain_float(result.elapsed_ms):  # the one float field (tests/report pin that)
        try:
            text = result.model_dump_json(indent=2)
        except ValueError:  # a surrogate: not UTF-8
            pass
        else:
            return escape.json_escaped(text).replace("\n", _ITEM_INDENT)
    pieces = escape.json_chunks(result.model_dump(mode="json"))
    return "".join(pieces).replace("\n", _ITEM_INDENT)


def _plain_float(value: object) -> bool:
    """Whether ``value`` is written as a float in decimal notation by both encoders."""
    if not isinstance(value, int | float):
        return False
    text = repr(float(value))
    return "e" not in text and "n" not in text  # 1e-05, 1e+16, inf, nan
