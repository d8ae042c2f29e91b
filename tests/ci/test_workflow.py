"""`.github/workflows/links.yml`: the nightly job uses the action on lists/; the pull-request
job's commands (lint and check --changed-since) run here in a real git repository whose
``origin/main`` is the pull request's base, against a loopback server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from support.gitrepo import git
from support.servers import Reply, ServerPool, html_page

ROOT = Path(__file__).resolve().parents[2]
EXPR = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")
BIN = str(Path(sys.executable).parent)


def workflow() -> dict[Any, Any]:
    data = yaml.safe_load((ROOT / ".github" / "workflows" / "links.yml").read_text())
    assert isinstance(data, dict)
    return data


def test_nightly_job_uses_the_action_on_lists() -> None:
    data = workflow()
    triggers = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers["schedule"][0]["cron"]
    assert "pull_request" in triggers and "pull_request_target" not in triggers
    assert data["permissions"] == {"contents": "read"}
    steps = data["jobs"]["nightly"]["steps"]
    action = next(s for s in steps if s.get("uses") == "./")
    assert action["with"]["paths"] == "lists/"
    assert steps[0]["uses"].startswith("actions/checkout@")


def test_pull_request_job_checks_only_changed_lines(pool: ServerPool, tmp_path: Path) -> None:
    site = pool.host("127.0.0.2")
    site.route("/old", Reply(404, body=html_page("Not Found")))  # broken before the PR
    site.route("/new", Reply(200, body=html_page("New page")))
    site.route("/new-gone", Reply(410, body=html_page("Gone")))
    repo = tmp_path / "repo"
    (repo / "lists").mkdir(parents=True)
    lst = repo / "lists" / "l.md"
    lst.write_text(f"# L\n\n- {site.url('/old')}\n")
    (repo / "linkhealth.toml").write_text(
        'allow-private = true\nretries = 0\nhost-interval = 0\nstore = ".linkhealth/s.sqlite"\n'
    )
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")  # what checkout fetches
    git(repo, "checkout", "-qb", "feature")
    lst.write_text(
        f"# L\n\n- {site.url('/old')}\n- {site.url('/new')}\n- [x]({site.url('/new-gone')})\n"
        "- htps://typo.example/\n"
    )
    git(repo, "commit", "-qam", "add links")

    job = workflow()["jobs"]["pull-request"]
    assert job["steps"][0]["with"]["fetch-depth"] == 0  # the base must be in the clone
    context = {"github.base_ref": "main"}
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ["PATH"]}
    for key, value in job["env"].items():
        env[key] = EXPR.sub(lambda m: context[m.group(1)], str(value))
    runs = [s for s in job["steps"] if "run" in s and "pip install" not in s["run"]]
    assert [("lint" in s["run"], "check" in s["run"]) for s in runs] == [
        (True, False),
        (False, True),
    ]
    outputs = []
    for step in runs:
        assert "--changed-since" in step["run"]
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        outputs.append(done)
    lint, check = outputs
    assert lint.returncode == 1
    assert lint.stdout.count("::error") == 1 and "line=6" in lint.stdout  # the typo only
    assert check.returncode == 1, check.stderr
    annotated = [line for line in check.stdout.splitlines() if line.startswith("::error")]
    # The new 410 and the typo are reported; the old 404 (an unchanged line) is not.
    # (a typo is both an invalid result and a lint finding: it may be annotated twice)
    assert {m for a in annotated for m in re.findall(r"line=(\d+)", a)} == {"5", "6"}
    assert site.hits("/old") == 0
