"""Metadata: every key of issue 5, JSON-native and deterministic; lights placed by one function;
the posed mesh PLY round-trips."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import trimesh
from test_geometry_support import camera_spec, load_ict_pack, sample_spec

from facesynth.geometry.labels import compute_labels
from facesynth.geometry.lights import light_pose
from facesynth.geometry.mesh_export import posed_mesh_ply
from facesynth.geometry.metadata import build_metadata
from facesynth.geometry.pose import POSE_CONVENTION, pose_sample
from facesynth.io.metafields import expression_weights
from facesynth.sampling.spec import LightSpec

pytestmark = pytest.mark.ict

REQUIRED = {
    "meta_version", "id", "index", "subject_id", "split", "seed", "recipe_sha256", "facesynth_version",
    "blender_version", "face_model", "mesh", "camera", "head_pose", "lights", "environment", "background",
    "render", "landmarks_68", "group", "view", "frame",
}


@pytest.fixture(scope="module")
def sample(ict_archive):
    pack = load_ict_pack(str(ict_archive))
    spec = sample_spec(yaw=15.0, pitch=-5.0, roll=3.0, identity=(0.5, -1.0, 2.0),
                       weights=(("cheekPuff", 0.4), ("eyeBlinkLeft", 0.7), ("notAShape", 1.0)),
                       camera=camera_spec(width=128, height=96))
    posed = pose_sample(spec, pack)
    labels = compute_labels(spec, pack, pack.deform(spec.subject.identity, spec.expression_weights()), posed)
    return pack, spec, posed, labels


def _meta(sample, **kw):
    pack, spec, posed, labels = sample
    return build_metadata(spec, pack, posed, labels, recipe_sha256="ab" * 32, facesynth_version="0.1.0",
                          blender_version="5.0.1", **kw)


def test_all_keys_json_native_and_deterministic(sample) -> None:
    meta = _meta(sample)
    assert meta.keys() >= REQUIRED and "outputs" not in meta
    assert meta["meta_version"] == 2
    text = json.dumps(meta, sort_keys=True, allow_nan=False)  # raises on numpy types or NaN
    assert json.loads(text) == meta
    assert json.dumps(_meta(sample), sort_keys=True) == text
    assert meta["face_model"].keys() >= {"name", "pack_sha256", "identity", "expression_name", "expression"}
    assert meta["camera"].keys() >= {"K", "width", "height", "projection", "lens_mm", "sensor_width_mm",
                                     "clip_mm", "world_to_camera", "distance_mm"}
    assert meta["head_pose"].keys() >= {"R", "t_mm", "yaw_deg", "pitch_deg", "roll_deg", "convention"}
    assert meta["landmarks_68"].keys() >= {"2d", "3d", "visible"}
    assert meta["posmap"].keys() >= {"crop_transform", "convention"}


def test_values_match_the_sample(sample) -> None:
    pack, _, posed, labels = sample
    meta = _meta(sample)
    assert (meta["id"], meta["index"], meta["group"], meta["view"]) == ("000007", 7, 3, "front")
    hp = meta["head_pose"]
    assert (hp["yaw_deg"], hp["pitch_deg"], hp["roll_deg"]) == pytest.approx((15.0, -5.0, 3.0))
    assert hp["convention"] == POSE_CONVENTION
    np.testing.assert_allclose(meta["camera"]["K"], posed.camera.K)
    np.testing.assert_allclose(meta["mesh"]["model_to_camera"], posed.model_to_camera)
    np.testing.assert_allclose(meta["landmarks_68"]["2d"], labels.landmarks.uv)
    assert len(meta["landmarks_68"]["visible"]) == 68
    fm = meta["face_model"]
    assert len(fm["identity"]) == pack.n_identity
    assert fm["identity"][:4] == [0.5, -1.0, 2.0, 0.0]
    # Aliases resolved to the pack's shape names, unsided names split, unknown names left out.
    # Written as the decimals the recipe gave (shortest float32 round trip), not float32 noise.
    assert expression_weights(meta) == {"cheekPuff_L": 0.4, "cheekPuff_R": 0.4, "eyeBlink_L": 0.7}
    assert fm["expression"]["names"] == list(pack.expression_names)  # schema-stable: every shape, zeros too
    assert fm["pack_sha256"] == pack.sha256
    # the sample has an area lamp and a sun: `auto` leaves Cycles' light tree off, and says so
    assert (meta["render"]["light_tree"], meta["render"]["light_tree_used"]) == ("auto", False)


def test_posmap_entry_only_with_posmap(sample) -> None:
    pack, spec, posed, _ = sample
    spec2 = spec.model_copy(update={"outputs": ("depth",)})
    labels = compute_labels(spec2, pack, pack.deform(), posed)
    meta = build_metadata(spec2, pack, posed, labels, recipe_sha256="", facesynth_version="",
                          blender_version="")
    assert "posmap" not in meta


def test_light_placement_around_the_pivot(sample) -> None:
    _, _, posed, _ = sample
    pivot = posed.t_mm

    def place(az: float, el: float):
        return light_pose(LightSpec(kind="point", azimuth_deg=az, elevation_deg=el, distance_mm=1000.0,
                                    energy=10.0, color_temperature_k=5000.0), posed)

    front = place(0.0, 0.0)
    # Azimuth 0: on the camera's side, straight toward the camera from the pivot.
    np.testing.assert_allclose(front.position_camera_mm, pivot - [0.0, 0.0, 1000.0], atol=1e-9)
    np.testing.assert_allclose(front.direction_camera, [0.0, 0.0, 1.0], atol=1e-12)
    assert place(90.0, 0.0).position_camera_mm[0] > pivot[0] + 999.0  # toward image +x
    assert place(0.0, 90.0).position_camera_mm[1] < pivot[1] - 999.0  # above (image -y)
    lp = place(35.0, 20.0)
    to_pivot = pivot - lp.position_camera_mm
    np.testing.assert_allclose(lp.direction_camera, to_pivot / np.linalg.norm(to_pivot), atol=1e-12)
    # Blender light: its -Z axis is the light direction, position in metres.
    m = lp.blender_matrix_world_m()
    np.testing.assert_allclose(-m[:3, 2], lp.direction_world, atol=1e-12)
    np.testing.assert_allclose(m[:3, 3] * 1000.0, lp.position_world_mm)
    np.testing.assert_allclose(m[:3, :3] @ m[:3, :3].T, np.eye(3), atol=1e-12)
    assert _meta(sample)["lights"][0]["position_camera_mm"] == pytest.approx(
        light_pose(sample[1].lights[0], posed).position_camera_mm.tolist())


def test_posed_mesh_ply_round_trips(sample) -> None:
    pack, _, _, labels = sample
    data = posed_mesh_ply(labels.vertices_cam, pack)
    mesh = trimesh.load(io.BytesIO(data), file_type="ply", process=False)
    np.testing.assert_allclose(mesh.vertices, labels.vertices_cam, atol=1e-3)
    assert np.array_equal(mesh.faces, pack.triangles)
    region = mesh.metadata["_ply_raw"]["face"]["data"]["region"]
    assert np.array_equal(region, np.asarray(pack.poly_region)[pack.tri_polygon])
