"""``--format json`` and ``results.json``: the model itself, as DESIGN.md describes it.

One encoder writes it: pydantic's (indented by 2 as :mod:`json` indents), part by part —
the report without its results, then each result — with
:func:`~linkhealth.report.redact.redacted_json`, which redacts a part's strings (and
makes them valid Unicode) first when its text says it may need it, then
:func:`~linkhealth.textsafe.json_escaped`'s escapes (bidi/invisible characters, ``##[``).

:func:`chunks` gives the text a piece at a time, one result after another, for writing
as it is made: a 5,000-link report held whole (its dump, the cleaned copy, the text and
its UTF-8) was the peak memory of a whole ``check`` run.
"""

from __future__ import annotations

from collections.abc import Iterator

from linkhealth import textsafe as escape
from linkhealth.models import RunReport
from linkhealth.report.redact import redacted_json

#: The top-level ``results`` key with an empty list, as the indented encoder writes it.
#: Only top-level keys start a line with two spaces (JSON strings hold no raw newline).
_NO_RESULTS = '\n  "results": []'
#: What a list item's lines are indented by at the depth of ``results``' items.
_ITEM_INDENT = "\n    "


def render(report: RunReport) -> str:
    return "".join(chunks(report))


def chunks(report: RunReport) -> Iterator[str]:
    """:func:`render`'s text a piece at a time, holding one result's text at once.

    The report without its results is written first; the results are spliced in where
    its empty list stands, each written alone and indented as the encoder indents a
    list's items, so the text is the one the encoder writes for the whole report.
    """
    rest = escape.json_escaped(redacted_json(report.model_copy(update={"results": []})))
    before, after = rest.split(_NO_RESULTS)
    if not report.results:
        yield before + _NO_RESULTS + after + "\n"
        return
    yield before + _NO_RESULTS[:-1]
    for index, result in enumerate(report.results):
        text = escape.json_escaped(redacted_json(result)).replace("\n", _ITEM_INDENT)
        yield ("," + _ITEM_INDENT if index else _ITEM_INDENT) + text
    yield "\n  ]" + after + "\n"
