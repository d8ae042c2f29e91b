"""A fresh clone in a fresh venv: the README's install-and-check command works as written.

What this proves: the committed tree (``git clone`` of HEAD, nothing from the working
copy) installs with ``pip install -e .`` into a new venv and ``.venv/bin/linkhealth check
lists/`` runs there to the end, writing reports, exit code per the contract, no traceback.
What it does not: resolving dependencies from PyPI (tests have no network), so the new
venv sees this environment's site-packages through a ``.pth`` file and pip runs with
``--no-deps --no-index --no-build-isolation``; the seed list's hosts are sent to a loopback
TLS stand-in with ``LINKHEALTH_RESOLVE``. ``.ci/run`` proves the rest: it runs the README's
test command verbatim (venv, ``pip install -e '.[test]'`` from the registry, pytest) on a
fresh clone in CI.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from support.servers import ServerPool

ROOT = Path(__file__).resolve().parents[2]
README_RUN = (
    "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/linkhealth check lists/"
)


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.slow
def test_fresh_clone_installs_and_checks(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.findall(r"```sh\n(.*?)\n```", readme, re.S)[0] == README_RUN

    clone = tmp_path / "clone"
    run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(clone)], tmp_path)
    assert (clone / "lists" / "reading-list.md").is_file()
    assert not (clone / ".venv").exists() and not (clone / ".linkhealth").exists()
    (clone / "reports" / "results.json").unlink(missing_ok=True)

    # Step 1 of the README command, as written.
    run([sys.executable, "-m", "venv", "--without-pip", ".venv"], clone)
    venv_python = clone / ".venv" / "bin" / "python"
    site = Path(
        run(
            [str(venv_python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            clone,
        ).strip()
    )
    # This environment's packages (dependencies, pip, hatchling) seen from the new venv;
    # a plain path line, so this checkout's own editable install is not picked up.
    (site / "zz_inherit.pth").write_text(sysconfig.get_path("purelib") + "\n")
    # Step 2: pip install -e . (offline).
    run(
        [str(venv_python), "-m", "pip", "install", "-q", "-e", ".", "--no-deps", "--no-index",
         "--no-build-isolation"],
        clone,
    )  # fmt: skip
    where = run(
        [str(venv_python), "-c", "import linkhealth; print(linkhealth.__file__)"], clone
    ).strip()
    assert Path(where).is_relative_to(clone.resolve()), where  # the clone's code, not ours

    # Step 3: .venv/bin/linkhealth check lists/, hosts answered by a loopback stand-in.
    linkhealth = str(clone / ".venv" / "bin" / "linkhealth")
    hosts_json = run([linkhealth, "extract", "lists/", "--format", "json"], clone)
    hosts = sorted(
        {
            m.group(1)
            for o in json.loads(hosts_json)
            if (m := re.match(r"https?://([^/:]+)", o["url"]))
        }
    )
    assert len(hosts) >= 5
    with ServerPool(lifetime=50) as pool:
        stand_in = pool.host("127.0.0.1", tls=True, names=hosts)
        env = {
            **os.environ,
            "LINKHEALTH_RESOLVE": ",".join(f"{h}={stand_in.target}" for h in hosts),
            "LINKHEALTH_ALLOW_PRIVATE": "1",
            "LINKHEALTH_CA_BUNDLE": pool.ca_file,
            "LINKHEALTH_RETRIES": "0",
        }
        command = README_RUN.split(" && ")[-1].split()
        done = subprocess.run(
            command, cwd=clone, env=env, capture_output=True, text=True, timeout=50, check=False
        )
    assert "Traceback" not in done.stderr
    # Every path answers 404 on the stand-in and line 37 is a typo: failing links, exit 1.
    assert done.returncode == 1, done.stderr
    assert "lists/reading-list.md:37:" in done.stdout
    results = json.loads((clone / "reports" / "results.json").read_text())
    assert results["summary"]["by_verdict"].get("invalid", 0) >= 1
    assert (clone / "reports" / "broken-links.md").is_file()
    assert stand_in.hits() >= len(hosts)
