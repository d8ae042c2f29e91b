"""Patterns compiled at their first use (linkhealth.lazyre): the same answers as
``re.compile``'s, one compilation, and every lazy pattern in the package compiles."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import re
from collections.abc import Iterator

import pytest

import linkhealth
from linkhealth import lazyre
from linkhealth.lazyre import lazy_compile

TEXT = "See https://a.org/x and HTTP://B.org, then www.c.org; done.\nnext line"


@pytest.mark.parametrize(
    ("source", "flags"),
    [(r"(?P<scheme>https?)://([a-z.]+)", re.I), (r"\bwww\.", 0), (r"^n\w+", re.M), (r"x^", 0)],
)
def test_every_method_answers_as_the_compiled_pattern(source: str, flags: int) -> None:
    real = re.compile(source, flags)
    lazy = lazy_compile(source, flags)
    assert [m.span() for m in lazy.finditer(TEXT)] == [m.span() for m in real.finditer(TEXT)]
    assert lazy.findall(TEXT) == real.findall(TEXT)
    assert lazy.sub("<\\g<0>>", TEXT) == real.sub("<\\g<0>>", TEXT)
    assert lazy.subn("-", TEXT) == real.subn("-", TEXT)
    assert lazy.split(TEXT) == real.split(TEXT)
    for method in ("match", "search", "fullmatch"):
        for pos in (0, 4, 24):
            got, want = getattr(lazy, method)(TEXT, pos), getattr(real, method)(TEXT, pos)
            assert (got and got.span()) == (want and want.span())
    assert lazy.pattern == source and lazy.flags == real.flags and lazy.groups == real.groups


def test_compiled_once_at_the_first_call(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    compile_ = re.compile

    def counting(source: str, flags: int = 0) -> re.Pattern[str]:
        calls.append(source)
        return compile_(source, flags)

    monkeypatch.setattr(lazyre.re, "compile", counting)
    lazy = lazy_compile(rb"a+b")
    assert calls == []
    assert lazy.search(b"xaab") is not None and lazy.match(b"ab") is not None
    assert lazy.sub(b"-", b"aabab") == b"--"
    assert calls == [rb"a+b"]


def _lazy_in(value: object, depth: int = 0) -> Iterator[object]:
    """The lazy patterns in a module-level value: itself, or inside the tuples and
    dataclass instances it holds (the site rules of meta/quirks.py)."""
    if isinstance(value, lazyre._Lazy):
        yield value
    elif depth < 3 and isinstance(value, tuple):
        for item in value:
            yield from _lazy_in(item, depth + 1)
    elif depth < 3 and dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _lazy_in(getattr(value, f.name), depth + 1)


def test_every_lazy_pattern_of_the_package_compiles() -> None:
    found = 0
    for info in pkgutil.walk_packages(linkhealth.__path__, "linkhealth."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            for pattern in _lazy_in(value):
                found += 1
                assert isinstance(pattern, lazyre._Lazy)
                assert pattern.groups >= 0  # compiles it, or raises re.error
    assert found >= 55
