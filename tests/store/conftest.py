"""Shared helpers for the store tests: results made to order, a store in a temp folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from linkhealth.models import CheckResult, LinkKind, Occurrence, Verdict
from linkhealth.store import Store

T0 = datetime(2026, 1, 10, 3, 0, tzinfo=UTC)

MakeResult = Callable[..., CheckResult]


def make_result(url: str, verdict: Verdict | str = Verdict.OK, **fields: Any) -> CheckResult:
    fields.setdefault("checked_at", T0)
    fields.setdefault(
        "occurrences",
        [
            Occurrence(
                url=url,
                file="lists/a.md",
                line=3,
                column=5,
                end_line=3,
                end_column=5 + len(url),
                kind=LinkKind.BARE,
                section="Reading",
            )
        ],
    )
    return CheckResult(url=url, verdict=Verdict(verdict), **fields)


@pytest.fixture
def result() -> MakeResult:
    return make_result


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / ".linkhealth" / "state.sqlite"


@pytest.fixture
def store(store_path: Path) -> Iterator[Store]:
    with Store.open(store_path) as opened:
        yield opened
