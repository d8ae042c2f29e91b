"""Fixtures for the report tests: the fixed RunReport of :mod:`report.reportdata`."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from linkhealth.models import RunReport
from report.reportdata import build_report


@pytest.fixture(autouse=True)
def _not_in_github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    """The HTML report links lines to GitHub when run in Actions: goldens are made outside."""
    for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA", "GITHUB_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def report() -> RunReport:
    return build_report()


@pytest.fixture
def make_report() -> Callable[..., RunReport]:
    return build_report
