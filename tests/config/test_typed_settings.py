"""Settings hold typed values once loaded, and ship as the text they were written as."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from linkhealth.cluster import settings_payload
from linkhealth.config import Settings, load_settings
from linkhealth.duration import format_duration, parse_duration
from linkhealth.errors import ConfigError


def test_values_are_parsed_at_load(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "linkhealth.toml").write_text(
        'accept = "200-299,429"\nmax-age = "1h30m"\nexclude = ["^https://skip\\\\."]\n'
        'root = "docs"\n[hosts."a.test"]\naccept = "200,403"\n'
    )
    settings, _ = load_settings({}, env={}, cwd=tmp_path)
    assert 429 in settings.accept and 404 not in settings.accept
    assert settings.max_age == timedelta(hours=1, minutes=30)
    assert isinstance(settings.exclude[0], re.Pattern)
    assert settings.exclude[0].search("https://skip.example/")
    assert settings.root == (tmp_path / "docs").resolve()
    host_accept = settings.host("a.test").accept
    assert host_accept is not None and 403 in host_accept
    assert settings.judging().host_accept == {"a.test": "200,403"}


def test_typed_values_round_trip_as_their_text(tmp_path: Path) -> None:
    settings, _ = load_settings(
        {"accept": "200-299, 418", "max_age": "12h", "include": ["a.test"]}, env={}, cwd=tmp_path
    )
    data = settings_payload(settings)
    assert (data["accept"], data["max_age"], data["include"]) == ("200-299, 418", "12h", ["a.test"])
    assert Settings.model_validate(data) == settings


@pytest.mark.parametrize("text", ["0", "45s", "90s", "1d", "2w3d", "1h30m", "0.5s", "1m2.5s"])
def test_format_duration_reads_back(text: str) -> None:
    assert parse_duration(format_duration(parse_duration(text))) == parse_duration(text)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"accept": "bogus"}, "--accept"),
        ({"accept": "200-1000"}, "--accept"),
        ({"max_age": "3x"}, "--max-age"),
        ({"exclude": ["("]}, "--exclude"),
        ({"resolve": {"a.test": "nope"}}, "--resolve"),
        ({"root": "missing-folder"}, "--root"),
    ],
)
def test_every_bad_value_is_a_config_error_naming_its_source(
    tmp_path: Path, overrides: dict[str, object], named: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(named)):
        load_settings(overrides, env={}, cwd=tmp_path)


def test_values_naming_the_outside_are_checked_at_load(tmp_path: Path) -> None:
    (tmp_path / "linkhealth.toml").write_text(
        '[hosts."api.test"]\nheaders = { Authorization = "env:LH_TEST_TOKEN" }\n'
    )
    with pytest.raises(ConfigError, match="LH_TEST_TOKEN unset"):
        load_settings({}, env={}, cwd=tmp_path)
    settings, _ = load_settings({}, env={"LH_TEST_TOKEN": "x"}, cwd=tmp_path)
    assert settings.host("api.test").headers == {"Authorization": "env:LH_TEST_TOKEN"}
    bundle = tmp_path / "not-a-cert.pem"
    bundle.write_text("hello\n")
    with pytest.raises(ConfigError, match="cannot load certificates"):
        load_settings({"ca_bundle": str(bundle)}, env={"LH_TEST_TOKEN": "x"}, cwd=tmp_path)


@pytest.mark.parametrize(
    ("key", "value"),
    [("report_formats", ["pdf"]), ("base_url", "docs/"), ("base_url", "ftp://x.example/")],
)
def test_report_files_and_base_url_are_checked_at_load(
    tmp_path: Path, key: str, value: object
) -> None:
    with pytest.raises(ConfigError, match=f"--{key.replace('_', '-')}"):
        load_settings({key: value}, env={}, cwd=tmp_path)
