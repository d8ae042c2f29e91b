"""The project's shared data types.

A link exists twice: as written in a file (:class:`Occurrence`, with its exact
span) and as checked (:class:`CheckResult`, keyed by the normalised URL and
holding every occurrence). Verdicts are a closed enum with predicates; the
HTTP status and the error kind are separate fields.

These types are the JSON contract of ``extract --format json`` and
``check --format json`` (see DESIGN.md); change them only compatibly.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Container
from dataclasses import dataclass, fields
from datetime import datetime
from itertools import compress
from operator import is_not, itemgetter
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

# The per-link records are plain classes (no pydantic): re-exported here with the models.
from linkhealth.records import (
    UNSAFE_SCHEMES as UNSAFE_SCHEMES,
)
from linkhealth.records import (
    Finding as Finding,
)
from linkhealth.records import (
    LinkKind as LinkKind,
)
from linkhealth.records import (
    Occurrence as Occurrence,
)
from linkhealth.records import (
    Severity as Severity,
)
from linkhealth.records import (
    unsafe_scheme_message as unsafe_scheme_message,
)
from linkhealth.statuses import DEFAULT_ACCEPT
from linkhealth.verdicts import NETWORK_ERROR_KINDS as NETWORK_ERROR_KINDS
from linkhealth.verdicts import ErrorKind as ErrorKind
from linkhealth.verdicts import Verdict as Verdict

SCHEMA_VERSION = 1

#: Schemes checked over the network.
HTTP_SCHEMES = frozenset({"http", "https"})


class _Model(BaseModel):
    # Each model builds its validator and serializer on first use, not at import: `lint`
    # uses two of these classes, `--version` none (about 100 ms of schema building).
    model_config = ConfigDict(extra="forbid", frozen=False, defer_build=True)


class Redirect(_Model):
    url: str
    status: int


@dataclass(kw_only=True)
class PageMeta:
    """What a careful person would write about a page. Every value is sanitised text.

    A plain dataclass, not a model: the metadata extractor builds one a page from text it
    sanitised itself (``str`` or ``None`` by construction, checked by mypy), and nothing
    validates or serialises it but :meth:`CheckResult.apply_meta`, which copies its values
    into the result's fields of the same names. Validating it cost ~3 us a page and a
    schema build a run."""

    title: str | None = None
    description: str | None = None
    site_name: str | None = None
    canonical_url: str | None = None
    lang: str | None = None
    content_type: str | None = None
    published: str | None = None
    image: str | None = None


#: The fields in which results of one shape differ (:func:`result_shape`).
_OWN_FIELDS = ("url", "occurrences")


class CheckResult(_Model):
    """The verdict on one unique URL, with every place it occurs."""

    url: str
    verdict: Verdict
    http_status: int | None = None
    detail: str = ""
    error_kind: ErrorKind | None = None
    final_url: str | None = None
    redirects: list[Redirect] = Field(default_factory=list)
    permanent: bool = False
    attempts: int = 0
    elapsed_ms: float = 0.0
    checked_at: datetime | None = None
    from_cache: bool = False
    failing_runs: int = 0
    failing_since: datetime | None = None
    flaky: bool = False
    title: str | None = None
    description: str | None = None
    site_name: str | None = None
    canonical_url: str | None = None
    content_type: str | None = None
    lang: str | None = None
    published: str | None = None
    image: str | None = None
    suggestion: str | None = None
    suggestion_ok: bool | None = None
    # An archived copy of a failing link (``check --archive``): the snapshot's address
    # and when it was captured.
    archive_url: str | None = None
    archived_at: datetime | None = None
    etag: str | None = None
    last_modified: str | None = None
    occurrences: list[Occurrence] = Field(default_factory=list)

    def __setattr__(self, name: str, value: Any) -> None:
        # A run fills a result in stage by stage (fetch, metadata, history, suggestions):
        # its fields are assigned straight into __dict__, as pydantic does without
        # validate_assignment, but without also adding each name to pydantic's set of
        # explicitly set fields, which grew to a ~2 KB hash table per result (10 MB of a
        # 5,000-link run's peak) and which nothing reads (no exclude_unset anywhere).
        if name in _RESULT_FIELDS:
            self.__dict__[name] = value
        else:
            super().__setattr__(name, value)

    def is_network_level(self) -> bool:
        """Failed before any HTTP answer, for a reason the network may be to blame for."""
        return self.http_status is None and self.error_kind in NETWORK_ERROR_KINDS

    def apply_meta(self, meta: PageMeta) -> None:
        # Every field of PageMeta is a field of CheckResult (tests/test_models.py): one copy
        # of its values, as the field-by-field assignments made it.
        self.__dict__.update(meta.__dict__)

    def meta(self) -> PageMeta:
        return PageMeta(**{name: self.__dict__[name] for name in PAGE_META_FIELDS})


_RESULT_FIELDS = frozenset(CheckResult.model_fields)
#: A result's fields but its URL and occurrences: what :func:`result_shape` reads.
_SHAPE_FIELDS = tuple(name for name in CheckResult.model_fields if name not in _OWN_FIELDS)
_shape_values = itemgetter(*_SHAPE_FIELDS)
#: The shape's fields whose equal values may be written differently (see result_shape).
_SPELLED = itemgetter("elapsed_ms", "checked_at", "failing_since", "archived_at")


def result_shape(result: CheckResult) -> tuple[object, ...]:
    """Every field of ``result`` but its URL and occurrences, with their types (``1`` and
    ``1.0`` are equal, but not written alike) and what else makes equal values written
    differently (the offsets of its times, the sign of a zero elapsed time, the order of
    its fields, which pydantic writes as ``__dict__`` holds them): two results
    of equal shapes differ only in those two, as an outage's never-requested results do
    (one JSON encoding serves them all)."""
    fields = result.__dict__
    values = _shape_values(fields)
    elapsed, *times = _SPELLED(fields)
    sign = math.copysign(1.0, elapsed) if type(elapsed) is float else None
    offsets = tuple(None if t is None else t.utcoffset() for t in times)
    return values, tuple(map(type, values)), sign, offsets, tuple(fields)


_T = TypeVar("_T")
#: The fields in which two results of one shape may hold objects of their own.
_APART = frozenset({*_OWN_FIELDS, "redirects"})


def same_shape(fields: dict[str, Any], other: dict[str, Any]) -> bool:
    """Whether two results' fields (their ``__dict__``) have one :func:`result_shape`
    for certain, without making it: every field of the shape holds the very same object
    in both, but their redirects, which are empty lists in both. ``False`` says nothing
    (ask :func:`result_shape`). An outage's never-requested results share their values'
    objects (one verdict's detail and time), and making each one's shape took ~3 us.
    The rule is :meth:`ShapeModel.holds`'s."""
    return ShapeModel(other).holds(fields)


class ShapeModel:
    """A result's fields, kept to tell of others whether they have its shape for certain
    (:func:`same_shape`): in one C pass over their values side by side with its own, then
    their fields' names in order (two results of one shape hold their fields in one
    order: pydantic's). Asked of each of an outage's results, a look-up of each field by
    name in both took ~6 k instructions a result more (callgrind)."""

    __slots__ = ("apart", "keys", "redirects", "shared", "values")

    def __init__(self, fields: dict[str, Any]) -> None:
        self.keys = list(fields)
        self.values = list(fields.values())
        self.apart = [key in _APART for key in self.keys]  # where objects of their own are
        self.shared = [not apart for apart in self.apart]
        self.redirects = fields["redirects"]

    def holds(self, fields: dict[str, Any]) -> bool:
        """Whether ``fields`` have this shape for certain (``False`` says nothing)."""
        apart = list(map(is_not, fields.values(), self.values))
        if apart != self.apart and any(compress(apart, self.shared)):
            return False  # a field of the shape holds another object (or another field)
        if list(fields) != self.keys:
            return False
        redirects, theirs = fields["redirects"], self.redirects
        return redirects is theirs or (
            type(redirects) is type(theirs) is list and not redirects and not theirs
        )


class ShapeText(Generic[_T]):
    """What ``encode`` makes of a result's shape (:func:`result_shape`: every field but
    its URL and occurrences), made once for results of one shape: a writer then adds
    each one's URL and occurrences (an outage's never-requested results differ in
    nothing else). A shape is encoded when two results in a row have it, and kept until
    another one is (most results of a run that is no outage have a shape of their own).
    A result with redirects has none here. The results asked about are not changed
    while they are asked about (a writer's)."""

    def __init__(
        self, encode: Callable[[CheckResult], _T | None], alike: Container[int] = frozenset()
    ) -> None:
        self.encode = encode
        #: The results (their ids) the caller vouches have one shape: every field of
        #: :func:`result_shape`'s the very same object, in one order, their redirects
        #: empty lists (an outage's never-requested results as the run wrote them,
        #: :meth:`~linkhealth.pipeline.run._Run.alike`). One of them is told to have the
        #: kept shape, without :meth:`ShapeModel.holds`, when the kept shape's model is
        #: one of them too: what ``holds`` says of it (reading each result's 31 fields
        #: was ~1.5 us of memory traffic a result, twice in an outage of 200,000).
        self.alike = alike
        self.model_alike = False  # the model is the fields of a result of ``alike``
        self.last: tuple[object, ...] = ()  # the shape of the result before
        self.kept: tuple[object, ...] = ()  # the shape encoded
        self.model: ShapeModel | None = None  # the fields of a result of that shape
        self.text: _T | None = None  # what encode made of it
        # The result before, whose shape (``last``) is made only when one after it may
        # share it, and the times checked of it and of the kept shape: results of one
        # shape were checked at one time, and most results of a run that is no outage at
        # times of their own (making each one's shape took ~25 k instructions).
        self.before: CheckResult | None = None
        self.last_at: object = _NO_TIME
        self.kept_at: object = _NO_TIME

    def of(self, result: CheckResult) -> _T | None:
        """The kept shape's text if ``result`` has that shape, else ``None``."""
        fields = result.__dict__
        model = self.model
        if model is not None and (
            (self.model_alike and id(result) in self.alike) or model.holds(fields)
        ):  # its redirects are the model's: none
            return self.text
        if fields["redirects"]:
            return None
        at = fields["checked_at"]
        if not (_alike(at, self.kept_at) or _alike(at, self.last_at)):
            self.before, self.last_at = result, at  # neither shape: its own
            return None
        if self.before is not None:
            self.last, self.before = result_shape(self.before), None
        shape = result_shape(result)
        if shape != self.kept:
            if shape != self.last:
                self.last, self.last_at = shape, at
                return None
            self.kept, self.kept_at, self.text = shape, at, self.encode(result)
        self.model = ShapeModel(fields)
        self.model_alike = id(result) in self.alike
        return self.text


#: No time: alike to none (a time not yet seen).
_NO_TIME = object()


def _alike(value: object, other: object) -> bool:
    """Whether two values are equal as a tuple's comparison finds them (the same object,
    or ``==``)."""
    return value is other or bool(value == other)


#: PageMeta's fields, every one a field of CheckResult (tests/test_models.py).
PAGE_META_FIELDS = tuple(field.name for field in fields(PageMeta))


class Judging(_Model):
    """How a run was judged: what makes a result fail it. Recorded with the run, so that
    ``report`` re-renders exactly what ``check`` showed."""

    strict: bool = False  # ``blocked`` fails too
    fail_after: int = Field(default=1, ge=1)  # failing runs in a row before a link fails
    accept: str = DEFAULT_ACCEPT  # the accepted statuses, as configured
    host_accept: dict[str, str] = Field(default_factory=dict)  # per-host overrides

    def stricter(self, *, strict: bool | None, fail_after: int | None) -> Judging:
        """This judging made stricter by ``report``'s flags; a flag that would make it
        more lenient raises :class:`ValueError` naming what the run used."""
        if strict is False and self.strict:
            raise ValueError("the run was judged with --strict; report cannot drop it")
        if fail_after is not None and fail_after > self.fail_after:
            raise ValueError(
                f"the run was judged with --fail-after {self.fail_after};"
                f" report cannot raise it to {fail_after}"
            )
        return self.model_copy(
            update={
                "strict": self.strict or bool(strict),
                "fail_after": self.fail_after if fail_after is None else fail_after,
            }
        )

    def differences(self, other: Judging) -> list[str]:
        """The flags in which ``self`` differs from ``other``: ``--strict``, ``--fail-after 1``."""
        notes = []
        if self.strict != other.strict:
            notes.append("--strict" if self.strict else "--no-strict")
        if self.fail_after != other.fail_after:
            notes.append(f"--fail-after {self.fail_after}")
        return notes


def fails_run(result: CheckResult, judging: Judging, *, outage: bool = False) -> bool:
    """Whether ``result`` fails the run: the one place that decides it.

    A failing verdict (``blocked`` only with ``strict``) seen in ``fail_after`` runs
    in a row; a result without history counts its own run. ``invalid`` and
    ``unsafe`` never heal by waiting, so they fail at once. In an outage run,
    failures the network is to blame for fail nothing.
    """
    if not result.verdict.is_failing(strict=judging.strict):
        return False
    if outage and result.is_network_level():
        return False
    if result.verdict in (Verdict.INVALID, Verdict.UNSAFE):
        return True
    return max(result.failing_runs, 1) >= judging.fail_after


class ToolInfo(_Model):
    name: str = "linkhealth"
    version: str


class Summary(_Model):
    occurrences: int
    urls: int
    by_verdict: dict[str, int]
    failing: int


def summarise(results: list[CheckResult], judging: Judging, *, outage: bool = False) -> Summary:
    """The run's counts: the one summary builder (the pipeline, the store, ``report``)."""
    # Counted by the verdicts themselves, named once each (an enum's .value is a Python
    # property: an outage's 100,000 results read it 100,000 times); only a failing
    # verdict can fail the run (fails_run's first rule), so only those results ask it.
    counts = Counter(result.verdict for result in results)
    may_fail = {verdict for verdict in counts if verdict.is_failing(strict=judging.strict)}
    return Summary(
        occurrences=sum(len(result.occurrences) for result in results),
        urls=len(results),
        by_verdict={verdict.value: count for verdict, count in counts.items()},
        failing=sum(
            1
            for result in results
            if result.verdict in may_fail and fails_run(result, judging, outage=outage)
        ),
    )


class RunReport(_Model):
    """The aggregate every report format renders (``check --format json``)."""

    schema_version: int = SCHEMA_VERSION
    tool: ToolInfo
    run_id: int | None = None
    started_at: datetime
    finished_at: datetime | None = None
    partial: bool = False
    network: Literal["ok", "outage"] = "ok"
    summary: Summary
    results: list[CheckResult] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    # Failing count of past runs, oldest first, this run not included, for the HTML chart.
    history: list[int] = Field(default_factory=list)
    # How the run was judged. Kept in the store, not in the JSON contract.
    judged_with: Judging = Field(default_factory=Judging, exclude=True)

    def rejudged(self, judging: Judging) -> RunReport:
        """A copy judged with ``judging``: its summary counted again by :func:`summarise`."""
        summary = summarise(self.results, judging, outage=self.network == "outage")
        return self.model_copy(update={"judged_with": judging, "summary": summary})
