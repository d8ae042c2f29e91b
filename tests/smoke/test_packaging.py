"""Every third-party package imported under src/ is declared in pyproject.toml."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imported_top_levels() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "src" / "linkhealth").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n != "linkhealth"}


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = [*project["dependencies"], *project["optional-dependencies"]["cluster"]]
    names = set()
    for spec in specs:
        # "dask[distributed]>=…" declares dask and, through its extra, distributed.
        head = re.match(r"([A-Za-z0-9_.-]+)(?:\[([^\]]*)\])?", spec)
        assert head, spec
        names.add(_canon(head.group(1)))
        names.update(_canon(x) for x in (head.group(2) or "").split(",") if x.strip())
    return names


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_imported_package_is_declared() -> None:
    owners = packages_distributions()
    declared = _declared()
    missing = {}
    for module in sorted(_imported_top_levels()):
        dists = {_canon(d) for d in owners.get(module, [module])}
        if not dists & declared:
            missing[module] = sorted(dists)
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


def test_zero_x_dependencies_have_an_upper_bound() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for spec in project["dependencies"]:
        floor = re.search(r">=\s*([0-9][^,;\s]*)", spec)
        if floor and floor.group(1).startswith("0."):
            assert "<" in spec, f"{spec}: a 0.x dependency may break in any minor release"
