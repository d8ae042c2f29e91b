"""``lint`` as a library call: every offline finding for the lists named by paths."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from linkhealth.config import Settings
from linkhealth.inputs import extract_paths
from linkhealth.local import local_findings
from linkhealth.records import Finding, Severity


@dataclass
class LintResult:
    """The findings of one ``lint``, in file order, and the files read."""

    findings: list[Finding]
    files: list[str]

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return len(self.findings) - self.errors


def lint_paths(paths: Sequence[str], settings: Settings) -> LintResult:
    """Parse the lists (``settings.paths`` when ``paths`` is empty) and check their
    relative links against the repository's files and headings. No network."""
    result = extract_paths(list(paths), settings)
    root = settings.root_folder()
    local = local_findings(
        result.occurrences,
        root,
        base_url=settings.base_url,
        directory_indexes=settings.directory_indexes,
    )
    findings = sorted([*result.findings, *local], key=lambda f: (f.file, f.line, f.column))
    return LintResult(findings=findings, files=list(result.files))
