"""Links that never leave the repository: relative files and ``#heading`` anchors.

``is_local`` says which links belong here, ``LocalChecker`` judges one link
(offline, never reading outside the root), ``check_occurrences`` turns a whole
extraction into one :class:`~linkhealth.models.CheckResult` per target (``local_findings``
into lint findings, for ``lint``), and
``github_slug``/``heading_anchors`` compute the anchors GitHub renders.
"""

from linkhealth.fsutil import default_root
from linkhealth.local.anchors import github_slug, heading_anchors
from linkhealth.local.checker import MARKDOWN_SUFFIXES, LocalChecker, LocalVerdict, is_local
from linkhealth.local.results import LOCAL_RULES, check_occurrences, local_findings

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
