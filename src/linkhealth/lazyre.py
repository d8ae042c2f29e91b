"""Regular expressions compiled where they are first used, not at import.

``re.compile`` is pure Python here (~0.1-3 ms a pattern); a module-level pattern most runs
never use (a lint rule a plain list never reaches, a rare page's notice) made every
start-up pay for it. :func:`lazy_compile` gives an object with the pattern's methods that
compiles on its first call and then holds the compiled pattern's own bound methods (no
wrapper on later calls). Only the methods are there: never pass one to ``re.sub``,
``isinstance`` or anything that wants a real :class:`re.Pattern`.
"""

from __future__ import annotations

import re
from typing import Any, AnyStr, cast

_METHODS = ("match", "search", "fullmatch", "sub", "subn", "finditer", "findall", "split")


class _Lazy:
    def __init__(self, source: str | bytes, flags: int) -> None:
        self._source = (source, flags)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # (copy, pickle and the like ask for these)
            raise AttributeError(name)
        compiled: re.Pattern[Any] = re.compile(self._source[0], self._source[1])
        for method in _METHODS:
            setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy_compile({self._source[0]!r}, {self._source[1]})"


def lazy_compile(source: AnyStr, flags: int = 0) -> re.Pattern[AnyStr]:
    """``re.compile(source, flags)``, made at the first method call."""
    return cast("re.Pattern[AnyStr]", _Lazy(source, flags))
