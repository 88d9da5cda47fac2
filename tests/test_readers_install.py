"""Readers are not renderers: `pip install facesynth` (no render extra) suits today's ML stacks.

`make test` runs this file (and the reader, export and verify tests) twice: in the render
environment (Python 3.11, numpy 1, bpy) and in `.venv-np2` (Python 3.12, numpy 2, no bpy).
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

PYPROJECT = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]


def _requirements(names: list[str]) -> dict[str, Requirement]:
    return {Requirement(r).name: Requirement(r) for r in names if not r.startswith("facesynth")}


def test_base_install_allows_numpy_2_and_python_3_11_to_3_13() -> None:
    python = SpecifierSet(PYPROJECT["requires-python"])
    assert all(v in python for v in ("3.11.7", "3.12.1", "3.13.0")), python
    base = _requirements(PYPROJECT["dependencies"])
    assert "2.2.0" in base["numpy"].specifier and "1.26.4" in base["numpy"].specifier
    assert "bpy" not in base and not {"torch", "imageio", "webdataset"} & set(base)
    render = _requirements(PYPROJECT["optional-dependencies"]["render"])
    assert "bpy" in render and "2.0.0" not in render["numpy"].specifier  # bpy 5.0.1 needs numpy < 2


def test_readers_import_and_work_without_bpy_under_this_numpy(tmp_path: Path) -> None:
    # A fresh interpreter where `import bpy` fails, as after `pip install facesynth`: the reader,
    # the exporter, verify and the CLI's dataset commands load and run.
    code = (
        "import sys; sys.modules['bpy'] = None\n"
        "import numpy as np, facesynth, facesynth.io, facesynth.io.export, facesynth.io.verify\n"
        "from facesynth.cli import main\n"
        "from facesynth.io import DatasetWriter, open_dataset, verify\n"
        "from testkit.synthetic import synthetic_sample\n"
        f"root = {str(tmp_path / 'ds')!r}\n"
        "w = DatasetWriter(root, 'name: t\\nseed: 7\\nsamples: 2\\n')\n"
        "for i in range(2): w.write_sample(i, *synthetic_sample(i, width=32, height=24, posmap_size=16))\n"
        "assert not verify(root).corrupt and open_dataset(root)[1].depth.dtype == np.float32\n"
        "print(np.__version__, 'bpy' in [m for m in sys.modules if sys.modules[m] is not None])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [np.__version__, "False"]
