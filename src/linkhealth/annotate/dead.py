"""Dead links and their archived copies (``annotate --fix-dead mark|archive``).

With ``check --archive`` results (a failing link's ``archive_url``), for
``[Post](https://gone.example/post)`` and a copy ``https://web.archive.org/web/2024…/…``:

* ``mark`` (the default) keeps the failure marker and puts the copy inside it:
  ``[Post](https://gone.example/post) (broken since 2026-11-20: 404;
  [archived copy](https://web.archive.org/web/2024…/https://gone.example/post))``
* ``archive`` points the link at the copy and keeps the original in the marker:
  ``[Post](https://web.archive.org/web/2024…/https://gone.example/post) (archived copy
  of https\\://gone.example/post; broken since 2026-11-20: 404)``

(each marker is one line in the file). Later runs recognise both. The original in an
archive marker is escaped text, not a link, so ``annotate`` re-checks it explicitly
(:func:`kept_originals`); when it answers ok again the link is restored (destination
back to the original, marker removed).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from linkhealth.annotate.lines import split_lines
from linkhealth.models import LinkKind, Occurrence
from linkhealth.parse import ParseResult
from linkhealth.textsafe import md_inline

BOM = "\ufeff"

FixDead = Literal["mark", "archive"]
FIX_DEAD_MODES: tuple[FixDead, ...] = ("mark", "archive")

#: The copy inside a failure marker (``mark``): ``; [archived copy](dest)``.
COPY_IN_MARKER = r"(?:; \[archived copy\]\((?P<copy><[^<>\n]*>|[^\s()<>]*)\))?"
#: The marker of a link pointed at its copy (``archive``).
ARCHIVE_MARKER = re.compile(
    r" \(archived copy of (?P<original>(?:\\[!-/:-@\[-`{-~]|[^\s\\])+?); "
    r"(?P<verdict>broken|invalid|timeout|error|unsafe|blocked) since (?P<day>\d{4}-\d{2}-\d{2})"
    r"(?:: [A-Za-z0-9.\-]+)?\)"
)
_UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_URL_LIMIT = 4096


def with_copy(marker: str, destination: str) -> str:
    """``marker`` (`` (broken since …)``) with a link to the archived copy inside it;
    ``destination`` is written as is (:func:`md_destination` of the copy's URL)."""
    return f"{marker[:-1]}; [archived copy]({destination}))"


def archive_marker(original: str, failure_marker: str) -> str:
    """`` (archived copy of ORIGINAL; broken since …)`` from a plain failure marker."""
    return f" (archived copy of {md_inline(original, _URL_LIMIT)}; {failure_marker[2:-1]})"


def original_of(match: re.Match[str]) -> str:
    """The original URL an archive marker keeps (its Markdown escapes undone)."""
    return _UNESCAPE.sub(r"\1", match.group("original"))


def _markers(text: str) -> Iterator[tuple[int, int, re.Match[str]]]:
    for index, (content, _) in enumerate(split_lines(text)):
        for match in ARCHIVE_MARKER.finditer(content):
            yield index + 1, match.start(), match


def kept_originals(text: str, file: str) -> list[Occurrence]:
    """One occurrence per original URL kept in an archive marker of ``text``, so that
    the run checks it (a link restored when its original comes back)."""
    found: list[Occurrence] = []
    for line, column, match in _markers(text):
        found.append(
            Occurrence(
                url=original_of(match),
                file=file,
                line=line,
                column=column + 1,
                end_line=line,
                end_column=column + 1 + len(match.group(0)),
                kind=LinkKind.INLINE,
            )
        )
    return found


def with_kept_originals(parsed: ParseResult) -> ParseResult:
    """``parsed`` plus the originals kept in its files' archive markers (to be re-checked).

    A file that cannot be read here is left to the rewrite, which reports it.
    """
    extra: list[Occurrence] = []
    for file in parsed.files:
        try:
            text = Path(file).read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        extra += kept_originals(text.removeprefix(BOM), file)
    if not extra:
        return parsed
    return ParseResult(parsed.occurrences + extra, parsed.findings, parsed.files)
