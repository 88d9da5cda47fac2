"""User characters (FBX / glTF / GLB / OBJ with facial shape keys) -> `FacePack`.

Blender's own importers read the file, in a separate Python process with a clean factory-settings
scene (so a user's file never touches the caller's scene, and an importer crash never takes the
caller down). That process hands back plain arrays (vertices, polygons, UVs, materials, shape
keys) in facesynth's model-frame axes but still in the importer's units (metres for FBX and glTF);
they are cached under the facesynth cache dir, keyed by the sha256 of the file (and of the side
files it reads) and the import options, so the same file is read by Blender once. Everything after
that (unit scale, expression mapping, regions, face area, pivot, landmarks) is numpy, in
`facesynth.assets.character`.

Axes: every importer delivers Blender's convention, +Z up and the character facing -Y (glTF's
+Y-up is converted by the importer, FBX and OBJ by their default axis settings). facesynth's model
frame is +Y up, +Z out of the face, +X the subject's left: (x, y, z)_model = (x, z, -y)_blender,
which for glTF gives back the file's own coordinates. See docs/characters.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from facesynth.assets.cache import cache_dir
from facesynth.assets.character import (  # the numpy half: raw arrays -> FacePack
    IMPORTER_VERSION,
    RawCharacter,
    build_pack,
    check_map,
    check_scale,
    weld,
)
from facesynth.assets.obj import check_obj
from facesynth.assets.pack import FacePack
from facesynth.assets.references import contained, references
from facesynth.atomic import atomic_path
from facesynth.errors import FacesynthError, UserError, WorkError

FORMATS: dict[str, str] = {".fbx": "fbx", ".glb": "gltf", ".gltf": "gltf", ".obj": "obj"}

# Blender world axes (Z up, facing -Y) -> model frame (Y up, facing +Z); a rotation (det +1).
BLENDER_TO_MODEL = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])

METRES_MM = 1000.0
_CHILD_TIMEOUT_S = 900
_USER_ERROR_PREFIX = "FACESYNTH_USER_ERROR: "



# --- public API ------------------------------------------------------------------------------------


def import_character(
    path: str | os.PathLike[str],
    *,
    expression_map: Mapping[str, str],
    unit_scale_mm: float | None,
    landmarks_68: Sequence[int] | None,
    mesh_name: str | None = None,
    pivot_mm: Sequence[float] | None = None,
) -> FacePack:
    """Import a character file as a FacePack (mm, model frame +Y up / +Z forward).

    `expression_map` maps the file's shape-key names to ARKit names (`eyeBlinkLeft` or
    `eyeBlink_L`); unmapped keys are left out. `unit_scale_mm` is millimetres per unit of the
    imported coordinates: FBX and glTF arrive in metres (1000, also what None means for them),
    OBJ as written (must be given). Without `landmarks_68` the pack has no landmarks
    (`pack.has_landmarks` is False). `pivot_mm` defaults to a point behind the face.
    See docs/characters.md.
    """
    src = Path(path).expanduser()
    fmt = character_format(src)
    scale = check_scale(default_unit_scale_mm(src) if unit_scale_mm is None else unit_scale_mm, src)
    names = check_map(expression_map, src)
    raw = extract_character(src, mesh_name=mesh_name)
    return build_pack(
        raw,
        src,
        expression_names=names,
        unit_scale_mm=scale,
        landmarks_68=landmarks_68,
        pivot_mm=pivot_mm,
        fmt=fmt,
    )


def character_format(path: Path) -> str:
    """'fbx' | 'gltf' | 'obj' for a readable character file; otherwise a UserError naming it."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UserError(
            f"character file {path}: unsupported extension {path.suffix or '(none)'!r}; "
            f"expected one of {', '.join(FORMATS)}"
        )
    if not path.is_file():
        raise UserError(f"character file {path} does not exist")
    return fmt


def default_unit_scale_mm(path: str | os.PathLike[str]) -> float:
    """1000 for FBX and glTF (Blender's importers deliver metres); an OBJ has no unit, so there is
    no default and asking is a UserError."""
    src = Path(path)
    if character_format(src) == "obj":
        raise UserError(f"character file {src}: OBJ files carry no unit; set unit_scale_mm (cm: 10, m: 1000)")
    return METRES_MM


def extract_character(path: str | os.PathLike[str], *, mesh_name: str | None = None) -> RawCharacter:
    """Blender's reading of `path` (one mesh; glTF welded, see `weld`), from the cache or by
    running Blender once."""
    src = Path(path).expanduser()
    fmt = character_format(src)
    digest = source_digest(src)
    cached = _cache_path(src, mesh_name, digest)
    raw = None
    if cached.exists():
        with contextlib.suppress(OSError, ValueError, KeyError):  # a damaged entry is rebuilt below
            raw = _load_raw(cached)
    if raw is None:
        if fmt == "obj":  # Blender's importer only warns about garbage, bad indices and NaNs
            check_obj(src.read_bytes(), str(src))
        with atomic_path(cached) as tmp:
            _run_blender(src, fmt, mesh_name, tmp)
        raw = _load_raw(cached)
    return replace(weld(raw) if fmt == "gltf" else raw, source=digest)


def extraction_cache_path(path: str | os.PathLike[str], *, mesh_name: str | None = None) -> Path:
    """Where Blender's reading of `path` is cached: keyed by the sha256 of the file and of the files
    it pulls in (a .gltf's buffers, an .obj's material libraries) and by the options."""
    src = Path(path).expanduser()
    return _cache_path(src, mesh_name, source_digest(src))


def source_digest(path: Path) -> dict[str, Any]:
    """{'file_sha256': ..., 'companion_sha256': {side file: sha256}}: what the importer reads."""
    return {"file_sha256": file_sha256(path), "companion_sha256": companion_sha256(path)}


def _cache_path(src: Path, mesh_name: str | None, digest: Mapping[str, Any]) -> Path:
    options = {"format": FORMATS.get(src.suffix.lower()), "mesh_name": mesh_name, "importer": IMPORTER_VERSION}
    key = hashlib.sha256(json.dumps({**options, **digest}, sort_keys=True).encode()).hexdigest()
    return cache_dir() / "characters" / f"{key[:32]}.npz"


def companion_sha256(path: Path) -> dict[str, str]:
    """sha256 of the side files the importer reads (name -> digest, 'missing' if absent): a glTF's
    external buffers and images, an .obj's mtllib files (material names decide regions) and their
    textures. Each must lie inside the character's folder (`assets.references`)."""
    out: dict[str, str] = {}
    for name, side in references(path).items():
        out[name] = file_sha256(side) if side.is_file() else "missing"
    return out


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise UserError(f"cannot read character file {path}: {exc.strerror or exc}") from None
    return digest.hexdigest()


def blender_run_count() -> int:
    """How many times this process has started Blender to read a character (cache misses)."""
    return _BLENDER_RUNS[0]


# --- numpy: raw arrays -> FacePack -------------------------------------------------------------------



# --- the cache file ----------------------------------------------------------------------------------

_BLENDER_RUNS = [0]


def _load_raw(path: Path) -> RawCharacter:
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        return RawCharacter(
            mesh_name=meta["mesh_name"],
            mesh_names=tuple(meta["mesh_names"]),
            vertices=z["vertices"],
            poly_offsets=z["poly_offsets"],
            poly_vertices=z["poly_vertices"],
            poly_uv=z["poly_uv"],
            poly_material=z["poly_material"],
            material_names=tuple(meta["material_names"]),
            key_names=tuple(meta["key_names"]),
            key_deltas=z["key_deltas"],
            uv_layer=meta["uv_layer"],
            blender_version=meta["blender_version"],
        )


def _save_raw(raw: RawCharacter, path: Path) -> None:
    meta = {
        "mesh_name": raw.mesh_name,
        "mesh_names": list(raw.mesh_names),
        "material_names": list(raw.material_names),
        "key_names": list(raw.key_names),
        "uv_layer": raw.uv_layer,
        "blender_version": raw.blender_version,
        "importer": IMPORTER_VERSION,
    }
    with open(path, "wb") as fh:
        np.savez_compressed(
            fh,
            meta=np.array(json.dumps(meta)),
            vertices=raw.vertices,
            poly_offsets=raw.poly_offsets,
            poly_vertices=raw.poly_vertices,
            poly_uv=raw.poly_uv,
            poly_material=raw.poly_material,
            key_deltas=raw.key_deltas,
        )


# --- the Blender process -----------------------------------------------------------------------------


def _run_blender(src: Path, fmt: str, mesh_name: str | None, out: Path) -> None:
    """Read `src` with Blender in a child process that writes the raw arrays to `out`."""
    _BLENDER_RUNS[0] += 1
    job = json.dumps({"src": str(src.resolve()), "format": fmt, "mesh_name": mesh_name, "out": str(out)})
    code = "import sys; from facesynth.render.characters import _child_main; sys.exit(_child_main(sys.argv[1]))"
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])  # works from a source checkout too
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, job],
            env=env,
            capture_output=True,
            text=True,
            timeout=_CHILD_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise WorkError(f"Blender took over {_CHILD_TIMEOUT_S} s to read character file {src}") from None
    for line in reversed(done.stderr.splitlines()):
        if line.startswith(_USER_ERROR_PREFIX):
            raise UserError(line[len(_USER_ERROR_PREFIX) :])
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise WorkError(f"Blender failed reading character file {src} (exit {done.returncode}): {tail}")


def _child_main(job_json: str) -> int:
    """Entry point of the Blender process: exit 0 with the cache file written, else 2/1."""
    job = json.loads(job_json)
    try:
        raw = _read_with_blender(Path(job["src"]), job["format"], job["mesh_name"])
        _save_raw(raw, Path(job["out"]))
    except FacesynthError as exc:
        if isinstance(exc, UserError):
            print(_USER_ERROR_PREFIX + " ".join(str(exc).split()), file=sys.stderr)
        else:
            print(str(exc), file=sys.stderr)
        return exc.exit_code
    return 0


def _read_with_blender(src: Path, fmt: str, mesh_name: str | None) -> RawCharacter:
    from facesynth.render._bpy import import_bpy

    bpy = import_bpy()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    # Nothing a character file brings along may run code in this process.
    bpy.context.preferences.filepaths.use_scripts_auto_execute = False
    try:
        if fmt == "fbx":
            # Geometry only: no animation, no recursive hunt for missing textures on disk.
            result = bpy.ops.import_scene.fbx(filepath=str(src), use_anim=False, use_image_search=False)
        elif fmt == "gltf":
            result = bpy.ops.import_scene.gltf(filepath=str(src), import_pack_images=False)
        else:
            result = bpy.ops.wm.obj_import(filepath=str(src))
    except Exception as exc:  # importers raise anything on a damaged file
        raise UserError(f"Blender could not read character file {src}: {_first_line(exc)}") from None
    if "FINISHED" not in result:
        raise UserError(f"Blender could not read character file {src}")
    _refuse_outside_files(bpy, src)
    meshes = sorted(
        (o for o in bpy.data.objects if o.type == "MESH" and len(o.data.polygons) > 0), key=lambda o: o.name
    )
    if not meshes:
        raise UserError(f"character file {src} holds no mesh with polygons")
    names = tuple(o.name for o in meshes)
    if mesh_name is None:
        obj = max(meshes, key=lambda o: len(o.data.vertices))  # first of equals: sorted by name
    else:
        found = [o for o in meshes if mesh_name in (o.name, o.data.name)]
        if not found:
            raise UserError(f"character file {src} has no mesh named {mesh_name!r}; meshes: {', '.join(names)}")
        obj = found[0]
    return _mesh_arrays(bpy, obj, names)


def _refuse_outside_files(bpy: Any, src: Path) -> None:
    """Images and libraries the importer linked must lie inside the character's folder (an FBX
    names its textures by absolute path; glTF and OBJ references are checked before import)."""
    for block in (*bpy.data.images, *bpy.data.libraries):
        if getattr(block, "packed_file", None) is not None or not block.filepath:
            continue
        path = Path(bpy.path.abspath(block.filepath, start=str(src.parent)))
        if path.exists():  # a texture path from the author's machine that is absent here is harmless
            contained(src, os.path.relpath(path, src.parent))


def _mesh_arrays(bpy: Any, obj: Any, mesh_names: tuple[str, ...]) -> RawCharacter:
    me = obj.data
    n_vert, n_poly, n_loop = len(me.vertices), len(me.polygons), len(me.loops)
    world = np.array(obj.matrix_world, dtype=np.float64)
    linear = BLENDER_TO_MODEL @ world[:3, :3]
    offset = BLENDER_TO_MODEL @ world[:3, 3]

    def coords(collection: Any) -> np.ndarray:
        buf = np.empty(n_vert * 3, dtype=np.float32)
        collection.foreach_get("co", buf)
        return buf.reshape(-1, 3).astype(np.float64)

    keys = me.shape_keys
    basis_local = coords(keys.reference_key.data if keys else me.vertices)
    vertices = basis_local @ linear.T + offset
    key_names: list[str] = []
    deltas: list[np.ndarray] = []
    if keys:
        for block in keys.key_blocks:
            if block == keys.reference_key:
                continue
            key_names.append(block.name)
            deltas.append(((coords(block.data) - basis_local) @ linear.T).astype(np.float32))

    starts = np.empty(n_poly, dtype=np.int64)
    me.polygons.foreach_get("loop_start", starts)
    counts = np.empty(n_poly, dtype=np.int64)
    me.polygons.foreach_get("loop_total", counts)
    corner_vertex = np.empty(n_loop, dtype=np.int32)
    me.loops.foreach_get("vertex_index", corner_vertex)
    corner_uv = np.zeros(n_loop * 2, dtype=np.float32)
    uv_layer = ""
    if len(me.uv_layers):
        me.uv_layers[0].data.foreach_get("uv", corner_uv)
        uv_layer = me.uv_layers[0].name
    material_index = np.empty(n_poly, dtype=np.int32)
    me.polygons.foreach_get("material_index", material_index)

    # Polygons as contiguous corner runs in polygon order (Blender usually stores them so already).
    offsets = np.zeros(n_poly + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    corners = np.repeat(starts - offsets[:-1], counts) + np.arange(offsets[-1])
    if np.linalg.det(linear) < 0:  # a mirroring transform flips winding: reverse each polygon
        first, size = np.repeat(offsets[:-1], counts), np.repeat(counts, counts)
        k = np.arange(offsets[-1]) - first  # corner number within its polygon
        corners = corners[first + (size - k) % size]  # keeps corner 0, reverses the rest
    materials = tuple(s.material.name if s.material else "" for s in obj.material_slots)
    if materials:
        material_index = np.clip(material_index, 0, len(materials) - 1)
    else:
        material_index[:] = 0
    return RawCharacter(
        mesh_name=obj.name,
        mesh_names=mesh_names,
        vertices=vertices,
        poly_offsets=offsets,
        poly_vertices=corner_vertex[corners],
        poly_uv=corner_uv.reshape(-1, 2)[corners],
        poly_material=material_index,
        material_names=materials,
        key_names=tuple(key_names),
        key_deltas=np.stack(deltas) if deltas else np.zeros((0, n_vert, 3), np.float32),
        uv_layer=uv_layer,
        blender_version=bpy.app.version_string,
    )


def _first_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    useful = [ln for ln in lines if not ln.lower().startswith(("traceback", "file ", "error: python"))]
    line = (useful or lines or [type(exc).__name__])[-1]
    return line.removeprefix("Error: ")[:300]
