"""Local links as :class:`~linkhealth.models.CheckResult` rows, one per target."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from linkhealth.config import DEFAULT_DIRECTORY_INDEXES
from linkhealth.local.checker import LocalChecker, LocalVerdict, is_local
from linkhealth.records import Finding, LinkKind, Occurrence, Severity
from linkhealth.verdicts import ErrorKind, Verdict

if TYPE_CHECKING:
    from linkhealth.models import CheckResult

__all__ = ["LOCAL_RULES", "check_occurrences", "local_findings"]

# Kinds that are never local even if the text looks like a path (linkify hosts, e-mail).
_NETWORK_KINDS = frozenset({LinkKind.AUTOLINK, LinkKind.BARE})


def check_occurrences(
    occurrences: Sequence[Occurrence],
    root: Path,
    *,
    base_url: str | None = None,
    directory_indexes: Sequence[str] = DEFAULT_DIRECTORY_INDEXES,
    checker: LocalChecker | None = None,
) -> list[CheckResult]:
    """Check every local occurrence; one :class:`CheckResult` per unique target.

    Occurrences that are not local (see :func:`is_local`; autolinks and bare
    URLs never are) are ignored, so the caller may pass the whole extraction.

    ``CheckResult.url`` is the link resolved to a repository-relative POSIX
    path plus ``#fragment`` (decoded) — ``docs/setup.md#install`` whether it
    was written ``../docs/setup.md#install``, ``./setup.md#install`` or
    ``/docs/setup.md#install`` — so different spellings of one target share a
    row and keep all their occurrences (file:line:col). A link that escapes
    the root keys as ``../…``. With ``base_url`` a root-relative link keys as
    the mapped absolute URL and comes back ``skipped``: the caller checks it
    over HTTP. ``suggestion`` is relative to the first occurrence's file.

    Results are in order of first occurrence. ``occurrence.file`` is opened
    relative to the current directory, as the parser read it.
    """
    from linkhealth.models import CheckResult  # pydantic: not for `lint`

    checked_at = datetime.now(UTC)
    return [
        CheckResult(
            url=key,
            verdict=verdict.verdict,
            detail=verdict.detail,
            error_kind=verdict.error_kind,
            suggestion=verdict.suggestion,
            checked_at=checked_at,
            occurrences=found,
        )
        for key, (verdict, found) in _by_target(
            occurrences, root, base_url, directory_indexes, checker
        ).items()
    ]


def _by_target(
    occurrences: Sequence[Occurrence],
    root: Path,
    base_url: str | None,
    directory_indexes: Sequence[str],
    checker: LocalChecker | None,
) -> dict[str, tuple[LocalVerdict, list[Occurrence]]]:
    """Every local occurrence judged and grouped by its target's key (see
    :func:`check_occurrences`), in order of first occurrence."""
    local = checker or LocalChecker(root, base_url=base_url, directory_indexes=directory_indexes)
    targets: dict[str, tuple[LocalVerdict, list[Occurrence]]] = {}
    memo: dict[tuple[str, str], LocalVerdict] = {}
    for occurrence in occurrences:
        if occurrence.kind in _NETWORK_KINDS or not is_local(occurrence.url):
            continue
        source = os.path.abspath(occurrence.file)
        same_file = occurrence.url.lstrip().startswith(("#", "?"))
        memo_key = (source if same_file else os.path.dirname(source), occurrence.url)
        verdict = memo.get(memo_key)
        if verdict is None:
            verdict = local.check(occurrence.url, source)
            memo[memo_key] = verdict
        key = verdict.resolved if verdict.resolved is not None else occurrence.url
        targets.setdefault(key, (verdict, []))[1].append(occurrence)
    return targets


#: Lint rule id for each failing local verdict.
LOCAL_RULES = {
    Verdict.BROKEN: "broken-local-link",
    Verdict.UNSAFE: "unsafe-local-link",
    Verdict.INVALID: "invalid-local-link",
    Verdict.ERROR: "unreadable-local-link",
}


def local_findings(
    occurrences: Sequence[Occurrence],
    root: Path,
    *,
    base_url: str | None = None,
    directory_indexes: Sequence[str] = DEFAULT_DIRECTORY_INDEXES,
) -> list[Finding]:
    """Failing local links as lint findings, one per occurrence (for ``lint``): the
    targets :func:`check_occurrences` would report, judged alike."""
    findings: list[Finding] = []
    for verdict, found in _by_target(occurrences, root, base_url, directory_indexes, None).values():
        rule = LOCAL_RULES.get(verdict.verdict)
        if rule is None:
            continue
        if verdict.error_kind is ErrorKind.FRAGMENT:
            rule = "missing-anchor"
        for occ in found:
            findings.append(
                Finding(
                    file=occ.file,
                    line=occ.line,
                    column=occ.column,
                    end_line=occ.end_line,
                    end_column=occ.end_column,
                    rule=rule,
                    message=verdict.detail or f"{occ.url}: {verdict.verdict.value}",
                    suggestion=verdict.suggestion,
                    severity=Severity.ERROR,
                    raw=occ.url,
                    section=occ.section,
                )
            )
    findings.sort(key=lambda f: (f.file, f.line, f.column))
    return findings
