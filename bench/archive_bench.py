"""What ``check --archive`` costs: requests to the archive and wall time, night after night.

    .venv/bin/python -m bench.archive_bench --links 30            # default archive pace
    .venv/bin/python -m bench.archive_bench --links 30 --interval 0

A loopback site answers 404 for ``--links`` URLs; a loopback Wayback stand-in
(``tests/support/wayback.py``) holds, for a third of them each, no capture, a newest
capture with status 200 (one request: the availability API), and a newest capture with
status 404 over an older 200 (two requests: availability, then CDX). The same check runs
three times ("nights") on one store: without ``--archive``, with it, and with it again.
Printed: requests the archive received, copies found, wall seconds, and the load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from linkhealth.config import HostSettings, Settings
from linkhealth.pipeline import run_check
from support.servers import Reply, ServerPool, html_page
from support.wayback import Wayback


def night(settings: Settings, lst: Path) -> tuple[float, int]:
    began = time.monotonic()
    outcome = asyncio.run(run_check(settings, paths=[str(lst)]))
    copies = sum(1 for r in outcome.report.results if r.archive_url)
    return time.monotonic() - began, copies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--links", type=int, default=30)
    parser.add_argument("--interval", type=float, default=None, help="archive host interval")
    args = parser.parse_args()
    with ServerPool(lifetime=900) as pool, tempfile.TemporaryDirectory() as tmp:
        site = pool.host("127.0.0.2")
        wb = Wayback(pool.host("127.0.0.5"), name="archive.test")
        lines = []
        for i in range(args.links):
            path = f"/gone/{i}"
            site.route(path, Reply(404, body=html_page("Not Found")))
            url = f"http://site.test:{site.port}{path}"
            lines.append(f"- [post {i}]({url})")
            if i % 3 == 1:
                wb.capture(url, "20240101000000")
            elif i % 3 == 2:
                wb.capture(url, "20230101000000").capture(url, "20250101000000", 404)
        lst = Path(tmp) / "list.md"
        lst.write_text("\n".join(lines) + "\n", encoding="utf-8")
        hosts = (
            {} if args.interval is None else {"archive.test": HostSettings(interval=args.interval)}
        )
        base = Settings(
            store=str(Path(tmp) / "state.sqlite"),
            resolve={"site.test": site.target, "archive.test": wb.server.target},
            archive_endpoint=wb.endpoint,
            hosts=hosts,
            retries=0,
            host_interval=0.0,
            max_age="0",
        )
        pace = "default" if args.interval is None else f"{args.interval:g} s"
        print(f"{args.links} dead links, archive interval {pace}, load {os.getloadavg()[0]:.2f}")
        for label, archive in (
            ("without --archive", False),
            ("--archive", True),
            ("--archive again", True),
        ):
            before = wb.server.hits()
            seconds, copies = night(base.model_copy(update={"archive": archive}), lst)
            asked = wb.server.hits() - before
            print(f"  {label:18} {seconds:6.1f} s  archive requests {asked:3d}  copies {copies}")


if __name__ == "__main__":
    main()
