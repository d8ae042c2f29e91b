"""``linkhealth.example.toml`` names every key with its default, and loads."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import certifi
import pytest

from linkhealth.config import HostSettings, Settings, load_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "linkhealth.example.toml"
COMMENTED = re.compile(r"^# ((?:[a-z][a-z0-9-]* = .*)|(?:\[hosts\.\"[^\"]+\"\]))$")


def uncommented(text: str) -> str:
    """The example with its commented-out settings switched on."""
    return "\n".join(
        m.group(1) if (m := COMMENTED.match(line)) else line for line in text.splitlines()
    )


def test_example_loads_and_holds_the_defaults(tmp_path: Path) -> None:
    settings, used = load_settings({}, config_file=EXAMPLE, env={}, cwd=tmp_path)
    assert used == EXAMPLE
    assert settings == Settings(root=tmp_path.resolve())  # the root is resolved at load


def test_every_key_is_in_the_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # What the example names outside itself is checked at load: give it a CA bundle.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "certs").mkdir()
    shutil.copy(certifi.where(), tmp_path / "certs" / "internal-ca.pem")
    full = tmp_path / "linkhealth.toml"
    full.write_text(uncommented(EXAMPLE.read_text(encoding="utf-8")), encoding="utf-8")
    data = tomllib.loads(full.read_text(encoding="utf-8"))
    top = {key.replace("-", "_") for key in data}
    missing = sorted(set(Settings.model_fields) - top)
    assert missing == [], f"keys missing from linkhealth.example.toml: {missing}"
    host_keys = {key.replace("-", "_") for key in data["hosts"]["example.com"]}
    assert sorted(set(HostSettings.model_fields) - host_keys) == []
    # Kebab-case, as documented in the file's header.
    assert all("_" not in key for key in data), "example keys are spelled in kebab-case"
    # The uncommented example is valid too (types and ranges).
    settings, _ = load_settings({}, config_file=full, env={"EXAMPLE_TOKEN": "t"}, cwd=tmp_path)
    assert settings.host("api.example.com").concurrency == 2
    assert settings.host("example.com").headers == {"Authorization": "env:EXAMPLE_TOKEN"}


def test_uncommented_values_equal_the_defaults() -> None:
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    defaults = Settings().model_dump(mode="json")
    for key, value in data.items():
        assert defaults[key.replace("-", "_")] == value, key
