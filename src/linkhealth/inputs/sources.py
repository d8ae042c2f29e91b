"""Inputs that are not paths on disk: ``-`` (standard input) and ``--files-from FILE``.

``-`` as a PATH reads one Markdown document from standard input; its links are
reported against the file name :data:`STDIN_NAME` and relative links are resolved
from the current folder. ``--files-from FILE`` (``-``: standard input) names one input
per line, as lychee reads it: empty lines and lines starting with ``#`` are skipped.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from linkhealth.errors import InputError
from linkhealth.textsafe import is_web_url

STDIN = "-"
STDIN_NAME = "<stdin>"


def read_stdin(max_bytes: int) -> str:
    """Standard input as UTF-8 text (a leading BOM removed), at most ``max_bytes``."""
    data = sys.stdin.buffer.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(f"standard input is larger than {max_bytes} bytes; not read")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise InputError(f"standard input is not valid UTF-8 at byte offset {exc.start}") from exc


def files_from(source: str, max_bytes: int) -> list[str]:
    """The inputs listed in ``source`` (a file, or ``-`` for standard input)."""
    if source == STDIN:
        text = read_stdin(max_bytes)
    else:
        try:
            text = Path(source).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError(f"--files-from {source}: no such file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"--files-from {source}: cannot read ({exc})") from exc
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def split_inputs(
    paths: Sequence[str], files_from_source: str | None, max_bytes: int
) -> tuple[list[str], list[str], bool]:
    """``(paths named on the command line, paths listed by --files-from, whether standard
    input is one of the inputs)``. A listed path was not named by the user: discovery
    reads it only inside the repository, like a file it finds by walking."""
    listed = files_from(files_from_source, max_bytes) if files_from_source else []
    inputs = [*paths, *listed]
    web = [p for p in inputs if is_web_url(p)]
    if web:
        raise InputError(f"{web[0]}: URL inputs are read by `linkhealth check` (it fetches them)")
    stdin_uses = inputs.count(STDIN) + (files_from_source == STDIN)
    if stdin_uses > 1:
        raise InputError("standard input (-) can be read only once")
    return [p for p in paths if p != STDIN], [p for p in listed if p != STDIN], STDIN in inputs
