"""Every geometric label of one sample, from the very vertices Blender renders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from facesynth.assets.pack import FacePack
from facesynth.assets.parsing import part_classes, polygon_classes
from facesynth.assets.regions import REGION_BY_ID, solid_lookup
from facesynth.errors import UserError
from facesynth.geometry.contour import ContourLandmarks, contour_landmarks
from facesynth.geometry.dense import dense_vertex_ids
from facesynth.geometry.groom_labels import GroomTriangles, facing_normals, groom_triangles
from facesynth.geometry.landmarks import Landmarks, compute_landmarks
from facesynth.geometry.per_pack import per_pack
from facesynth.geometry.pose import Posed
from facesynth.geometry.posmap import Posmap, compute_posmap
from facesynth.geometry.raster import Raster, rasterize, rasterize_screen, screen_vertices
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
    dense: Landmarks | None
    """Dense landmarks (the pack vertex set of spec.dense_landmarks) when requested; ids in `dense_ids`."""
    dense_ids: np.ndarray | None
    vertices_cam: np.ndarray
    """(V,3) float64 posed vertices in the camera frame, mm."""
    raster: Raster
    """The solid-geometry raster; tri_id indexes `solid_triangles`, then (with a groom) the groom's
    label triangles from `len(solid_triangles)` on."""
    solid_triangles: np.ndarray
    """Indices into pack.triangles of the triangles rasterised for depth/normals/mask; raster
    tri_ids past their count belong to the parts (clothing ...), in the order given, then (with a
    groom) to the groom's label triangles."""
    parsing: np.ndarray | None = None
    """(H,W) uint8 face-parsing class (facesynth.assets.parsing), 0 = background."""
    depth_face: np.ndarray | None = None
    """(H,W) float32 depth of the head alone (no hair, brows, beard, glasses, headwear, clothing)
    when the sample has a groom or parts; `depth` then includes them. None for the bare head (it
    equals `depth`)."""
    groom_parts: tuple[str, ...] = ()
    """The groom parts that `depth`, `mask`, `normals` and landmark visibility include."""
    part_names: tuple[str, ...] = ()
    """Region names of the extra parts (clothing ...) that every label includes."""
    landmarks_2d_contour: ContourLandmarks | None = None
    """The 68 landmarks with the jaw contour (0-16) on the visible face outline (the 2D convention
    of 300W-LP; facesynth.geometry.contour); None for packs without 68 landmarks."""

    @property
    def depth_includes(self) -> tuple[str, ...]:
        """What `depth` holds: the head, the groom parts, the extra parts."""
        return ("head", *self.groom_parts, *self.part_names)


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
                   *, parts: Sequence[Part] = (), groom: GroomGeometry | None = None) -> Labels:
    """Depth, normals, region mask, parsing, landmarks and (if requested) position maps of one
    sample. `parts` are extra solid meshes (clothing) that occlude and are labelled like the head;
    a posed `groom` (facesynth.geometry.groom.posed_groom) adds its solid strands and meshes. Both
    join the head in depth, normals, mask, parsing and landmark occlusion; the head alone stays
    available as `depth_face`."""
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
    depth_face = rasterize(v_cam, tris, posed.camera).depth if parts else None
    gt = groom_triangles(groom, posed) if groom is not None else None
    occluders_v, occluders_t = all_v, all_t
    if gt is not None:
        if depth_face is None:
            depth_face = r.depth
        occluders_v = np.vstack([all_v, gt.vertices])
        occluders_t = np.vstack([all_t, gt.triangles + len(all_v)])
        r, normals, mask, parsing = _with_groom(r, normals, mask, parsing, gt, len(all_t), posed)
    # Packs without a landmark mapping (user characters) get empty landmarks.
    lms = compute_landmarks(occluders_v, np.asarray(pack.landmarks_68).reshape(-1), posed.camera, occluders_t)
    contour = None
    if len(lms.uv) == 68:
        contour = contour_landmarks(pack, v_cam, posed.model_to_camera, posed.camera, lms, tris, occluders_v,
                                    occluders_t)
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
        dense = compute_landmarks(occluders_v, dense_ids, posed.camera, occluders_t)
    return Labels(depth=r.depth, normals=normals, mask=mask, landmarks=lms, posmap=pm, dense=dense,
                  dense_ids=dense_ids, vertices_cam=v_cam, raster=r, solid_triangles=solid, parsing=parsing,
                  depth_face=depth_face, groom_parts=gt.parts if gt is not None else (),
                  part_names=tuple(REGION_BY_ID[p.region].name for p in parts), landmarks_2d_contour=contour)


def _with_groom(head: Raster, normals: np.ndarray, mask: np.ndarray, parsing: np.ndarray, gt: GroomTriangles,
                n_head: int, posed: Posed) -> tuple[Raster, np.ndarray, np.ndarray, np.ndarray]:
    """Rasterise the groom (minus ribbons the head hides everywhere) and merge it with the head's
    raster by depth; where the groom is nearer, its region, parsing class and normal win. The
    returned raster's tri_id indexes head (and part) triangles, then groom triangles (`n_head + k`)."""
    cam = posed.camera
    xy, z, g_tris, near = screen_vertices(gt.vertices, gt.triangles, cam)
    kept = np.flatnonzero(~hidden_behind(head.depth, xy, z, g_tris))
    g = rasterize_screen(xy, z, g_tris[kept], cam.width, cam.height, perspective=cam.is_perspective,
                         z_min=near, z_max=cam.clip_end_mm)
    groom_px = g.covered & (~head.covered | (g.depth <= head.depth))
    g_tri = kept[g.tri_id[groom_px]]
    depth = np.where(groom_px, g.depth, head.depth)
    tri_id = np.where(groom_px, 0, head.tri_id)
    tri_id[groom_px] = n_head + g_tri
    bary = np.where(groom_px[..., None], g.bary, head.bary)
    mask = mask.copy()
    mask[groom_px] = gt.region[g_tri]
    parsing = parsing.copy()
    parsing[groom_px] = part_classes(gt.region[g_tri])
    normals = normals.copy()
    normals[groom_px] = facing_normals(gt.vertices, gt.triangles[g_tri], cam.is_perspective)
    return Raster(depth, tri_id.astype(np.int32), bary), normals, mask, parsing


CULL_WINDOW_PX = 8


def hidden_behind(depth: np.ndarray, xy: np.ndarray, z: np.ndarray, tris: np.ndarray,
                  k: int = CULL_WINDOW_PX) -> np.ndarray:
    """(T,) bool: triangles that lie behind `depth` (0 = no surface) at every pixel centre their
    bounding box holds, so they can win no pixel. A triangle's depth lies between its corners'
    depths, so it is hidden when its nearest corner is farther than the farthest surface within
    k pixels of its box centre (boxes up to 2k+1 pixels wide; larger ones are never culled)."""
    h, w = depth.shape
    far = np.where(depth > 0, depth.astype(np.float64), np.inf)
    padded = np.pad(far, k, constant_values=np.inf)
    rows = np.max([padded[:, i:i + w] for i in range(2 * k + 1)], axis=0)  # sliding max along x
    window = np.max([rows[i:i + h, :] for i in range(2 * k + 1)], axis=0)  # then along y
    txy = xy[tris]
    lo = np.ceil(np.nan_to_num(txy.min(axis=1), nan=-1e9))
    hi = np.floor(np.nan_to_num(txy.max(axis=1), nan=1e9))
    cx = np.clip(((lo[:, 0] + hi[:, 0]) // 2).astype(np.int64), 0, w - 1)
    cy = np.clip(((lo[:, 1] + hi[:, 1]) // 2).astype(np.int64), 0, h - 1)
    small = ((hi - lo) <= 2 * k - 1).all(axis=1) & (lo[:, 0] >= 0) & (lo[:, 1] >= 0) & (hi[:, 0] < w) & (hi[:, 1] < h)
    return small & (window[cy, cx] < z[tris].min(axis=1))
