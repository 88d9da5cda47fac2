"""Position maps of the real ICT head: texels agree with the rasterised depth image, lie on the
posed surface, and the crop helpers are consistent."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from test_geometry_support import camera_spec, load_ict_pack, sample_spec

from facesynth.geometry.labels import compute_labels
from facesynth.geometry.pose import pose_sample
from facesynth.geometry.posmap import apply_transform, crop_image, crop_transform, posmap_to_mesh

pytestmark = pytest.mark.ict


@pytest.fixture(scope="module")
def posed_labels(ict_archive):
    pack = load_ict_pack(str(ict_archive))
    spec = sample_spec(yaw=20, pitch=10, camera=camera_spec(width=640, height=480, distance_mm=700.0),
                       identity=(1.0, -0.5, 0.3), weights=(("jawOpen", 0.3), ("mouthSmile_L", 0.5)))
    posed = pose_sample(spec, pack)
    labels = compute_labels(spec, pack, pack.deform(spec.subject.identity, spec.expression_weights()), posed)
    return pack, spec, posed, labels


def test_posmap_layout(posed_labels) -> None:
    pack, _, _, labels = posed_labels
    pm = labels.posmap
    assert pm.prn.shape == (256, 256, 3) and pm.prn.dtype == np.float32
    assert pm.cam.shape == (256, 256, 3) and pm.cam.dtype == np.float32
    assert pm.coverage.mean() > 0.5
    assert pm.prn[pm.coverage][:, 2].min() == 0.0
    assert (pm.prn[~pm.coverage] == 0).all() and (pm.cam[~pm.coverage] == 0).all()
    # Only face-area polygons appear, and v is up: the forehead (higher model y) is in upper rows.
    polys = np.asarray(pack.tri_polygon)[pm.texel_triangle[pm.coverage]]
    assert np.asarray(pack.face_area)[polys].all()
    ys = np.asarray(pack.neutral_mm)[np.asarray(pack.triangles)[pm.texel_triangle], 1].mean(-1)
    rows = np.nonzero(pm.coverage)[0]
    assert np.corrcoef(rows, ys[pm.coverage])[0, 1] < -0.5


def test_visible_texels_map_back_onto_their_depth_pixels(posed_labels) -> None:
    pack, _, posed, labels = posed_labels
    pm, depth = labels.posmap, labels.depth
    h, w = depth.shape
    cov = np.argwhere(pm.coverage)
    pick = cov[np.random.default_rng(0).choice(len(cov), 3000, replace=False)]
    pts = pm.cam[pick[:, 0], pick[:, 1]].astype(np.float64)
    prn = pm.prn[pick[:, 0], pick[:, 1]].astype(np.float64)
    # Independent visibility: ray casting from the camera centre with trimesh.
    mesh = trimesh.Trimesh(labels.vertices_cam, np.asarray(pack.triangles)[labels.solid_triangles],
                           process=False)
    dist = np.linalg.norm(pts, axis=1)
    dirs = pts / dist[:, None]
    locs, ray, _ = mesh.ray.intersects_location(np.zeros_like(pts), dirs, multiple_hits=True)
    first = np.full(len(pts), np.inf)
    np.minimum.at(first, ray, np.linalg.norm(locs, axis=1))
    visible = first >= dist - 0.5
    # Back through the crop transform to image pixels; PRN z back to mm (scale-corrected).
    img = apply_transform(np.linalg.inv(pm.crop_transform), prn[:, :2])
    np.testing.assert_allclose(img, posed.camera.project(pts), atol=1e-3)
    z = pm.prn_z_to_depth_mm(prn[:, 2])
    np.testing.assert_allclose(z, pts[:, 2], atol=1e-3)
    x0 = np.floor(img[:, 0]).astype(int)
    y0 = np.floor(img[:, 1]).astype(int)
    inside = (x0 >= 0) & (y0 >= 0) & (x0 < w - 1) & (y0 < h - 1)
    x0, y0 = x0.clip(0, w - 2), y0.clip(0, h - 2)
    quad = np.stack([depth[y0, x0], depth[y0, x0 + 1], depth[y0 + 1, x0], depth[y0 + 1, x0 + 1]], axis=1)
    quad = np.where(quad > 0, quad, np.inf)
    # Nothing in the position map lies in front of the visible surface.
    assert not (inside & (z < quad.min(axis=1) - 1.0)).any()
    # Visible, non-grazing texels: one of the surrounding pixel centres holds their depth.
    tri = pm.texel_triangle[pick[:, 0], pick[:, 1]]
    corners = labels.vertices_cam[np.asarray(pack.triangles)[tri]]
    n = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    cos_view = np.abs((n * dirs).sum(axis=1)) / np.linalg.norm(n, axis=1)
    check = visible & inside & (cos_view > 0.5)
    assert check.sum() > 1000
    err = np.abs(quad - z[:, None]).min(axis=1)[check]
    assert err.max() <= 1.0, f"{(err > 1.0).sum()} visible texels off their depth pixel"


def test_posmap_mesh_lies_on_posed_surface(posed_labels) -> None:
    pack, _, _, labels = posed_labels
    pm = labels.posmap
    verts, faces = posmap_to_mesh(pm.cam, pm.coverage)
    assert len(verts) == pm.coverage.sum() and len(faces) > len(verts)  # ~2 triangles per texel
    assert faces.max() < len(verts) and faces.min() >= 0
    mesh = trimesh.Trimesh(labels.vertices_cam, pack.triangles, process=False)
    sample = verts[np.random.default_rng(1).choice(len(verts), 1500, replace=False)]
    _, distance, _ = trimesh.proximity.closest_point(mesh, sample)
    assert distance.max() < 0.5


def test_crop_contains_landmarks_with_scale_and_jitter() -> None:
    lm = np.array([[100.0, 50.0], [180.0, 50.0], [140.0, 150.0]])  # box 80 x 100, centre (140, 100)
    T = crop_transform(lm, 256, 1.5)
    side = 100 * 1.5
    assert T[0, 0] == pytest.approx(256 / side)
    np.testing.assert_allclose(apply_transform(T, [[140.0, 100.0]]), [[127.5, 127.5]])
    inside = apply_transform(T, lm)
    assert (inside > 0).all() and (inside < 255).all()
    Tj = crop_transform(lm, 256, 1.5, (0.1, -0.2, 0.25))
    assert Tj[0, 0] == pytest.approx(256 / (side * 1.25))
    np.testing.assert_allclose(apply_transform(Tj, [[140.0 + 10.0, 100.0 - 20.0]]), [[127.5, 127.5]])


def test_crop_image_samples_through_the_transform() -> None:
    h, w = 120, 160
    rows, cols = np.mgrid[0:h, 0:w]
    img = np.stack([cols, rows, np.zeros_like(cols)], axis=-1).astype(np.float64)
    T = crop_transform(np.array([[40.0, 30.0], [100.0, 90.0]]), 64, 1.2)
    out = crop_image(img, T, 64)
    r, c = np.mgrid[0:64, 0:64]
    src = apply_transform(np.linalg.inv(T), np.stack([c.ravel(), r.ravel()], 1)).reshape(64, 64, 2)
    np.testing.assert_allclose(out[..., :2], src, atol=1e-9)  # bilinear is exact on a linear ramp
    u8 = crop_image(np.full((h, w, 3), 200, np.uint8), T, 64)
    assert u8.dtype == np.uint8 and (u8 == 200).all()
