"""A user character's raw arrays -> `FacePack`: the numpy half of the character importer.

`facesynth.render.characters` reads a character file with Blender's importers and hands over a
`RawCharacter` (model-frame axes, file units); everything after that is here, with numpy alone:
unit scale, expression mapping, regions from material names, face area, pivot, landmarks, and the
welding of glTF's split vertices. So these rules are tested without Blender. See docs/characters.md.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from difflib import get_close_matches
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from facesynth.arkit import facesynth_spelling, is_arkit, name_words
from facesynth.assets import regions as R
from facesynth.assets.pack import FacePack
from facesynth.errors import UserError

IMPORTER_VERSION = "facesynth.render.characters/2"  # 2: OBJ files checked strictly before import
# A head is ~150-250 mm, a full body ~2 m: outside these bounds the unit scale is almost surely off.
PLAUSIBLE_SIZE_MM = (30.0, 5000.0)


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
        pivot = _default_pivot(_eye_point(raw, neutral, region, landmarks, deltas, names), neutral)
    else:
        pivot = np.asarray(pivot_mm, np.float64)
    if pivot.shape != (3,) or not np.all(np.isfinite(pivot)):
        raise UserError(f"character file {src}: pivot_mm must be 3 finite numbers (mm, model frame)")
    provenance = {
        "source": "user character",
        "file": src.name,
        **raw.source,
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


def _default_pivot(eyes: np.ndarray, neutral: np.ndarray) -> np.ndarray:
    """A point inside the head behind the eyes (`_eye_point`), the rule ICT-FaceKit's pack uses (PIVOT_RULE)."""
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


def check_scale(unit_scale_mm: float, src: Path) -> float:
    try:
        scale = float(unit_scale_mm)
    except (TypeError, ValueError):
        scale = float("nan")
    if not np.isfinite(scale) or scale <= 0:
        raise UserError(f"character file {src}: unit_scale_mm must be a positive number, got {unit_scale_mm!r}")
    return scale


def check_map(expression_map: Mapping[str, str], src: Path) -> dict[str, str]:
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
