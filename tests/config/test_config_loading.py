"""Settings precedence: flags > environment > file > defaults; unknown keys named."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkhealth.config import (
    DEFAULT_HOST_CONCURRENCY,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_RETRIES,
    Settings,
    find_config_file,
    load_settings,
)
from linkhealth.errors import ConfigError


def test_defaults_without_file(tmp_path: Path) -> None:
    settings, used = load_settings({}, env={}, cwd=tmp_path)
    assert used is None
    assert settings.max_concurrency == DEFAULT_MAX_CONCURRENCY
    assert settings.host_concurrency == DEFAULT_HOST_CONCURRENCY


def test_pyproject_table_found_walking_up(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.linkhealth]\nmax-concurrency = 7\nretries = 5\n'
    )
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config_file(deep) == tmp_path / "pyproject.toml"
    settings, used = load_settings({}, env={}, cwd=deep)
    assert used == tmp_path / "pyproject.toml"
    assert settings.max_concurrency == 7
    assert settings.retries == 5


def test_pyproject_without_table_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert find_config_file(tmp_path) is None


def test_precedence_flag_over_env_over_file(tmp_path: Path) -> None:
    (tmp_path / "linkhealth.toml").write_text("retries = 5\ntimeout = 3.0\nstrict = false\n")
    env = {"LINKHEALTH_RETRIES": "4", "LINKHEALTH_STRICT": "true"}
    settings, _ = load_settings({"retries": 1, "timeout": None}, env=env, cwd=tmp_path)
    assert settings.retries == 1  # flag wins
    assert settings.strict is True  # env over file
    assert settings.timeout == 3.0  # file over default; a None flag does not override


@pytest.mark.parametrize(("raw", "want"), [("off", False), ("Yes", True), (" 0 ", False)])
def test_env_booleans_are_read_by_the_settings_rule(raw: str, want: bool) -> None:
    settings, _ = load_settings({}, env={"LINKHEALTH_STRICT": raw}, cwd=Path("/"))
    assert settings.strict is want


def test_an_env_boolean_it_cannot_read_is_an_error_not_false() -> None:
    # It was read as false: `LINKHEALTH_STRICT=ture` quietly turned strict mode off.
    with pytest.raises(ConfigError) as info:
        load_settings({}, env={"LINKHEALTH_STRICT": "ture"}, cwd=Path("/"))
    assert "LINKHEALTH_STRICT: expected true or false, got 'ture'" in str(info.value)


def test_env_lists_and_maps() -> None:
    env = {"LINKHEALTH_EXCLUDE": "a\\.com, b\\.org", "LINKHEALTH_RESOLVE": "x.test=127.0.0.2"}
    settings, _ = load_settings({}, env=env, cwd=Path("/"))
    assert [p.pattern for p in settings.exclude] == ["a\\.com", "b\\.org"]
    assert settings.resolve == {"x.test": "127.0.0.2"}


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("max-concurency = 3\n", "did you mean 'max-concurrency'"),
        ("[hosts.'a.com']\nconcurency = 2\n", '[hosts."a.com"]: unknown key'),
        ("retries = 'many'\n", "retries"),
        ("retries = \n", "not valid TOML"),
    ],
)
def test_bad_files_name_the_problem(tmp_path: Path, text: str, needle: str) -> None:
    (tmp_path / "linkhealth.toml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings({}, env={}, cwd=tmp_path)
    assert needle in str(info.value)


def test_unknown_env_variable_is_named() -> None:
    with pytest.raises(ConfigError, match=r"LINKHEALTH_RETRYS.*did you mean LINKHEALTH_RETRIES"):
        load_settings({}, env={"LINKHEALTH_RETRYS": "2"}, cwd=Path("/"))


def test_unrelated_linkhealth_variables_are_left_alone() -> None:
    # A host header may name env:LINKHEALTH_TOKEN; that is no misspelt setting.
    settings, _ = load_settings({}, env={"LINKHEALTH_TOKEN": "s3cret"}, cwd=Path("/"))
    assert settings.retries == DEFAULT_RETRIES


@pytest.mark.parametrize(
    ("file_text", "env", "flags", "needle"),
    [
        ("fail-after = 'x'\n", {}, {}, "fail-after in "),
        ("", {"LINKHEALTH_FAIL_AFTER": "abc"}, {}, "LINKHEALTH_FAIL_AFTER: "),
        ("", {}, {"retries": -1}, "--retries: "),
        ("max-age = '12x'\n", {}, {}, "max-age in "),
    ],
)
def test_a_bad_value_names_where_it_came_from(
    tmp_path: Path, file_text: str, env: dict[str, str], flags: dict[str, object], needle: str
) -> None:
    (tmp_path / "linkhealth.toml").write_text(file_text)
    with pytest.raises(ConfigError) as info:
        load_settings(flags, env=env, cwd=tmp_path)
    assert needle in str(info.value)
    if "LINKHEALTH" in needle or "--" in needle:
        assert "linkhealth.toml" not in str(info.value)


def test_missing_explicit_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings({}, config_file=tmp_path / "nope.toml", env={}, cwd=tmp_path)


def test_host_overrides_match_parent_domains() -> None:
    settings = Settings.model_validate({"hosts": {"github.com": {"concurrency": 2}}})
    assert settings.host("api.github.com").concurrency == 2
    assert settings.host("GITHUB.com.").concurrency == 2
    assert settings.host("gitlab.com").concurrency is None
