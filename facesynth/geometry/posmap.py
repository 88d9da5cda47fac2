"""PRN-style position maps: the face area of the pack's UV layout, rasterised in UV space.

Texel (row, col) of a size x size map has its centre at u = (col + 0.5) / size, v = 1 - (row + 0.5) /
size (v up, so row = (1 - v) * size in edge coordinates). Each covered texel holds the posed
surface point that the UV layout puts there:
- `cam`: camera frame, mm;
- `prn`: x, y = pixel coordinates in the size x size face crop, z = planar depth in the same pixel
  scale, shifted so the smallest covered value is 0 (larger = farther).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from facesynth.assets.pack import FacePack
from facesynth.errors import UserError
from facesynth.geometry.camera import Camera
from facesynth.geometry.raster import Raster, rasterize_screen
from facesynth.sampling.spec import PosmapSpec


@dataclass(frozen=True, eq=False)
class Posmap:
    prn: np.ndarray
    """(S,S,3) float32: crop x, y (px) and depth z (crop px, min 0); 0 where not covered."""
    cam: np.ndarray
    """(S,S,3) float32 camera-frame mm; 0 where not covered."""
    coverage: np.ndarray
    """(S,S) bool: texels inside the face area of the UV layout."""
    texel_triangle: np.ndarray
    """(S,S) int32: index into pack.triangles of the surface under each texel, -1 if not covered."""
    crop_transform: np.ndarray
    """(3,3) similarity, image pixel coordinates -> crop pixel coordinates (homogeneous)."""
    z_scale_px_per_mm: float
    """Crop pixels per mm used for z (perspective: at the mean landmark depth)."""
    z_offset_px: float
    """Subtracted from z_mm * z_scale_px_per_mm so the smallest covered z is 0."""

    def prn_z_to_depth_mm(self, z_prn: np.ndarray) -> np.ndarray:
        return (np.asarray(z_prn, np.float64) + self.z_offset_px) / self.z_scale_px_per_mm


def crop_transform(landmarks_uv: np.ndarray, size: int, crop_scale: float,
                   jitter: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> np.ndarray:
    """Image px -> crop px similarity for the square crop about the landmarks' bounding box.

    The box's larger side B sets the crop side B * crop_scale * (1 + jitter[2]); the centre moves
    by (jitter[0], jitter[1]) * B. Pixel-centre convention on both sides: the crop's centre maps to
    ((size - 1) / 2, (size - 1) / 2).
    """
    uv = np.asarray(landmarks_uv, dtype=np.float64)
    lo, hi = uv.min(axis=0), uv.max(axis=0)
    box = float(max(hi - lo))
    side = box * crop_scale * (1.0 + jitter[2])
    if not side > 0:
        raise UserError(f"posmap crop: landmark box has no extent (side {side}); check posmap.crop_scale")
    centre = (lo + hi) / 2.0 + np.array(jitter[:2]) * box
    s = size / side
    t = (size - 1) / 2.0 - s * centre
    return np.array([[s, 0.0, t[0]], [0.0, s, t[1]], [0.0, 0.0, 1.0]])


def apply_transform(transform: np.ndarray, xy: np.ndarray) -> np.ndarray:
    xy = np.asarray(xy, dtype=np.float64)
    return xy @ transform[:2, :2].T + transform[:2, 2]


@functools.lru_cache(maxsize=8)
def _uv_raster(pack: FacePack, size: int) -> tuple[Raster, np.ndarray]:
    """The face-area triangles rasterised in UV space: depends on the pack only, so cached."""
    face_tris = np.flatnonzero(np.asarray(pack.face_area)[pack.tri_polygon])
    if len(face_tris) == 0:
        raise UserError(f"face pack {pack.name!r}: no face-area polygons, cannot write a position map")
    corners = np.asarray(pack.tri_uv, dtype=np.float64)[face_tris].reshape(-1, 2)
    # A face area laid out in another UV tile (u in [k, k+1]) is mapped to the unit square.
    tile = np.floor(corners.min(axis=0))
    if (corners.max(axis=0) - tile <= 1.0).all():
        corners = corners - tile
    # Merge corners with identical UVs so shared UV edges are one edge (watertight raster).
    uniq, inverse = np.unique(corners, axis=0, return_inverse=True)
    xy = np.c_[uniq[:, 0] * size - 0.5, (1.0 - uniq[:, 1]) * size - 0.5]
    tris = inverse.reshape(-1, 3)
    r = rasterize_screen(xy, np.zeros(len(uniq)), tris, size, size, perspective=False)
    return r, face_tris


def compute_posmap(
    pack: FacePack,
    vertices_cam: np.ndarray,
    camera: Camera,
    landmarks_uv: np.ndarray,
    landmarks_cam: np.ndarray,
    spec: PosmapSpec,
) -> Posmap:
    """The position maps of one posed face (vertices in the camera frame, mm)."""
    size = int(spec.size)
    if size <= 0:
        raise UserError(f"posmap.size must be positive, got {size}")
    r, face_tris = _uv_raster(pack, size)
    cov = r.tri_id >= 0
    tri = face_tris[r.tri_id[cov]]
    corner = np.asarray(vertices_cam, dtype=np.float64)[np.asarray(pack.triangles)[tri]]  # (P,3,3)
    pts = np.einsum("pk,pkc->pc", r.bary[cov].astype(np.float64), corner)
    T = crop_transform(landmarks_uv, size, spec.crop_scale, tuple(spec.crop_jitter))
    xy = apply_transform(T, camera.project(pts))
    crop_px_per_img_px = T[0, 0]
    if camera.is_perspective:
        z_ref = float(np.mean(np.asarray(landmarks_cam)[:, 2]))
        z_scale = crop_px_per_img_px * camera.K[0, 0] / z_ref
    else:
        z_scale = crop_px_per_img_px * camera.K[0, 0]
    z = pts[:, 2] * z_scale
    z_off = float(z.min())
    prn = np.zeros((size, size, 3), np.float32)
    prn[cov] = np.c_[xy, z - z_off]
    cam = np.zeros((size, size, 3), np.float32)
    cam[cov] = pts
    texel_tri = np.full((size, size), -1, np.int32)
    texel_tri[cov] = tri
    return Posmap(prn=prn, cam=cam, coverage=cov, texel_triangle=texel_tri, crop_transform=T,
                  z_scale_px_per_mm=float(z_scale), z_offset_px=z_off)


def crop_image(rgb: np.ndarray, transform: np.ndarray, size: int) -> np.ndarray:
    """The size x size crop of an (H,W[,C]) image under an image->crop transform (bilinear,
    0 outside the image); integer images stay integer (rounded)."""
    from scipy import ndimage  # slow to import: only when a crop is written
    img = np.asarray(rgb)
    inv = np.linalg.inv(np.asarray(transform, dtype=np.float64))
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float64)
    src = apply_transform(inv, np.stack([cols.ravel(), rows.ravel()], axis=1))
    coords = [src[:, 1], src[:, 0]]
    chans = img[..., None] if img.ndim == 2 else img
    out = np.stack([ndimage.map_coordinates(chans[..., c].astype(np.float64), coords, order=1,
                                            mode="constant", cval=0.0) for c in range(chans.shape[-1])],
                   axis=-1).reshape(size, size, -1)
    if np.issubdtype(img.dtype, np.integer):
        info = np.iinfo(img.dtype)
        out = np.clip(np.rint(out), info.min, info.max)
    out = out.astype(img.dtype)
    return out[..., 0] if img.ndim == 2 else out


def posmap_to_mesh(posmap_cam: np.ndarray, coverage: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grid-triangulate the covered texels: (N,3) vertices (texel values) and (M,3) faces; a grid
    cell gives each of its two triangles whose three texels are all covered."""
    cov = np.asarray(coverage, dtype=bool)
    h, w = cov.shape
    index = np.full((h, w), -1, dtype=np.int64)
    index[cov] = np.arange(int(cov.sum()))
    a, b = index[:-1, :-1].ravel(), index[:-1, 1:].ravel()
    c, d = index[1:, 1:].ravel(), index[1:, :-1].ravel()
    faces = np.r_[np.c_[a, d, c], np.c_[a, c, b]]
    faces = faces[(faces >= 0).all(axis=1)]
    return np.asarray(posmap_cam)[cov].astype(np.float64), faces
