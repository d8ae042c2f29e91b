"""Reports: one aggregate (:class:`~linkhealth.models.RunReport`), one small module per format.

>>> text = render(report, "markdown")          # doctest: +SKIP
>>> paths = write_reports(report, Path("reports"), ["junit", "sarif"])  # doctest: +SKIP

Which links fail is decided once (:func:`linkhealth.models.fails_run`, with the
judging the report carries in ``judged_with``); escaping for each
format lives in :mod:`linkhealth.textsafe`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, cast

from linkhealth.config import REPORT_FILES
from linkhealth.errors import ConfigError, ReportWriteError
from linkhealth.fsutil import AtomicFiles, make_folder
from linkhealth.report.redact import Redacted, redact_report, redacted

if TYPE_CHECKING:
    from linkhealth.models import RunReport
    from linkhealth.report.ahead import ResultsText
    from linkhealth.report.view import View

__all__ = [
    "ALWAYS_WRITTEN",
    "FORMATS",
    "OPTIONAL_FILES",
    "WrittenReports",
    "broken_links_md",
    "enrichment_md",
    "render",
    "render_chunks",
    "write_reports",
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


def render_chunks(
    report: RunReport | Redacted, fmt: str, ahead: ResultsText | None = None
) -> Iterator[str]:
    """:func:`render`'s text a piece at a time (JSON result by result, any other format
    in one piece), for writing as it is made. The format is checked before the first
    piece; the report is redacted (JSON redacts each part as it writes it, from the text
    it writes: one encoding a result). ``ahead``: the JSON results' text a second process
    writes (:mod:`~linkhealth.report.ahead`), used by JSON only."""
    if fmt not in _MODULES:
        raise ConfigError(f"unknown report format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    if fmt == "json":
        from linkhealth.report import jsonfmt

        return jsonfmt.chunks(report.report if isinstance(report, Redacted) else report, ahead)
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


class WrittenReports(list[Path]):
    """The paths :func:`write_reports` wrote and, when asked for, the ``results.json`` it
    wrote, open for reading (:meth:`json_text`; :meth:`close` it): ``check --format
    json`` prints that text instead of rendering the report a second time (~27 us a
    result), read from the run's own file whatever has replaced the path since."""

    json_file: TextIO | None = None

    def json_text(self) -> Iterator[str] | None:
        """The text of the run's ``results.json``, a piece at a time; ``None`` when it was
        not kept (not asked for, or written into a device or a pipe): render it then."""
        handle = self.json_file
        if handle is None:
            return None
        return iter(lambda: handle.read(_PIECE), "")

    def close(self) -> None:
        if self.json_file is not None:
            self.json_file.close()
            self.json_file = None


def write_reports(
    report: RunReport | Redacted,
    directory: Path,
    formats: Sequence[str] = (),
    *,
    keep_json: bool = False,
    ahead: ResultsText | None = None,
) -> WrittenReports:
    """Write ``broken-links.md``, ``enrichment.md``, ``results.json`` and the files for
    ``formats`` (``junit``, ``sarif``, ``html``, ``csv``) into ``directory``.

    Every file goes to a temp file in the same folder first (``results.json`` as it is
    rendered, never held whole), then all are renamed into place together. On failure
    the previous reports are intact, no temp file is left, and :class:`ReportWriteError`
    names the path and the reason. Returns the paths written; with ``keep_json``, also the
    ``results.json`` written, open for reading (:class:`WrittenReports`: close it).
    ``ahead``: the JSON results' text a second process writes (see :func:`render_chunks`).
    """
    unknown = [f for f in formats if f not in OPTIONAL_FILES and f != "json"]
    if unknown:
        raise ConfigError(
            f"unknown report file format {unknown[0]!r}; choose from: {', '.join(OPTIONAL_FILES)}"
        )
    contents = _report_contents(report, Path(directory), formats, ahead)
    directory = Path(directory)
    try:
        make_folder(directory)
    except OSError as exc:
        raise ReportWriteError(_reason(directory, exc)) from exc
    written = WrittenReports(directory / name for name in contents)
    try:
        with AtomicFiles() as files:
            for name, body in contents.items():
                path = directory / name
                try:
                    files.write(path, [body] if isinstance(body, str) else body)
                except (OSError, UnicodeError) as exc:
                    raise ReportWriteError(_reason(path, exc)) from exc
            if keep_json:
                written.json_file = files.read_back(directory / "results.json")
            try:
                files.commit()
            except OSError as exc:
                raise ReportWriteError(_reason(Path(exc.filename or directory), exc)) from exc
    except BaseException:
        written.close()
        raise
    return written


def _report_contents(
    report: RunReport | Redacted,
    directory: Path,
    formats: Sequence[str],
    ahead: ResultsText | None = None,
) -> dict[str, str | Iterable[str]]:
    """Each report file's name and text (or its pieces, rendered as they are written)."""
    from linkhealth.report import jsonfmt, markdown
    from linkhealth.report.view import View

    report = redacted(report)
    view = View(report)  # one for every file: its rows are sorted and judged once
    contents: dict[str, str | Iterable[str]] = {
        "broken-links.md": markdown.broken_links(view),
        "enrichment.md": markdown.enrichment_chunks(view),  # as it is made
        "results.json": jsonfmt.chunks(report, ahead),  # written as it is made
    }
    for fmt in dict.fromkeys(formats):
        if fmt == "html":  # its file links are relative to the folder it is written to
            from linkhealth.report import html

            contents[OPTIONAL_FILES[fmt]] = html.render(view, page_dir=directory)
        elif fmt in OPTIONAL_FILES:
            contents[OPTIONAL_FILES[fmt]] = _renderer(fmt)(view)
    return contents


#: Characters :meth:`WrittenReports.json_text` reads at a time.
_PIECE = 1 << 16


def _reason(path: Path, exc: BaseException) -> str:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return f"cannot write report {path}: {reason}"
