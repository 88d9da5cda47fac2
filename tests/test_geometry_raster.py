"""The numpy rasteriser against exact references: an analytic plane, trimesh ray casting, and a
brute-force per-pixel ray/triangle loop."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from hypothesis import given, settings
from hypothesis import strategies as st
from test_geometry_support import camera_spec

from facesynth.geometry.camera import camera_from_spec
from facesynth.geometry.raster import rasterize, rasterize_screen


def _pixel_rays(cam) -> tuple[np.ndarray, np.ndarray]:
    """Origins and directions (dir z = 1) of the rays through every pixel centre, camera frame."""
    v, u = np.mgrid[0:cam.height, 0:cam.width]
    uv = np.stack([u.ravel(), v.ravel()], axis=1).astype(float)
    if cam.is_perspective:
        d = cam.backproject(uv, 1.0)
        o = np.zeros_like(d)
    else:
        o = cam.backproject(uv, 0.0)
        d = np.tile([0.0, 0.0, 1.0], (len(uv), 1))
    return o, d


@pytest.mark.parametrize("projection", ["perspective", "orthographic"])
def test_plane_depth_is_exact(projection: str) -> None:
    cam = camera_from_spec(camera_spec(projection=projection, width=64, height=48, ortho_scale_mm=500.0))
    # A tilted plane n.x = c covering the whole view, as two big triangles.
    n, c = np.array([0.2, -0.3, 1.0]), 800.0
    corners_xy = np.array([[-1000.0, -1000.0], [1000.0, -1000.0], [1000.0, 1000.0], [-1000.0, 1000.0]])
    corners = np.c_[corners_xy, (c - corners_xy @ n[:2]) / n[2]]
    r = rasterize(corners, np.array([[0, 1, 2], [0, 2, 3]]), cam)
    assert (r.tri_id >= 0).all()  # watertight across the diagonal
    o, d = _pixel_rays(cam)
    t = (c - o @ n) / (d @ n)
    expected = (o + t[:, None] * d)[:, 2].reshape(cam.height, cam.width)
    np.testing.assert_allclose(r.depth, expected, rtol=2e-7)
    # Barycentrics reproduce the 3D point on the plane (perspective-correct interpolation).
    pts = r.interpolate(corners, np.array([[0, 1, 2], [0, 2, 3]])).reshape(-1, 3)
    np.testing.assert_allclose(pts, o + t[:, None] * d, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("projection", ["perspective", "orthographic"])
def test_icosphere_matches_trimesh_ray_casting(projection: str) -> None:
    cam = camera_from_spec(camera_spec(projection=projection, width=64, height=48, ortho_scale_mm=300.0))
    sphere = trimesh.creation.icosphere(subdivisions=3, radius=100.0)
    verts = sphere.vertices + np.array([10.0, -5.0, 600.0])
    r = rasterize(verts, sphere.faces, cam)
    o, d = _pixel_rays(cam)
    mesh = trimesh.Trimesh(verts, sphere.faces, process=False)
    locs, ray_idx, tri_idx = mesh.ray.intersects_location(o, d, multiple_hits=True)
    ref = np.full(len(o), np.inf)
    np.minimum.at(ref, ray_idx, locs[:, 2])
    hit = np.isfinite(ref)
    got = r.depth.ravel()
    assert hit.sum() > 500
    assert ((got > 0) != hit).sum() == 0
    np.testing.assert_allclose(got[hit], ref[hit], rtol=1e-6)
    # The winning triangle is hit by that pixel's ray at that depth.
    pixels = np.flatnonzero(hit)
    ours = set(zip(pixels.tolist(), r.tri_id.ravel()[pixels].tolist(), strict=True))
    theirs = set(zip(ray_idx.tolist(), tri_idx.tolist(), strict=True))
    assert len(ours - theirs) <= 2  # a centre on a shared edge may pick the neighbour triangle


def _brute_force(cam, verts: np.ndarray, tris: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pixel, per triangle: Moller-Trumbore ray casting in plain Python loops."""
    o_all, d_all = _pixel_rays(cam)
    depth = np.zeros(len(o_all))
    tid = np.full(len(o_all), -1)
    bary = np.zeros((len(o_all), 3))
    for p in range(len(o_all)):
        o, d = o_all[p], d_all[p]
        best = np.inf
        for k, (i0, i1, i2) in enumerate(tris):
            a, b, c = verts[i0], verts[i1], verts[i2]
            e1, e2 = b - a, c - a
            h = np.cross(d, e2)
            det = e1 @ h
            if abs(det) < 1e-12:
                continue
            s = o - a
            u = (s @ h) / det
            q = np.cross(s, e1)
            v = (d @ q) / det
            t = (e2 @ q) / det
            if u < -1e-9 or v < -1e-9 or u + v > 1 + 1e-9:
                continue
            z = (o + t * d)[2]
            if cam.clip_start_mm <= z < best:
                best, tid[p], bary[p] = z, k, (1 - u - v, u, v)
        depth[p] = 0.0 if tid[p] < 0 else best
    shape = (cam.height, cam.width)
    return depth.reshape(shape), tid.reshape(shape), bary.reshape((*shape, 3))


@settings(max_examples=6, deadline=None, derandomize=True)
@given(st.sampled_from(["perspective", "orthographic"]), st.integers(0, 2**32 - 1))
def test_random_triangles_match_brute_force(projection: str, seed: int) -> None:
    cam = camera_from_spec(camera_spec(projection=projection, width=24, height=18, ortho_scale_mm=200.0))
    rng = np.random.default_rng(seed)
    centres = rng.uniform([-90, -70, 400], [90, 70, 700], size=(25, 1, 3))
    verts = (centres + rng.normal(scale=40.0, size=(25, 3, 3))).reshape(-1, 3)
    tris = np.arange(75).reshape(25, 3)
    r = rasterize(verts, tris, cam)
    depth, tid, bary = _brute_force(cam, verts, tris)
    # Coverage may differ only where a pixel centre sits within float noise of an edge.
    assert ((r.tri_id >= 0) != (tid >= 0)).sum() <= 1
    both = (r.tri_id >= 0) & (tid >= 0)
    assert both.sum() > 60
    np.testing.assert_allclose(r.depth[both], depth[both], rtol=1e-5)
    same = both & (r.tri_id == tid)
    assert same.sum() >= both.sum() - 1
    np.testing.assert_allclose(r.bary[same], bary[same], atol=1e-4)


def test_shared_edges_leave_no_cracks() -> None:
    # A finely triangulated, jittered grid spanning the view: every pixel centre is covered.
    cam = camera_from_spec(camera_spec(width=96, height=72))
    n = 40
    gy, gx = np.mgrid[0:n + 1, 0:n + 1].astype(float)
    rng = np.random.default_rng(1)
    jitter = rng.uniform(-0.3, 0.3, size=(2, n + 1, n + 1))
    jitter[:, [0, -1], :] = 0
    jitter[:, :, [0, -1]] = 0
    x = (gx + jitter[0]) / n * 600 - 300
    y = (gy + jitter[1]) / n * 600 - 300
    verts = np.c_[x.ravel(), y.ravel(), 500 + 0.1 * x.ravel()]
    idx = np.arange((n + 1) ** 2).reshape(n + 1, n + 1)
    a, b, c, d = idx[:-1, :-1].ravel(), idx[:-1, 1:].ravel(), idx[1:, 1:].ravel(), idx[1:, :-1].ravel()
    tris = np.r_[np.c_[a, b, c], np.c_[a, c, d]]
    r = rasterize(verts, tris, cam)
    assert (r.tri_id >= 0).all()


def test_empty_and_behind_camera_give_no_coverage() -> None:
    cam = camera_from_spec(camera_spec())
    r = rasterize(np.zeros((0, 3)), np.zeros((0, 3), int), cam)
    assert (r.tri_id == -1).all() and (r.depth == 0).all()
    behind = np.array([[-100.0, -100.0, -50.0], [100.0, -100.0, -50.0], [0.0, 100.0, 300.0]])
    r = rasterize(behind, np.array([[0, 1, 2]]), cam)
    assert (r.tri_id == -1).all() and r.depth.dtype == np.float32


def test_screen_space_orthographic_interpolation() -> None:
    # One triangle in pixel coordinates: barycentrics are the plain affine ones.
    xy = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    r = rasterize_screen(xy, np.array([1.0, 2.0, 3.0]), np.array([[0, 1, 2]]), 12, 12, perspective=False)
    assert r.tri_id[0, 0] == 0 and r.tri_id[0, 10] == 0 and r.tri_id[10, 0] == 0
    assert r.tri_id[10, 10] == -1
    np.testing.assert_allclose(r.bary[2, 4], [0.4, 0.4, 0.2], atol=1e-6)
    assert r.depth[2, 4] == pytest.approx(1.0 * 0.4 + 2.0 * 0.4 + 3.0 * 0.2)
