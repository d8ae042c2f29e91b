"""Reports: one aggregate (:class:`~linkhealth.models.RunReport`), one small module per format.

>>> text = render(report, "markdown")          # doctest: +SKIP
>>> paths = write_reports(report, Path("reports"), ["junit", "sarif"])  # doctest: +SKIP

Which links fail is decided once (:func:`linkhealth.models.fails_run`, with the
judging the report carries in ``judged_with``); escaping for each
format lives in :mod:`linkhealth.textsafe`.
"""

from __future__ import annotations

import importlib
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

from linkhealth.config import REPORT_FILES
from linkhealth.errors import ConfigError, ReportWriteError
from linkhealth.fsutil import AtomicFiles, make_folder
from linkhealth.report.redact import Redacted, redact_report, redacted

if TYPE_CHECKING:
    from linkhealth.models import RunReport
    from linkhealth.report.view import View

__all__ = [
    "ALWAYS_WRITTEN",
    "FORMATS",
    "OPTIONAL_FILES",
    "broken_links_md",
    "enrichment_md",
    "render",
    "render_chunks",
    "write_reports",
    "written_json",
]

# Format -> the module under linkhealth.report that renders it. A format's module is
# imported when that format is rendered (html.py brings jinja2, junit.py ElementTree):
# `lint` and `extract` import this package for none of them, `check` for two or three.
_MODULES: dict[str, str] = {
    "text": "text",
    "json": "jsonfmt",
    "markdown": "markdown",
    "junit": "junit",
    "sarif": "sarif",
    "github": "github",
    "csv": "csvfmt",
    "html": "html",
}

#: Every format ``render`` (and ``--format``) knows.
FORMATS: tuple[str, ...] = tuple(_MODULES)

#: Files ``write_reports`` always writes.
ALWAYS_WRITTEN: tuple[str, ...] = ("broken-links.md", "enrichment.md", "results.json")

#: Extra files on request, by format name.
OPTIONAL_FILES: dict[str, str] = REPORT_FILES


def render(report: RunReport | Redacted, fmt: str) -> str:
    """Render ``report`` in format ``fmt`` (one of :data:`FORMATS`), judged as
    ``report.judged_with`` says."""
    return "".join(render_chunks(report, fmt))


def render_chunks(report: RunReport | Redacted, fmt: str) -> Iterator[str]:
    """:func:`render`'s text a piece at a time (JSON result by result, any other format
    in one piece), for writing as it is made. The format is checked before the first
    piece; the report is redacted (JSON redacts each part as it writes it, from the text
    it writes: one encoding a result)."""
    if fmt not in _MODULES:
        raise ConfigError(f"unknown report format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    if fmt == "json":
        from linkhealth.report import jsonfmt

        return jsonfmt.chunks(report.report if isinstance(report, Redacted) else report)
    from linkhealth.report.view import View

    return iter((_renderer(fmt)(View(redacted(report))),))


def _renderer(fmt: str) -> Callable[[View], str]:
    """The function rendering a view in ``fmt``, its module imported now."""
    module = importlib.import_module(f"linkhealth.report.{_MODULES[fmt]}")
    if fmt == "json":  # the JSON contract is the report itself, not the view
        render_json = cast("Callable[[RunReport], str]", module.render)
        return lambda view: render_json(view.report)
    return cast("Callable[[View], str]", module.render)


def broken_links_md(report: RunReport) -> str:
    """``reports/broken-links.md``: failing links grouped by file and section."""
    from linkhealth.report import markdown
    from linkhealth.report.view import View

    view = View(redact_report(report))
    return markdown.broken_links(view)


def enrichment_md(report: RunReport) -> str:
    """``reports/enrichment.md``: every link grouped by file and section, with its metadata."""
    from linkhealth.report import markdown
    from linkhealth.report.view import View

    return markdown.enrichment(View(redact_report(report)))


def write_reports(
    report: RunReport | Redacted,
    directory: Path,
    formats: Sequence[str] = (),
) -> list[Path]:
    """Write ``broken-links.md``, ``enrichment.md``, ``results.json`` and the files for
    ``formats`` (``junit``, ``sarif``, ``html``, ``csv``) into ``directory``.

    Every file goes to a temp file in the same folder first (``results.json`` as it is
    rendered, never held whole), then all are renamed into place together. On failure
    the previous reports are intact, no temp file is left, and :class:`ReportWriteError`
    names the path and the reason. Returns the paths written.
    """
    unknown = [f for f in formats if f not in OPTIONAL_FILES and f != "json"]
    if unknown:
        raise ConfigError(
            f"unknown report file format {unknown[0]!r}; choose from: {', '.join(OPTIONAL_FILES)}"
        )
    from linkhealth.report import jsonfmt, markdown
    from linkhealth.report.view import View

    report = redacted(report)
    view = View(report)  # one for every file: its rows are sorted and judged once
    contents: dict[str, str | Iterable[str]] = {
        "broken-links.md": markdown.broken_links(view),
        "enrichment.md": markdown.enrichment_chunks(view),  # as it is made
        "results.json": jsonfmt.chunks(report),  # written as it is made
    }
    for fmt in dict.fromkeys(formats):
        if fmt == "html":  # its file links are relative to the folder it is written to
            from linkhealth.report import html

            contents[OPTIONAL_FILES[fmt]] = html.render(view, page_dir=Path(directory))
        elif fmt in OPTIONAL_FILES:
            contents[OPTIONAL_FILES[fmt]] = _renderer(fmt)(view)
    directory = Path(directory)
    try:
        make_folder(directory)
    except OSError as exc:
        raise ReportWriteError(_reason(directory, exc)) from exc
    with AtomicFiles() as files:
        for name, body in contents.items():
            path = directory / name
            try:
                files.write(path, [body] if isinstance(body, str) else body)
            except (OSError, UnicodeError) as exc:
                raise ReportWriteError(_reason(path, exc)) from exc
        try:
            files.commit()
        except OSError as exc:
            raise ReportWriteError(_reason(Path(exc.filename or directory), exc)) from exc
    return [directory / name for name in contents]


def written_json(paths: Iterable[Path]) -> Iterator[str] | None:
    """The text of the ``results.json`` among ``paths`` (as :func:`write_reports` returns
    them), a piece at a time: ``check --format json`` writes the same text as that file
    (:func:`render_chunks` of the same report), read back instead of rendered again
    (~27 us a result). ``None`` when none was written or it is no regular file (a device
    or a pipe was written into): render it then."""
    found = [path for path in paths if path.name == "results.json"]
    if not found:
        return None
    try:  # a pipe opens at once (without a writer it would block), and is left
        fd = os.open(found[0], os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    return _pieces(fd)


def _pieces(fd: int) -> Iterator[str]:
    with os.fdopen(fd, encoding="utf-8", newline="") as handle:
        while piece := handle.read(_PIECE):
            yield piece


#: Characters :func:`written_json` reads at a time.
_PIECE = 1 << 16


def _reason(path: Path, exc: BaseException) -> str:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return f"cannot write report {path}: {reason}"
