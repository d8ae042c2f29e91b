"""Pieces shared by every command: exit codes, output, error mapping."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, ParamSpec, TypeVar

import click

from linkhealth.errors import ConfigError, InputError, LinkhealthError
from linkhealth.textsafe import terminal_escape

EXIT_OK = 0
EXIT_FAILING = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3

P = ParamSpec("P")
R = TypeVar("R")


class UsageError(click.ClickException):
    exit_code = EXIT_USAGE

    def format_message(self) -> str:
        # Messages name files and URLs a pull request chose: escaped like fetched text.
        return terminal_escape(self.message)


def notice(prefix: str, text: object) -> None:
    """``prefix`` then ``text`` on stderr, ``text`` escaped like fetched text (a file name
    from the repository can hold escape sequences, newlines or a forged ``::error`` line)."""
    click.echo(prefix + terminal_escape(str(text)), err=True)


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turn domain errors into clean messages with the contract's exit codes."""
    try:
        yield
    except (InputError, ConfigError) as exc:
        raise UsageError(str(exc)) from exc
    except LinkhealthError as exc:
        raise UsageError(str(exc)) from exc
    except BaseExceptionGroup as group:
        # A domain error raised inside a task group (a store write failing in a fetch
        # callback) arrives wrapped; report its message, not a traceback.
        found, _ = group.split(LinkhealthError)
        if found is None:
            raise
        raise UsageError(str(_first_leaf(found))) from group


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


def emit(text: str | Iterable[str], output: str | None) -> None:
    """Print to stdout, or write atomically to ``output``: whole, or a piece at a time as
    a renderer yields them (a big report is never held whole)."""
    pieces = [text] if isinstance(text, str) else text
    if output is None:
        try:
            _echo(pieces)
        except BrokenPipeError:
            raise  # the reader left (``| head``): click ends quietly
        except OSError as exc:  # a full disk or a gone device behind stdout
            raise UsageError(f"cannot write to standard output: {exc.strerror or exc}") from exc
        return
    write_output(output, pieces)


def write_output(output: str, pieces: Iterable[str | IO[bytes]]) -> None:
    """Write ``pieces`` atomically to the file ``output`` (its folder made, as
    --reports-dir's is): text pieces encoded as they come, file pieces (UTF-8 text at
    their start) copied as they are and closed; a failure says what could not be written
    and leaves any earlier file whole."""
    from linkhealth.fsutil import AtomicFiles, make_folder

    try:
        make_folder(Path(output).parent)
        with AtomicFiles() as written:
            written.write(Path(output), pieces)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from exc


_ECHO_CHARS = 1 << 16


def _echo(pieces: Iterable[str]) -> None:
    """The pieces on stdout, about 64 KiB at a time, then a newline unless they end with
    one; nothing at all when they are empty (e.g. lint without findings)."""
    batch: list[str] = []
    size = 0
    last = ""
    for piece in pieces:
        if not piece:
            continue
        batch.append(piece)
        size += len(piece)
        last = piece
        if size >= _ECHO_CHARS:
            click.echo("".join(batch), nl=False)
            batch, size = [], 0
    if batch:
        click.echo("".join(batch), nl=False)
    if last and not last.endswith("\n"):
        click.echo("")


def format_option(choices: list[str], default: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices, case_sensitive=False),
        default=default,
        show_default=True,
        help="Output format on stdout (or --output).",
    )


def output_option() -> Callable[[Callable[P, R]], Callable[P, R]]:
    return click.option(
        "--output",
        "-o",
        type=click.Path(dir_okay=False, writable=True),
        default=None,
        help="Write the output to FILE instead of stdout (atomically).",
    )


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()
