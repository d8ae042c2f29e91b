"""Settings: one table of keys, named defaults, typed values.

Every default is a named constant, reused by the CLI, the docs and the tests.
Precedence (built in the CLI): flags > ``LINKHEALTH_*`` environment > file > defaults.

Values are parsed once, when the settings load: accepted statuses are
:class:`~linkhealth.statuses.StatusRanges`, ``max_age`` a :class:`~datetime.timedelta`,
``exclude``/``include`` compiled patterns, ``root`` the resolved folder. A bad value
is a :class:`~linkhealth.errors.ConfigError` (exit 2) before any work. Each typed
value serialises back to the text it was written as (the cluster ships settings as JSON).

Each key's rule (:func:`_key`) is the one check of its values. The tables are plain
classes, not pydantic models: every command loads settings, and pydantic's import and
schema building cost more than `lint`'s whole start-up budget (issue 15).
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self, cast

from linkhealth import __version__
from linkhealth.duration import format_duration, parse_duration
from linkhealth.errors import ConfigError
from linkhealth.statuses import DEFAULT_ACCEPT as DEFAULT_ACCEPT  # re-exported: defaults live here
from linkhealth.statuses import StatusRanges, parse_accept

if TYPE_CHECKING:
    from linkhealth.models import Judging

DEFAULT_PATHS = ("lists/",)
DEFAULT_GLOB = ("*.md", "*.markdown")
DEFAULT_MAX_CONCURRENCY = 128
DEFAULT_HOST_CONCURRENCY = 4
DEFAULT_HOST_INTERVAL = 0.05  # seconds between request starts on one host
DEFAULT_HOST_JITTER = 0.5  # each gap is the interval ± half this fraction, at random
DEFAULT_TIMEOUT = 20.0  # seconds per attempt, total
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 15.0
DEFAULT_URL_DEADLINE = 60.0  # seconds per URL, all attempts and waits
DEFAULT_RETRIES = 2
DEFAULT_MAX_REDIRECTS = 10
DEFAULT_MAX_BODY_BYTES = 512 * 1024
# A list larger than this is refused. Extraction peaks at about 16 MB of memory per MB
# of a dense list when it has headings to cut it at (bench/RESULTS.md, issue 15), but a
# list with no heading is one syntax tree (~40 bytes per byte): the limit stays.
DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024
DEFAULT_RETRY_AFTER_MAX = 60.0
DEFAULT_BACKOFF_BASE = 0.5
DEFAULT_MAX_AGE = "1d"
DEFAULT_FAIL_AFTER = 1
DEFAULT_KEEP_RUNS = 90  # runs kept in the store; older ones are pruned (streaks survive)
DEFAULT_STORE = ".linkhealth/state.sqlite"
DEFAULT_REPORTS_DIR = "reports"
DEFAULT_USER_AGENT = (
    f"linkhealth/{__version__} (+https://github.com/linkhealth/linkhealth; link checker)"
)
DEFAULT_OUTAGE_RATIO = 0.9  # share of hosts failing at the network level
#: Report files written on request (``--report-format``, ``report-formats``), by format.
REPORT_FILES = {
    "junit": "junit.xml",
    "sarif": "results.sarif",
    "html": "index.html",
    "csv": "results.csv",
}
DEFAULT_DIRECTORY_INDEXES = ("README.md", "index.md")
DEFAULT_ARCHIVE_ENDPOINT = "https://archive.org"  # the Wayback Machine's APIs
DEFAULT_GITHUB_API_ENDPOINT = "https://api.github.com"  # GitHub's REST API


class CommentMode(StrEnum):
    """How links inside HTML comments are treated.

    ``auto``: a file that is entirely one comment is parsed inside; partial comments skipped.
    """

    AUTO = "auto"
    INCLUDE = "include"
    SKIP = "skip"


def _accept(value: object) -> StatusRanges:
    if isinstance(value, StatusRanges):
        return value
    return parse_accept(value)  # type: ignore[arg-type]  # it names a non-string itself


def _duration(value: object) -> timedelta:
    if isinstance(value, timedelta):
        return value
    try:
        return parse_duration(value)  # type: ignore[arg-type]  # it names a non-string itself
    except ConfigError as exc:
        raise ValueError(str(exc)) from None


def _pattern(value: object) -> re.Pattern[str]:
    if isinstance(value, re.Pattern):
        return value
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a regular expression (a string)")
    try:
        return re.compile(value)
    except re.error as exc:
        raise ValueError(f"{value!r} is not a valid regular expression ({exc})") from None


class RequestMethod(StrEnum):
    """``--method`` (lychee's ``-X``): GET reads the page (metadata); HEAD only asks."""

    GET = "get"
    HEAD = "head"


class TlsVersion(StrEnum):
    """``--min-tls``, spelt as lychee spells it."""

    TLS1_0 = "TLSv1_0"
    TLS1_1 = "TLSv1_1"
    TLS1_2 = "TLSv1_2"
    TLS1_3 = "TLSv1_3"


@dataclass(frozen=True)
class Remap:
    """``--remap 'REGEX REPLACEMENT'``: URLs matching REGEX are checked as REPLACEMENT
    (``re.sub``, so ``\\1`` refers to a group)."""

    pattern: re.Pattern[str]
    replacement: str

    def __str__(self) -> str:
        return f"{self.pattern.pattern} {self.replacement}"


@dataclass(frozen=True)
class BasicAuth:
    """``--basic-auth 'URL-REGEX USER:PASSWORD'``: credentials for the matching URLs."""

    pattern: re.Pattern[str]
    user: str
    password: str = field(repr=False)

    def __str__(self) -> str:
        return f"{self.pattern.pattern} {self.user}:{self.password}"


def remapped(url: str, rules: list[Remap]) -> str:
    """``url`` rewritten by the first ``--remap`` rule whose pattern matches it."""
    for rule in rules:
        if rule.pattern.search(url):
            return rule.pattern.sub(rule.replacement, url, count=1)
    return url


def _two_parts(value: object, what: str, example: str) -> tuple[re.Pattern[str], str]:
    if not isinstance(value, str) or len(value.split(None, 1)) != 2:
        raise ValueError(f"{value!r}: expected {what}, e.g. {example!r}")
    regex, rest = value.split(None, 1)
    return _pattern(regex), rest.strip()


def _remap(value: object) -> Remap:
    if isinstance(value, Remap):
        return value
    pattern, replacement = _two_parts(value, "'REGEX REPLACEMENT'", "^http://old/ https://new/")
    return Remap(pattern, replacement)


def _basic_auth(value: object) -> BasicAuth:
    if isinstance(value, BasicAuth):
        return value
    pattern, cred = _two_parts(value, "'URL-REGEX USER:PASSWORD'", "^https://intra/ me:secret")
    user, sep, password = cred.partition(":")
    if not sep or not user:
        raise ValueError("--basic-auth credentials are USER:PASSWORD")
    return BasicAuth(pattern, user, password)


# --------------------------------------------------------------------------- settings tables

Problem = tuple[tuple[str, ...], str]  # where (key, then nested keys), what is wrong


class InvalidSettings(ValueError):
    """Values that do not fit their keys: every problem found, each with its place."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{'.'.join(loc)}: {msg}" for loc, msg in problems))
        self.problems = problems


@dataclass(frozen=True)
class _Key:
    """One key of a settings table: its rule, and its default (or a factory for one)."""

    rule: Rule
    default: object = None
    factory: Callable[[], object] | None = None
    shown: bool = True  # in repr (secrets are not)

    def default_value(self) -> object:
        return self.factory() if self.factory is not None else self.default


def _key(
    rule: Rule,
    default: object = None,
    *,
    factory: Callable[[], object] | None = None,
    shown: bool = True,
) -> Any:
    """A key of a settings table (typed as its value where the class declares it)."""
    return _Key(rule, default, factory, shown)


class _Table:
    """Typed settings, every value checked by its key's rule when the table is built
    (``Settings(retries="3")`` holds ``3``; ``Settings(retries=-1)`` raises
    :class:`InvalidSettings`). The keys are the class's ``_key(...)`` attributes;
    ``model_fields``, ``model_validate``, ``model_dump`` and ``model_copy`` are named as
    the pydantic models' are, so callers read both alike."""

    model_fields: ClassVar[dict[str, _Key]]

    def __init_subclass__(cls) -> None:
        cls.model_fields = {k: v for k, v in vars(cls).items() if isinstance(v, _Key)}

    def __init__(self, **values: object) -> None:
        unknown = sorted(values.keys() - self.model_fields.keys())
        problems: list[Problem] = [((key,), "unknown key") for key in unknown]
        for name, key in self.model_fields.items():
            if name not in values:
                setattr(self, name, key.default_value())
                continue
            try:
                setattr(self, name, key.rule(values[name]))
            except InvalidSettings as exc:
                problems += [((name, *loc), msg) for loc, msg in exc.problems]
            except ValueError as exc:
                problems.append(((name,), str(exc)))
        if problems:
            raise InvalidSettings(problems)

    @classmethod
    def model_validate(cls, data: Mapping[str, object]) -> Self:
        if not isinstance(data, Mapping):
            raise InvalidSettings([((), f"expected a table, got {data!r}")])
        return cls(**data)

    def model_dump(self, *, mode: str = "json", include: set[str] | None = None) -> dict[str, Any]:
        """The values as plain data, each typed value as the text it was written as."""
        if mode != "json":
            raise ValueError("settings dump as JSON data only")
        return {
            name: _plain(getattr(self, name))
            for name in self.model_fields
            if include is None or name in include
        }

    def model_copy(self, *, update: Mapping[str, object] | None = None) -> Self:
        """A shallow copy with ``update``'s values as given (already typed: not checked)."""
        clone = copy.copy(self)
        for name, value in (update or {}).items():
            if name not in self.model_fields:
                raise InvalidSettings([((name,), "unknown key")])
            setattr(clone, name, value)
        return clone

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        shown = (f"{n}={getattr(self, n)!r}" for n, k in self.model_fields.items() if k.shown)
        return f"{type(self).__name__}({', '.join(shown)})"


def _plain(value: object) -> Any:
    """A typed setting as JSON data: the text it was written as."""
    if isinstance(value, _Table):
        return value.model_dump()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, StatusRanges | Remap | BasicAuth | Path):
        return str(value)
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, re.Pattern):
        return value.pattern
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


# --------------------------------------------------------------------------- value rules
#
# Each key has one rule: a function that checks a value as written (TOML, a flag, a
# LINKHEALTH_* variable, the cluster's JSON) and returns the typed value, or raises
# ValueError saying what was expected. Numbers and booleans written as text are read
# (environment values are text); a typed value passes through unchanged.

_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})
_INT_TEXT = re.compile(r"[+-]?[0-9]+(?:\.0*)?")

Rule = Callable[[object], Any]


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"expected true or false, got {value!r}")


def _number(value: object, kind: type[int] | type[float]) -> float:
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = math.nan
    else:
        number = math.nan
    if math.isnan(number) or (kind is int and not number.is_integer()):
        raise ValueError(f"expected {'an integer' if kind is int else 'a number'}, got {value!r}")
    return number


def _int(*, ge: int | None = None) -> Rule:
    def rule(value: object) -> int:
        if isinstance(value, int):
            number = int(value)
        elif isinstance(value, str):
            if not _INT_TEXT.fullmatch(value.strip()):
                raise ValueError(f"expected an integer, got {value!r}")
            number = int(float(value)) if "." in value else int(value)
        else:
            number = int(_number(value, int))
        if ge is not None and number < ge:
            raise ValueError(f"must be at least {ge}, got {number}")
        return number

    return rule


def _float(*, ge: float | None = None, gt: float | None = None, le: float | None = None) -> Rule:
    def rule(value: object) -> float:
        number = _number(value, float)
        if ge is not None and number < ge:
            raise ValueError(f"must be at least {ge}, got {number}")
        if gt is not None and number <= gt:
            raise ValueError(f"must be more than {gt}, got {number}")
        if le is not None and number > le:
            raise ValueError(f"must be at most {le}, got {number}")
        return number

    return rule


def _str(value: object) -> str:
    if isinstance(value, str):
        return str(value)
    raise ValueError(f"expected a string, got {value!r}")


def _path(value: object) -> Path:
    if isinstance(value, str | Path):
        return Path(value)
    raise ValueError(f"expected a folder name, got {value!r}")


def _choice(enum: type[StrEnum]) -> Rule:
    def rule(value: object) -> StrEnum:
        if isinstance(value, str) and value in enum._value2member_map_:
            return enum(value)
        choices = ", ".join(repr(member.value) for member in enum)
        raise ValueError(f"expected one of {choices}, got {value!r}")

    return rule


def _optional(inner: Rule) -> Rule:
    def rule(value: object) -> object:
        return None if value is None else inner(value)

    return rule


def _list(inner: Rule) -> Rule:
    def rule(value: object) -> list[object]:
        if not isinstance(value, list | tuple):
            raise ValueError(f"expected a list, got {value!r}")
        return [item for _, item in _each(inner, enumerate(value))]

    return rule


def _table(inner: Rule) -> Rule:
    def rule(value: object) -> dict[str, object]:
        if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
            raise ValueError(f"expected a table of names, got {value!r}")
        return dict(_each(inner, value.items()))

    return rule


def _each(inner: Rule, items: Iterable[tuple[Any, object]]) -> list[tuple[Any, object]]:
    """``inner`` applied to every item; the problems of all items, each at its place."""
    out: list[tuple[Any, object]] = []
    problems: list[Problem] = []
    for place, item in items:
        try:
            out.append((place, inner(item)))
        except InvalidSettings as exc:
            problems += [((str(place), *loc), msg) for loc, msg in exc.problems]
        except ValueError as exc:
            problems.append(((str(place),), str(exc)))
    if problems:
        raise InvalidSettings(problems)
    return out


def _then(first: Rule, check: Rule) -> Rule:
    def rule(value: object) -> object:
        return check(first(value))

    return rule


class HostSettings(_Table):
    """Per-host overrides (``[tool.linkhealth.hosts."example.com"]``)."""

    concurrency: int | None = _key(_optional(_int(ge=1)))
    interval: float | None = _key(_optional(_float(ge=0)))
    # Header values of the form ``env:NAME`` are read from the environment.
    headers: dict[str, str] = _key(_table(_str), factory=dict)
    accept: StatusRanges | None = _key(_optional(_accept))
    exclude: bool = _key(_bool, False)


def _report_formats_known(value: object) -> list[str]:
    formats = cast(list[str], value)
    for fmt in formats:
        if fmt not in REPORT_FILES:
            known = ", ".join(REPORT_FILES)
            raise ValueError(f"{fmt!r} is not a report file; choose from: {known}")
    return formats


def _base_url(value: object) -> str:
    """An http(s) base URL, without a trailing slash."""
    from urllib.parse import urlsplit

    text = _str(value).strip()
    try:
        parts = urlsplit(text)
        _ = parts.port
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) base URL (e.g. https://example.org)")
    if parts.query or parts.fragment:
        raise ValueError(f"{value!r}: a base URL has no query or fragment")
    return text.rstrip("/")


def _resolve_targets(value: object) -> dict[str, str]:
    """``HOST=ADDR[:PORT]`` pairs, checked by the guard's own parser at load; host
    names spelt as requests spell them (punycode)."""
    pairs = cast(dict[str, str], value)
    if pairs:
        from linkhealth.fetch.guard import parse_resolve_target

        for name, target in pairs.items():
            try:
                parse_resolve_target(name, target)
            except ConfigError as exc:
                raise ValueError(str(exc)) from None
    from linkhealth.weburl import ascii_host  # yarl: imported only when needed

    return {ascii_host(name): target for name, target in pairs.items()}


def _host_names(value: object) -> dict[str, HostSettings]:
    """Per-host keys spelt as requests spell host names (punycode, lower case)."""
    hosts = cast(dict[str, HostSettings], value)
    if not hosts:
        return hosts
    from linkhealth.weburl import ascii_host  # yarl: imported only when needed

    return {ascii_host(name): sub for name, sub in hosts.items()}


def _host_table(value: object) -> HostSettings:
    if isinstance(value, HostSettings):
        return value
    return HostSettings.model_validate(_mapping(value))


def _mapping(value: object) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise ValueError(f"expected a table, got {value!r}")
    return value


class Settings(_Table):
    """Every configuration key, with its default."""

    paths: list[str] = _key(_list(_str), factory=lambda: list(DEFAULT_PATHS))
    glob: list[str] = _key(_list(_str), factory=lambda: list(DEFAULT_GLOB))
    comments: CommentMode = _key(_choice(CommentMode), CommentMode.AUTO)
    max_file_bytes: int = _key(_int(ge=1), DEFAULT_MAX_FILE_BYTES)

    max_concurrency: int = _key(_int(ge=1), DEFAULT_MAX_CONCURRENCY)
    host_concurrency: int = _key(_int(ge=1), DEFAULT_HOST_CONCURRENCY)
    host_interval: float = _key(_float(ge=0), DEFAULT_HOST_INTERVAL)
    host_jitter: float = _key(_float(ge=0), DEFAULT_HOST_JITTER)
    timeout: float = _key(_float(gt=0), DEFAULT_TIMEOUT)
    connect_timeout: float = _key(_float(gt=0), DEFAULT_CONNECT_TIMEOUT)
    read_timeout: float = _key(_float(gt=0), DEFAULT_READ_TIMEOUT)
    url_deadline: float = _key(_float(gt=0), DEFAULT_URL_DEADLINE)
    retries: int = _key(_int(ge=0), DEFAULT_RETRIES)
    backoff_base: float = _key(_float(ge=0), DEFAULT_BACKOFF_BASE)
    retry_after_max: float = _key(_float(ge=0), DEFAULT_RETRY_AFTER_MAX)
    max_redirects: int = _key(_int(ge=0), DEFAULT_MAX_REDIRECTS)
    max_body_bytes: int = _key(_int(ge=1024), DEFAULT_MAX_BODY_BYTES)
    check_fragments: bool = _key(_bool, False)
    allow_private: bool = _key(_bool, False)
    use_env_proxy: bool = _key(_bool, False)
    resolve: dict[str, str] = _key(_then(_table(_str), _resolve_targets), factory=dict)
    ca_bundle: str | None = _key(_optional(_str))
    user_agent: str = _key(_str, DEFAULT_USER_AGENT)
    headers: dict[str, str] = _key(_table(_str), factory=dict)
    accept: StatusRanges = _key(_accept, factory=lambda: parse_accept(DEFAULT_ACCEPT))
    exclude: list[re.Pattern[str]] = _key(_list(_pattern), factory=list)
    include: list[re.Pattern[str]] = _key(_list(_pattern), factory=list)  # when set, only these
    hosts: dict[str, HostSettings] = _key(_then(_table(_host_table), _host_names), factory=dict)
    outage_ratio: float = _key(_float(gt=0, le=1), DEFAULT_OUTAGE_RATIO)

    store: str = _key(_str, DEFAULT_STORE)
    max_age: timedelta = _key(_duration, factory=lambda: parse_duration(DEFAULT_MAX_AGE))
    fail_after: int = _key(_int(ge=1), DEFAULT_FAIL_AFTER)
    keep_runs: int = _key(_int(ge=2), DEFAULT_KEEP_RUNS)
    strict: bool = _key(_bool, False)

    reports_dir: str = _key(_str, DEFAULT_REPORTS_DIR)
    no_reports: bool = _key(_bool, False)
    # extra formats to write
    report_formats: list[str] = _key(_then(_list(_str), _report_formats_known), factory=list)

    base_url: str | None = _key(_optional(_base_url))
    directory_indexes: list[str] = _key(
        _list(_str), factory=lambda: list(DEFAULT_DIRECTORY_INDEXES)
    )
    # Repository root for local links; resolved at load (default: git top or cwd).
    root: Path | None = _key(_optional(_path))

    workers: int | None = _key(_optional(_int(ge=1)))
    cluster: str | None = _key(_optional(_str))

    changed_since: str | None = _key(_optional(_str))  # git revision: lines changed since it

    archive: bool = _key(_bool, False)  # look up archived copies of failing links
    archive_endpoint: str = _key(_base_url, DEFAULT_ARCHIVE_ENDPOINT)

    # lychee's options, spelt as lychee spells them.
    files_from: str | None = _key(_optional(_str))  # a file (or "-") naming one input per line
    no_ignore: bool = _key(_bool, False)  # walk into files .gitignore/.ignore exclude
    hidden: bool = _key(_bool, False)  # walk into hidden files and folders
    exclude_path: list[re.Pattern[str]] = _key(_list(_pattern), factory=list)  # never read
    remap: list[Remap] = _key(_list(_remap), factory=list)
    method: RequestMethod = _key(_choice(RequestMethod), RequestMethod.GET)
    insecure: bool = _key(_bool, False)  # accept invalid TLS certificates
    min_tls: TlsVersion | None = _key(_optional(_choice(TlsVersion)))
    basic_auth: list[BasicAuth] = _key(_list(_basic_auth), factory=list, shown=False)
    # Sent to github_api_endpoint only (github.com links are checked through the API).
    github_token: str | None = _key(_optional(_str), shown=False)
    github_api_endpoint: str = _key(_base_url, DEFAULT_GITHUB_API_ENDPOINT)
    cookie_jar: str | None = _key(_optional(_str))  # cookies read before and written after
    offline: bool = _key(_bool, False)  # local links only: no network request at all

    def host(self, hostname: str) -> HostSettings:
        """The overrides for one host (exact name, then parent domains)."""
        if not self.hosts:
            return HostSettings()
        from linkhealth.weburl import ascii_host

        name = ascii_host(hostname)
        while name:
            if name in self.hosts:
                return self.hosts[name]
            _, _, name = name.partition(".")
        return HostSettings()

    def store_path(self) -> Path:
        return Path(self.store)

    def root_folder(self) -> Path:
        """The repository root for local links: ``root`` as loaded, else the git top
        (or the current folder) for settings built without :func:`load_settings`."""
        if self.root is not None:
            return self.root
        from linkhealth.fsutil import default_root

        return default_root(Path.cwd())

    def host_headers(self, host: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """The extra request headers for ``host``, ``env:NAME`` values read from ``environ``
        (default: this process's environment); an unset variable is a :class:`ConfigError`."""
        import os

        env = os.environ if environ is None else environ
        headers: dict[str, str] = {}
        for name, value in self.host(host).headers.items():
            if value.startswith("env:"):
                var = value[4:]
                if var not in env:
                    raise ConfigError(
                        f"invalid configuration: hosts.{host}.headers.{name}:"
                        f" environment variable {var} unset"
                    )
                value = env[var]
            headers[name] = value
        return headers

    def judging(self) -> Judging:
        """What makes a result fail this run, as the store records it."""
        from linkhealth.models import Judging

        return Judging(
            strict=self.strict,
            fail_after=self.fail_after,
            accept=self.accept.text,
            host_accept={host: hs.accept.text for host, hs in self.hosts.items() if hs.accept},
        )


# --------------------------------------------------------------------------- loading

CONFIG_FILE_NAME = "linkhealth.toml"
ENV_PREFIX = "LINKHEALTH_"


def find_config_file(start: Path) -> Path | None:
    """Walk up from ``start``: the first ``linkhealth.toml``, or ``pyproject.toml``
    holding a ``[tool.linkhealth]`` table."""
    folder = start.resolve()
    for candidate in (folder, *folder.parents):
        own = candidate / CONFIG_FILE_NAME
        if own.is_file():
            return own
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and _has_our_table(pyproject):
            return pyproject
    return None


def _has_our_table(pyproject: Path) -> bool:
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    # Most projects' pyproject.toml never names us and is not parsed at every start
    # (tomllib's import alone is ~10 ms of `lint`'s budget).
    if "linkhealth" not in text:
        return False
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return False
    return isinstance(data.get("tool"), dict) and "linkhealth" in data["tool"]


def read_config_file(path: Path) -> dict[str, object]:
    """The raw ``[tool.linkhealth]`` (or whole ``linkhealth.toml``) table."""
    import tomllib

    from linkhealth.errors import ConfigError

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} is not UTF-8 (byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        table = tool.get("linkhealth", {}) if isinstance(tool, dict) else {}
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.linkhealth] must be a table")
        return table
    return data


def _closest_key(name: str, valid: list[str], *, cutoff: float = 0.5) -> str | None:
    import difflib

    match = difflib.get_close_matches(name, valid, n=1, cutoff=cutoff)
    return match[0] if match else None


def _kebab(key: str) -> str:
    return key.replace("_", "-")


def _check_keys(table: dict[str, object], model: type[_Table], where: str) -> None:
    """Unknown keys are errors naming the closest valid key, spelt as files spell keys."""
    from linkhealth.errors import ConfigError

    valid = sorted(model.model_fields)
    for key in table:
        normal = key.replace("-", "_")
        if normal not in model.model_fields:
            if model is not Settings and normal in Settings.model_fields:
                # exclude-path under a host is not a near miss of the host's `exclude`.
                raise ConfigError(f"{where}: {key!r} is not a per-host key (set it at the top)")
            close = _closest_key(normal, valid)
            hint = f" (did you mean {_kebab(close)!r}?)" if close else ""
            raise ConfigError(f"{where}: unknown key {key!r}{hint}")


def _normalise_table(table: dict[str, object], where: str) -> dict[str, object]:
    _check_keys(table, Settings, where)
    out = {key.replace("-", "_"): value for key, value in table.items()}
    hosts = out.get("hosts")
    if isinstance(hosts, dict):
        for host, sub in hosts.items():
            if isinstance(sub, dict):
                _check_keys(sub, HostSettings, f'{where}: [hosts."{host}"]')
                hosts[host] = {k.replace("-", "_"): v for k, v in sub.items()}
    return out


def _env_value(name: str, raw: str) -> object:
    """Parse one ``LINKHEALTH_*`` value by the type of its field."""
    default = Settings.model_fields[name].default_value()
    # A boolean (or number) stays text: the key's own rule reads it (one reading of
    # "true"/"off"/…), and text it cannot read is an error, not a silent false.
    if isinstance(default, list):
        return [part.strip() for part in raw.split(",") if part.strip()]
    if isinstance(default, dict):
        pairs = [part.split("=", 1) for part in raw.split(",") if "=" in part]
        return {key.strip(): value.strip() for key, value in pairs}
    return raw


def settings_from_env(env: dict[str, str]) -> dict[str, object]:
    from linkhealth.errors import ConfigError

    out: dict[str, object] = {}
    valid = sorted(Settings.model_fields)
    for key, raw in env.items():
        if not key.startswith(ENV_PREFIX) or key == ENV_PREFIX + "CONFIG":
            continue
        name = key[len(ENV_PREFIX) :].lower()
        if name not in Settings.model_fields or name == "hosts":
            # A near miss is a typo worth stopping for; anything else (LINKHEALTH_TOKEN
            # named by a host header's env:NAME, say) is not ours to judge.
            close = _closest_key(name, valid, cutoff=0.75)
            if close is not None and close != "hosts":
                raise ConfigError(
                    f"unknown environment variable {key} "
                    f"(did you mean {ENV_PREFIX + close.upper()}?)"
                )
            continue
        out[name] = _env_value(name, raw)
    return out


def load_settings(
    overrides: dict[str, object],
    *,
    config_file: Path | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> tuple[Settings, Path | None]:
    """Settings from flags (``overrides``, ``None`` values ignored) > environment > file > defaults.

    Returns the settings and the config file used, if any.
    """
    import os

    environ = dict(os.environ) if env is None else env
    if config_file is None and environ.get(ENV_PREFIX + "CONFIG"):
        config_file = Path(environ[ENV_PREFIX + "CONFIG"])
    if config_file is None:
        config_file = find_config_file(cwd or Path.cwd())
    elif not config_file.is_file():
        raise ConfigError(f"config file {config_file} does not exist")
    merged: dict[str, object] = {}
    source: dict[str, str] = {}  # key -> where its value came from, for error messages
    if config_file is not None:
        table = _normalise_table(read_config_file(config_file), str(config_file))
        merged.update(table)
        source.update({key: f"{_kebab(key)} in {config_file}" for key in table})
    from_env = settings_from_env(environ)
    merged.update(from_env)
    source.update({key: f"{ENV_PREFIX}{key.upper()}" for key in from_env})
    flags = {key: value for key, value in overrides.items() if value is not None}
    merged.update(flags)
    source.update({key: f"--{_kebab(key)}" for key in flags})
    try:
        settings = Settings.model_validate(merged)
    except InvalidSettings as exc:
        problems = []
        for loc, msg in exc.problems:
            where = source.get(loc[0] if loc else "", _kebab(".".join(loc)))
            inner = f"{'.'.join(loc[1:])}: " if len(loc) > 1 and loc[0] in source else ""
            problems.append(f"{where}: {inner}{msg}")
        raise ConfigError(f"invalid configuration: {'; '.join(problems)}") from exc
    settings.root = _resolved_root(settings.root, cwd or Path.cwd(), source.get("root", "root"))
    _check_outside_values(settings, environ)
    return settings, config_file


def _check_outside_values(settings: Settings, environ: dict[str, str]) -> None:
    """Values that name something outside the settings are checked at load too, so a run
    whose every result comes from the store fails on them like one that fetches: host
    headers read from ``env:NAME`` (on a remote ``cluster`` the workers' environment
    counts, so not there) and the ``ca-bundle`` certificates."""
    if not settings.cluster:
        for host in settings.hosts:
            settings.host_headers(host, environ)
    if settings.ca_bundle:
        import ssl

        try:
            ssl.create_default_context().load_verify_locations(cafile=settings.ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"invalid configuration: ca-bundle {settings.ca_bundle}:"
                f" cannot load certificates ({exc})"
            ) from None


def _resolved_root(root: Path | None, cwd: Path, where: str) -> Path:
    """``root`` made absolute (relative to ``cwd``), or the git top above ``cwd``."""
    from linkhealth.fsutil import default_root

    if root is None:
        return default_root(cwd)
    folder = (cwd / root.expanduser()).resolve()
    if not folder.is_dir():
        raise ConfigError(f"invalid configuration: {where}: {str(root)!r} is not a folder")
    return folder
