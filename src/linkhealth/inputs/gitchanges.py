"""``--changed-since REF``: the lines of each file changed since a git revision.

``git diff --unified=0 REF -- FILES`` compares the working tree (staged or not)
with ``REF``; each hunk's ``+start,count`` names the new lines. Files git does
not track yet (untracked, not ignored) count as wholly changed. A revision git
does not know is an :class:`~linkhealth.errors.InputError` (exit 2 in the CLI).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from linkhealth.errors import InputError

_HUNK_RE = re.compile(r"^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_GIT_TIMEOUT = 60.0


@dataclass
class ChangedLines:
    """Changed line numbers per file (resolved path); ``None`` means the whole file."""

    files: dict[Path, set[int] | None] = field(default_factory=dict)

    def changed(self, file: str | Path, line: int, end_line: int | None = None) -> bool:
        """Does any line of ``line..end_line`` in ``file`` belong to a change?"""
        key = Path(file).resolve()
        if key not in self.files:
            return False
        lines = self.files[key]
        if lines is None:
            return True
        return any(n in lines for n in range(line, (end_line or line) + 1))


def _git(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", "-c", "core.quotePath=false", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            timeout=_GIT_TIMEOUT,
            check=False,
        )
    except FileNotFoundError as exc:
        raise InputError("--changed-since needs git, and git is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise InputError(f"--changed-since: git {args[0]} took longer than 60 s") from exc


def _unquote(path: str) -> str:
    """Undo git's C-style quoting of unusual path names."""
    if len(path) >= 2 and path[0] == path[-1] == '"':
        raw = path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
        return raw.encode("latin-1").decode("utf-8", "replace")
    return path


def parse_diff(diff: str, top: Path) -> dict[Path, set[int]]:
    """New-side line numbers per file from ``git diff --unified=0`` output.

    Follows git's own hunk counts, never line prefixes: after ``@@ -a,b +c,d @@`` the
    next ``b`` removed and ``d`` added lines are content, whatever they start with (an
    added line reading ``++ b/decoy.md`` shows as ``+++ b/decoy.md``). Only between hunks
    do ``diff --git``/``+++`` lines name a file. Lines are split on ``\n`` only.
    """
    out: dict[Path, set[int]] = {}
    current: set[int] | None = None
    old_left = new_left = 0
    for line in diff.split("\n"):
        if old_left or new_left:  # inside a hunk: content, counted
            if line.startswith("+"):
                new_left -= 1
            elif line.startswith("-"):
                old_left -= 1
            elif line.startswith(" "):
                old_left, new_left = old_left - 1, new_left - 1
            # "\ No newline at end of file" (or anything else) is not a line of either side
            continue
        if line.startswith("diff "):
            current = None
        elif line.startswith("+++ "):
            current = _new_file(line[4:], top, out)
        else:
            match = _HUNK_RE.match(line)
            if match is not None:
                old_left = 1 if match.group(1) is None else int(match.group(1))
                start = int(match.group(2))
                new_left = 1 if match.group(3) is None else int(match.group(3))
                if current is not None:
                    current.update(range(start, start + new_left))
    return out


def _new_file(name: str, top: Path, out: dict[Path, set[int]]) -> set[int] | None:
    """The line set of the file a ``+++`` header names (``None`` for ``/dev/null``)."""
    name = name.rstrip("\t")
    if name == "/dev/null":
        return None
    name = _unquote(name)
    name = name[2:] if name.startswith("b/") else name
    return out.setdefault((top / name).resolve(), set())


def changed_lines(ref: str, files: Sequence[str | Path], cwd: Path | None = None) -> ChangedLines:
    """Which lines of ``files`` changed since ``ref`` (a branch, tag or commit)."""
    where = (cwd or Path.cwd()).resolve()
    top_run = _git(["rev-parse", "--show-toplevel"], where)
    if top_run.returncode != 0:
        raise InputError(f"--changed-since: {where} is not inside a git repository")
    top = Path(top_run.stdout.strip()).resolve()
    if ref.startswith("-") or not ref.strip():
        raise InputError(f"--changed-since: {ref!r} is not a git revision")
    verify = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", ref + "^{commit}"], top)
    if verify.returncode != 0:
        raise InputError(
            f"--changed-since: unknown git revision {ref!r} "
            "(in CI, fetch it first, e.g. `git fetch origin main` or checkout with fetch-depth: 0)"
        )
    result = ChangedLines()
    paths = [str(Path(f).resolve()) for f in files]
    if not paths:
        return result
    # --text: a NUL byte or a committed `*.md -diff` attribute must not turn a list into
    # "Binary files differ" (no hunks, nothing changed); fixed prefixes whatever the config.
    diff = _git(["diff", "--unified=0", "--no-color", "--no-ext-diff", "--no-renames",
                 "--text", "--no-textconv", "--src-prefix=a/", "--dst-prefix=b/",
                 verify.stdout.strip(), "--", *paths], top)  # fmt: skip
    if diff.returncode != 0:
        raise InputError(f"--changed-since: git diff failed: {diff.stderr.strip()}")
    for path, lines in parse_diff(diff.stdout, top).items():
        result.files[path] = lines
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z", "--", *paths], top)
    if untracked.returncode == 0:
        for name in untracked.stdout.split("\0"):
            if name:
                result.files[(top / name).resolve()] = None
    return result
