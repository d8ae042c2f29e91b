"""Each settings key's rule: what it accepts as written (TOML, flags, LINKHEALTH_* text,
the cluster's JSON), the typed value it holds, and what it refuses."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from linkhealth.config import (
    CommentMode,
    HostSettings,
    InvalidSettings,
    Settings,
    TlsVersion,
    load_settings,
)
from linkhealth.errors import ConfigError


@pytest.mark.parametrize(
    ("key", "written", "held"),
    [
        ("retries", 3, 3),
        ("retries", "3", 3),  # environment values are text
        ("retries", " 4 ", 4),
        ("retries", "3.0", 3),
        ("retries", 3.0, 3),
        ("retries", True, 1),
        ("timeout", "0.5", 0.5),
        ("timeout", 2, 2.0),
        ("outage_ratio", 1, 1.0),
        ("strict", "yes", True),
        ("strict", "off", False),
        ("strict", 1, True),
        ("comments", "include", CommentMode.INCLUDE),
        ("min_tls", "TLSv1_2", TlsVersion.TLS1_2),
        ("min_tls", None, None),
        ("glob", ("*.md",), ["*.md"]),
        ("max_age", "1h30m", timedelta(hours=1, minutes=30)),
        ("root", "docs", Path("docs")),
        ("archive_endpoint", "https://archive.test/", "https://archive.test"),
        ("max_body_bytes", 1024, 1024),
    ],
)
def test_a_value_as_written_is_held_typed(key: str, written: object, held: object) -> None:
    value = getattr(Settings(**{key: written}), key)
    assert value == held and type(value) is type(held)


@pytest.mark.parametrize(
    ("key", "written", "says"),
    [
        ("retries", "many", "expected an integer"),
        ("retries", "1e3", "expected an integer"),
        ("retries", 3.5, "expected an integer"),
        ("retries", -1, "at least 0"),
        ("max_body_bytes", 1023, "at least 1024"),
        ("timeout", 0, "more than 0"),
        ("outage_ratio", 1.5, "at most 1"),
        ("timeout", "fast", "expected a number"),
        ("strict", 2, "true or false"),
        ("strict", "maybe", "true or false"),
        ("store", 5, "expected a string"),
        ("comments", "AUTO", "expected one of 'auto', 'include', 'skip'"),
        ("glob", "*.md", "expected a list"),
        ("headers", {"X": 1}, "X: expected a string"),
        ("exclude", ["ok", "("], "1: "),
        ("report_formats", ["pdf"], "not a report file"),
        ("base_url", "ftp://x.test/", "not an http(s) base URL"),
        ("accept", "bogus", "bogus"),
        ("max_age", "12x", "12x"),
    ],
)
def test_a_bad_value_is_refused_saying_why(key: str, written: object, says: str) -> None:
    with pytest.raises(InvalidSettings) as info:
        Settings(**{key: written})
    assert str(info.value).startswith(f"{key}")
    assert says in str(info.value)


def test_every_problem_is_named_at_its_place() -> None:
    with pytest.raises(InvalidSettings) as info:
        Settings(retries=-1, nope=1, hosts={"a.test": {"concurrency": 0, "bogus": 1}})
    assert [loc for loc, _ in info.value.problems] == [
        ("nope",),
        ("retries",),
        ("hosts", "a.test", "bogus"),
        ("hosts", "a.test", "concurrency"),
    ]


def test_load_names_the_source_and_the_nested_key(tmp_path: Path) -> None:
    (tmp_path / "linkhealth.toml").write_text('[hosts."a.test"]\nconcurrency = 0\n')
    named = r"hosts in .*linkhealth.toml: a.test.concurrency: must be at least 1"
    with pytest.raises(ConfigError, match=named):
        load_settings({}, env={}, cwd=tmp_path)


def test_typed_values_dump_as_their_text_and_read_back() -> None:
    settings = Settings(
        accept="200-299,429",
        max_age="12h",
        exclude=["^https://a\\."],
        remap=["^http://old/ https://new/"],
        basic_auth=["^https://intra/ me:secret"],
        hosts={"Bücher.example": {"accept": "200,403", "interval": "0.5"}},
        root="docs",
        method="head",
    )
    data = settings.model_dump(mode="json")
    assert data["accept"] == "200-299,429" and data["max_age"] == "12h"
    assert data["exclude"] == ["^https://a\\."] and data["method"] == "head"
    assert data["hosts"] == {
        "xn--bcher-kva.example": {
            "concurrency": None,
            "interval": 0.5,
            "headers": {},
            "accept": "200,403",
            "exclude": False,
        }
    }
    assert data["root"] == "docs"
    assert Settings.model_validate(data) == settings
    assert "secret" not in repr(settings)  # credentials are not shown


def test_a_copy_takes_typed_values_and_leaves_the_original() -> None:
    settings = Settings()
    copied = settings.model_copy(update={"max_body_bytes": 5, "hosts": {"x": HostSettings()}})
    assert (copied.max_body_bytes, settings.max_body_bytes) == (5, Settings().max_body_bytes)
    assert copied.hosts == {"x": HostSettings()} and settings.hosts == {}
    with pytest.raises(InvalidSettings, match="unknown key"):
        settings.model_copy(update={"retrys": 1})


def test_defaults_are_fresh_per_table() -> None:
    one, two = Settings(), Settings()
    one.glob.append("*.txt")
    assert two.glob == ["*.md", "*.markdown"]
    assert Settings().exclude == [] and Settings().exclude is not Settings().exclude
