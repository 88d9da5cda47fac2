"""User characters (FBX / glTF / GLB / OBJ with facial shape keys) -> `FacePack`.

Blender's own importers read the file, in a separate Python process with a clean factory-settings
scene (so a user's file never touches the caller's scene, and an importer crash never takes the
caller down). That process hands back plain arrays (vertices, polygons, UVs, materials, shape
keys) in facesynth's model-frame axes but still in the importer's units (metres for FBX and glTF);
they are cached under the facesynth cache dir, keyed by the sha256 of the file (and of the side
files it reads) and the import options, so the same file is read by Blender once. Everything after
that (unit scale, expression mapping, regions, face area, pivot, landmarks) is numpy.

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
import re
import subprocess
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from difflib import get_close_matches
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from facesynth.arkit import facesynth_spelling, is_arkit, name_words
from facesynth.assets import regions as R
from facesynth.assets.cache import cache_dir
from facesynth.assets.pack import FacePack
from facesynth.atomic import atomic_path
from facesynth.errors import FacesynthError, UserError, WorkError

IMPORTER_VERSION = "facesynth.render.characters/1"
FORMATS: dict[str, str] = {".fbx": "fbx", ".glb": "gltf", ".gltf": "gltf", ".obj": "obj"}

# Blender world axes (Z up, facing -Y) -> model frame (Y up, facing +Z); a rotation (det +1).
BLENDER_TO_MODEL = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])

METRES_MM = 1000.0
# A head is ~150-250 mm, a full body ~2 m: outside these bounds the unit scale is almost surely off.
PLAUSIBLE_SIZE_MM = (30.0, 5000.0)
_CHILD_TIMEOUT_S = 900
_USER_ERROR_PREFIX = "FACESYNTH_USER_ERROR: "


# Material-name words -> region, in priority order (an "Eye_Occlusion" material is an overlay, not
# an eyeball). Names are split into lower-case words at '_', '-', '.', spaces, digits and camelCase;
# two neighbouring words also count joined ("EyeBlend" -> "eyeblend").
REGION_WORDS: tuple[tuple[int, frozenset[str]], ...] = (
    (R.EYELASHES, frozenset({"eyelash", "eyelashes", "lash", "lashes"})),
    (R.EYE_OCCLUSION, frozenset({"occlusion", "tearline", "tear", "lacrimal", "cornea", "eyeblend"})),
    (R.IRIS, frozenset({"iris", "pupil"})),
    (R.SCLERA, frozenset({"eye", "eyes", "eyeball", "eyeballs", "sclera"})),
    (R.TEETH, frozenset({"teeth", "tooth"})),
    (R.GUMS_TONGUE, frozenset({"tongue", "gum", "gums"})),
    (R.MOUTH_SOCKET, frozenset({"mouth"})),
    (
        R.HEAD_NECK,
        frozenset({"scalp", "backhead", "neck", "ear", "ears", "hair", "body", "torso", "arm", "leg", "nail", "nails"}),
    ),
)


@dataclass(frozen=True, eq=False)
class RawCharacter:
    """What Blender read from one mesh: model-frame axes, file units, no facesynth meaning yet."""

    mesh_name: str
    mesh_names: tuple[str, ...]
    vertices: np.ndarray  # (V,3) float64
    poly_offsets: np.ndarray  # (F+1,) int64
    poly_vertices: np.ndarray  # (C,) int32
    poly_uv: np.ndarray  # (C,2) float32, zeros without a UV layer
    poly_material: np.ndarray  # (F,) int32, index into material_names
    material_names: tuple[str, ...]
    key_names: tuple[str, ...]
    key_deltas: np.ndarray  # (K,V,3) float32: key - basis
    uv_layer: str
    blender_version: str
    source: dict[str, Any] = field(default_factory=dict)
    """sha256 of the file and its side files (see `source_digest`), set when read."""


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
    scale = _check_scale(default_unit_scale_mm(src) if unit_scale_mm is None else unit_scale_mm, src)
    names = _check_map(expression_map, src)
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
    """sha256 of the side files the importer reads (name -> digest, 'missing' if absent): a .gltf's
    external buffers and an .obj's mtllib files (material names decide regions)."""
    names: list[str] = []
    suffix = path.suffix.lower()
    try:
        if suffix == ".gltf":
            doc = json.loads(path.read_text(encoding="utf-8"))
            names = [b["uri"] for b in doc.get("buffers", []) if not str(b.get("uri", "data:")).startswith("data:")]
        elif suffix == ".obj":
            text = path.read_bytes().decode("utf-8", errors="replace")
            names = [m.strip() for m in re.findall(r"^mtllib[ \t]+(.+)$", text, flags=re.MULTILINE)]
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise UserError(f"cannot read character file {path}: {exc}") from None
    out: dict[str, str] = {}
    for name in names:
        side = path.parent / name
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


def build_pack(
    raw: RawCharacter,
    src: Path,
    *,
    expression_names: Mapping[str, str],
    unit_scale_mm: float,
    landmarks_68: Sequence[int] | None,
    pivot_mm: Sequence[float] | None = None,
    fmt: str = "",
) -> FacePack:
    """Scale to mm, pick the mapped shape keys, classify regions and wrap it all as a FacePack."""
    missing = [k for k in expression_names if k not in raw.key_names]
    if missing:
        close = get_close_matches(missing[0], raw.key_names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        available = ", ".join(repr(k) for k in raw.key_names) or "(none)"
        raise UserError(
            f"character file {src}: expression_map names shape key {missing[0]!r}{hint}, which mesh "
            f"{raw.mesh_name!r} does not have; available keys: {available}"
        )
    n_vert = len(raw.vertices)
    landmarks = _check_landmarks(landmarks_68, n_vert, src)
    order = [raw.key_names.index(k) for k in expression_names]
    deltas = raw.key_deltas[order].astype(np.float64) * unit_scale_mm
    neutral = raw.vertices * unit_scale_mm
    _warn_if_implausible(neutral, unit_scale_mm, src)
    region = material_regions(raw.material_names)[raw.poly_material] if raw.material_names else None
    if region is None:
        region = np.full(len(raw.poly_offsets) - 1, R.SKIN, dtype=np.uint8)
    moved = np.any(np.abs(deltas) > 0, axis=(0, 2)) if len(deltas) else np.zeros(n_vert, bool)
    face_area = _face_area(raw, region, moved)
    names = tuple(expression_names.values())
    if pivot_mm is None:
        pivot = _default_pivot(raw, neutral, region, landmarks, deltas, names)
    else:
        pivot = np.asarray(pivot_mm, np.float64)
    if pivot.shape != (3,) or not np.all(np.isfinite(pivot)):
        raise UserError(f"character file {src}: pivot_mm must be 3 finite numbers (mm, model frame)")
    provenance = {
        "source": "user character",
        "file": src.name,
        **(raw.source or source_digest(src)),
        "format": fmt,
        "licence": "as granted by the character's author (not checked by facesynth)",
        "mesh": raw.mesh_name,
        "uv_layer": raw.uv_layer,
        "materials": list(raw.material_names),
        "expression_map": dict(expression_names),
        "has_landmarks": landmarks is not None,
        "pivot": PIVOT_RULE if pivot_mm is None else "given by the user",
        "importer": IMPORTER_VERSION,
        "blender": raw.blender_version,
        "axes": "model (x, y, z) = Blender (x, z, -y); Blender's importers deliver +Z up, facing -Y",
    }
    return FacePack.from_arrays(
        name=src.name,
        neutral_mm=neutral,
        poly_offsets=raw.poly_offsets,
        poly_vertices=raw.poly_vertices,
        poly_uv=raw.poly_uv,
        poly_region=region,
        face_area=face_area,
        landmarks_68=np.zeros(0, np.int32) if landmarks is None else landmarks,
        pivot_mm=pivot,
        expression_names=names,
        expression_basis=deltas,
        unit_scale_mm=unit_scale_mm,
        up_axis="+Y",
        forward_axis="+Z",
        provenance=provenance,
    )


def material_regions(material_names: Sequence[str]) -> np.ndarray:
    """(M,) uint8 region id per material name: the first REGION_WORDS entry with a matching word,
    else skin."""
    out = np.full(len(material_names), R.SKIN, dtype=np.uint8)
    for i, name in enumerate(material_names):
        words = set(_words(name))
        for region_id, vocabulary in REGION_WORDS:
            if words & vocabulary:
                out[i] = region_id
                break
    return out


def _words(name: str) -> list[str]:
    words = name_words(name)  # two neighbours also count joined: "EyeBlend" -> "eyeblend"
    return words + [a + b for a, b in pairwise(words)]


def weld(raw: RawCharacter) -> RawCharacter:
    """Merge vertices whose position and every shape-key delta are identical.

    glTF stores one vertex per distinct (position, normal, UV) and so splits the mesh at every UV
    seam and hard edge; per-corner UVs keep the seams, so welding gives back the author's topology.
    Kept vertices stay in order of first appearance.
    """
    n_vert = len(raw.vertices)
    if n_vert == 0:
        return raw
    signature = np.concatenate(
        [raw.vertices, raw.key_deltas.astype(np.float64).transpose(1, 0, 2).reshape(n_vert, -1)], axis=1
    )
    _, first, inverse = np.unique(signature, axis=0, return_index=True, return_inverse=True)
    if len(first) == n_vert:
        return raw
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    remap = rank[inverse.reshape(-1)]
    keep = np.sort(first)
    return RawCharacter(
        mesh_name=raw.mesh_name,
        mesh_names=raw.mesh_names,
        vertices=raw.vertices[keep],
        poly_offsets=raw.poly_offsets,
        poly_vertices=remap[raw.poly_vertices].astype(np.int32),
        poly_uv=raw.poly_uv,
        poly_material=raw.poly_material,
        material_names=raw.material_names,
        key_names=raw.key_names,
        key_deltas=raw.key_deltas[:, keep],
        uv_layer=raw.uv_layer,
        blender_version=raw.blender_version,
        source=raw.source,
    )


def _face_area(raw: RawCharacter, region: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """Skin polygons that a mapped expression moves (the face of a full-body mesh); all skin
    polygons when no expression moves any."""
    skin = region == R.SKIN
    if not moved.any():
        return skin
    corner_moved = moved[raw.poly_vertices].astype(np.int64)
    any_moved = np.add.reduceat(corner_moved, raw.poly_offsets[:-1]) > 0
    return skin & any_moved


PIVOT_RULE = (
    "eyes: mean of landmarks 36-47, else the box centre of the sclera/iris vertices, else of the "
    "vertices eye* expressions move, else (x, y box centre, front z) of the vertices any expression "
    "moves (all vertices without expressions); pivot: the eyes' x and y, z midway between the eyes "
    "and the back of the mesh (min z of the vertices within 10 mm of eye height)"
)


def _default_pivot(
    raw: RawCharacter,
    neutral: np.ndarray,
    region: np.ndarray,
    landmarks: np.ndarray | None,
    deltas: np.ndarray,
    names: Sequence[str],
) -> np.ndarray:
    """A point inside the head behind the eyes, the rule ICT-FaceKit's pack uses (PIVOT_RULE)."""
    eyes = _eye_point(raw, neutral, region, landmarks, deltas, names)
    band = neutral[np.abs(neutral[:, 1] - eyes[1]) < 10.0]
    back_z = float(band[:, 2].min()) if len(band) else float(neutral[:, 2].min())
    return np.array([eyes[0], eyes[1], (eyes[2] + back_z) / 2.0])


def _eye_point(
    raw: RawCharacter,
    neutral: np.ndarray,
    region: np.ndarray,
    landmarks: np.ndarray | None,
    deltas: np.ndarray,
    names: Sequence[str],
) -> np.ndarray:
    def box_centre(mask: np.ndarray) -> np.ndarray:
        pts = neutral[mask]
        return (pts.min(axis=0) + pts.max(axis=0)) / 2.0

    if landmarks is not None:
        return neutral[landmarks[36:48]].mean(axis=0)  # iBUG 36-47: the eye contours
    eye_poly = np.isin(region, (R.SCLERA, R.IRIS))
    eye_vert = np.zeros(len(neutral), bool)
    eye_vert[raw.poly_vertices[np.repeat(eye_poly, np.diff(raw.poly_offsets))]] = True
    if eye_vert.any():
        return box_centre(eye_vert)
    moved = np.any(deltas != 0, axis=2) if len(deltas) else np.zeros((0, len(neutral)), bool)
    by_eyes = [m for m, n in zip(moved, names, strict=True) if n.startswith("eye")]
    if by_eyes and np.any(by_eyes):
        return box_centre(np.any(by_eyes, axis=0))
    any_moved = moved.any(axis=0) if len(moved) else np.zeros(len(neutral), bool)
    centre = box_centre(any_moved if any_moved.any() else np.ones(len(neutral), bool))
    centre[2] = neutral[any_moved if any_moved.any() else slice(None), 2].max()
    return centre


def _warn_if_implausible(neutral: np.ndarray, unit_scale_mm: float, src: Path) -> None:
    size = float(np.ptp(neutral, axis=0).max()) if len(neutral) else 0.0
    lo, hi = PLAUSIBLE_SIZE_MM
    if not lo <= size <= hi:
        warnings.warn(
            f"character file {src}: the imported mesh is {size:.4g} mm across with unit_scale_mm="
            f"{unit_scale_mm:g}; check the unit (FBX and glTF arrive in metres: 1000)",
            UserWarning,
            stacklevel=4,  # the caller of import_character
        )


def _check_scale(unit_scale_mm: float, src: Path) -> float:
    try:
        scale = float(unit_scale_mm)
    except (TypeError, ValueError):
        scale = float("nan")
    if not np.isfinite(scale) or scale <= 0:
        raise UserError(f"character file {src}: unit_scale_mm must be a positive number, got {unit_scale_mm!r}")
    return scale


def _check_map(expression_map: Mapping[str, str], src: Path) -> dict[str, str]:
    """Validate the map and spell targets the facesynth way (`eyeBlinkLeft` -> `eyeBlink_L`)."""
    out: dict[str, str] = {}
    for key, target in expression_map.items():
        name = facesynth_spelling(str(target))
        if not is_arkit(name):
            raise UserError(
                f"character file {src}: expression_map[{key!r}] = {target!r} is not an ARKit "
                "blendshape name (e.g. jawOpen, eyeBlinkLeft or eyeBlink_L)"
            )
        if name.lower() in (n.lower() for n in out.values()):
            raise UserError(f"character file {src}: expression_map maps two shape keys to {name!r}")
        out[str(key)] = name
    return out


def _check_landmarks(landmarks_68: Sequence[int] | None, n_vert: int, src: Path) -> np.ndarray | None:
    if landmarks_68 is None:
        return None
    ids = np.asarray(list(landmarks_68))
    if ids.shape != (68,) or not np.issubdtype(ids.dtype, np.integer):
        raise UserError(f"character file {src}: landmarks_68 must be 68 vertex indices, got {len(ids)} values")
    bad = np.flatnonzero((ids < 0) | (ids >= n_vert))
    if bad.size:
        raise UserError(
            f"character file {src}: landmarks_68[{int(bad[0])}] = {int(ids[bad[0]])} is not a vertex "
            f"index of the imported mesh (0..{n_vert - 1})"
        )
    return ids.astype(np.int32)


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
