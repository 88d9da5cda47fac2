"""The head mesh in Blender, built once from a face pack with foreach_set (no Python loops)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from facesynth.assets.pack import FacePack
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
    mesh.shade_smooth()
    return mesh
