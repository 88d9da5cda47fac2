"""The 2D jaw-contour convention: landmarks 0-16 on the face's visible outline.

Fixed-vertex ("3D") landmarks keep the jaw points on the same mesh vertices at every pose, so at a
turned head the far side's points sit on the hidden jaw, behind the cheek. Annotators of 2D
datasets (300W, and 300W-LP's profiling by Zhu et al., CVPR 2016, "landmark marching") instead put
those points on the face's silhouette. We build the same convention from the face pack's geometry:

- Each contour landmark k gets a *candidate line*: the points where the neutral mesh's outer skin
  (regions skin and head_neck) crosses the horizontal model-frame plane through landmark k, from
  landmark k inward to the face's midline (at the nose's height only to the nose wings: the nose
  is no part of the outline), and not
  behind the landmark (so the under-jaw, neck and back of the head are out). Each candidate is
  stored as a mesh edge (a, b) and a weight w: point = (1 - w) * v[a] + w * v[b], so it follows
  every identity and expression. The landmark's own vertex is always a candidate (a = b, w = 0).
- Per sample, each line's candidates are projected with the sample's camera and the one farthest
  outward along the image direction of the head's lateral axis wins (outward: toward the subject's
  right for 0-7, left for 9-16). On the side turned away this is the silhouette; on the side turned
  toward the camera the landmark's own vertex stays (the line's outermost point), as in 300W-LP.
  The chin (8) never moves.

Pure numpy and deterministic (ties go to the first candidate in a fixed order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facesynth.assets.pack import FacePack
from facesynth.assets.regions import HEAD_NECK, SKIN
from facesynth.geometry.camera import Camera
from facesynth.geometry.landmarks import VISIBILITY_TOLERANCE_MM, Landmarks, visibility
from facesynth.geometry.per_pack import per_pack
from facesynth.geometry.raster import sample_depth, screen_vertices

CONTOUR = 17
"""iBUG jaw points 0-16 (subject's right ear to left ear); 8 is the chin."""
CHIN = 8
CONVENTION_2D = ("2d-contour: iBUG 68 with jaw points 0-16 on the visible face outline (300W-LP landmark "
                 "marching); points 17-67 as landmarks_68")
BEHIND_MARGIN_MM = 2.0
"""Candidates may lie this far behind their landmark (the jaw edge curves slightly)."""


@dataclass(frozen=True, eq=False)
class ContourLines:
    """Candidate points of the 17 contour landmarks, flat: candidate i belongs to landmark owner[i]."""

    a: np.ndarray
    b: np.ndarray
    w: np.ndarray
    owner: np.ndarray


@dataclass(frozen=True, eq=False)
class ContourLandmarks:
    """The 68 landmarks in the 2D contour convention: 0-16 are surface points on their candidate
    lines, 17-67 equal the fixed-vertex landmarks. Point i = (1 - weights[i]) * v[pairs[i, 0]] +
    weights[i] * v[pairs[i, 1]] of the posed mesh."""

    points: Landmarks
    pairs: np.ndarray
    """(68, 2) vertex ids."""
    weights: np.ndarray
    """(68,) float64 in [0, 1]."""


def _outer_edges(pack: FacePack) -> np.ndarray:
    """Unique (E, 2) sorted vertex pairs of the outer skin's triangles."""
    region = np.asarray(pack.poly_region)[np.asarray(pack.tri_polygon)]
    tris = np.asarray(pack.triangles, dtype=np.int64)[np.isin(region, (SKIN, HEAD_NECK))]
    edges = np.sort(np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]]), axis=1)
    return np.unique(edges, axis=0)


@per_pack
def contour_lines(pack: FacePack) -> ContourLines:
    """The candidate lines of a pack with 68 landmarks (a pure function of its neutral mesh; the
    packs' model frames are +Y up, +Z forward, +X the subject's left)."""
    v = np.asarray(pack.neutral_mm, dtype=np.float64)
    lm = np.asarray(pack.landmarks_68, dtype=np.int64)
    edges = _outer_edges(pack)
    mid_x = float(v[lm[27:31], 0].mean())  # the nose bridge marks the midline
    nose_half = float(np.abs(v[lm[[31, 35]], 0] - mid_x).mean())
    nose_top, nose_bottom = float(v[lm[27], 1]), float(v[lm[33], 1])
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for k in range(CONTOUR):
        p = v[lm[k]]
        a, b, w = [np.array([lm[k]])], [np.array([lm[k]])], [np.zeros(1)]
        if k != CHIN:
            ya, yb = v[edges[:, 0], 1] - p[1], v[edges[:, 1], 1] - p[1]
            cross = (ya < 0) != (yb < 0)  # the edge straddles the plane (endpoints on it count once)
            e = edges[cross]
            t = ya[cross] / (ya[cross] - yb[cross])
            pt = v[e[:, 0]] + t[:, None] * (v[e[:, 1]] - v[e[:, 0]])
            lateral = np.abs(p[0] - mid_x)
            dist = (pt[:, 0] - mid_x) * np.sign(p[0] - mid_x)
            inner = nose_half if nose_bottom <= p[1] <= nose_top else 0.0  # the nose is no part of the outline
            keep = (dist <= lateral) & (dist >= inner) & (pt[:, 2] >= p[2] - BEHIND_MARGIN_MM)
            a.append(e[keep, 0])
            b.append(e[keep, 1])
            w.append(t[keep])
        parts.append((np.concatenate(a), np.concatenate(b), np.concatenate(w)))
    owner = np.concatenate([np.full(len(pa[0]), k) for k, pa in enumerate(parts)])
    return ContourLines(a=np.concatenate([pa[0] for pa in parts]), b=np.concatenate([pa[1] for pa in parts]),
                        w=np.concatenate([pa[2] for pa in parts]), owner=owner)


def march_contour(lines: ContourLines, vertices_cam: np.ndarray, landmark_ids: np.ndarray, model_to_camera: np.ndarray,
                  camera: Camera, head_triangles: np.ndarray,
                  tol_mm: float = VISIBILITY_TOLERANCE_MM) -> tuple[np.ndarray, np.ndarray]:
    """(pairs (17, 2), weights (17,)): the chosen candidate of each contour landmark for a posed
    mesh (camera frame, mm) seen by `camera`: the outermost candidate that the head itself does not
    hide (`head_triangles`: its solid triangles; hair, glasses and clothing do not move the points,
    they only hide them), or the outermost one when the head hides them all."""
    v = np.asarray(vertices_cam, dtype=np.float64)
    ids = np.asarray(landmark_ids, dtype=np.int64)[:CONTOUR]
    pts = v[lines.a] + lines.w[:, None] * (v[lines.b] - v[lines.a])
    uv = camera.project(pts)
    xy, z, tris, _ = screen_vertices(v, head_triangles, camera)
    seen = visibility(pts, uv, sample_depth(xy, z, tris, uv, perspective=camera.is_perspective),
                      camera.width, camera.height, tol_mm)
    lateral = np.asarray(model_to_camera, dtype=np.float64)[:3, :3] @ np.array([1.0, 0.0, 0.0])
    anchor = camera.project(v[ids])
    # Image direction of the subject's left at each landmark (perspective-exact, 1 mm step).
    step = camera.project(v[ids] + lateral / np.linalg.norm(lateral)) - anchor
    norm = np.linalg.norm(step, axis=1, keepdims=True)
    direction = np.divide(step, norm, out=np.zeros_like(step), where=norm > 1e-9)
    side = np.where(np.arange(CONTOUR) < CHIN, -1.0, 1.0)
    score = np.einsum("ij,ij->i", uv - anchor[lines.owner], direction[lines.owner]) * side[lines.owner]
    pairs = np.repeat(ids[:, None], 2, axis=1)
    weights = np.zeros(CONTOUR)
    for k in range(CONTOUR):
        cand = np.flatnonzero(lines.owner == k)
        if seen[cand].any():
            cand = cand[seen[cand]]
        best = cand[int(np.argmax(score[cand]))]  # the first of equal scores
        pairs[k] = lines.a[best], lines.b[best]
        weights[k] = lines.w[best]
    return pairs, weights


def contour_landmarks(pack: FacePack, vertices_cam: np.ndarray, model_to_camera: np.ndarray, camera: Camera,
                      fixed: Landmarks, head_triangles: np.ndarray, occluders_v: np.ndarray, occluders_t: np.ndarray,
                      tol_mm: float = VISIBILITY_TOLERANCE_MM) -> ContourLandmarks:
    """The 68 landmarks in the 2D contour convention. Visibility is the same depth test as the
    fixed-vertex landmarks', against the same occluders (head, groom, parts)."""
    ids = np.asarray(pack.landmarks_68, dtype=np.int64)
    pairs, weights = march_contour(contour_lines(pack), vertices_cam, ids, model_to_camera, camera, head_triangles,
                                   tol_mm)
    v = np.asarray(vertices_cam, dtype=np.float64)
    pts = v[pairs[:, 0]] + weights[:, None] * (v[pairs[:, 1]] - v[pairs[:, 0]])
    uv = camera.project(pts)
    xy, z, tris, _ = screen_vertices(occluders_v, occluders_t, camera)
    surface = sample_depth(xy, z, tris, uv, perspective=camera.is_perspective)
    visible = visibility(pts, uv, surface, camera.width, camera.height, tol_mm)
    all_pairs = np.concatenate([pairs, np.repeat(ids[CONTOUR:, None], 2, axis=1)])
    points = Landmarks(
        uv=np.concatenate([uv, fixed.uv[CONTOUR:]]), xyz_cam=np.concatenate([pts, fixed.xyz_cam[CONTOUR:]]),
        visible=np.concatenate([visible, fixed.visible[CONTOUR:]]),
        surface_depth_mm=np.concatenate([surface, fixed.surface_depth_mm[CONTOUR:]]))
    return ContourLandmarks(points=points, pairs=all_pairs, weights=np.concatenate([weights, np.zeros(68 - CONTOUR)]))
