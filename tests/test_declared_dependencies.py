"""Every third-party module that facesynth or facesynth-models imports (anywhere, lazily too) comes
from a distribution that its pyproject.toml declares: a plain `pip install facesynth[render]` (or
`pip install facesynth-models`) must not fail on a module that only the dev environment happened to have."""

from __future__ import annotations

import ast
import contextlib
import functools
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Extras a user installs to run facesynth (not test/dev): the import may live behind them.
RUNTIME_EXTRAS = ("render", "farm", "webdataset")
# Modules that installed metadata does not map to a distribution: a bare extension module, bpy's own
# modules (importable only once bpy has started), and torch where this environment lacks it.
KNOWN_PROVIDERS = {"OpenEXR": "openexr", "mathutils": "bpy", "bmesh": "bpy", "torch": "torch"}


def imported_top_level(package_dir: Path, own: str) -> dict[str, str]:
    """Top-level third-party module -> one file that imports it."""
    found: dict[str, str] = {}
    for path in sorted(package_dir.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top != own and top not in sys.stdlib_module_names and top != "__future__":
                    found.setdefault(top, str(path.relative_to(REPO)))
    return found


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~\[;(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def declared(pyproject: Path, extras: tuple[str, ...]) -> set[str]:
    """The declared distributions and, as installed here, what they require in turn (pydantic brings
    pydantic-core): importing a module of a dependency's dependency is safe."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    reqs = list(project.get("dependencies", []))
    for extra in extras:
        reqs += project.get("optional-dependencies", {}).get(extra, [])
    todo, seen = [_name(r) for r in reqs], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):  # not installed here
            todo += [_name(r) for r in importlib.metadata.requires(name) or [] if "extra ==" not in r]
    return seen


@functools.cache
def _module_to_distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()  # scans every installed distribution: once


def distributions_of(module: str) -> set[str]:
    found = _module_to_distributions().get(module, [])
    if not found and module in KNOWN_PROVIDERS:
        return {KNOWN_PROVIDERS[module]}
    return {d.lower().replace("_", "-") for d in found}


@pytest.mark.parametrize(("package_dir", "own", "pyproject", "extras", "provided"), [
    (REPO / "facesynth", "facesynth", REPO / "pyproject.toml", RUNTIME_EXTRAS, set()),
    (REPO / "models" / "facesynth_models", "facesynth_models", REPO / "models" / "pyproject.toml", (),
     {"facesynth"}),
], ids=["facesynth", "facesynth-models"])
def test_every_imported_module_is_declared(package_dir, own, pyproject, extras, provided) -> None:
    allowed = declared(pyproject, extras) | provided
    missing = {}
    for module, where in imported_top_level(package_dir, own).items():
        dists = distributions_of(module)
        if module == "facesynth" and "facesynth" in allowed:
            continue
        if not dists & allowed:
            missing[module] = (where, sorted(dists) or "not installed here")
    assert not missing, f"imported but not declared in {pyproject.relative_to(REPO)}: {missing}"
