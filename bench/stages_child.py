"""The child of ``bench/stages_bench.py``: ``linkhealth check ARGS`` run here, printing the
process's CPU (ms, ``time.process_time``) at each stage's end, then exiting at the first
request's bytes. It imports nothing before linkhealth but what the interpreter has (no typing:
annotations are not evaluated here)."""

from __future__ import annotations

import os
import sys
import time

from bench.stagemarks import mark_after

STAGES = ("look_ahead", "make_plan", "open_store", "check_local", "reuse")


def child(argv: list[str]) -> None:
    """Run ``linkhealth check *argv`` here, printing each stage's CPU end (ms) as it ends."""
    marks: list[tuple[str, float]] = [("interpreter", time.process_time())]

    def mark(name: str) -> None:
        marks.append((name, time.process_time()))

    import linkhealth.cli as cli_module

    mark("import click + linkhealth.cli")
    import linkhealth.cli.check

    mark("import cli.check")
    import linkhealth.pipeline  # noqa: F401  (its import is a stage of its own)

    mark("import linkhealth.pipeline")
    from linkhealth.fetch import wire
    from linkhealth.pipeline import run

    def after(owner: object, name: str, label: str) -> None:
        mark_after(owner, name, label, mark)

    after(run, "_read_inputs", "settings + parse")
    for stage in STAGES:
        after(run._Run, stage, stage)
    send = wire.Connection.send

    def first_send(self: object, *args: object, **kwargs: object) -> object:
        mark("fetch set-up to the first request")
        for name, at in marks:
            print(f"{at * 1000:.2f} {name}", flush=True)
        os._exit(0)
        return send(self, *args, **kwargs)  # pragma: no cover

    wire.Connection.send = first_send  # type: ignore[method-assign,assignment]
    sys.argv = ["linkhealth", "check", *argv]
    cli_module.main()


if __name__ == "__main__":
    child(sys.argv[1:])
