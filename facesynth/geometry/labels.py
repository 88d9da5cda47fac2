"""Every geometric label of one sample, from the very vertices Blender renders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from facesynth.assets.pack import FacePack
from facesynth.assets.parsing import polygon_classes
from facesynth.assets.regions import solid_lookup
from facesynth.errors import UserError
from facesynth.geometry.dense import dense_vertex_ids
from facesynth.geometry.landmarks import Landmarks, compute_landmarks
from facesynth.geometry.per_pack import per_pack
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
    """Indices into pack.triangles of the triangles rasterised for depth/normals/mask; raster
    tri_ids past their count belong to the parts (clothing ...), in the order given."""
    parsing: np.ndarray | None = None
    """(H,W) uint8 face-parsing class (facesynth.assets.parsing), 0 = background."""


@dataclass(frozen=True, eq=False)
class Part:
    """Extra solid geometry rendered with the head (clothing ...): it counts for every label."""

    vertices_model: np.ndarray
    """(N,3) the pack's model frame, mm."""
    triangles: np.ndarray
    region: int
    """Region id written to the mask (facesynth.assets.regions)."""
    parsing: int
    """Parsing class (facesynth.assets.parsing)."""


pack_polygon_classes = per_pack(polygon_classes)
"""polygon_classes(pack), once per pack (pure geometry of the neutral mesh)."""


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


def solid_triangles(pack: FacePack) -> np.ndarray:
    """Triangles of the regions that count for ground truth (see regions.Region.solid)."""
    region = np.asarray(pack.poly_region)[np.asarray(pack.tri_polygon)]
    return np.flatnonzero(solid_lookup()[region])


def compute_labels(spec: SampleSpec, pack: FacePack, vertices_model: np.ndarray, posed: Posed,
                   parts: Sequence[Part] = ()) -> Labels:
    """Depth, normals, region mask, parsing, landmarks and (if requested) position maps of one
    sample; `parts` are extra solid meshes (clothing) that occlude and are labelled like the head."""
    v = np.asarray(vertices_model)
    if v.shape != (pack.n_vertices, 3):
        raise UserError(f"sample {spec.id}: vertices have shape {v.shape}, face pack {pack.name!r} "
                        f"has ({pack.n_vertices}, 3)")
    v_cam = posed.to_camera(v)
    solid = solid_triangles(pack)
    tris = np.asarray(pack.triangles)[solid]
    all_v, all_t = v_cam, tris
    part_region, part_class = [], []
    for part in parts:
        all_t = np.concatenate([all_t, np.asarray(part.triangles) + len(all_v)])
        all_v = np.concatenate([all_v, posed.to_camera(np.asarray(part.vertices_model))])
        part_region.append(np.full(len(part.triangles), part.region, np.uint8))
        part_class.append(np.full(len(part.triangles), part.parsing, np.uint8))
    r = rasterize(all_v, all_t, posed.camera)
    covered = r.covered
    normals = r.interpolate(vertex_normals(all_v, all_t), all_t)
    length = np.linalg.norm(normals, axis=-1, keepdims=True)
    normals = np.divide(normals, length, out=np.zeros_like(normals), where=length > 0).astype(np.float32)
    poly = np.asarray(pack.tri_polygon)[solid]
    tri_region = np.concatenate([np.asarray(pack.poly_region)[poly], *part_region])
    tri_class = np.concatenate([pack_polygon_classes(pack)[poly], *part_class])
    mask = np.zeros(covered.shape, np.uint8)
    mask[covered] = tri_region[r.tri_id[covered]]
    parsing = np.zeros(covered.shape, np.uint8)
    parsing[covered] = tri_class[r.tri_id[covered]]
    # Packs without a landmark mapping (user characters) get empty landmarks.
    lms = compute_landmarks(all_v, np.asarray(pack.landmarks_68).reshape(-1), posed.camera, all_t)
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
        dense = compute_landmarks(all_v, dense_ids, posed.camera, all_t)
    return Labels(depth=r.depth, normals=normals, mask=mask, landmarks=lms, posmap=pm, dense=dense,
                  dense_ids=dense_ids, vertices_cam=v_cam, raster=r, solid_triangles=solid, parsing=parsing)
