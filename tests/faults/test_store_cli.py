"""Two ``linkhealth check`` processes on one store at once: no "database is locked", no
lost update (each run's every result is stored), the file passes ``integrity_check``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from faults.faultkit import DEADLINE, child_env, cli_argv, integrity_ok, rows
from support.servers import Reply, ServerPool, html_page

URLS = 120


def test_two_runs_at_once_on_one_store(tmp_path: Path) -> None:
    with ServerPool(lifetime=DEADLINE) as pool:
        host = pool.host("127.0.0.1")
        for n in range(URLS):
            host.route(f"/p{n}", Reply(200, body=html_page(f"P {n}"), delay=0.02))
        (tmp_path / "list.md").write_text("".join(f"- {host.url(f'/p{n}')}\n" for n in range(URLS)))
        procs = [
            subprocess.Popen(
                cli_argv(
                    "check",
                    "list.md",
                    "--allow-private",
                    "--store",
                    "s.sqlite",
                    "--max-age",
                    "0",
                    "--no-reports",
                    "--format",
                    "json",
                    "--host-concurrency",
                    "16",
                ),
                cwd=tmp_path,
                env=child_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _ in range(2)
        ]
        outs = [p.communicate(timeout=DEADLINE) for p in procs]
    for proc, (out, err) in zip(procs, outs, strict=True):
        text = err.decode()
        assert proc.returncode == 0, text
        assert "Traceback" not in text and "locked" not in text
        assert len(json.loads(out)["results"]) == URLS
    store = tmp_path / "s.sqlite"
    assert integrity_ok(store)
    runs = rows(store, "SELECT id FROM runs")
    assert len(runs) == 2
    for (run_id,) in runs:
        stored = rows(store, f"SELECT COUNT(DISTINCT url) FROM results WHERE run_id = {run_id}")
        assert stored[0][0] == URLS
