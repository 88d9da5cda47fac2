"""Zip blender_addons/facesynth_blender into an installable Blender extension package.

`python blender_addons/build_zip.py [OUT_DIR]` writes OUT_DIR/facesynth_blender-<version>.zip
(default OUT_DIR: dist/). Blender's own `blender --command extension build` makes the same
layout; this script needs only Python, for machines with `bpy` as a module and no Blender binary.
"""

from __future__ import annotations

import sys
import tomllib
import zipfile
from pathlib import Path

SOURCE = Path(__file__).resolve().parent / "facesynth_blender"


def build_zip(out_dir: str | Path, source: Path = SOURCE) -> Path:
    """The extension's files (no caches) under a top folder named after its id; returns the zip path."""
    manifest = tomllib.loads((source / "blender_manifest.toml").read_text(encoding="utf-8"))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    zp = out_dir / f"{manifest['id']}-{manifest['version']}.zip"
    tmp = zp.with_name(f".tmp-{zp.name}")  # a half-written zip never carries the final name
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for f in sorted(source.rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc":
                z.write(f, f"{manifest['id']}/{f.relative_to(source).as_posix()}")
    tmp.replace(zp)
    return zp


if __name__ == "__main__":
    print(build_zip(sys.argv[1] if len(sys.argv) > 1 else "dist"))
