"""An outage's record of results never requested: its payload, written and read back.

An outage's never-requested results (tens of thousands, all ``skipped``) share every
field but their URL and their occurrences. A record's payload holds those fields once a
shape (:class:`~linkhealth.models.ShapeText`: the JSON of the fields but the URL and the
occurrences, defaults left out, as a whole result's JSON holds them) and the occurrences
as columns, one a field, most of them as runs of equal values; the URLs are the record's
``urls``. A result of a shape of its own, whose URL is not a ``str`` or whose occurrences
hold a value not of its field's type is kept whole (its JSON, as pydantic writes it).
Each column is made in one pass of a C loop: a record took ~47 k instructions a result
(callgrind, 20,000 results) where their whole JSON (pydantic's encoder, then zlib, as
every version before this one wrote a record) took ~63 k, and a fifth of the bytes.

The payload starts with :data:`COLUMNS_MARK`, zlib-packed JSON after it. A payload
written before it is a zlib-packed JSON list of whole results: its first byte (a zlib
stream's: its low four bits are 8) tells them apart. Every string is written as ASCII
JSON, which reads back as it was (a lone surrogate too).
"""

from __future__ import annotations

import gc
import json
import zlib
from collections.abc import Container, Iterable, Iterator, Sequence
from dataclasses import fields as dataclass_fields
from functools import cache
from itertools import chain, compress, groupby, repeat
from operator import add, attrgetter, eq, is_, is_not, itemgetter, not_, sub
from typing import Any

from pydantic import TypeAdapter

from linkhealth.models import CheckResult, Occurrence, ShapeText, Verdict
from linkhealth.records import typed_as_declared

#: How a payload of columns starts; a zlib stream never does (``C`` is 0x43).
COLUMNS_MARK = b"C"
#: An occurrence's fields in their order.
_OCCURRENCE_FIELDS = tuple(field.name for field in dataclass_fields(Occurrence))
#: The occurrence fields kept as runs of equal values (``[value, count]`` each): those
#: that change seldom from one link to the next.
_IN_RUNS = ("file", "kind", "section", "in_comment")
#: Those kept as they are (one value an occurrence): those that change at every link.
_AS_THEY_ARE = ("line", "column", "end_column", "text")
#: In ``runs``: results kept whole.
_WHOLE = -1
#: Results of a payload of columns validated at once (see :func:`unpack_unreached`).
_BATCH = 1000

_DICT = attrgetter("__dict__")
_VERDICT, _URL, _OCCURRENCES = itemgetter("verdict"), itemgetter("url"), itemgetter("occurrences")
_OCCURRENCE_URL, _LINE, _END_LINE = attrgetter("url"), attrgetter("line"), attrgetter("end_line")


def pack_unreached(results: Sequence[CheckResult], alike: Container[int] = frozenset()) -> bytes:
    """The payload of an unreached record of ``results`` (each ``skipped``, else
    :class:`ValueError`), whose ``urls`` are theirs in this order. ``alike``: the results
    (ids) the caller vouches have one shape (:class:`~linkhealth.models.ShapeText`'s).

    Its JSON object holds ``shapes`` (the JSON text of each), ``runs`` (``[shape,
    count]`` for the results in a row of one shape, :data:`_WHOLE` for results kept
    whole), ``whole`` (those results' JSON), ``counts`` (in runs: the occurrences of each
    result of a shape), then the occurrences of those results one after another: ``same``
    (in runs: whether its URL is its result's), ``url`` (the URLs that are not),
    ``end_line`` (in runs, less ``line``), a column of each field in :data:`_IN_RUNS`
    and of each in :data:`_AS_THEY_ARE`."""
    dicts = list(map(_DICT, results))
    if not all(map(is_, map(_VERDICT, dicts), repeat(Verdict.SKIPPED))):
        raise ValueError("only skipped results are recorded as unreached")
    shapes = _shapes(results, dicts, alike)
    in_shape = list(map(is_not, shapes, repeat(None)))
    kept = list(compress(map(_OCCURRENCES, dicts), in_shape))
    counts = list(map(len, kept))
    occurrences = list(chain.from_iterable(kept))
    owners = chain.from_iterable(map(repeat, compress(map(_URL, dicts), in_shape), counts))
    urls = list(map(_OCCURRENCE_URL, occurrences))
    same = list(map(eq, urls, owners))
    lines = list(map(_LINE, occurrences))
    index: dict[str, int] = {}
    columns: dict[str, Any] = {
        "shapes": None,  # filled in below: in the order ``runs`` first names them
        "runs": [
            [_WHOLE if shape is None else index.setdefault(shape, len(index)), count]
            for shape, count in _runs(shapes)
        ],
        "whole": [_whole_json(result) for result in compress(results, map(not_, in_shape))],
        "counts": _runs(counts),
        "same": _runs(same),
        "url": list(compress(urls, map(not_, same))),
        "end_line": _runs(map(sub, map(_END_LINE, occurrences), lines)),
    }
    columns["shapes"] = list(index)
    for name in _IN_RUNS:
        columns[name] = _runs(map(attrgetter(name), occurrences))
    columns["line"] = lines
    for name in _AS_THEY_ARE[1:]:
        columns[name] = list(map(attrgetter(name), occurrences))
    return COLUMNS_MARK + _packed_json(columns)


def _shapes(
    results: Sequence[CheckResult], dicts: list[dict[str, Any]], alike: Container[int]
) -> list[str | None]:
    """Each result's shape (its JSON text, :func:`_shape_json`), ``None`` for a result kept
    whole: of a shape of its own, with a URL not a ``str``, occurrences not a list or an
    occurrence with a value not of its field's type (screened all at once, then one by one
    only when one is found)."""
    shapes = _shape_texts(results, alike)
    found = list(map(_OCCURRENCES, dicts))
    in_shape = list(map(is_not, shapes, repeat(None)))
    kept = list(compress(found, in_shape))
    if (
        all(map(is_, map(type, compress(map(_URL, dicts), in_shape)), repeat(str)))
        and all(map(is_, map(type, kept), repeat(list)))
        and all(map(typed_as_declared, chain.from_iterable(kept)))
    ):
        return shapes
    return [
        shape if shape is not None and _typed(fields["url"], occurrences) else None
        for shape, fields, occurrences in zip(shapes, dicts, found, strict=True)
    ]


def _shape_texts(
    results: Sequence[CheckResult], alike: Container[int] = frozenset()
) -> list[str | None]:
    """``ShapeText(_shape_json, alike).of`` of each result: a result of the shape of the
    one before is told by :func:`~linkhealth.models.same_shape`'s one pass (or vouched
    for in ``alike``)."""
    return list(map(ShapeText(_shape_json, alike).of, results))


def _typed(url: object, occurrences: object) -> bool:
    return (
        type(url) is str and type(occurrences) is list and all(map(typed_as_declared, occurrences))
    )


def _runs(values: Iterable[Any]) -> list[list[Any]]:
    """``values`` as ``[value, count]`` for each run of equal values in a row (values of
    one type: ``True`` and ``1`` never meet)."""
    return [[value, len(list(run))] for value, run in groupby(values)]


def _shape_json(result: CheckResult) -> str | None:
    """The JSON of ``result``'s fields but its URL and occurrences, as a whole result's
    JSON holds them (defaults left out), or ``None`` when pydantic cannot write them."""
    try:
        return result.model_dump_json(exclude=_OWN, exclude_defaults=True)
    except ValueError:  # a lone surrogate: not UTF-8
        return None


_OWN = {"url", "occurrences"}


def _whole_json(result: CheckResult) -> str:
    """The whole result's JSON, as a record's payload before :data:`COLUMNS_MARK` held it."""
    return result.model_dump_json(exclude_defaults=True)


def _packed_json(value: dict[str, Any]) -> bytes:
    """``json.dumps(value)`` zlib-packed, made a member at a time (ASCII: every string
    reads back as it was)."""
    packer = zlib.compressobj(1)
    parts = []
    for number, (key, member) in enumerate(value.items()):
        text = ("," if number else "{") + json.dumps(key) + ":" + json.dumps(member)
        parts.append(packer.compress(text.encode()))
    parts.append(packer.compress(b"}"))
    parts.append(packer.flush())
    return b"".join(parts)


def unpack_unreached(urls: bytes, stored: bytes) -> list[CheckResult]:
    """The results of an unreached record: its ``urls`` and its ``payload`` (of columns,
    or a zlib-packed JSON list of whole results, as records before it were written).

    A result of a shape is validated from its fields (its shape's JSON read, its URL and
    its occurrences), :data:`_BATCH` at a time. No cyclic collection runs meanwhile:
    every result made is kept (nothing cyclic is freed), and the collector's passes over
    them were half of the time (200,000 results: ~3.3 s, ~1.5 s without)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        if stored[:1] != COLUMNS_MARK:
            return _results_adapter().validate_json(zlib.decompress(stored))
        return _unpacked(json.loads(zlib.decompress(urls)), json.loads(zlib.decompress(stored[1:])))
    finally:
        if collecting:
            gc.enable()


def _unpacked(urls: list[str], columns: dict[str, Any]) -> list[CheckResult]:
    results: list[CheckResult] = []
    batch: list[dict[str, Any]] = []
    for item in _fields(urls, columns):
        if isinstance(item, str):  # a result kept whole
            results.extend(_results_adapter().validate_python(batch))
            batch = []
            results.append(CheckResult.model_validate_json(item))
            continue
        batch.append(item)
        if len(batch) == _BATCH:
            results.extend(_results_adapter().validate_python(batch))
            batch = []
    results.extend(_results_adapter().validate_python(batch))
    return results


def _fields(urls: list[str], columns: dict[str, Any]) -> Iterator[dict[str, Any] | str]:
    """Each result of a payload of columns: the fields of a result of a shape, or the JSON
    of a result kept whole."""
    shapes = [json.loads(shape) for shape in columns["shapes"]]
    occurrences = _occurrences(columns)
    counts, whole = _expanded(columns["counts"]), iter(columns["whole"])
    addresses = iter(urls)
    for shape, count in columns["runs"]:
        if shape == _WHOLE:
            for _ in range(count):
                next(addresses)
                yield next(whole)
            continue
        fields = shapes[shape]
        for _ in range(count):
            url = next(addresses)
            own = []
            for _ in range(next(counts)):
                same, occurrence = next(occurrences)
                if same:
                    occurrence["url"] = url
                own.append(occurrence)
            yield {**fields, "url": url, "occurrences": own}


def _occurrences(columns: dict[str, Any]) -> Iterator[tuple[bool, dict[str, Any]]]:
    """Each occurrence's fields (its URL set when it is not its result's) and whether its
    URL is its result's."""
    lines = columns["line"]
    values = {
        "line": lines,
        "end_line": map(add, lines, _expanded(columns["end_line"])),
        **{name: _expanded(columns[name]) for name in _IN_RUNS},
        **{name: columns[name] for name in _AS_THEY_ARE[1:]},
    }
    others = iter(columns["url"])
    names = tuple(name for name in _OCCURRENCE_FIELDS if name != "url")
    rows = zip(*(values[name] for name in names), strict=True)
    for same, row in zip(_expanded(columns["same"]), rows, strict=True):
        occurrence = dict(zip(names, row, strict=True))
        occurrence["url"] = None if same else next(others)
        yield same, occurrence


def _expanded(runs: list[list[Any]]) -> Iterator[Any]:
    """The values of :func:`_runs`' runs, one by one."""
    return chain.from_iterable(repeat(value, count) for value, count in runs)


@cache
def _results_adapter() -> TypeAdapter[list[CheckResult]]:
    return TypeAdapter(list[CheckResult])
