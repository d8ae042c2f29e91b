"""``--format json`` and ``results.json``: the model itself, as DESIGN.md describes it.

One encoder writes it: pydantic's (indented by 2 as :mod:`json` indents), part by part —
the report without its results, then each result — with
:func:`~linkhealth.report.redact.redacted_json`, which redacts a part's strings (and
makes them valid Unicode) first when its text says it may need it, then
:func:`~linkhealth.textsafe.json_escaped`'s escapes (bidi/invisible characters, ``##[``).

:func:`chunks` gives the text a piece at a time, a batch of results after another, for
writing as it is made: a 5,000-link report held whole (its dump, the cleaned copy, the text and
its UTF-8) was the peak memory of a whole ``check`` run.
"""

from __future__ import annotations

from collections.abc import Iterator

from linkhealth import textsafe as escape
from linkhealth.models import CheckResult, LinkKind, Occurrence, RunReport, result_shape
from linkhealth.report.redact import may_need_redacting, redacted_json

#: The top-level ``results`` key with an empty list, as the indented encoder writes it.
#: Only top-level keys start a line with two spaces (JSON strings hold no raw newline).
_NO_RESULTS = '\n  "results": []'
#: What a list item's lines are indented by at the depth of ``results``' items.
_ITEM_INDENT = "\n    "
#: Results written in one piece (a few hundred KB of text).
_BATCH = 256


def render(report: RunReport) -> str:
    return "".join(chunks(report))


def chunks(report: RunReport) -> Iterator[str]:
    """:func:`render`'s text a piece at a time, holding up to :data:`_BATCH` results' text
    at once.

    The report without its results is written first; the results are spliced in where
    its empty list stands, each encoded alone and indented as the encoder indents a
    list's items, so the text is the one the encoder writes for the whole report. A batch
    of results is escaped and indented as one text (neither reaches across a result's
    end: ``}`` then ``,``): a call each took ~5 us of a result's ~15.
    """
    rest = escape.json_escaped(redacted_json(report.model_copy(update={"results": []})))
    before, after = rest.split(_NO_RESULTS)
    if not report.results:
        yield before + _NO_RESULTS + after + "\n"
        return
    yield before + _NO_RESULTS[:-1]
    shapes = _Shapes()
    results = report.results
    for start in range(0, len(results), _BATCH):
        batch = [
            shapes.encoded(result) or redacted_json(result)
            for result in results[start : start + _BATCH]
        ]
        text = escape.json_escaped(",\n".join(batch)).replace("\n", _ITEM_INDENT)
        yield ("," + _ITEM_INDENT if start else _ITEM_INDENT) + text
    yield "\n  ]" + after + "\n"


_URL_LEAD = '{\n  "url": '
_OCCURRENCES_EMPTY = '"occurrences": []\n}'


class _Shapes:
    """pydantic's text of results (indented by 2) that share every field but their URL and
    occurrences, made from one encoding of that shape: an outage's 100,000 never-requested
    results differ in nothing else, and pydantic's encoder with the redaction screen took
    ~18 us each.

    :meth:`encoded` gives exactly ``result.model_dump_json(indent=2)`` (tests compare them)
    when nothing in it is to be redacted (:func:`~linkhealth.report.redact.may_need_redacting`
    says so of each string), or ``None`` (then the caller encodes and screens). A shape is
    encoded when two results in a row have it, and kept until another one is (most
    results of a run that is no outage have a shape of their own). The URL and
    occurrences are written here only when every string among them is printable ASCII,
    which :func:`~linkhealth.textsafe.json_string` spells as pydantic does."""

    def __init__(self) -> None:
        self.last: tuple[object, ...] = ()  # the shape of the result before
        self.kept: tuple[object, ...] = ()  # the shape encoded
        self.middle: str | None = None  # its text between the URL and the occurrences

    def encoded(self, result: CheckResult) -> str | None:
        if result.redirects:
            return None
        values = result.__dict__
        shape = result_shape(result)
        if shape != self.kept:
            if shape != self.last:
                self.last = shape
                return None
            self.kept, self.middle = shape, _middle(result)
        middle = self.middle
        url = values["url"]
        occurrences = [_occurrence_json(occ) for occ in values["occurrences"]]
        if middle is None or not _plain(url) or None in occurrences:
            return None
        if not occurrences:
            return _URL_LEAD + escape.json_string(url) + middle + _OCCURRENCES_EMPTY
        inner = ",\n    ".join(occurrences)  # type: ignore[arg-type]
        url = escape.json_string(url)
        return f'{_URL_LEAD}{url}{middle}"occurrences": [\n    {inner}\n  ]\n}}'


def _middle(result: CheckResult) -> str | None:
    """The text between a result's URL and its occurrences, as pydantic writes it."""
    try:
        text = result.model_copy(update={"url": "", "occurrences": []}).model_dump_json(indent=2)
    except ValueError:  # a lone surrogate cannot be UTF-8: the caller's path cleans it
        return None
    head = _URL_LEAD + '""'
    if not text.startswith(head) or not text.endswith(_OCCURRENCES_EMPTY):
        return None
    if may_need_redacting(text):
        return None
    return text[len(head) : -len(_OCCURRENCES_EMPTY)]


def _plain(text: object) -> bool:
    """Whether ``text`` is a string pydantic and :func:`~linkhealth.textsafe.json_string`
    spell alike (printable ASCII) with nothing to redact in it."""
    return (
        type(text) is str and text.isascii() and text.isprintable() and not may_need_redacting(text)
    )


def _occurrence_json(occ: Occurrence) -> str | None:
    """An occurrence inside a result's list, as pydantic writes it there (or ``None``)."""
    if type(occ) is not Occurrence:
        return None
    text, section = occ.text, occ.section
    try:  # one screen of them all: one joined can only be screened out more often
        plain = _plain(occ.url + occ.file + (text or "") + (section or ""))
    except TypeError:  # not strings: pydantic's encoder says what they are
        return None
    if not plain:
        return None
    line, column, end_line, end_column = occ.line, occ.column, occ.end_line, occ.end_column
    if not type(line) is type(column) is type(end_line) is type(end_column) is int:
        return None
    kind = _KINDS.get(occ.kind)
    if kind is None or type(occ.in_comment) is not bool:
        return None
    string = escape.json_string
    return (
        f'{{\n      "url": {string(occ.url)},\n      "file": {string(occ.file)},'
        f'\n      "line": {line},\n      "column": {column},\n      "end_line": {end_line},'
        f'\n      "end_column": {end_column},'
        f'\n      "text": {"null" if text is None else string(text)},\n      "kind": {kind},'
        f'\n      "section": {"null" if section is None else string(section)},'
        f'\n      "in_comment": {"true" if occ.in_comment else "false"}\n    }}'
    )


_KINDS = {kind: f'"{kind.value}"' for kind in LinkKind}  # each printable ASCII
