"""Every geometric label of one sample, from the very vertices Blender renders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from facesynth.assets.regions import solid_lookup
from facesynth.errors import UserError
from facesynth.geometry.groom_labels import GroomTriangles, facing_normals, groom_triangles
from facesynth.geometry.landmarks import Landmarks, compute_landmarks
from facesynth.geometry.pose import Posed
from facesynth.geometry.posmap import Posmap, compute_posmap
from facesynth.geometry.raster import Raster, rasterize
from facesynth.geometry.strands import GroomGeometry
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
    vertices_cam: np.ndarray
    """(V,3) float64 posed vertices in the camera frame, mm."""
    raster: Raster
    """The solid-geometry raster; tri_id indexes `solid_triangles`."""
    solid_triangles: np.ndarray
    """Indices into pack.triangles of the triangles rasterised for depth/normals/mask."""
    depth_face: np.ndarray | None = None
    """(H,W) float32 depth of the head alone (no hair, brows, beard, glasses, headwear) when the
    sample has a groom; `depth` then includes them. None for the bare head (it equals `depth`)."""
    groom_parts: tuple[str, ...] = ()
    """The groom parts that `depth`, `mask`, `normals` and landmark visibility include."""


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


def compute_labels(spec: SampleSpec, pack: Any, vertices_model: np.ndarray, posed: Posed,
                   groom: GroomGeometry | None = None) -> Labels:
    """Depth, normals, region mask, landmarks and (if requested) position maps of one sample.
    With a posed `groom` (facesynth.geometry.groom.posed_groom), its solid strands and meshes
    join the head in depth, normals, mask and landmark occlusion; the head alone stays available
    as `depth_face`."""
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
    depth_face = None
    gt = groom_triangles(groom, posed) if groom is not None else None
    occluders_v, occluders_t = v_cam, tris
    if gt is not None:
        depth_face = r.depth
        occluders_v = np.vstack([v_cam, gt.vertices])
        occluders_t = np.vstack([tris, gt.triangles + len(v_cam)])
        r, normals, mask = _with_groom(r, normals, mask, gt, occluders_v, occluders_t, len(tris), posed)
    # Packs without a landmark mapping (user characters) get empty landmarks.
    lms = compute_landmarks(occluders_v, np.asarray(pack.landmarks_68).reshape(-1), posed.camera, occluders_t)
    pm = None
    if "posmap" in spec.outputs:
        if len(lms.uv) != 68:
            raise UserError(f"sample {spec.id}: outputs has 'posmap' but face pack {pack.name!r} has no 68 "
                            "landmarks to place the face crop; map its landmarks or drop 'posmap'")
        pm = compute_posmap(pack, v_cam, posed.camera, lms.uv, lms.xyz_cam, spec.posmap)
    return Labels(depth=r.depth, normals=normals, mask=mask, landmarks=lms, posmap=pm, vertices_cam=v_cam,
                  raster=r, solid_triangles=solid, depth_face=depth_face,
                  groom_parts=gt.parts if gt is not None else ())


def _with_groom(head: Raster, normals: np.ndarray, mask: np.ndarray, gt: GroomTriangles, verts: np.ndarray,
                tris: np.ndarray, n_head: int, posed: Posed) -> tuple[Raster, np.ndarray, np.ndarray]:
    """Rasterise head and groom together; where the groom is nearest, its region and normal win.
    The returned raster's tri_id indexes head triangles then groom triangles."""
    r = rasterize(verts, tris, posed.camera)
    groom_px = r.tri_id >= n_head
    mask = np.where(r.covered, mask, 0).astype(np.uint8)
    normals = np.where(r.covered[..., None], normals, 0).astype(np.float32)
    g_tri = r.tri_id[groom_px] - n_head
    mask[groom_px] = gt.region[g_tri]
    normals[groom_px] = facing_normals(gt.vertices, gt.triangles[g_tri], posed.camera.is_perspective)
    return r, normals, mask
