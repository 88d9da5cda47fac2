"""Every `from facesynth... import name` anywhere in the repository (package, bench, tools, tests,
models), including the ones inside functions that only run on a rarely used path, names a module
and an attribute that exist: a renamed module must not survive as a lazy import nobody runs."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FOLDERS = ("facesynth", "bench", "tools", "tests", "testkit", "models/facesynth_models", "models/bench",
           "models/tests")


def facesynth_imports() -> dict[tuple[str, str], str]:
    """(module, name) -> the first file:line importing it."""
    found: dict[tuple[str, str], str] = {}
    for folder in FOLDERS:
        for path in sorted((REPO / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and not node.level and node.module \
                        and node.module.split(".")[0] == "facesynth":
                    for alias in node.names:
                        found.setdefault((node.module, alias.name), f"{path.relative_to(REPO)}:{node.lineno}")
    return found


def test_every_facesynth_import_resolves() -> None:
    pytest.importorskip("bpy")  # facesynth.render modules are imported here too
    missing = []
    imports = facesynth_imports()
    assert len(imports) > 300
    for (module, name), where in sorted(imports.items()):
        try:
            mod = importlib.import_module(module)
        except ImportError as exc:
            missing.append(f"{where}: {module} ({exc})")
            continue
        if name != "*" and not hasattr(mod, name):
            try:
                importlib.import_module(f"{module}.{name}")
            except ImportError:
                missing.append(f"{where}: {module} has no {name}")
    assert not missing, "\n".join(missing)
