"""The posed mesh as a PLY file (camera frame, mm), written with trimesh."""

from __future__ import annotations

import numpy as np

from facesynth.assets.pack import FacePack


def posed_mesh_ply(vertices_cam: np.ndarray, pack: FacePack) -> bytes:
    """Binary PLY bytes of the triangulated posed mesh; a face attribute `region` holds region ids."""
    import trimesh  # slow to import (about half of a worker's start-up): only when a mesh is written
    mesh = trimesh.Trimesh(
        vertices=np.asarray(vertices_cam, dtype=np.float64),
        faces=np.asarray(pack.triangles),
        process=False,
        validate=False,
    )
    region = np.asarray(pack.poly_region)[np.asarray(pack.tri_polygon)].astype(np.uint8)
    mesh.face_attributes["region"] = region
    return mesh.export(file_type="ply", encoding="binary", include_attributes=True)
