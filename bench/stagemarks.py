"""The stage timers' one wrapper (``bench/stages_child.py``, ``bench/outage_stages.py``):
a method or function that calls ``mark(label)`` each time it returns. It imports nothing
(the children time their own imports)."""

from __future__ import annotations

from collections.abc import Callable


def mark_after(owner: object, name: str, label: str, mark: Callable[[str], None]) -> None:
    """Replace ``owner.name`` (a function or a coroutine function) by one that calls
    ``mark(label)`` when it returns (awaited, for a coroutine function)."""
    inner = getattr(owner, name)

    def wrapped(*args: object, **kwargs: object) -> object:
        result = inner(*args, **kwargs)
        mark(label)
        return result

    async def awaited(*args: object, **kwargs: object) -> object:
        result = await inner(*args, **kwargs)
        mark(label)
        return result

    is_async = inner.__code__.co_flags & 0x80  # CO_COROUTINE
    setattr(owner, name, awaited if is_async else wrapped)
