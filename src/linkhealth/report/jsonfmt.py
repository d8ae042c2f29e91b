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

from collections.abc import Callable, Container, Iterator, Sequence
from itertools import chain, repeat
from operator import attrgetter, eq, is_, itemgetter
from typing import IO, TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from linkhealth import textsafe as escape
from linkhealth.models import (
    CheckResult,
    Occurrence,
    RunReport,
    ShapeText,
)
from linkhealth.records import LINK_KIND_JSON, typed_as_declared
from linkhealth.report.redact import may_need_redacting, redacted_json

if TYPE_CHECKING:
    from linkhealth.report.ahead import ResultsText

#: The top-level ``results`` key with an empty list, as the indented encoder writes it.
#: Only top-level keys start a line with two spaces (JSON strings hold no raw newline).
_NO_RESULTS = '\n  "results": []'
#: What a list item's lines are indented by at the depth of ``results``' items.
_ITEM_INDENT = "\n    "
#: Results written in one piece (a few hundred KB of text).
_BATCH = 256


def render(report: RunReport) -> str:
    return "".join(chunks(report))


def chunks(report: RunReport, ahead: ResultsText | None = None) -> Iterator[str]:
    """:func:`render`'s text a piece at a time, holding up to :data:`_BATCH` results' text
    at once.

    The report without its results is written first; the results are spliced in where
    its empty list stands (:func:`result_pieces`; or, given ``ahead``, the text a second
    process wrote of them, when it wrote that of these very results), so the text is the
    one the encoder writes for the whole report.
    """
    before, after = _around_results(report)
    if not report.results:
        if ahead is not None:
            ahead.close()
        yield before + _NO_RESULTS + after + "\n"
        return
    yield before + _NO_RESULTS[:-1]
    written = ahead.pieces(report.results) if ahead is not None else None
    yield from written if written is not None else result_pieces(report.results)
    yield "\n  ]" + after + "\n"


def _around_results(report: RunReport) -> tuple[str, str]:
    """The report's text before its (empty) results list and after it."""
    rest = escape.json_escaped(redacted_json(report.model_copy(update={"results": []})))
    before, after = rest.split(_NO_RESULTS)
    return before, after


def spliced(report: RunReport, ahead: ResultsText) -> list[str | IO[bytes]] | None:
    """:func:`chunks`' text with the results' text as the files the second processes
    wrote it into (UTF-8: a writer copies them as they are, no decoding and encoding of
    what may be hundreds of MB), or ``None`` when their text is not there (then
    :func:`chunks` of the same ``ahead`` writes the results)."""
    if not report.results:
        return None
    before, after = _around_results(report)
    files = ahead.files(report.results)
    if files is None:
        return None
    pieces: list[str | IO[bytes]] = [before + _NO_RESULTS[:-1]]
    for number, file in enumerate(files):
        if number and ahead.between:
            pieces.append(ahead.between)
        pieces.append(file)
    pieces.append("\n  ]" + after + "\n")
    return pieces


def result_pieces(
    results: Sequence[CheckResult], alike: Container[int] = frozenset()
) -> Iterator[str]:
    """The results as the report's ``results`` list holds them (from the first item's
    line break to the last item's end), :data:`_BATCH` results at a time. The results
    written from a shape (:class:`_Shapes`) are made as items, their shape's text
    indented once; the others of a batch are escaped and indented together
    (:func:`_as_items`). ``alike``: the results (ids) the caller vouches have one shape
    (:class:`~linkhealth.models.ShapeText`'s)."""
    shapes = _Shapes(alike)
    for start in range(0, len(results), _BATCH):
        items: list[str] = []
        others: list[CheckResult] = []  # results pydantic encodes together
        batch = results[start : start + _BATCH]
        for result, item in zip(batch, shapes.items(batch), strict=True):
            if item is None:
                others.append(result)
                continue
            if others:
                items.append(_items_of(others))
                others = []
            items.append(item)
        if others:
            items.append(_items_of(others))
        yield ("," + _ITEM_INDENT if start else _ITEM_INDENT) + _ITEM_SEPARATOR.join(items)


#: Between two items of the results list.
_ITEM_SEPARATOR = "," + _ITEM_INDENT
#: Between :func:`result_pieces`' texts of two parts of a list (each begins with its first
#: item's line break): the text of the whole list.
BETWEEN_PARTS = ","
_URL_LEAD = '{\n  "url": '
_OCCURRENCES_EMPTY = '"occurrences": []\n}'


class _Items(BaseModel):
    """A list of results, which pydantic's encoder (indented by 2) writes as the report's
    ``results`` list: ``{"results": [`` then the items as the report holds them."""

    model_config = ConfigDict(defer_build=True)  # built when a report is first written

    results: list[CheckResult]


#: What the text of :class:`_Items` holds before and after the items of the list.
_ITEMS_HEAD = '{\n  "results": [' + _ITEM_INDENT
_ITEMS_TAIL = "\n  ]\n}"


def _items_of(results: list[CheckResult]) -> str:
    """The results as items of the results list, escaped and indented: pydantic's text of
    them all in one encoding when nothing in it is to be redacted (a screen of the whole
    finds whatever a screen of each one finds: neither a token nor an ``@`` reaches across
    a result's end), else each one's :func:`redacted_json` made items by :func:`_as_items`.
    One encoding of 256 results instead of 256 and an indenting pass took ~21 k
    instructions a result fewer (~94 k)."""
    try:
        text = _Items.model_construct(results=results).model_dump_json(indent=2)
    except ValueError:  # a lone surrogate cannot be UTF-8: each one's path cleans it
        pass
    else:
        if not may_need_redacting(text):
            return escape.json_escaped(text[len(_ITEMS_HEAD) : -len(_ITEMS_TAIL)])
    return _as_items([redacted_json(result) for result in results])


def _as_items(encoded: list[str]) -> str:
    """Results' texts as items of the results list, escaped and indented as one text (a
    call each took ~5 us of a result's ~15; neither reaches across a result's end: ``}``
    then ``,``)."""
    return escape.json_escaped(",\n".join(encoded)).replace("\n", _ITEM_INDENT)


class _Shapes:
    """Items of the results list (pydantic's text of a result indented by 2, as
    :func:`_as_items` makes it an item) for results that share every field but their URL
    and occurrences, made from one encoding of that shape: an outage's 100,000
    never-requested results differ in nothing else, and pydantic's encoder with the
    redaction screen took ~18 us each.

    :meth:`item` gives exactly ``_as_items([result.model_dump_json(indent=2)])`` (tests
    compare them) when nothing in it is to be redacted
    (:func:`~linkhealth.report.redact.may_need_redacting` says so of each string), or
    ``None`` (then the caller encodes and screens). Which results share a shape:
    :class:`~linkhealth.models.ShapeText`. The URL and occurrences are written here only
    when every string among them is printable ASCII, which
    :func:`~linkhealth.textsafe.json_string` spells as pydantic does."""

    def __init__(self, alike: Container[int] = frozenset()) -> None:
        # pydantic's text between a shape's URL and occurrences, indented as in an item of
        # the results list and escaped
        self.shapes: ShapeText[str] = ShapeText(_item_middle, alike)

    def item(self, result: CheckResult) -> str | None:
        """The result's item (its shape's text, escaped once, is kept so; its URL and
        occurrences escaped here)."""
        middle = self.shapes.of(result)
        return None if middle is None else _item(result, middle)

    def items(self, results: Sequence[CheckResult]) -> list[str | None]:
        """:meth:`item` of each result (asked in their order): the items of a shape made
        at once when every string of their URLs and occurrences is plain with nothing to
        quote (:func:`_plain_items`), else one by one."""
        middles = list(map(self.shapes.of, results))
        made = _plain_items(results, middles)
        if made is not None:
            return made
        return [
            None if middle is None else _item(result, middle)
            for result, middle in zip(results, middles, strict=True)
        ]


def _item(result: CheckResult, middle: str) -> str | None:
    """The item of a result of a shape whose text is ``middle``, or ``None`` (a string
    of its URL or occurrences that the caller's encoding is to spell)."""
    values = result.__dict__
    url = values["url"]
    occurrences = [_occurrence_json(occ, _FIELDS_PAD) for occ in values["occurrences"]]
    if not _plain(url) or None in occurrences:
        return None
    url = escape.json_escaped(escape.json_string(url))
    inner = escape.json_escaped(_OCCURRENCE_SEPARATOR.join(occurrences))  # type: ignore[arg-type]
    return _item_text(url, middle, inner if occurrences else None)


def _item_text(url: str, middle: str, inner: str | None) -> str:
    """An item from its URL's JSON, its shape's text and its occurrences' items joined
    (``None``: none), as pydantic writes it in the results list."""
    pad = _ITEM_INDENT
    if inner is None:
        return f'{{{pad}  "url": {url}{middle}"occurrences": []{pad}}}'
    return f'{{{pad}  "url": {url}{middle}"occurrences": [{pad}    {inner}{pad}  ]{pad}}}'


#: Where an occurrence's fields are in an item, and what joins two occurrences' texts.
_FIELDS_PAD = _ITEM_INDENT + "      "
_OCCURRENCE_SEPARATOR = f",{_ITEM_INDENT}    "
#: A string with nothing to quote in JSON, quoted (``'"{}"'.format``).
_quoted = '"{}"'.format
_URL_OF, _OCCURRENCES_OF = itemgetter("url"), itemgetter("occurrences")
_OCC_URL, _OCC_FILE = attrgetter("url"), attrgetter("file")
_OCC_TEXT, _OCC_SECTION = attrgetter("text"), attrgetter("section")


def _plain_items(
    results: Sequence[CheckResult], middles: list[str | None]
) -> list[str | None] | None:
    """The items of the results of a shape (those with a ``middle``; ``None`` for the
    others), or ``None`` unless every one of their URLs and occurrences' strings is
    plain (:func:`_plain`) with no ``"``, ``\\`` or ``##[`` in it: then each is written
    as it is, quoted, which is what :func:`_item` writes of it, without its screen and
    escapes a string. One screen of all their strings joined screens out whatever one of
    each does (an ``@`` or a token lies within a string). ~2 us a result instead of ~6."""
    shaped = [
        result.__dict__
        for result, middle in zip(results, middles, strict=True)
        if middle is not None
    ]
    if not shaped:
        return [None] * len(results)
    urls = list(map(_URL_OF, shaped))
    found = list(map(_OCCURRENCES_OF, shaped))
    if not (
        all(map(is_, map(type, urls), repeat(str)))
        and all(map(is_, map(type, found), repeat(list)))
    ):
        return None
    occurrences = list(chain.from_iterable(found))
    if not all(map(typed_as_declared, occurrences)):
        return None
    texts = list(map(_OCC_TEXT, occurrences))
    sections = list(map(_OCC_SECTION, occurrences))
    joined = "".join(
        chain(
            urls,
            map(_OCC_URL, occurrences),
            map(_OCC_FILE, occurrences),
            filter(None, texts),
            filter(None, sections),
        )
    )
    if not _plain(joined) or '"' in joined or "\\" in joined or "##[" in joined:
        return None
    kept = [middle for middle in middles if middle is not None]
    if all(map(is_, kept, repeat(kept[0]))) and all(map(eq, map(len, found), repeat(1))):
        return _single_items(urls, occurrences, texts, sections, kept[0], middles)
    made: list[str | None] = []
    for result, middle in zip(results, middles, strict=True):
        if middle is None:
            made.append(None)
            continue
        values = result.__dict__
        mine = values["occurrences"]
        inner = (
            _OCCURRENCE_SEPARATOR.join(
                [_occurrence_text(occ, _FIELDS_PAD, _quoted) for occ in mine]
            )
            if mine
            else None
        )
        made.append(_item_text(_quoted(values["url"]), middle, inner))
    return made


def _single_items(
    urls: list[str],
    occurrences: list[Occurrence],
    texts: list[str | None],
    sections: list[str | None],
    middle: str,
    middles: list[str | None],
) -> list[str | None]:
    """:func:`_plain_items`' items when the results of a shape (those with a ``middle``)
    are of one shape and have one occurrence each, with their URLs and their occurrences
    (in order; plain strings, values of their declared types): each made of two short
    formattings around their shape's text (an outage's results), the very text
    :func:`_item_text` makes of :func:`_occurrence_text`'s, without a call for each
    (~5 us a result, most of an outage's JSON text, took ~2)."""
    rows = zip(
        map(_OCC_URL, occurrences),
        map(_OCC_FILE, occurrences),
        map(_OCC_LINE, occurrences),
        map(_OCC_COLUMN, occurrences),
        map(_OCC_END_LINE, occurrences),
        map(_OCC_END_COLUMN, occurrences),
        ["null" if text is None else _quoted(text) for text in texts],
        map(LINK_KIND_JSON.__getitem__, map(_OCC_KIND, occurrences)),
        ["null" if section is None else _quoted(section) for section in sections],
        map(_JSON_BOOL.__getitem__, map(_OCC_IN_COMMENT, occurrences)),
        strict=True,
    )
    # (the shape's text joined as it is: a ``%`` formatting reads its format a character
    # at a time, ~1 KB an item)
    items: list[str | None] = list(
        map(
            "".join,
            zip(
                map(_SINGLE_HEAD.__mod__, urls),
                repeat(middle),
                map(_SINGLE_TAIL.__mod__, rows),
                strict=False,  # (repeat)
            ),
        )
    )
    if len(items) == len(middles):
        return items
    made = iter(items)
    return [None if kept is None else next(made) for kept in middles]


#: :func:`_item_text`'s text of an item of a result of one occurrence before its shape's
#: text (its URL to ``%`` format), and after it (its occurrence's values to format: the
#: strings quoted or ``null`` where they may be, :func:`_occurrence_text`'s text).
_SINGLE_HEAD, _SINGLE_TAIL = _item_text(
    '"%s"',
    "\0",
    (
        f'{{{_FIELDS_PAD}"url": "%s",{_FIELDS_PAD}"file": "%s",{_FIELDS_PAD}"line": %d,'
        f'{_FIELDS_PAD}"column": %d,{_FIELDS_PAD}"end_line": %d,{_FIELDS_PAD}"end_column": %d,'
        f'{_FIELDS_PAD}"text": %s,{_FIELDS_PAD}"kind": %s,{_FIELDS_PAD}"section": %s,'
        f'{_FIELDS_PAD}"in_comment": %s{_FIELDS_PAD[:-2]}}}'
    ),
).split("\0")
_OCC_LINE, _OCC_COLUMN = attrgetter("line"), attrgetter("column")
_OCC_END_LINE, _OCC_END_COLUMN = attrgetter("end_line"), attrgetter("end_column")
_OCC_KIND, _OCC_IN_COMMENT = attrgetter("kind"), attrgetter("in_comment")
_JSON_BOOL = {True: "true", False: "false"}


def _item_middle(result: CheckResult) -> str | None:
    """The text between a result's URL and its occurrences as in an item of the results
    list (indented, escaped)."""
    middle = _middle(result)
    if middle is None:
        return None
    return escape.json_escaped(middle.replace("\n", _ITEM_INDENT))


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


def _occurrence_json(occ: Occurrence, pad: str) -> str | None:
    """An occurrence inside a result's list, as pydantic writes it there (or ``None``);
    ``pad``: a line break and the indentation of its fields."""
    if not typed_as_declared(occ):
        return None
    text, section = occ.text, occ.section
    # one screen of them all: one joined can only be screened out more often
    if not _plain(occ.url + occ.file + (text or "") + (section or "")):
        return None
    return _occurrence_text(occ, pad, escape.json_string)


def _occurrence_text(occ: Occurrence, pad: str, string: Callable[[str], str]) -> str:
    """The text of an occurrence whose values are of their declared types
    (:func:`~linkhealth.records.typed_as_declared`), its strings spelled by ``string``."""
    text, section = occ.text, occ.section
    kind = LINK_KIND_JSON[occ.kind]
    return (
        f'{{{pad}"url": {string(occ.url)},{pad}"file": {string(occ.file)},'
        f'{pad}"line": {occ.line},{pad}"column": {occ.column},{pad}"end_line": {occ.end_line},'
        f'{pad}"end_column": {occ.end_column},'
        f'{pad}"text": {"null" if text is None else string(text)},{pad}"kind": {kind},'
        f'{pad}"section": {"null" if section is None else string(section)},'
        f'{pad}"in_comment": {"true" if occ.in_comment else "false"}{pad[:-2]}}}'
    )
