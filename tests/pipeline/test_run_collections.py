"""What the lists make is kept for the run: read with no collection, then frozen (out of
the cyclic GC's sight) until the run ends; a read that fails freezes nothing."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path
from typing import Any

import pytest

from linkhealth.config import Settings
from linkhealth.errors import InputError
from linkhealth.fetch import FetchResult
from linkhealth.models import Verdict
from linkhealth.pipeline import run as run_module
from linkhealth.pipeline import run_check

from .test_fake_fetcher import FakeFetcher


def test_the_lists_are_read_uncollected_and_kept_frozen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    links = tmp_path / "links.md"
    links.write_text("- https://a.example/x\n- https://b.example/y\n", encoding="utf-8")
    seen: dict[str, Any] = {}
    read = run_module._read_inputs

    async def reading(paths: list[str], settings: Settings) -> Any:
        seen["collecting"] = gc.isenabled()
        return await read(paths, settings)

    look_ahead = run_module._Run.look_ahead

    async def looking(self: Any) -> None:
        occurrence = self.parsed.occurrences[0]
        seen["frozen"] = gc.get_freeze_count()
        seen["tracked"] = any(o is occurrence for o in gc.get_objects())
        await look_ahead(self)

    monkeypatch.setattr(run_module, "_read_inputs", reading)
    monkeypatch.setattr(run_module._Run, "look_ahead", looking)
    answers = {
        url: FetchResult(url, Verdict.OK, 200, attempts=1)
        for url in ("https://a.example/x", "https://b.example/y")
    }
    settings = Settings(store=str(tmp_path / "state.sqlite"))
    outcome = asyncio.run(
        run_check(settings, paths=[str(links)], root=tmp_path, fetcher=FakeFetcher(answers))
    )
    assert [r.verdict for r in outcome.report.results] == [Verdict.OK, Verdict.OK]
    assert seen == {"collecting": False, "frozen": seen["frozen"], "tracked": False}
    assert seen["frozen"] > 0
    assert gc.get_freeze_count() == 0 and gc.isenabled()  # given back as the run ended


def test_a_read_that_fails_freezes_nothing(tmp_path: Path) -> None:
    settings = Settings(store=str(tmp_path / "state.sqlite"))
    missing = str(tmp_path / "missing.md")
    with pytest.raises(InputError):
        asyncio.run(run_check(settings, paths=[missing], root=tmp_path, fetcher=FakeFetcher({})))
    assert gc.get_freeze_count() == 0 and gc.isenabled()


def test_a_run_that_fails_before_its_plan_gives_back_the_frozen_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parse is frozen as it is read; a run that ends between the parse and the plan
    (the look-ups ahead failing to start) gives it back all the same (review12 R2)."""
    links = tmp_path / "links.md"
    links.write_text("- https://a.example/x\n- https://b.example/y\n", encoding="utf-8")
    seen: dict[str, int] = {}

    async def failing(self: Any) -> None:
        seen["frozen"] = gc.get_freeze_count()
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(run_module._Run, "look_ahead", failing)
    settings = Settings(store=str(tmp_path / "state.sqlite"))
    with pytest.raises(RuntimeError, match="new thread"):
        asyncio.run(run_check(settings, paths=[str(links)], root=tmp_path, fetcher=FakeFetcher({})))
    assert seen["frozen"] > 0  # the case under test: the parse was frozen
    assert gc.get_freeze_count() == 0 and gc.isenabled()
