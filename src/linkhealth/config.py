"""Settings: one pydantic model, named defaults, typed values.

Every default is a named constant, reused by the CLI, the docs and the tests.
Precedence (built in the CLI): flags > ``LINKHEALTH_*`` environment > file > defaults.

Values are parsed once, when the settings load: accepted statuses are
:class:`~linkhealth.statuses.StatusRanges`, ``max_age`` a :class:`~datetime.timedelta`,
``exclude``/``include`` compiled patterns, ``root`` the resolved folder. A bad value
is a :class:`~linkhealth.errors.ConfigError` (exit 2) before any work. Each typed
value serialises back to the text it was written as (the cluster ships settings as JSON).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    field_validator,
)

from linkhealth import __version__
from linkhealth.duration import format_duration, parse_duration
from linkhealth.errors import ConfigError
from linkhealth.models import DEFAULT_ACCEPT as DEFAULT_ACCEPT  # re-exported: defaults live here
from linkhealth.models import Judging
from linkhealth.statuses import StatusRanges, parse_accept

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


#: Accepted statuses, parsed at load (``"200-299,429"``).
Accept = Annotated[StatusRanges, PlainValidator(_accept), PlainSerializer(str, return_type=str)]
#: A duration, parsed at load (``"1d"``, ``"12h"``, ``"0"``).
Duration = Annotated[
    timedelta, PlainValidator(_duration), PlainSerializer(format_duration, return_type=str)
]
#: A regular expression, compiled at load.
Pattern = Annotated[
    re.Pattern[str],
    PlainValidator(_pattern),
    PlainSerializer(lambda p: p.pattern, return_type=str),
]


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


RemapRule = Annotated[Remap, PlainValidator(_remap), PlainSerializer(str, return_type=str)]
BasicAuthRule = Annotated[
    BasicAuth, PlainValidator(_basic_auth), PlainSerializer(str, return_type=str)
]


class HostSettings(BaseModel):
    """Per-host overrides (``[tool.linkhealth.hosts."example.com"]``)."""

    model_config = ConfigDict(extra="forbid")

    concurrency: int | None = Field(default=None, ge=1)
    interval: float | None = Field(default=None, ge=0)
    # Header values of the form ``env:NAME`` are read from the environment.
    headers: dict[str, str] = Field(default_factory=dict)
    accept: Accept | None = None
    exclude: bool = False


class Settings(BaseModel):
    """Every configuration key, with its default."""

    model_config = ConfigDict(extra="forbid")

    paths: list[str] = Field(default_factory=lambda: list(DEFAULT_PATHS))
    glob: list[str] = Field(default_factory=lambda: list(DEFAULT_GLOB))
    comments: CommentMode = CommentMode.AUTO
    max_file_bytes: int = Field(default=DEFAULT_MAX_FILE_BYTES, ge=1)

    max_concurrency: int = Field(default=DEFAULT_MAX_CONCURRENCY, ge=1)
    host_concurrency: int = Field(default=DEFAULT_HOST_CONCURRENCY, ge=1)
    host_interval: float = Field(default=DEFAULT_HOST_INTERVAL, ge=0)
    host_jitter: float = Field(default=DEFAULT_HOST_JITTER, ge=0)
    timeout: float = Field(default=DEFAULT_TIMEOUT, gt=0)
    connect_timeout: float = Field(default=DEFAULT_CONNECT_TIMEOUT, gt=0)
    read_timeout: float = Field(default=DEFAULT_READ_TIMEOUT, gt=0)
    url_deadline: float = Field(default=DEFAULT_URL_DEADLINE, gt=0)
    retries: int = Field(default=DEFAULT_RETRIES, ge=0)
    backoff_base: float = Field(default=DEFAULT_BACKOFF_BASE, ge=0)
    retry_after_max: float = Field(default=DEFAULT_RETRY_AFTER_MAX, ge=0)
    max_redirects: int = Field(default=DEFAULT_MAX_REDIRECTS, ge=0)
    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, ge=1024)
    check_fragments: bool = False
    allow_private: bool = False
    use_env_proxy: bool = False
    resolve: dict[str, str] = Field(default_factory=dict)  # host -> "addr[:port]"
    ca_bundle: str | None = None
    user_agent: str = DEFAULT_USER_AGENT
    headers: dict[str, str] = Field(default_factory=dict)
    accept: Accept = Field(default_factory=lambda: parse_accept(DEFAULT_ACCEPT))
    exclude: list[Pattern] = Field(default_factory=list)
    include: list[Pattern] = Field(default_factory=list)  # when set, only these
    hosts: dict[str, HostSettings] = Field(default_factory=dict)
    outage_ratio: float = Field(default=DEFAULT_OUTAGE_RATIO, gt=0, le=1)

    store: str = DEFAULT_STORE
    max_age: Duration = Field(default_factory=lambda: parse_duration(DEFAULT_MAX_AGE))
    fail_after: int = Field(default=DEFAULT_FAIL_AFTER, ge=1)
    keep_runs: int = Field(default=DEFAULT_KEEP_RUNS, ge=2)
    strict: bool = False

    reports_dir: str = DEFAULT_REPORTS_DIR
    no_reports: bool = False
    report_formats: list[str] = Field(default_factory=list)  # extra formats to write

    base_url: str | None = None
    directory_indexes: list[str] = Field(default_factory=lambda: list(DEFAULT_DIRECTORY_INDEXES))
    # Repository root for local links; resolved at load (default: git top or cwd).
    root: Path | None = None

    workers: int | None = Field(default=None, ge=1)
    cluster: str | None = None

    changed_since: str | None = None  # git revision: only links on lines changed since it

    archive: bool = False  # look up archived copies of failing links (check --archive)
    archive_endpoint: str = DEFAULT_ARCHIVE_ENDPOINT

    # lychee's options, spelt as lychee spells them.
    files_from: str | None = None  # a file (or "-") naming one input per line
    no_ignore: bool = False  # walk into files .gitignore/.ignore exclude
    hidden: bool = False  # walk into hidden files and folders
    exclude_path: list[Pattern] = Field(default_factory=list)  # files never read
    remap: list[RemapRule] = Field(default_factory=list)
    method: RequestMethod = RequestMethod.GET
    insecure: bool = False  # accept invalid TLS certificates
    min_tls: TlsVersion | None = None
    basic_auth: list[BasicAuthRule] = Field(default_factory=list, repr=False)
    # Sent to github_api_endpoint only (github.com links are checked through the API).
    github_token: str | None = Field(default=None, repr=False)
    github_api_endpoint: str = DEFAULT_GITHUB_API_ENDPOINT
    cookie_jar: str | None = None  # cookies read before and written after the run
    offline: bool = False  # local links only: no network request at all

    @field_validator("report_formats")
    @classmethod
    def _report_formats_known(cls, value: list[str]) -> list[str]:
        for fmt in value:
            if fmt not in REPORT_FILES:
                raise ValueError(
                    f"{fmt!r} is not a report file; choose from: {', '.join(REPORT_FILES)}"
                )
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        return None if value is None else cls._endpoint_is_a_base_url(value)

    @field_validator("archive_endpoint", "github_api_endpoint")
    @classmethod
    def _endpoint_is_a_base_url(cls, value: str) -> str:
        from urllib.parse import urlsplit

        try:
            parts = urlsplit(value.strip())
            _ = parts.port
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a URL ({exc})") from None
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} is not an http(s) base URL (e.g. https://example.org)")
        if parts.query or parts.fragment:
            raise ValueError(f"{value!r}: a base URL has no query or fragment")
        return value.strip().rstrip("/")

    @field_validator("resolve")
    @classmethod
    def _resolve_targets(cls, value: dict[str, str]) -> dict[str, str]:
        """``HOST=ADDR[:PORT]`` pairs, checked by the guard's own parser at load; host
        names spelt as requests spell them (punycode)."""
        if value:
            from linkhealth.fetch.guard import parse_resolve_target

            for name, target in value.items():
                try:
                    parse_resolve_target(name, target)
                except ConfigError as exc:
                    raise ValueError(str(exc)) from None
        from linkhealth.weburl import ascii_host  # yarl: imported only when needed

        return {ascii_host(name): target for name, target in value.items()}

    @field_validator("hosts")
    @classmethod
    def _host_names(cls, value: dict[str, HostSettings]) -> dict[str, HostSettings]:
        """Per-host keys spelt as requests spell host names (punycode, lower case)."""
        if not value:
            return value
        from linkhealth.weburl import ascii_host  # yarl: imported only when needed

        return {ascii_host(name): sub for name, sub in value.items()}

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
    import tomllib

    folder = start.resolve()
    for candidate in (folder, *folder.parents):
        own = candidate / CONFIG_FILE_NAME
        if own.is_file():
            return own
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            try:
                data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
            if isinstance(data.get("tool"), dict) and "linkhealth" in data["tool"]:
                return pyproject
    return None


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


def _check_keys(table: dict[str, object], model: type[BaseModel], where: str) -> None:
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
    field = Settings.model_fields[name]
    default = field.get_default(call_default_factory=True)
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
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

    from pydantic import ValidationError

    from linkhealth.errors import ConfigError

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
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = str(err["loc"][0]) if err["loc"] else ""
            where = source.get(key, _kebab(".".join(str(p) for p in err["loc"])))
            problems.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
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
