"""THE acceptance test: the metadata alone, with the ICT-FaceKit source OBJs, rebuilds the labels.

Everything here is independent of facesynth except producing the sample: the OBJs are parsed with
plain numpy, the posed vertices rebuilt from the published formula
    (neutral + sum_k identity_k (identityK.obj - neutral) + sum_j w_j (expr_j.obj - neutral)) * 10 mm,
moved with `mesh.model_to_camera`, projected with `camera.K`, and the depth is re-measured by
casting rays (trimesh) through the pixel centres.
"""

from __future__ import annotations

import json
import tarfile

import numpy as np
import pytest
import trimesh
from scipy import ndimage
from test_geometry_support import camera_spec, load_ict_pack, sample_spec

from facesynth.assets import regions
from facesynth.geometry.labels import compute_labels
from facesynth.geometry.metadata import build_metadata
from facesynth.geometry.pose import pose_sample
from facesynth.io.metafields import expression_weights

pytestmark = pytest.mark.ict

SOLID_POLYGONS = 24692  # ICT README: polygons [0:24691] are face ... eyeball right (opaque geometry)


def _obj_vertices(data: bytes) -> np.ndarray:
    lines = [line[2:] for line in data.splitlines() if line.startswith(b"v ")]
    return np.array(b" ".join(lines).split(), dtype=np.float64).reshape(-1, 3)


def _read_sources(archive, wanted: set[str]) -> dict[str, bytes]:
    out = {}
    with tarfile.open(archive) as tar:
        for member in tar:
            name = member.name.rsplit("/", 1)[-1]
            if name in wanted:
                out[name] = tar.extractfile(member).read()
    return out


def _solid_triangles(neutral_obj: bytes) -> np.ndarray:
    tris, poly = [], 0
    for line in neutral_obj.splitlines():
        if line.startswith(b"f "):
            if poly >= SOLID_POLYGONS:
                break
            ids = [int(tok.split(b"/")[0]) - 1 for tok in line.split()[1:]]
            tris.extend((ids[0], ids[k], ids[k + 1]) for k in range(1, len(ids) - 1))
            poly += 1
    return np.array(tris, dtype=np.int64)


def test_metadata_and_source_objs_rebuild_landmarks_and_depth(ict_archive) -> None:
    pack = load_ict_pack(str(ict_archive))
    spec = sample_spec(yaw=25.0, pitch=-8.0, roll=6.0, translation=(12.0, -20.0, 5.0),
                       identity=(1.2, -0.8, 0.5, 0.0, -1.5, 0.3),
                       weights=(("jawOpen", 0.35), ("mouthSmile_L", 0.6), ("browInnerUp", 0.4)),
                       camera=camera_spec(width=320, height=240, distance_mm=800.0,
                                          position_jitter_mm=(6.0, -4.0, 10.0)))
    posed = pose_sample(spec, pack)
    labels = compute_labels(spec, pack, pack.deform(spec.subject.identity, spec.expression_weights()), posed)
    meta = json.loads(json.dumps(build_metadata(spec, pack, posed, labels, recipe_sha256="0" * 64,
                                                facesynth_version="test", blender_version="none")))

    fm = meta["face_model"]
    identity = {f"identity{k:03d}.obj": w for k, w in enumerate(fm["identity"]) if w != 0.0}
    expression = {f"{name}.obj": w for name, w in expression_weights(meta).items()}
    assert len(identity) == 5 and len(expression) == 4  # browInnerUp drives both halves
    src = _read_sources(ict_archive, {"generic_neutral_mesh.obj", *identity, *expression})
    neutral = _obj_vertices(src["generic_neutral_mesh.obj"])
    v = neutral.copy()
    for name, w in [*identity.items(), *expression.items()]:
        v += w * (_obj_vertices(src[name]) - neutral)
    v *= 10.0  # ICT is in cm

    M = np.array(meta["mesh"]["model_to_camera"])
    K = np.array(meta["camera"]["K"])
    v_cam = v @ M[:3, :3].T + M[:3, 3]
    lm_ids = meta["landmarks_68"]["vertex_ids"]
    p = v_cam[lm_ids]
    uv = (p[:, :2] / p[:, 2:]) @ K[:2, :2].T + K[:2, 2]
    np.testing.assert_allclose(uv, meta["landmarks_68"]["2d"], atol=0.05)
    np.testing.assert_allclose(p, meta["landmarks_68"]["3d"], atol=0.05)

    # Depth: rays through pixel centres of the face interior against the rebuilt opaque geometry.
    w, h = meta["camera"]["width"], meta["camera"]["height"]
    interior = ndimage.binary_erosion(labels.mask == regions.SKIN, np.ones((5, 5), bool))
    rows, cols = np.nonzero(interior)
    pick = np.random.default_rng(0).choice(len(rows), min(1500, len(rows)), replace=False)
    rows, cols = rows[pick], cols[pick]
    assert len(rows) > 500 and labels.depth.shape == (h, w)
    dirs = np.c_[(cols - K[0, 2]) / K[0, 0], (rows - K[1, 2]) / K[1, 1], np.ones(len(rows))]
    mesh = trimesh.Trimesh(v_cam, _solid_triangles(src["generic_neutral_mesh.obj"]), process=False)
    locs, ray, _ = mesh.ray.intersects_location(np.zeros_like(dirs), dirs, multiple_hits=True)
    first = np.full(len(rows), np.inf)
    np.minimum.at(first, ray, locs[:, 2])  # dir z = 1: the hit's z is the planar depth
    np.testing.assert_allclose(labels.depth[rows, cols], first, atol=0.5)
