"""Durations as people write them on the command line (``--max-age 1d``).

``parse_duration`` turns ``"1d"``, ``"12h"``, ``"30m"``, ``"45s"``, ``"2w"``,
``"1h30m"`` or ``"0"`` into a :class:`~datetime.timedelta`. A value is one or
more ``<number><unit>`` parts (units ``w d h m s``, case-insensitive, decimals
allowed); a bare number is only accepted for zero, since ``3600`` could mean
seconds or minutes. Anything else raises :class:`~linkhealth.errors.ConfigError`
with a message that names the value and shows the expected form.
"""

from __future__ import annotations

import re
from datetime import timedelta

from linkhealth.errors import ConfigError

UNIT_SECONDS: dict[str, int] = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}

_PART = re.compile(r"(\d+(?:\.\d+)?)([a-z])")
_WHOLE = re.compile(r"(?:\d+(?:\.\d+)?[a-z])+")
_ZERO = re.compile(r"0+(?:\.0+)?")

_EXPECTED = "expected a number with a unit (w, d, h, m, s), e.g. 1d, 12h, 30m, 1h30m, or 0"


def parse_duration(value: str) -> timedelta:
    """Parse a duration such as ``1d`` or ``1h30m``; ``0`` means no time at all."""
    if not isinstance(value, str):  # config files may hand us numbers
        raise ConfigError(f"invalid duration {value!r}: {_EXPECTED}")
    text = value.strip().lower()
    if _ZERO.fullmatch(text):
        return timedelta(0)
    if not text:
        raise ConfigError(f"invalid duration {value!r}: empty; {_EXPECTED}")
    if text.startswith("-"):
        raise ConfigError(f"invalid duration {value!r}: a duration cannot be negative")
    if not _WHOLE.fullmatch(text):
        if re.fullmatch(r"\d+(?:\.\d+)?", text):
            raise ConfigError(f"invalid duration {value!r}: missing unit; {_EXPECTED}")
        raise ConfigError(f"invalid duration {value!r}: {_EXPECTED}")
    seconds = 0.0
    seen: set[str] = set()
    for number, unit in _PART.findall(text):
        if unit not in UNIT_SECONDS:
            raise ConfigError(f"invalid duration {value!r}: unknown unit {unit!r}; {_EXPECTED}")
        if unit in seen:
            raise ConfigError(f"invalid duration {value!r}: unit {unit!r} given twice")
        seen.add(unit)
        seconds += float(number) * UNIT_SECONDS[unit]
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise ConfigError(f"invalid duration {value!r}: too large") from None


def format_duration(value: timedelta) -> str:
    """The text :func:`parse_duration` reads back as ``value``: ``1d``, ``1h30m``, ``0``,
    ``2.5s``."""
    seconds = value.total_seconds()
    if seconds <= 0:
        return "0"
    left = int(seconds)
    fraction = seconds - left
    parts: list[str] = []
    for unit, size in UNIT_SECONDS.items():
        count, left = divmod(left, size) if unit != "s" else (left, 0)
        if unit == "s" and fraction:
            parts.append(f"{count + fraction:g}s")
        elif count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
