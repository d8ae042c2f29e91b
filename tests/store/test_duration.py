"""--max-age values: the accepted forms and the messages for the rest."""

from __future__ import annotations

from datetime import timedelta

import pytest

from linkhealth.duration import parse_duration
from linkhealth.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1d", timedelta(days=1)),
        ("12h", timedelta(hours=12)),
        ("30m", timedelta(minutes=30)),
        ("45s", timedelta(seconds=45)),
        ("2w", timedelta(weeks=2)),
        ("0", timedelta(0)),
        ("0.0", timedelta(0)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1.5h", timedelta(minutes=90)),
        (" 1D ", timedelta(days=1)),
        ("0s", timedelta(0)),
    ],
)
def test_accepted(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("3600", "missing unit"),
        ("-1d", "negative"),
        ("1y", "unknown unit 'y'"),
        ("1d1d", "given twice"),
        ("10ms", "expected a number with a unit"),
        ("d", "expected a number with a unit"),
        ("1 d", "expected a number with a unit"),
        ("99999999999999w", "too large"),
    ],
)
def test_rejected_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_duration(text)
    assert message in str(caught.value)
    assert repr(text) in str(caught.value)


def test_non_string_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        parse_duration(86400)  # type: ignore[arg-type]
