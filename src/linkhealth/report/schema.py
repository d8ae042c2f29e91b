"""The published JSON Schema of ``results.json`` / ``check --format json``.

``docs/results.schema.json`` is generated from :class:`linkhealth.models.RunReport`;
a test fails when the file drifts from the model (regenerate with
``LINKHEALTH_UPDATE_GOLDENS=1 pytest tests/report``).
"""

from __future__ import annotations

import json
from typing import Any

from linkhealth.models import RunReport

SCHEMA_ID = "https://github.com/linkhealth/linkhealth/docs/results.schema.json"


def results_schema() -> dict[str, Any]:
    schema = RunReport.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


def schema_text() -> str:
    return json.dumps(results_schema(), indent=2, ensure_ascii=False) + "\n"
