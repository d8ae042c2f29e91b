"""``.gitignore`` and ``.ignore`` files, honoured when a folder is walked (as lychee and
ripgrep do): an ignored ``build/`` folder is not read. ``--no-ignore`` turns this off.

The rules are git's (``gitignore(5)``): one pattern per line, ``#`` comments, ``!`` to
re-include, a trailing ``/`` for folders only, a pattern with a ``/`` anchored to the
file's folder, ``*``/``?``/``[…]`` within one path part and ``**`` across parts; the last
matching rule wins, and rules of deeper folders come after their parents'. A path named
on the command line is always read.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

IGNORE_FILES = (".gitignore", ".ignore")


@dataclass(frozen=True)
class _Rule:
    base: Path  # the folder of the file the rule came from
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool


def _glob_regex(pattern: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2 :]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end]
            body = "^" + body[1:] if body.startswith("!") else body
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        elif pattern[i] == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


def parse_rules(text: str, base: Path) -> list[_Rule]:
    """The rules of one ignore file in folder ``base``."""
    rules = []
    for raw in text.splitlines():
        line = raw.rstrip() if not raw.rstrip().endswith("\\") else raw
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        line = line[1:] if negate else line
        line = line[1:] if line.startswith("\\") and line[1:2] in ("#", "!") else line
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        body = _glob_regex(line.lstrip("/"))
        regex = re.compile(("^" if anchored else "^(?:.*/)?") + body + "$")
        rules.append(_Rule(base, regex, negate, dir_only))
    return rules


@dataclass
class IgnoreRules:
    """The rules in force while walking: parents' first, then each folder's own."""

    rules: list[_Rule] = field(default_factory=list)

    def load(self, folder: Path) -> None:
        """Add the rules of ``folder``'s ignore files (unreadable ones are skipped)."""
        for name in IGNORE_FILES:
            path = folder / name
            if path.is_file():
                try:
                    text = path.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    continue
                self.rules.extend(parse_rules(text, _absolute(folder)))

    def ignored(self, path: Path, *, is_dir: bool) -> bool:
        verdict = False
        for rule in self.rules:
            if rule.dir_only and not is_dir:
                continue
            try:
                relative = _absolute(path).relative_to(rule.base).as_posix()
            except ValueError:
                continue
            if rule.regex.match(relative):
                verdict = not rule.negate
        return verdict


def rules_above(folder: Path, root: Path | None) -> IgnoreRules:
    """The rules of the ignore files from ``root`` (the repository) down to ``folder``'s
    parent, so that walking ``docs/`` honours the top-level ``.gitignore``."""
    found = IgnoreRules()
    if root is None:
        return found
    here, top = _absolute(folder), _absolute(root)
    if top not in here.parents:  # the root itself (walked as usual), or elsewhere
        return found
    between = [p for p in here.parents if top in p.parents]  # nearest first
    for part in [top, *reversed(between)]:
        found.load(part)
    return found


def _absolute(path: Path) -> Path:
    """``path`` made absolute without resolving symlinks (walked paths keep their form)."""
    return Path(os.path.abspath(path))
