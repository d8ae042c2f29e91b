"""The input stage: which files a run reads, and what of them it keeps.

:func:`extract_paths` finds the Markdown files (:mod:`.discover`), reads and
parses each (:mod:`linkhealth.parse`), drops duplicate-URL findings for URLs in
``.linkhealthignore`` (:mod:`.ignore`) and, with ``--changed-since``, keeps only
links on changed lines (:mod:`.gitchanges`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from linkhealth.config import Settings
from linkhealth.inputs.discover import WalkOptions, discover
from linkhealth.inputs.ignore import load_url_ignore
from linkhealth.inputs.sources import STDIN_NAME, read_stdin, split_inputs
from linkhealth.parse.extract import ParseResult, extract_text
from linkhealth.parse.source import read_markdown
from linkhealth.parse.split import start_worker


def path_excluded(path: Path, settings: Settings) -> bool:
    """Whether ``--exclude-path`` (lychee's spelling) keeps the file ``path`` out of the run.
    The pattern is searched in the path as found (``docs/old/x.md``) and as an absolute path."""
    if not settings.exclude_path:
        return False
    texts = (path.as_posix(), path.resolve().as_posix())
    return any(p.search(t) for p in settings.exclude_path for t in texts)


def extract_paths(
    paths: Sequence[str], settings: Settings, *, render: str | None = None
) -> ParseResult:
    """Discover and parse the Markdown files named by ``paths`` (``settings.paths`` when
    empty). Raises :class:`~linkhealth.errors.InputError` for a missing path or an
    unreadable, non-UTF-8 file. ``render``: the extract command's output format (see
    :class:`~linkhealth.parse.extract.ParseResult`; not with ``--changed-since``, which
    keeps some of the occurrences)."""
    if settings.changed_since:
        render = None
    result = ParseResult()
    root = settings.root_folder()
    named, listed, stdin = split_inputs(
        paths if paths or settings.files_from else settings.paths,
        settings.files_from,
        settings.max_file_bytes,
    )
    if stdin:
        text = read_stdin(settings.max_file_bytes)
        result.extend(extract_text(text, STDIN_NAME, comments=settings.comments, render=render))
    walk = WalkOptions(hidden=settings.hidden, no_ignore=settings.no_ignore)
    for path in discover(named, settings.glob, root, walk, listed=listed):
        if path_excluded(path, settings):
            continue
        result.extend(_extract_file(path, settings, render))

    url_ignore = load_url_ignore(root)
    if url_ignore:
        result.findings = [
            f
            for f in result.findings
            if not (f.rule == "duplicate-url" and f.raw and url_ignore.matches(f.raw))
        ]
    if settings.changed_since:
        from linkhealth.inputs.gitchanges import changed_lines

        changes = changed_lines(settings.changed_since, result.files)
        result.occurrences = [
            o for o in result.occurrences if changes.changed(o.file, o.line, o.end_line)
        ]
        result.findings = [
            f for f in result.findings if changes.changed(f.file, f.line, f.end_line)
        ]
    return result


def _extract_file(path: Path, settings: Settings, render: str | None) -> ParseResult:
    """One file; a large one in two processes (:mod:`linkhealth.parse.split`), the
    second started before the file is read so that its start-up overlaps the reading."""
    worker = start_worker(path)
    try:
        text = read_markdown(path, max_bytes=settings.max_file_bytes)
    except BaseException:
        if worker is not None:
            worker.cancel()
        raise
    return extract_text(
        text, path.as_posix(), comments=settings.comments, worker=worker, render=render
    )
