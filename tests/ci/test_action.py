"""The composite action and the workflow, run as GitHub would run their shell steps.

Not GitHub itself: each ``run:`` step of ``action.yml`` runs in bash (``-eo pipefail``,
as the runner does) with ``${{ ... }}`` expressions substituted, ``GITHUB_OUTPUT`` and
``GITHUB_STEP_SUMMARY`` pointed at temporary files, and ``linkhealth`` from this venv
(the install step is skipped: the fresh-clone test proves installing). ``uses:`` steps
(setup-python, cache, upload-artifact) are GitHub's own and are checked for their inputs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.servers import Reply, ServerPool, html_page, unused_port

ROOT = Path(__file__).resolve().parents[2]
EXPR = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")
BIN = str(Path(sys.executable).parent)


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@dataclass
class StepRun:
    name: str
    code: int
    stdout: str
    stderr: str


@dataclass
class ActionRun:
    steps: list[StepRun] = field(default_factory=list)
    summary: str = ""
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)

    def step(self, name: str) -> StepRun:
        return next(s for s in self.steps if s.name == name)


def substitute(text: str, context: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        expr = match.group(1)
        assert expr in context, f"unknown expression in action.yml: {expr}"
        return context[expr]

    return EXPR.sub(one, text)


def read_outputs(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition("=")
        out[key] = value
    return out


def run_action(workspace: Path, inputs: dict[str, str]) -> ActionRun:
    action = load(ROOT / "action.yml")
    values = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    assert set(inputs) <= set(values), "unknown input"
    values.update(inputs)
    context = {f"inputs.{k}": v for k, v in values.items()}
    context.update(
        {
            "github.action_path": str(ROOT),
            "github.run_id": "4242",
            "github.run_attempt": "1",
            "github.workflow": "links",
            "github.job": "check",
            "runner.os": "Linux",
            # The install step (skipped here) makes a venv; this venv stands in for it.
            "steps.install.outputs.bin": BIN,
        }
    )
    runner_temp = workspace.parent / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    summary = workspace.parent / "step-summary.md"
    summary.write_text("")
    run = ActionRun()
    for index, step in enumerate(action["runs"]["steps"]):
        if "run" not in step or step.get("id") == "install":
            continue
        assert step.get("shell") == "bash"
        assert step.get("if", "always()") == "always()"
        outputs = workspace.parent / f"output-{index}.txt"
        outputs.write_text("")
        env = {
            **os.environ,
            "PATH": BIN + os.pathsep + os.environ.get("PATH", ""),
            "GITHUB_OUTPUT": str(outputs),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_ACTIONS": "true",
            "RUNNER_TEMP": str(runner_temp),
        }
        env.pop("NO_COLOR", None)
        for key, value in (step.get("env") or {}).items():
            env[key] = substitute(str(value), context)
        script = substitute(step["run"], context)
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        name = step.get("id") or step.get("name", f"step {index}")
        run.steps.append(StepRun(name, done.returncode, done.stdout, done.stderr))
        if "id" in step:
            got = read_outputs(outputs)
            run.outputs[step["id"]] = got
            for key, value in got.items():
                context[f"steps.{step['id']}.outputs.{key}"] = value
        if done.returncode != 0:
            break  # GitHub stops the job at the first failing step
    run.summary = summary.read_text()
    return run


def workspace_with(tmp_path: Path, name: str, text: str) -> Path:
    """A repository folder holding one list, ``name`` (e.g. ``lists/a.md``)."""
    workspace = tmp_path / "repo"
    (workspace / name).parent.mkdir(parents=True)
    (workspace / name).write_text(text)
    return workspace


NET_ARGS = "--allow-private --retries 0 --host-interval 0 --timeout 3"


def test_action_shape() -> None:
    action = load(ROOT / "action.yml")
    assert action["runs"]["using"] == "composite"
    assert {"paths", "args", "fail-after", "fail-on-outage"} <= set(action["inputs"])
    assert action["inputs"]["fail-on-outage"]["default"] == "false"
    uses = [s["uses"].split("@")[0] for s in action["runs"]["steps"] if "uses" in s]
    assert uses == [
        "actions/setup-python",
        "actions/cache/restore",
        "actions/cache/save",
        "actions/upload-artifact",
    ]
    by_use = {s["uses"].split("@")[0]: s for s in action["runs"]["steps"] if "uses" in s}
    assert by_use["actions/cache/restore"]["with"]["path"] == ".linkhealth/"
    assert by_use["actions/cache/save"]["with"]["path"] == ".linkhealth/"
    assert by_use["actions/cache/save"]["if"] == "always()"
    assert by_use["actions/upload-artifact"]["with"]["path"] == "reports/"
    install = next(s for s in action["runs"]["steps"] if s.get("id") == "install")
    assert "pip install" in install["run"] and "LH_ACTION_PATH" in install["run"]
    # The caller's Python is left alone: setup-python does not touch PATH, we use our venv.
    setup = by_use["actions/setup-python"]
    assert setup["with"]["update-environment"] is False
    assert "-m venv" in install["run"] and "GITHUB_PATH" not in install["run"]
    # One cache entry per attempt (a re-run saves its own), restored by prefix.
    key = by_use["actions/cache/save"]["with"]["key"]
    assert key == by_use["actions/cache/restore"]["with"]["key"]
    assert "github.run_id" in key and "github.run_attempt" in key
    restore = by_use["actions/cache/restore"]["with"]["restore-keys"].splitlines()
    prefixes = [line.strip() for line in restore if line.strip()]
    assert all(key.startswith(p) for p in prefixes)
    assert prefixes[-1] == "linkhealth-${{ runner.os }}-"


def test_action_run_with_a_broken_link(pool: ServerPool, tmp_path: Path) -> None:
    site = pool.host("127.0.0.2")
    site.route("/ok", Reply(200, body=html_page("Fine page")))
    site.route("/gone", Reply(404, body=html_page("Not Found")))
    workspace = tmp_path / "repo"
    (workspace / "lists").mkdir(parents=True)
    (workspace / "lists" / "links.md").write_text(
        f"# Links\n\n- {site.url('/ok')}\n- [gone]({site.url('/gone')})\n"
    )
    run = run_action(workspace, {"paths": "lists/", "args": NET_ARGS})
    check = run.step("check")
    assert check.code == 0  # the check step records the code; the verdict step fails
    assert run.outputs["check"]["exit-code"] == "1"
    annotations = [line for line in check.stdout.splitlines() if line.startswith("::")]
    assert len(annotations) == 1
    assert annotations[0].startswith("::error file=lists/links.md,line=4,col=")
    assert "404" in annotations[0]
    # The Markdown summary names the broken link and its place.
    # (the report escapes "http:" so GitHub does not autolink fetched text)
    row = next(line for line in run.summary.splitlines() if f"{site.port}/gone" in line)
    assert row.startswith("| 4 |") and "| broken | 404 |" in row
    assert "lists/links.md" in run.summary
    assert "**1 failing**" in run.summary
    assert (workspace / "reports" / "broken-links.md").is_file()  # the artifact's content
    assert (workspace / ".linkhealth" / "state.sqlite").is_file()  # what the cache saves
    verdict = run.steps[-1]
    assert verdict.name == "Verdict" and verdict.code == 1


def test_action_run_all_ok_passes(pool: ServerPool, tmp_path: Path) -> None:
    site = pool.host("127.0.0.3")
    site.route("/ok", Reply(200, body=html_page("Fine page")))
    workspace = workspace_with(tmp_path, "docs/a.md", f"- {site.url('/ok')}\n")
    run = run_action(workspace, {"paths": "docs/", "args": NET_ARGS, "fail-after": "2"})
    assert run.outputs["check"]["exit-code"] == "0"
    assert [s.code for s in run.steps] == [0, 0, 0]
    assert "::" not in run.step("check").stdout
    assert "Fine page" in run.summary or "ok" in run.summary.lower()


@pytest.mark.parametrize(("fail_on_outage", "job_code"), [("false", 0), ("true", 3)])
def test_outage_fails_the_job_only_when_asked(
    tmp_path: Path, fail_on_outage: str, job_code: int
) -> None:
    workspace = tmp_path / "repo"
    (workspace / "lists").mkdir(parents=True)
    hosts = [f"127.0.0.{n}" for n in (5, 6, 7)]
    (workspace / "lists" / "l.md").write_text(
        "".join(f"- http://{h}:{unused_port(h)}/x\n" for h in hosts)
    )
    run = run_action(
        workspace, {"args": NET_ARGS, "fail-on-outage": fail_on_outage, "paths": "lists/"}
    )
    assert run.outputs["check"]["exit-code"] == "3"
    verdict = run.steps[-1]
    assert verdict.code == job_code
    level = "::error::" if job_code else "::warning::"
    assert level in verdict.stdout
    assert "could not judge" in verdict.stdout
    assert "::error file=" not in run.step("check").stdout  # no link marked broken


def test_usage_error_fails_the_job(tmp_path: Path) -> None:
    workspace = tmp_path / "repo"
    workspace.mkdir()
    run = run_action(workspace, {"paths": "missing/"})
    assert run.outputs["check"]["exit-code"] == "2"
    assert "recorded no run" in run.summary
    assert run.steps[-1].code == 2


def test_job_summary_judges_as_the_run_did(pool: ServerPool, tmp_path: Path) -> None:
    # Issue 16: with fail-after "2" and --strict in args, `report --format markdown` (the
    # job summary) used the defaults: it counted links failing for the first time and
    # dropped the strict `blocked` link. It must match results.json and broken-links.md.
    site = pool.host("127.0.0.4")
    site.route("/gone", Reply(404, body=html_page("Not Found")))
    site.route("/forbidden", Reply(403, body=html_page("Forbidden")))
    for name in ("late-1", "late-2"):
        site.route(f"/{name}", Reply(200, body=html_page("Fine for now")))
    workspace = tmp_path / "repo"
    (workspace / "lists").mkdir(parents=True)
    (workspace / "lists" / "links.md").write_text(
        "".join(f"- {site.url(p)}\n" for p in ("/gone", "/forbidden", "/late-1", "/late-2"))
    )
    inputs = {"paths": "lists/", "args": f"{NET_ARGS} --strict --max-age 0", "fail-after": "2"}
    run_action(workspace, inputs)
    for name in ("late-1", "late-2"):
        site.route(f"/{name}", Reply(404, body=html_page("Not Found")))
    run = run_action(workspace, inputs)
    assert run.outputs["check"]["exit-code"] == "1"
    results = json.loads((workspace / "reports" / "results.json").read_text())
    assert results["summary"]["failing"] == 2  # /gone and /forbidden: two runs in a row
    broken = (workspace / "reports" / "broken-links.md").read_text()
    assert "/forbidden" in broken and "/late-1" not in broken
    assert "**2 failing**" in run.summary
    assert f"{site.port}/forbidden" in run.summary
    assert f"{site.port}/late-1" not in run.summary


def test_inputs_with_spaces_config_headers_and_github_token(
    pool: ServerPool, tmp_path: Path
) -> None:
    site = pool.host("127.0.0.2")
    api = pool.host("127.0.0.3")  # GitHub's REST API, as documented: Bearer token, JSON

    def private(req: Any) -> Reply:
        ok = (
            req.headers.get("authorization") == "Bearer two words"
            and req.headers.get("x-one") == "a b"
            and req.headers.get("x-two") == "c: d"
        )
        return Reply(418 if ok else 400, body=html_page("Teapot"))

    def repo(req: Any) -> Reply:
        ok = req.headers.get("authorization") == "Bearer ghp_" + "x" * 36
        return Reply(
            200 if ok else 401, body=b'{"full_name": "o/r"}', content_type="application/json"
        )

    site.route("/private", private)
    api.route("/repos/o/r", repo)
    workspace = tmp_path / "repo"
    (workspace / "my lists").mkdir(parents=True)
    (workspace / "my lists" / "a.md").write_text(
        f"- {site.url('/private')}\n- https://github.com/o/r\n"
    )
    # 418 is accepted by the config file only; the API base points at the stand-in.
    (workspace / "lh.toml").write_text(
        f'accept = "200-299,418"\ngithub-api-endpoint = "{api.url("")}"\n'
    )
    args = f"""
        {NET_ARGS}   # network settings for the test
        --header 'Authorization: Bearer two words'
        -H "X-One: a b"
    """
    run = run_action(
        workspace,
        {
            "paths": "'my lists/'",
            "args": args,
            "config": "lh.toml",
            "headers": "X-Two: c: d\n",
            "github-token": "ghp_" + "x" * 36,
        },
    )
    assert run.outputs["check"]["exit-code"] == "0", run.step("check").stderr
    assert site.hits("/private") == 1 and api.hits("/repos/o/r") == 1
    assert "ghp_" not in run.summary + run.step("check").stdout + run.step("check").stderr


def test_unbalanced_quote_in_args_is_a_usage_error(tmp_path: Path) -> None:
    workspace = workspace_with(tmp_path, "lists/a.md", "- http://127.0.0.1:9/\n")
    run = run_action(workspace, {"args": "--header 'Authorization: x"})
    assert run.outputs["check"]["exit-code"] == "2"
    assert "check the quotes" in run.step("check").stderr
    assert "recorded no run" in run.summary and run.steps[-1].code == 2


def test_summary_is_this_runs_own(pool: ServerPool, tmp_path: Path) -> None:
    # The store (restored from the cache) holds last night's run; tonight's run fails
    # with a usage error: the summary must not show last night's results as tonight's.
    site = pool.host("127.0.0.2")
    site.route("/gone", Reply(404, body=html_page("Not Found")))
    workspace = workspace_with(tmp_path, "lists/a.md", f"- {site.url('/gone')}\n")
    first = run_action(workspace, {"args": NET_ARGS})
    assert f"{site.port}/gone" in first.summary
    second = run_action(workspace, {"args": NET_ARGS, "paths": "missing/"})
    assert (workspace / ".linkhealth" / "state.sqlite").is_file()
    assert "recorded no run" in second.summary
    assert f"{site.port}/gone" not in second.summary
    assert "::error file=" not in second.step("check").stdout
