"""Accepted HTTP statuses (``--accept``, ``accept = "200-299,429"``): the one parser.

:func:`parse_accept` turns the configured text into :class:`StatusRanges` when the
settings load, so a bad value is a usage error before any work. One item is read by
:func:`_item_range`; a new spelling of a range (lychee's ``200..=299``) goes there.
"""

from __future__ import annotations

MIN_STATUS = 100
MAX_STATUS = 999

#: The accepted statuses when none are configured (``--accept``).
DEFAULT_ACCEPT = "200-299"


class StatusRanges:
    """A set of accepted status codes and the text it was parsed from."""

    __slots__ = ("_codes", "text")

    def __init__(self, text: str, codes: frozenset[int]) -> None:
        self.text = text
        self._codes = codes

    def __contains__(self, status: object) -> bool:
        return status in self._codes

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StatusRanges) and other._codes == self._codes

    def __hash__(self) -> int:
        return hash(self._codes)

    def __repr__(self) -> str:
        return f"StatusRanges({self.text!r})"

    def __str__(self) -> str:
        return self.text


def _item_range(item: str) -> tuple[int, int]:
    """``(first, last)`` of one item: ``404``, ``200-299``, or lychee's ``200..=299``,
    ``200..300`` (end excluded), ``..=204``, ``500..``. Raises :class:`ValueError`."""
    try:
        if ".." in item:
            lo, hi = item.split("..", 1)
            first = int(lo) if lo.strip() else MIN_STATUS
            inclusive = hi.startswith("=")
            hi = hi.removeprefix("=")
            if inclusive and not hi.strip():
                raise ValueError(item)
            last = (int(hi) + (0 if inclusive else -1)) if hi.strip() else MAX_STATUS
        else:
            lo, sep, hi = item.partition("-")
            first = int(lo)
            last = int(hi) if sep else first
    except ValueError:
        raise ValueError(
            f"{item!r} is not a status or a range (e.g. 200-299,429 or 200..=299)"
        ) from None
    if not MIN_STATUS <= first <= last <= MAX_STATUS:
        raise ValueError(f"{item!r} is not a valid status range ({MIN_STATUS}-{MAX_STATUS})")
    return first, last


def parse_accept(text: str) -> StatusRanges:
    """Parse ``"200-299,429"``; raises :class:`ValueError` naming the bad item."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a list of statuses (e.g. '200-299,429')")
    codes: set[int] = set()
    for part in text.split(","):
        item = part.strip()
        if item:
            first, last = _item_range(item)
            codes.update(range(first, last + 1))
    if not codes:
        raise ValueError(f"{text!r} names no status code")
    return StatusRanges(text.strip(), frozenset(codes))
