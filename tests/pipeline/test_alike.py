"""An outage's results that the run wrote alike are vouched for (by id) to the writers of
the store's record and of the JSON report (``_Run.alike``), which then skip the check of
each one's shape: every result vouched for has the shape for certain, none is vouched for
where the run cannot tell, and the outputs are the bytes written without the vouch."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from linkhealth import procs
from linkhealth.cli import cli
from linkhealth.config import Settings
from linkhealth.models import CheckResult, ShapeModel, Verdict
from linkhealth.pipeline import run
from linkhealth.report import ahead
from linkhealth.store import Store

URLS = [f"http://host{n % 7}.offline.test/p{n}" for n in range(40)]


def outage_list(tmp_path: Path, *, local: bool = False) -> Path:
    lines = ["# Links\n\n"]
    for n, url in enumerate(URLS):
        if n % 15 == 0:
            lines.append(f"## Section {n}\n\n")
        lines.append(f"- [link {n}]({url}{'#top' if n % 4 == 0 else ''})\n")
    if local:
        (tmp_path / "other.md").write_text("# Other\n", encoding="utf-8")
        lines.append("- [a local one](other.md)\n")
    path = tmp_path / "list.md"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def check(where: Path, lst: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli,
        ["check", str(lst), "--store", str(where / "state.sqlite"), "--format", "json",
         "--reports-dir", str(where / "reports"), *args],
    )  # fmt: skip


def past_run(where: Path) -> None:
    """A finished run that is no outage, some of the URLs broken in it (a history)."""
    where.mkdir(parents=True, exist_ok=True)
    store = Store.open(where / "state.sqlite")
    at = datetime.now(UTC) - timedelta(days=1)
    run_id = store.begin_run(at, paths=["list.md"], judging=Settings().judging())
    results = [
        CheckResult(url=url, verdict=Verdict.BROKEN if n % 2 else Verdict.OK, checked_at=at)
        for n, url in enumerate(URLS)
    ]
    store.record(run_id, results)
    store.finish_run(run_id, finished_at=at, partial=False, network="ok")
    store.close()


@pytest.fixture
def vouched(monkeypatch: pytest.MonkeyPatch) -> list[list[CheckResult]]:
    """The results each run vouched for (a second core free: the JSON's children get the
    vouch too)."""
    monkeypatch.setattr(procs, "free_core", lambda: True)
    monkeypatch.setattr(ahead, "MIN_RESULTS", 0)
    seen: list[list[CheckResult]] = []
    real = run._Run.alike

    def alike(self: run._Run) -> frozenset[int]:
        ids = real(self)
        seen.append([result for result in self.plan.results if id(result) in ids])
        return ids

    monkeypatch.setattr(run._Run, "alike", alike)
    return seen


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize(
    ("local", "past", "any_vouched"),
    [(False, False, True), (True, False, False), (False, True, False)],
)
def test_the_results_vouched_for_have_one_shape_for_certain(
    tmp_path: Path, vouched: list[list[CheckResult]], local: bool, past: bool, any_vouched: bool
) -> None:
    if past:
        past_run(tmp_path / "run")
    result = check(tmp_path / "run", outage_list(tmp_path, local=local))
    assert result.exit_code == 3, result.output
    (alike,) = vouched
    assert bool(alike) == any_vouched
    if alike:
        assert len(alike) == len(URLS)
        model = ShapeModel(alike[0].__dict__)
        assert all(model.holds(result.__dict__) for result in alike)


_TIMES = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?")


def _outputs(where: Path, result: Result) -> list[str]:
    texts = [result.stdout, result.stderr]
    texts += [path.read_text() for path in sorted((where / "reports").iterdir())]
    for fmt in ("json", "markdown"):
        stored = CliRunner().invoke(
            cli, ["report", "--store", str(where / "state.sqlite"), "--format", fmt]
        )
        texts.append(stored.stdout)
    return [_TIMES.sub("T", text) for text in texts]


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("past", [False, True])
def test_the_outputs_are_those_written_without_the_vouch(
    tmp_path: Path,
    vouched: list[list[CheckResult]],
    monkeypatch: pytest.MonkeyPatch,
    past: bool,
) -> None:
    lst = outage_list(tmp_path)
    if past:
        past_run(tmp_path / "with")
        past_run(tmp_path / "without")
    with_vouch = check(tmp_path / "with", lst)
    assert with_vouch.exit_code == 3, with_vouch.output
    assert bool(vouched[0]) != past
    monkeypatch.setattr(run._Run, "alike", lambda self: frozenset())
    without = check(tmp_path / "without", lst)
    assert without.exit_code == 3, without.output
    assert _outputs(tmp_path / "with", with_vouch) == _outputs(tmp_path / "without", without)
