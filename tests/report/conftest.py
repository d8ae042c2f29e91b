"""Fixtures for the report tests: the fixed RunReport of :mod:`report.reportdata`."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from linkhealth.models import RunReport
from report.reportdata import build_report


@pytest.fixture
def report() -> RunReport:
    return build_report()


@pytest.fixture
def make_report() -> Callable[..., RunReport]:
    return build_report
