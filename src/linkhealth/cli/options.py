"""Option bundles shared by the commands: what is read (every command taking PATHs), what
is parsed (`extract`, `lint`), the network (`check`, `annotate`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from linkhealth.config import CommentMode, RequestMethod, Settings, TlsVersion, load_settings

F = TypeVar("F", bound=Callable[..., Any])


def _resolve_pairs(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> dict[str, str] | None:
    if not values:
        return None
    out: dict[str, str] = {}
    for value in values:
        host, sep, addr = value.partition("=")
        if not sep or not host or not addr:
            raise click.BadParameter(f"expected HOST=ADDR[:PORT], got {value!r}")
        out[host.strip().lower()] = addr.strip()
    return out


def _header_pairs(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> dict[str, str] | None:
    if not values:
        return None
    out: dict[str, str] = {}
    for value in values:
        name, sep, content = value.partition(":")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected 'Name: value', got {value!r}")
        out[name.strip()] = content.strip()
    return out


def _multi(values: tuple[str, ...]) -> list[str] | None:
    return list(values) if values else None


def _default(key: str) -> str:
    """A setting's default as a user writes it (``1d``, ``200-299``, ``*.md, *.markdown``)."""
    value = Settings().model_dump(mode="json", include={key})[key]
    return ", ".join(value) if isinstance(value, list) else str(value)


def _setting(flag: str, key: str, help: str, *short: str, **kwargs: Any) -> Callable[[F], F]:
    """An option for one Settings key; its help names the default from ``config.py``."""
    return click.option(
        flag, *short, key, default=None, help=f"{help} (default {_default(key)}).", **kwargs
    )


#: What is read: shared by every command that takes PATHs.
INPUT_OPTIONS: list[Callable[[F], F]] = [
    click.option(
        "--files-from",
        "files_from",
        default=None,
        metavar="FILE",
        help="Read inputs from FILE, one per line ('-': standard input; '#' comments).",
    ),
    click.option(
        "--no-ignore/--ignore",
        "no_ignore",
        default=None,
        help="Also read files that .gitignore/.ignore exclude when walking a folder.",
    ),
    click.option(
        "--hidden/--no-hidden",
        default=None,
        help="Also read hidden files and folders (.name) when walking a folder.",
    ),
    click.option(
        "--exclude-path",
        "exclude_path",
        multiple=True,
        metavar="REGEX",
        help="Skip files whose path matches REGEX (repeatable).",
    ),
]


def input_options(func: F) -> F:
    for option in reversed(INPUT_OPTIONS):
        func = option(func)
    return func


_COMMON: list[Callable[[F], F]] = [
    click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Config file (default: linkhealth.toml or pyproject.toml "
        "[tool.linkhealth], found walking up).",
    ),
    click.option(
        "--comments",
        type=click.Choice([m.value for m in CommentMode]),
        default=None,
        help="Links inside HTML comments: auto (a file that is one comment is read "
        "inside), include, skip.",
    ),
    click.option(
        "--glob",
        "globs",
        multiple=True,
        help="File patterns when PATH is a folder (default *.md, *.markdown).",
    ),
    _setting(
        "--max-concurrency",
        "max_concurrency",
        "Requests in flight at once, all hosts",
        type=click.IntRange(min=1),
    ),
    _setting(
        "--host-concurrency",
        "host_concurrency",
        "Requests in flight at once per host",
        type=click.IntRange(min=1),
    ),
    _setting(
        "--host-interval",
        "host_interval",
        "Minimum seconds between request starts on one host",
        type=click.FloatRange(min=0),
    ),
    _setting(
        "--timeout",
        "timeout",
        "Seconds per attempt, total",
        "-t",
        type=click.FloatRange(min=0.001),
    ),
    _setting(
        "--url-deadline",
        "url_deadline",
        "Seconds per URL over all attempts and waits",
        type=click.FloatRange(min=0.001),
    ),
    _setting(
        "--retries",
        "retries",
        "Retries after the first attempt on 408/429/5xx, timeouts, resets",
        type=click.IntRange(min=0),
    ),
    _setting(
        "--max-redirects", "max_redirects", "Redirect hops followed", type=click.IntRange(min=0)
    ),
    click.option(
        "--check-fragments/--no-check-fragments",
        default=None,
        help="Check that #fragments exist in the page.",
    ),
    click.option(
        "--allow-private/--no-allow-private",
        default=None,
        help="Allow loopback, private and link-local addresses (off by default).",
    ),
    click.option(
        "--use-env-proxy/--no-use-env-proxy",
        default=None,
        help="Use HTTP(S)_PROXY from the environment (off by default).",
    ),
    click.option(
        "--resolve",
        "resolve",
        multiple=True,
        callback=_resolve_pairs,
        metavar="HOST=ADDR[:PORT]",
        help="Send HOST's requests to ADDR (like curl).",
    ),
    click.option(
        "--ca-bundle",
        type=click.Path(exists=True, dir_okay=False),
        default=None,
        help="Extra trusted CA certificates (PEM).",
    ),
    click.option("--user-agent", "-u", default=None, help="User-Agent header."),
    click.option(
        "--header",
        "-H",
        "headers",
        multiple=True,
        callback=_header_pairs,
        metavar="'NAME: VALUE'",
        help="Extra request header (repeatable).",
    ),
    _setting(
        "--accept",
        "accept",
        "Status codes counted as ok, e.g. '200-299,429' or lychee's '200..=299'",
        "-a",
        metavar="RANGES",
    ),
    click.option(
        "--exclude",
        "exclude",
        multiple=True,
        metavar="REGEX",
        help="Skip URLs matching REGEX (repeatable).",
    ),
    click.option(
        "--include",
        "include",
        multiple=True,
        metavar="REGEX",
        help="Only check URLs matching REGEX (repeatable).",
    ),
    click.option(
        "--remap",
        "remap",
        multiple=True,
        metavar="'REGEX URL'",
        help="Check URLs matching REGEX as URL instead (re.sub; repeatable).",
    ),
    click.option(
        "--method",
        "-X",
        type=click.Choice([m.value for m in RequestMethod], case_sensitive=False),
        default=None,
        help="Request method: get (reads titles) or head (default get).",
    ),
    click.option(
        "--insecure/--no-insecure",
        default=None,
        help="Accept invalid TLS certificates (off by default).",
    ),
    click.option(
        "--min-tls",
        type=click.Choice([v.value for v in TlsVersion]),
        default=None,
        help="Lowest TLS version accepted.",
    ),
    click.option(
        "--basic-auth",
        "basic_auth",
        multiple=True,
        metavar="'REGEX USER:PASSWORD'",
        help="Basic authentication for URLs matching REGEX (repeatable).",
    ),
    click.option(
        "--github-token",
        envvar="GITHUB_TOKEN",
        show_envvar=True,
        default=None,
        metavar="TOKEN",
        help="Check github.com links through GitHub's API with this token (sent to the API only).",
    ),
    click.option(
        "--cookie-jar",
        type=click.Path(dir_okay=False),
        default=None,
        help="Read cookies from FILE before the run and write them back after.",
    ),
    _setting("--store", "store", "History store"),
    _setting(
        "--max-age",
        "max_age",
        "Reuse OK results younger than this, e.g. 1d, 12h, 0",
        metavar="DURATION",
    ),
    _setting(
        "--fail-after",
        "fail_after",
        "A link fails the run after N consecutive failing runs",
        type=click.IntRange(min=1),
    ),
    click.option(
        "--strict/--no-strict",
        default=None,
        help="Count 'blocked' (401/403/429, bot walls) as failing.",
    ),
    click.option(
        "--base-url", default=None, help="Site URL that root-relative links (/docs/x) map to."
    ),
    click.option(
        "--workers",
        type=click.IntRange(min=1),
        default=None,
        help="Run on a local Dask cluster of N worker processes.",
    ),
    click.option(
        "--cluster",
        default=None,
        envvar="LINKHEALTH_CLUSTER",
        help="Dask scheduler address, e.g. tcp://host:8786.",
    ),
]


def parse_options(func: click.decorators.FC) -> click.decorators.FC:
    """PATH arguments and the options that decide what is parsed (`extract` and `lint`)."""
    func = click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Config file (default: linkhealth.toml or pyproject.toml [tool.linkhealth]).",
    )(func)
    func = click.option(
        "--glob",
        "globs",
        multiple=True,
        help="File patterns when PATH is a folder (default *.md, *.markdown); repeatable.",
    )(func)
    func = click.option(
        "--comments",
        type=click.Choice([m.value for m in CommentMode]),
        default=None,
        help="Links inside HTML comments: auto (a file that is one comment is read inside, "
        "partial comments skipped), include, skip.",
    )(func)
    func = input_options(func)
    return click.argument("paths", nargs=-1, metavar="[PATH]...")(func)


def changed_since_option(func: F) -> F:
    """``--changed-since REF`` (``check`` and ``lint``): only lines changed since a git revision."""
    return click.option(
        "--changed-since",
        "changed_since",
        default=None,
        metavar="REF",
        help="Only links on lines changed since git revision REF (uncommitted and "
        "untracked files included), e.g. origin/main in a pull request.",
    )(func)


def network_options(func: F) -> F:
    for option in reversed(_COMMON):
        func = option(func)
    return input_options(func)


#: Options whose parameter name is not the setting's name; every other parameter
#: named like a :class:`Settings` field sets that field.
_RENAMED = {"globs": "glob"}


def settings_from_params(params: dict[str, Any], **extra: Any) -> Settings:
    """Build Settings from a command's parameters (flags > env > file > defaults)."""
    overrides: dict[str, object] = {}
    for param, value in params.items():
        key = _RENAMED.get(param, param)
        if key not in Settings.model_fields:
            continue
        if isinstance(value, tuple):
            value = _multi(value)
        overrides[key] = value
    overrides.update(extra)
    settings, _ = load_settings(overrides, config_file=params.get("config_file"))
    return settings
