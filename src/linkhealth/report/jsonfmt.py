"""``--format json`` and ``results.json``: the model itself, as DESIGN.md describes it."""

from __future__ import annotations

from linkhealth import textsafe as escape
from linkhealth.models import RunReport


def render(report: RunReport) -> str:
    return escape.json_text(report.model_dump(mode="json")) + "\n"
