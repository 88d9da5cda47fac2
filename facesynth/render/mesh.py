"""The head mesh in Blender, built once from a face pack with foreach_set (no Python loops)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from facesynth.assets.pack import FacePack
from facesynth.assets.parsing import face_frame, polygon_centroids
from facesynth.assets.regions import EYELASHES
from facesynth.errors import WorkError
from facesynth.render.units import points_to_m


def build_head_mesh(bpy: Any, pack: FacePack, material_of_region: Mapping[int, Any | None]) -> Any:
    """A mesh with the pack's polygons (quads kept), a UV per corner and one material slot per
    region; regions mapped to None (hidden) get no polygons. Every vertex is kept, so the pack's
    vertex array can be written with one foreach_set per sample."""
    region = np.asarray(pack.poly_region)
    offsets = np.asarray(pack.poly_offsets, dtype=np.int64)
    keep = np.array([material_of_region[int(r)] is not None for r in region], dtype=bool)
    sizes = np.diff(offsets)[keep]
    corner_keep = np.repeat(keep, np.diff(offsets))
    corners = np.asarray(pack.poly_vertices)[corner_keep]
    uvs = np.asarray(pack.poly_uv, dtype=np.float32)[corner_keep]

    mesh = bpy.data.meshes.new(f"facesynth_{pack.name}")
    mesh.vertices.add(len(pack.neutral_mm))
    mesh.vertices.foreach_set("co", points_to_m(pack.neutral_mm))
    mesh.loops.add(len(corners))
    mesh.loops.foreach_set("vertex_index", corners.astype(np.int32))
    mesh.polygons.add(len(sizes))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int32)
    mesh.polygons.foreach_set("loop_start", starts)
    slot_of = np.zeros(256, dtype=np.int32)
    for slot, r in enumerate(int(r) for r in np.unique(region[keep])):
        mesh.materials.append(material_of_region[r])
        slot_of[r] = slot
    mesh.polygons.foreach_set("material_index", slot_of[region[keep]])
    mesh.update(calc_edges=True)
    if mesh.validate(clean_customdata=False):  # True = Blender had to repair something
        raise WorkError(f"face pack {pack.name!r}: Blender found invalid polygons in it")
    mesh.uv_layers.new(name="UVMap").data.foreach_set("uv", uvs.ravel())
    lower = mesh.attributes.new(LOWER_LASH_ATTR, "FLOAT", "FACE")
    lower.data.foreach_set("value", lower_lash_polygons(pack)[keep].astype(np.float32))
    mesh.shade_smooth()
    return mesh


LOWER_LASH_ATTR = "facesynth_lower_lash"
"""Face attribute, 1 on the pack's lower eyelash strips: their shader draws them sparser."""


def lower_lash_polygons(pack: FacePack) -> np.ndarray:
    """(P,) bool: eyelash polygons whose centre lies below the middle of their eye's six
    landmarks (the lower lid's strip); all False for a pack without lashes or landmarks."""
    region = np.asarray(pack.poly_region)
    out = np.zeros(len(region), dtype=bool)
    lm_idx = np.asarray(pack.landmarks_68).reshape(-1)
    lashes = np.flatnonzero(region == EYELASHES)
    if len(lm_idx) != 68 or len(lashes) == 0:
        return out
    v = np.asarray(pack.neutral_mm, dtype=np.float64)
    rot, origin = face_frame(pack, v[lm_idx])
    lm = (v[lm_idx] - origin) @ rot.T  # face frame: x right, y up
    centre = (polygon_centroids(pack)[lashes] - origin) @ rot.T
    eyes = np.stack([lm[36:42].mean(axis=0), lm[42:48].mean(axis=0)])
    nearest = np.argmin(np.abs(centre[:, None, 0] - eyes[None, :, 0]), axis=1)
    out[lashes] = centre[:, 1] < eyes[nearest, 1]
    return out
