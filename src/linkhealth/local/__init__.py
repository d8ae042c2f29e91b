"""Links that never leave the repository: relative files and ``#heading`` anchors.

``is_local`` says which links belong here, ``LocalChecker`` judges one link
(offline, never reading outside the root), ``check_occurrences`` turns a whole
extraction into one :class:`~linkhealth.models.CheckResult` per target (``local_findings``
into lint findings, for ``lint``), and
``github_slug``/``heading_anchors`` compute the anchors GitHub renders.

Only ``is_local`` loads with the package: every check plans its links with it, and the
checker and anchors (~3 ms of imports) load when a run has a local link to judge.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from linkhealth.local.links import is_local

if TYPE_CHECKING:
    from linkhealth.fsutil import default_root
    from linkhealth.local.anchors import github_slug, heading_anchors
    from linkhealth.local.checker import MARKDOWN_SUFFIXES, LocalChecker, LocalVerdict
    from linkhealth.local.results import LOCAL_RULES, check_occurrences, local_findings

#: Where each name loaded at its first use lives.
_LAZY = {
    "default_root": "linkhealth.fsutil",
    "github_slug": "linkhealth.local.anchors",
    "heading_anchors": "linkhealth.local.anchors",
    "MARKDOWN_SUFFIXES": "linkhealth.local.checker",
    "LocalChecker": "linkhealth.local.checker",
    "LocalVerdict": "linkhealth.local.checker",
    "LOCAL_RULES": "linkhealth.local.results",
    "check_occurrences": "linkhealth.local.results",
    "local_findings": "linkhealth.local.results",
}

__all__ = [
    "LOCAL_RULES",
    "MARKDOWN_SUFFIXES",
    "LocalChecker",
    "LocalVerdict",
    "check_occurrences",
    "default_root",
    "github_slug",
    "heading_anchors",
    "is_local",
    "local_findings",
]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # asked once
    return value
