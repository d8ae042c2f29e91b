"""Settings: one pydantic model, named defaults.

Every default is a named constant, reused by the CLI, the docs and the tests.
Precedence (built in the CLI): flags > ``LINKHEALTH_*`` environment > file > defaults.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from linkhealth import __version__

DEFAULT_PATHS = ("lists/",)
DEFAULT_GLOB = ("*.md", "*.markdown")
DEFAULT_MAX_CONCURRENCY = 128
DEFAULT_HOST_CONCURRENCY = 4
DEFAULT_HOST_INTERVAL = 0.05  # seconds between request starts on one host
DEFAULT_HOST_JITTER = 0.5  # fraction of the interval added at random
DEFAULT_TIMEOUT = 20.0  # seconds per attempt, total
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 15.0
DEFAULT_URL_DEADLINE = 60.0  # seconds per URL, all attempts and waits
DEFAULT_RETRIES = 2
DEFAULT_MAX_REDIRECTS = 10
DEFAULT_MAX_BODY_BYTES = 512 * 1024
DEFAULT_RETRY_AFTER_MAX = 60.0
DEFAULT_BACKOFF_BASE = 0.5
DEFAULT_MAX_AGE = "1d"
DEFAULT_FAIL_AFTER = 1
DEFAULT_STORE = ".linkhealth/state.sqlite"
DEFAULT_REPORTS_DIR = "reports"
DEFAULT_USER_AGENT = (
    f"linkhealth/{__version__} (+https://github.com/linkhealth/linkhealth; link checker)"
)
DEFAULT_ACCEPT = "200-299"
DEFAULT_OUTAGE_RATIO = 0.9  # share of hosts failing at the network level
DEFAULT_DIRECTORY_INDEXES = ("README.md", "index.md")


class CommentMode(StrEnum):
    """How links inside HTML comments are treated.

    ``auto``: a file that is entirely one comment is parsed inside; partial comments skipped.
    """

    AUTO = "auto"
    INCLUDE = "include"
    SKIP = "skip"


class HostSettings(BaseModel):
    """Per-host overrides (``[tool.linkhealth.hosts."example.com"]``)."""

    model_config = ConfigDict(extra="forbid")

    concurrency: int | None = Field(default=None, ge=1)
    interval: float | None = Field(default=None, ge=0)
    # Header values of the form ``env:NAME`` are read from the environment.
    headers: dict[str, str] = Field(default_factory=dict)
    accept: str | None = None
    exclude: bool = False


class Settings(BaseModel):
    """Every configuration key, with its default."""

    model_config = ConfigDict(extra="forbid")

    paths: list[str] = Field(default_factory=lambda: list(DEFAULT_PATHS))
    glob: list[str] = Field(default_factory=lambda: list(DEFAULT_GLOB))
    comments: CommentMode = CommentMode.AUTO

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
    accept: str = DEFAULT_ACCEPT
    exclude: list[str] = Field(default_factory=list)  # regexes
    include: list[str] = Field(default_factory=list)  # regexes; when set, only these
    hosts: dict[str, HostSettings] = Field(default_factory=dict)
    outage_ratio: float = Field(default=DEFAULT_OUTAGE_RATIO, gt=0, le=1)

    store: str = DEFAULT_STORE
    max_age: str = DEFAULT_MAX_AGE
    fail_after: int = Field(default=DEFAULT_FAIL_AFTER, ge=1)
    strict: bool = False

    reports_dir: str = DEFAULT_REPORTS_DIR
    no_reports: bool = False
    report_formats: list[str] = Field(default_factory=list)  # extra formats to write

    base_url: str | None = None
    directory_indexes: list[str] = Field(default_factory=lambda: list(DEFAULT_DIRECTORY_INDEXES))
    root: str | None = None  # repository root for local links; default: git top or cwd

    workers: int | None = Field(default=None, ge=1)
    cluster: str | None = None

    def host(self, hostname: str) -> HostSettings:
        """The overrides for one host (exact name, then parent domains)."""
        name = hostname.lower().rstrip(".")
        while name:
            if name in self.hosts:
                return self.hosts[name]
            _, _, name = name.partition(".")
        return HostSettings()

    def store_path(self) -> Path:
        return Path(self.store)
