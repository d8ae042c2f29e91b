"""The command line: thin click commands over the library. Only this package prints or exits.

Start-up is kept light: a command's module (and with it the network stack, rich,
the report formats) is imported only when that command runs or shows its own help.
``--version`` and ``--help`` import click and this module, nothing else.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator, MutableMapping

import click

from linkhealth import __version__

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

# name -> (module exposing ``command``, the one-line summary in the command list).
# The summary lives here only: the list in --help is written without importing a
# command, and a command gets its ``short_help`` from here when it is loaded.
COMMANDS: dict[str, tuple[str, str]] = {
    "annotate": ("linkhealth.cli.annotate", "Turn bare URLs into [Title](url) — description."),
    "check": ("linkhealth.cli.check", "Check every link, write reports/ (the nightly job)."),
    "extract": (
        "linkhealth.cli.extract",
        "List every link with its exact file:line:col (offline).",
    ),
    "lint": (
        "linkhealth.cli.lint",
        "Find malformed links and typos with a suggested fix (offline).",
    ),
    "report": ("linkhealth.cli.report", "Re-render the last run from the store (offline)."),
}


class _Commands(MutableMapping[str, click.Command]):
    """The group's commands, each imported on first use. Iterating lists every name
    (so click's "Did you mean ...?" still knows them all) without importing any."""

    def __init__(self) -> None:
        self._loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._loaded:
            module, summary = COMMANDS[name]
            command: click.Command = importlib.import_module(module).command
            command.short_help = summary
            self._loaded[name] = command
        return self._loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter({**dict.fromkeys(COMMANDS), **self._loaded})

    def __len__(self) -> int:
        return len({**dict.fromkeys(COMMANDS), **self._loaded})


class _LazyGroup(click.Group):
    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx) if name in COMMANDS]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_LazyGroup, commands=_Commands(), context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name="linkhealth")
def cli() -> None:
    """Keep Markdown link lists healthy.

    \b
    Examples (the three jobs):
      linkhealth lint lists/            offline typo check (pre-commit)
      linkhealth check lists/           check every link, write reports/
      linkhealth annotate x.md --write  turn bare URLs into [Title](url) — description
    """


#: What the command hands to the program's end (:func:`keep_to_the_end`); ``None`` when
#: the command runs without :func:`main` (click's test runner, a caller of :data:`cli`).
_kept: list[object] | None = None


def keep_to_the_end(value: object) -> None:
    """``value`` (what a command made: an outcome of 200,000 results) is not freed as the
    command returns, object by object (~0.2 s at that size), but with the process when
    :func:`_end` ends it. Only in the program (:func:`main`): elsewhere nothing is kept."""
    if _kept is not None:
        _kept.append(value)


def main() -> None:
    """The ``linkhealth`` program: the command, then :func:`_end`. A program started with
    standard output or error closed (``>&-``: cron, some supervisors) has None for that
    stream; it writes to the null device instead, so no command needs to ask."""
    global _kept
    _kept = []
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
    try:
        cli(prog_name="linkhealth")
    except SystemExit as done:
        if isinstance(done.code, int | None):
            _end(done.code or 0)
        raise


def _end(code: int) -> None:
    """Exit with ``code`` now that the command is done, without the interpreter's teardown,
    which frees every object the command made one by one (a 50,000-link check's: ~0.4 s)
    in a process that is ending anyway. What an exit does before that is done: the exit
    handlers run, standard output and error are flushed. Returns (the exit is left to
    Python) while a thread that is not a daemon runs, while a profiler or tracer watches
    (it writes its findings after the program returns), or when a flush fails (Python
    reports it and exits 120)."""
    import atexit
    import threading

    if sys.getprofile() is not None or sys.gettrace() is not None:
        return
    if any(not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        return
    if not _flushed():
        return
    atexit._run_exitfuncs()
    if _flushed():
        os._exit(code)


def _flushed() -> bool:
    """Flush standard output and error (never None: see :func:`main`); False when one
    cannot be flushed."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # any failure: Python's own exit reports it
        return False
    return True
