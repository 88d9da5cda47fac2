"""Every geometric label of one sample, from the very vertices Blender renders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from facesynth.assets.regions import solid_lookup
from facesynth.errors import UserError
from facesynth.geometry.dense import dense_vertex_ids
from facesynth.geometry.landmarks import Landmarks, compute_landmarks
from facesynth.geometry.pose import Posed
from facesynth.geometry.posmap import Posmap, compute_posmap
from facesynth.geometry.raster import Raster, rasterize
from facesynth.sampling.spec import SampleSpec


@dataclass(frozen=True, eq=False)
class Labels:
    depth: np.ndarray
    """(H,W) float32 planar depth, mm, 0 = no surface."""
    normals: np.ndarray
    """(H,W,3) float32 unit normals in the camera frame (interpolated vertex normals), 0 = none."""
    mask: np.ndarray
    """(H,W) uint8 region id (facesynth.assets.regions), 0 = background."""
    landmarks: Landmarks
    posmap: Posmap | None
    dense: Landmarks | None
    """Dense landmarks (the pack vertex set of spec.dense_landmarks) when requested; ids in `dense_ids`."""
    dense_ids: np.ndarray | None
    vertices_cam: np.ndarray
    """(V,3) float64 posed vertices in the camera frame, mm."""
    raster: Raster
    """The solid-geometry raster; tri_id indexes `solid_triangles`."""
    solid_triangles: np.ndarray
    """Indices into pack.triangles of the triangles rasterised for depth/normals/mask."""


def vertex_normals(vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Area-weighted unit vertex normals (counter-clockwise winding = outward)."""
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles)
    fn = np.cross(v[t[:, 1]] - v[t[:, 0]], v[t[:, 2]] - v[t[:, 0]])  # length = 2 x area
    n = np.zeros_like(v)
    for k in range(3):
        np.add.at(n, t[:, k], fn)
    norm = np.linalg.norm(n, axis=1, keepdims=True)
    return np.divide(n, norm, out=np.zeros_like(n), where=norm > 0)


def solid_triangles(pack: Any) -> np.ndarray:
    """Triangles of the regions that count for ground truth (see regions.Region.solid)."""
    region = np.asarray(pack.poly_region)[np.asarray(pack.tri_polygon)]
    return np.flatnonzero(solid_lookup()[region])


def compute_labels(spec: SampleSpec, pack: Any, vertices_model: np.ndarray, posed: Posed) -> Labels:
    """Depth, normals, region mask, landmarks and (if requested) position maps of one sample."""
    v = np.asarray(vertices_model)
    if v.shape != (pack.n_vertices, 3):
        raise UserError(f"sample {spec.id}: vertices have shape {v.shape}, face pack {pack.name!r} "
                        f"has ({pack.n_vertices}, 3)")
    v_cam = posed.to_camera(v)
    solid = solid_triangles(pack)
    tris = np.asarray(pack.triangles)[solid]
    r = rasterize(v_cam, tris, posed.camera)
    covered = r.covered
    normals = r.interpolate(vertex_normals(v_cam, tris), tris)
    length = np.linalg.norm(normals, axis=-1, keepdims=True)
    normals = np.divide(normals, length, out=np.zeros_like(normals), where=length > 0).astype(np.float32)
    mask = np.zeros(covered.shape, np.uint8)
    poly = np.asarray(pack.tri_polygon)[solid[r.tri_id[covered]]]
    mask[covered] = np.asarray(pack.poly_region)[poly]
    # Packs without a landmark mapping (user characters) get empty landmarks.
    lms = compute_landmarks(v_cam, np.asarray(pack.landmarks_68).reshape(-1), posed.camera, tris)
    pm = None
    if "posmap" in spec.outputs:
        if len(lms.uv) != 68:
            raise UserError(f"sample {spec.id}: outputs has 'posmap' but face pack {pack.name!r} has no 68 "
                            "landmarks to place the face crop; map its landmarks or drop 'posmap'")
        pm = compute_posmap(pack, v_cam, posed.camera, lms.uv, lms.xyz_cam, spec.posmap)
    dense_ids = dense = None
    if "dense_landmarks" in spec.outputs:
        dl = spec.dense_landmarks
        dense_ids = dense_vertex_ids(pack, dl.count, dl.vertex_ids)
        dense = compute_landmarks(v_cam, dense_ids, posed.camera, tris)
    return Labels(depth=r.depth, normals=normals, mask=mask, landmarks=lms, posmap=pm, dense=dense,
                  dense_ids=dense_ids, vertices_cam=v_cam, raster=r, solid_triangles=solid)
