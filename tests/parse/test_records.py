"""Occurrence and Finding are plain slotted classes: the same JSON as the models were."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from pydantic import TypeAdapter, ValidationError

from linkhealth.models import CheckResult, Verdict
from linkhealth.records import (
    LINK_KIND_JSON,
    Finding,
    LinkKind,
    Occurrence,
    Severity,
    typed_as_declared,
)

FULL = Occurrence(
    url="https://x.org/a",
    file="a.md",
    line=3,
    column=4,
    end_line=3,
    end_column=19,
    text="x",
    kind=LinkKind.IMAGE,
    section="S",
    in_comment=True,
)
BARE = Occurrence(
    url="u", file="a.md", line=1, column=1, end_line=1, end_column=2, kind=LinkKind.BARE
)
FINDING = Finding(
    file="a.md",
    line=2,
    column=5,
    rule="scheme-typo",
    message="m",
    suggestion="https://x",
    severity=Severity.WARNING,
    raw="htps://x",
    end_line=2,
    end_column=13,
    section="S",
)


@pytest.mark.parametrize(
    "record", [FULL, BARE, FINDING, Finding(file="f", line=1, column=1, rule="r", message="m")]
)
def test_as_json_is_what_pydantic_writes(record: Occurrence | Finding) -> None:
    expected = TypeAdapter(type(record)).dump_python(record, mode="json")
    assert record.as_json() == expected
    assert list(record.as_json()) == list(expected)  # the same key order: the same JSON text


def test_as_json_keys_in_declaration_order() -> None:
    assert list(FULL.as_json()) == [
        "url", "file", "line", "column", "end_line", "end_column", "text", "kind", "section",
        "in_comment",
    ]  # fmt: skip
    assert FULL.as_json()["kind"] == "image" and type(FULL.as_json()["kind"]) is str


def test_a_result_keeps_its_occurrences_through_its_json() -> None:
    result = CheckResult(url="https://x.org/a", verdict=Verdict.OK, occurrences=[FULL, BARE])
    back = CheckResult.model_validate_json(result.model_dump_json(exclude_defaults=True))
    assert back.occurrences == [FULL, BARE]
    assert back.occurrences[1].kind is LinkKind.BARE


def test_stored_records_are_still_validated() -> None:
    data = {**BARE.as_json(), "unknown": 1}
    with pytest.raises(ValidationError):
        CheckResult.model_validate({"url": "u", "verdict": "ok", "occurrences": [data]})
    with pytest.raises(ValidationError):
        TypeAdapter(list[Finding]).validate_python([{**FINDING.as_json(), "line": "two"}])


def test_records_import_no_pydantic() -> None:
    code = "import sys, linkhealth.records; print('pydantic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_collector_is_left_as_it_was_found() -> None:
    import gc

    from linkhealth.parse import extract_text

    assert gc.isenabled()
    assert extract_text("[a](https://x.org)", "f.md").occurrences
    assert gc.isenabled()
    gc.disable()
    try:
        extract_text("[a](https://x.org)", "f.md")
        assert not gc.isenabled()
    finally:
        gc.enable()


class _Text(str):
    pass


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("url", _Text("https://a.example/")),
        ("file", _Text("x.md")),
        ("line", True),
        ("column", 1.0),
        ("end_line", "3"),
        ("end_column", None),
        ("text", _Text("t")),
        ("section", 5),
        ("kind", "inline"),
        ("in_comment", 0),
    ],
)
def test_typed_as_declared_only_with_each_value_of_its_declared_type(
    field: str, value: object
) -> None:
    """The one screen the store's payload and the JSON report ask before spelling an
    occurrence themselves (review10 F3): any value not exactly of its field's type
    (a subclass, a value set after validation) leaves the occurrence to pydantic."""
    occ = Occurrence(**{**FULL.as_json(), "kind": FULL.kind})
    assert typed_as_declared(occ)
    assert typed_as_declared(BARE)  # None where allowed
    assert not typed_as_declared(occ.as_json())  # not an Occurrence
    object.__setattr__(occ, field, value)
    assert not typed_as_declared(occ)
    assert {kind: json.dumps(kind.value) for kind in LinkKind} == LINK_KIND_JSON


@pytest.mark.parametrize("made", [FULL, BARE])
def test_the_parsers_occurrence_is_the_dataclasss(made: Occurrence) -> None:
    """parse.extract.occurrence sets the slots itself (no keyword ``__init__``): the same
    object, field for field, of the same type, for every field the dataclass declares."""
    from dataclasses import fields
    from inspect import signature

    from linkhealth.parse.extract import occurrence

    names = [f.name for f in fields(Occurrence)]
    assert list(signature(occurrence).parameters)[: len(names) + 1] == [*names, "_new"]
    fast = occurrence(*(getattr(made, name) for name in names))
    assert type(fast) is Occurrence
    assert fast == made
    assert [getattr(fast, n) for n in Occurrence.__slots__] == [
        getattr(made, n) for n in Occurrence.__slots__
    ]
    assert typed_as_declared(fast) and fast.as_json() == made.as_json()
